"""The gateway's status page and API: district-level users see the counters; others get 404, anonymous login."""

from __future__ import annotations

import datetime as dt

import pytest
from django.test import Client
from django.utils import timezone

from gongjian.gateway import services

pytestmark = pytest.mark.django_db

COUNTERS = {"connections_total": 12, "connections_open": 3, "idle_closed": 1, "packets_received": 130,
            "packets_accepted": 120, "packets_rejected": 10, "rejected_by_reason": {"crc_mismatch": 7, "unknown_device": 3},
            "acks_sent": 118, "time_replies": 2, "ack_latency_p50_ms": 4.25, "ack_latency_p99_ms": 31.5}


def _client(user) -> Client:
    c = Client()
    c.force_login(user)
    return c


@pytest.fixture
def status_row():
    now = timezone.now()
    return services.status_write(name="gw1:9212", started_at=now - dt.timedelta(hours=1), counters=COUNTERS)


def test_district_users_see_the_counters(district, status_row):
    for role in ("admin", "commander", "leader"):
        html = _client(district[role]).get("/gateway/").content.decode()
        assert "gw1:9212" in html and "运行中" in html
        assert "31.5 ms" in html
        assert "crc_mismatch" in html and "CRC 校验不符" in html and "<td>7</td>" in html
    got = _client(district["commander"]).get("/api/gateway/status").json()
    assert got[0]["name"] == "gw1:9212" and got[0]["running"] is True
    assert got[0]["packets_accepted"] == 120 and got[0]["rejected_by_reason"] == {"crc_mismatch": 7, "unknown_device": 3}
    assert got[0]["ack_latency_p99_ms"] == 31.5


def test_units_below_district_get_404(district, status_row):
    for role in ("handler_a", "grid_worker_a", "viewer_a", "bureau_leader"):
        assert _client(district[role]).get("/gateway/").status_code == 404, role
        assert _client(district[role]).get("/api/gateway/status").status_code == 404, role
    resp = Client().get("/gateway/")
    assert resp.status_code == 302 and "/login/" in resp["Location"]
    assert Client().get("/api/gateway/status").status_code == 401


def test_a_gateway_silent_for_30s_shows_stopped(district):
    row = services.status_write(name="old:9212", started_at=timezone.now(), counters={})
    type(row).objects.filter(pk=row.pk).update(updated_at=timezone.now() - dt.timedelta(minutes=2))
    html = _client(district["admin"]).get("/gateway/").content.decode()
    assert "已停止" in html and "运行中" not in html
    assert _client(district["admin"]).get("/api/gateway/status").json()[0]["running"] is False


def test_no_gateway_yet(district):
    html = _client(district["admin"]).get("/gateway/").content.decode()
    assert "还没有网关运行过" in html
