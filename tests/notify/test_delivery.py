"""deliver_due: retries with backoff until failed, the robot's rate limit, lease expiry, 重新发送."""

from __future__ import annotations

import datetime as dt

import pytest
from django.test import Client
from django.utils import timezone

from gongjian.core.models import AuditEvent
from gongjian.notify import services
from gongjian.notify.models import Delivery, DeliveryAttempt
from tests.notify.conftest import make_channel, subscribe

pytestmark = pytest.mark.django_db

T0 = dt.datetime(2026, 11, 27, 8, 0, tzinfo=dt.UTC)


def _client(user) -> Client:
    c = Client()
    c.force_login(user)
    return c


def _deliveries(district, channel, n=1):
    subscribe(unit=district.street_a, channel=channel)
    for i in range(n):
        services.publish(topic="case", key=f"c:{i}", title="案件动态", line=f"案件 {i} 已交办", link=f"/cases/{i}/",
                         units=[district.street_a])
        services.flush(now=T0)  # one flush per item: one delivery each
    return list(Delivery.objects.order_by("id"))


def test_a_failing_webhook_is_retried_with_backoff_then_failed(district, endpoint):
    endpoint.answer = (500, "internal error")
    hook = make_channel(district.street_a, f"{endpoint.url}/hook", kind="webhook")
    (delivery,) = _deliveries(district, hook)
    now = T0
    waits = []
    for attempt in range(1, 7):
        # Not yet due just before its time: nothing is sent.
        if attempt > 1:
            assert services.deliver_due(now=now - dt.timedelta(seconds=1))["retrying"] == 0
        result = services.deliver_due(now=now)
        delivery.refresh_from_db()
        assert delivery.attempts == attempt
        if attempt < 6:
            assert result["retrying"] == 1 and delivery.status == "retrying"
            waits.append(delivery.next_attempt_at - now)
            now = delivery.next_attempt_at
        else:
            assert result["failed"] == 1 and delivery.status == "failed"
    assert waits == [dt.timedelta(seconds=s) for s in (30, 60, 120, 240, 480)]
    assert len(endpoint.requests) == 6
    assert delivery.last_error.startswith("HTTP 500")
    log = list(DeliveryAttempt.objects.filter(delivery=delivery).order_by("number"))
    assert [a.number for a in log] == [1, 2, 3, 4, 5, 6] and not any(a.ok for a in log)
    # Nothing more is sent once failed.
    assert services.deliver_due(now=now + dt.timedelta(hours=1))["failed"] == 0 and len(endpoint.requests) == 6

    # Visible in the log: the page, the delivery's page and the API.
    c = _client(district["commander"])
    html = c.get("/notify/deliveries/", {"status": "failed"}).content.decode()
    assert f"#{delivery.pk}" in html and "失败" in html and "HTTP 500" in html
    detail = c.get(f"/notify/deliveries/{delivery.pk}/").content.decode()
    assert detail.count("HTTP 500 internal error") == 7  # six attempts + the last error
    assert "重新发送" in detail
    api = c.get(f"/api/notify/deliveries/{delivery.pk}").json()
    assert api["status"] == "failed" and api["status_label"] == "失败" and api["attempts"] == 6
    assert [a["number"] for a in api["attempt_log"]] == [1, 2, 3, 4, 5, 6]
    assert [row["id"] for row in c.get("/api/notify/deliveries?status=failed").json()] == [delivery.pk]
    assert c.get("/api/notify/deliveries?status=sent").json() == []

    # 重新发送 (audited) puts it back in the queue; the endpoint now answers and it goes out.
    resp = c.post(f"/notify/deliveries/{delivery.pk}/resend/", follow=True)
    assert "已重新排入发送队列" in resp.content.decode()
    assert AuditEvent.objects.filter(action="notify.delivery.resend", object_id=str(delivery.pk)).count() == 1
    endpoint.answer = (200, "ok")
    assert services.deliver_due()["sent"] == 1
    delivery.refresh_from_db()
    assert delivery.status == "sent" and DeliveryAttempt.objects.filter(delivery=delivery).count() == 7


def test_only_a_failed_delivery_can_be_resent(district):
    hook = make_channel(district.street_a, "http://127.0.0.1:9/hook", kind="webhook")
    (delivery,) = _deliveries(district, hook)
    c = _client(district["admin"])
    resp = c.post(f"/notify/deliveries/{delivery.pk}/resend/", follow=True)
    assert "只有失败的发送可以重新发送" in resp.content.decode()
    assert resp.status_code == 200
    r = c.post(f"/api/notify/deliveries/{delivery.pk}/resend")
    assert r.status_code == 400 and r.json()["error"]["code"] == "invalid"
    assert not AuditEvent.objects.filter(action="notify.delivery.resend").exists()


def test_rate_limit_20_a_minute_then_the_rest_next_minute(district, endpoint):
    robot = make_channel(district.street_a, f"{endpoint.url}/send?key=k")
    _deliveries(district, robot, n=25)
    first = services.deliver_due(now=T0)
    assert first["sent"] == 20 and first["waiting"] == 5 and first["failed"] == 0
    assert len(endpoint.requests) == 20
    waiting = Delivery.objects.filter(status="pending")
    assert waiting.count() == 5 and {d.next_attempt_at for d in waiting} == {T0 + dt.timedelta(seconds=60)}
    # Half a minute on: still inside the window, nothing goes out.
    assert services.deliver_due(now=T0 + dt.timedelta(seconds=30))["sent"] == 0
    assert services.deliver_due(now=T0 + dt.timedelta(seconds=61))["sent"] == 5
    assert len(endpoint.requests) == 25 and Delivery.objects.filter(status="sent").count() == 25


def test_rate_limit_is_per_channel_and_zero_means_unlimited(district, endpoint):
    robot = make_channel(district.street_a, f"{endpoint.url}/send?key=k", rate_limit=0)
    _deliveries(district, robot, n=25)
    assert services.deliver_due(now=T0)["sent"] == 25


def test_a_lease_left_by_a_dead_sender_is_retried_after_it_expires(district, endpoint):
    hook = make_channel(district.street_a, f"{endpoint.url}/hook", kind="webhook")
    (delivery,) = _deliveries(district, hook)
    # A sender claimed it and was killed before sending (or before recording the result).
    claimed, _ = services._claim(T0, 10, services.Counter())
    assert [d.pk for d in claimed] == [delivery.pk]
    delivery.refresh_from_db()
    assert delivery.status == "sending" and delivery.lease_until == T0 + services.LEASE
    # While the lease holds, nobody else sends it.
    assert services.deliver_due(now=T0 + dt.timedelta(minutes=1))["sent"] == 0
    assert endpoint.requests == []
    # After it, the row is due again: the lost attempt is logged and the send goes out once.
    result = services.deliver_due(now=T0 + services.LEASE)
    assert result["expired"] == 1 and result["sent"] == 1
    assert len(endpoint.requests) == 1
    delivery.refresh_from_db()
    assert delivery.status == "sent" and delivery.attempts == 2
    log = list(DeliveryAttempt.objects.filter(delivery=delivery).order_by("number"))
    assert [(a.number, a.ok) for a in log] == [(1, False), (2, True)]
    assert "租约到期" in log[0].error


def test_a_late_sender_does_not_overwrite_a_newer_claim(district, endpoint):
    hook = make_channel(district.street_a, f"{endpoint.url}/hook", kind="webhook")
    (delivery,) = _deliveries(district, hook)
    (old,), _ = services._claim(T0, 10, services.Counter())
    (new,), _ = services._claim(T0 + services.LEASE, 10, services.Counter())
    assert services._finish(old, started=T0, finished=T0 + services.LEASE, error=None, permanent=False) == "lease_lost"
    delivery.refresh_from_db()
    assert delivery.status == "sending" and delivery.lease_token == new.lease_token
    assert services._finish(new, started=T0 + services.LEASE, finished=T0 + services.LEASE, error=None,
                            permanent=False) == "sent"
    delivery.refresh_from_db()
    assert delivery.status == "sent"


def test_a_switched_off_channel_fails_its_pending_deliveries(district, endpoint):
    hook = make_channel(district.street_a, f"{endpoint.url}/hook", kind="webhook")
    (delivery,) = _deliveries(district, hook)
    hook.is_active = False
    services.channel_save(actor=None, channel=hook)
    assert services.deliver_due()["failed"] == 1
    delivery.refresh_from_db()
    assert delivery.status == "failed" and "渠道已停用" in delivery.last_error
    assert endpoint.requests == []


def test_an_unreachable_endpoint_is_a_retry_with_the_reason(district):
    hook = make_channel(district.street_a, "http://127.0.0.1:9/hook", kind="webhook")
    (delivery,) = _deliveries(district, hook)
    assert services.deliver_due(now=timezone.now())["retrying"] == 1
    delivery.refresh_from_db()
    assert delivery.last_error.startswith("连接失败")
