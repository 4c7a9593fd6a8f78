"""The gateway status page in a real browser: counters readable on a wide screen and on a 360 px phone."""

from __future__ import annotations

import pytest
from django.utils import timezone

from gongjian.gateway import services

pytestmark = pytest.mark.django_db(transaction=True)


@pytest.fixture
def status_row():
    return services.status_write(name="gw1:9212", started_at=timezone.now(), counters={
        "connections_total": 1000, "connections_open": 998, "packets_received": 20100, "packets_accepted": 20000,
        "packets_rejected": 100, "rejected_by_reason": {"crc_mismatch": 60, "unknown_device": 40},
        "acks_sent": 19200, "ack_latency_p50_ms": 153.6, "ack_latency_p99_ms": 242.5})


def test_status_page_on_desktop_and_phone(district, status_row, desktop, phone, login, shot):
    for page, name in ((desktop, "gateway-status"), (phone, "gateway-status-phone")):
        login(page, "t_commander")
        page.goto("/gateway/")
        assert page.get_by_role("heading", name="HJ 212 网关状态").is_visible()
        assert page.get_by_text("242.5 ms").is_visible()
        assert page.get_by_text("CRC 校验不符").is_visible()
        assert page.evaluate("document.documentElement.scrollWidth <= window.innerWidth + 1")
        shot(page, name)
