from __future__ import annotations

from datetime import datetime

from ninja import Router, Schema

from gongjian.core import audit
from gongjian.core.models import AuditEvent
from gongjian.org.permissions import can_read_audit, require

router = Router(tags=["审计 / audit"])


class AuditEventOut(Schema):
    seq: int
    created_at: datetime
    actor_id: int | None
    actor_name: str
    action: str
    object_type: str
    object_id: str
    object_repr: str
    before: str
    after: str
    reason: str
    client_ip: str
    hash: str


class VerifyOut(Schema):
    ok: bool
    checked: int
    message: str
    bad_seq: int | None


@router.get("/events", response=list[AuditEventOut], summary="审计事件(只读)")
def list_events(request, object_type: str | None = None, object_id: str | None = None,
                action: str | None = None, before_seq: int | None = None, limit: int = 100):
    require(can_read_audit(request.auth), "查看审计日志")
    qs = AuditEvent.objects.order_by("-seq")
    if object_type:
        qs = qs.filter(object_type=object_type)
    if object_id:
        qs = qs.filter(object_id=object_id)
    if action:
        qs = qs.filter(action=action)
    if before_seq:
        qs = qs.filter(seq__lt=before_seq)
    return qs[: max(1, min(limit, 500))]


@router.get("/verify", response=VerifyOut, summary="校验审计链")
def verify_chain(request):
    require(can_read_audit(request.auth), "校验审计链")
    return audit.verify()
