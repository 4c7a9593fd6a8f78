"""REST: the gateway's counters (district-level users; others get 404)."""

from __future__ import annotations

import datetime as dt

from ninja import Router, Schema

from gongjian.gateway import selectors

router = Router(tags=["HJ 212 网关 / gateway"])


class StatusOut(Schema):
    name: str
    running: bool
    started_at: dt.datetime
    updated_at: dt.datetime
    connections_total: int | None
    connections_open: int | None
    idle_closed: int | None
    packets_received: int | None
    packets_accepted: int | None
    packets_rejected: int | None
    acks_sent: int | None
    time_replies: int | None
    ack_latency_p50_ms: float | None
    ack_latency_p99_ms: float | None
    rejected_by_reason: dict[str, int]


@router.get("/status", response=list[StatusOut], summary="网关计数：连接、收包、拒收(按原因)、应答延迟")
def status(request):
    return [selectors.status_view(r) for r in selectors.statuses_visible(request.auth)]
