"""Reads of the gateway app, scoped: the gateway's counters are for district-level users only."""

from __future__ import annotations

import datetime as dt

from django.http import Http404
from django.utils import timezone

from gongjian.gateway.models import GatewayStatus

STALE_AFTER = dt.timedelta(seconds=30)  # the gateway writes every 5 s; older means it is not running


def can_see_status(user) -> bool:
    return bool(user and user.is_authenticated and user.is_active and user.sees_everything)


def statuses_visible(user):
    """The gateways' status rows; anyone below district level gets a 404 (the page does not exist for them)."""
    if not can_see_status(user):
        raise Http404
    return GatewayStatus.objects.order_by("name")


def status_view(row: GatewayStatus, now: dt.datetime | None = None) -> dict:
    now = now or timezone.now()
    c = row.counters or {}
    return {"name": row.name, "started_at": row.started_at, "updated_at": row.updated_at,
            "running": now - row.updated_at <= STALE_AFTER, **{k: c.get(k) for k in COUNTERS},
            "rejected_by_reason": dict(sorted((c.get("rejected_by_reason") or {}).items()))}


COUNTERS = ("connections_total", "connections_open", "idle_closed", "packets_received", "packets_accepted",
            "packets_rejected", "acks_sent", "time_replies", "ack_latency_p50_ms", "ack_latency_p99_ms")


