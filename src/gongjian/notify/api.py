"""REST endpoints of notifications. Thin: scope, call a service, shape the answer."""

from __future__ import annotations

from ninja import Router

from gongjian.core.errors import Invalid, NotFound
from gongjian.notify import selectors, services
from gongjian.notify.models import DeliveryStatus
from gongjian.notify.schemas import (
    DeliveryDetailOut,
    DeliveryOut,
    InboxOut,
    MarkReadIn,
    MarkReadOut,
    MessageOut,
)

router = Router(tags=["通知 / notifications"])


@router.get("/inbox", response=InboxOut, summary="本人的站内消息(最新在前)")
def inbox(request, unread_only: bool = False, limit: int = 50):
    qs = selectors.inbox(request.auth)
    if unread_only:
        qs = qs.filter(read_at__isnull=True)
    return {"unread": selectors.unread_count(request.auth), "messages": list(qs[: max(1, min(limit, 200))])}


@router.post("/inbox/mark-read", response=MarkReadOut, summary="标为已读(指定 ids，或 all=true 全部)")
def mark_read(request, body: MarkReadIn):
    marked = services.messages_mark_read(user=request.auth, ids=body.ids, all_messages=body.all)
    return {"marked": marked, "unread": selectors.unread_count(request.auth)}


@router.get("/inbox/{int:message_id}", response=MessageOut, summary="一条站内消息(只能看本人的)")
def message(request, message_id: int):
    found = selectors.inbox(request.auth).filter(pk=message_id).first()
    if found is None:
        raise NotFound("消息不存在或无权查看 / not found")
    return found


@router.get("/deliveries", response=list[DeliveryOut], summary="发送记录(管理员、指挥部；可按状态筛选)")
def deliveries(request, status: str = "", limit: int = 100):
    wanted, error = selectors.parse_status(status)
    if error:
        raise Invalid(f"状态“{status[:20]}”无效，应为 {'、'.join(DeliveryStatus.values)} / unknown status",
                      field="status")
    return list(selectors.deliveries_visible(request.auth, wanted)[: max(1, min(limit, 500))])


@router.get("/deliveries/{int:delivery_id}", response=DeliveryDetailOut, summary="一条发送记录及每次尝试")
def delivery(request, delivery_id: int):
    found = selectors.deliveries_visible(request.auth).filter(pk=delivery_id).first()
    if found is None:
        raise NotFound("发送记录不存在或无权查看 / not found")
    return found


@router.post("/deliveries/{int:delivery_id}/resend", response=DeliveryOut, summary="重新发送失败的记录")
def resend(request, delivery_id: int):
    found = selectors.deliveries_visible(request.auth).filter(pk=delivery_id).first()
    if found is None:
        raise NotFound("发送记录不存在或无权查看 / not found")
    return services.delivery_resend(actor=request.auth, delivery=found)
