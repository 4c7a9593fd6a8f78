"""Reads of notifications, always scoped: a person's own inbox; deliveries through the recipient's unit."""

from __future__ import annotations

from gongjian.core.errors import Forbidden
from gongjian.notify.models import Delivery, DeliveryStatus, Message
from gongjian.notify.services import can_view_deliveries


def inbox(user):
    """The reader's own messages, newest first (nobody reads another person's inbox, not even an admin)."""
    if user is None or not user.is_authenticated:
        return Message.objects.none()
    return Message.objects.filter(user=user).order_by("-created_at", "-id")


def unread_count(user) -> int:
    return inbox(user).filter(read_at__isnull=True).count()


def deliveries_visible(user, status: str = ""):
    """Deliveries whose recipient (unit, or person's unit) is in the reader's scope; administrators and
    the command post only. ``status`` filters (one of DeliveryStatus)."""
    if not can_view_deliveries(user):
        raise Forbidden("只有管理员和指挥部可以查看发送记录 / not permitted")
    qs = Delivery.objects.visible_to(user).select_related("channel", "user", "unit")
    if status:
        qs = qs.filter(status=status)
    return qs.order_by("-created_at", "-id")


def parse_status(value: str | None) -> tuple[str, str]:
    """(status, error): an unknown status is named and left out."""
    value = (value or "").strip()
    if not value or value in DeliveryStatus.values:
        return value, ""
    return "", f"状态“{value[:20]}”无效，已显示全部"
