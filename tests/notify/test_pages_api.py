"""收件箱 and 发送记录 as pages and API: who sees what (permission matrix), scoping (404), mark read."""

from __future__ import annotations

import datetime as dt
import json

import pytest
from django.test import Client
from django.utils import timezone

from gongjian.notify import services
from gongjian.notify.models import Delivery, Message
from gongjian.org.models import Role
from tests.factories import make_user
from tests.notify.conftest import make_channel, subscribe

pytestmark = pytest.mark.django_db


def _client(user=None) -> Client:
    c = Client()
    if user is not None:
        c.force_login(user)
    return c


@pytest.fixture
def world(district):
    """Two messages for handler A (older one read), one for handler B; a delivery to each street."""
    a, b = district["handler_a"], district["handler_b"]
    t0 = timezone.now() - dt.timedelta(hours=2)
    for street in (district.street_a, district.street_b):
        subscribe(unit=street, channel=make_channel(street, "http://127.0.0.1:9/hook", kind="webhook"))
    services.publish(topic="reminder", key="r:1", title="到期提醒", line="甲街道案件明天到期", link="/cases/1/",
                     users=[a], units=[district.street_a])
    services.flush(now=t0)
    services.publish(topic="escalation", key="e:1", title="挂牌督办", line="甲街道案件挂牌督办", link="/cases/2/",
                     users=[a])
    services.publish(topic="reminder", key="r:2", title="到期提醒", line="乙街道案件明天到期", link="/cases/3/",
                     users=[b], units=[district.street_b])
    services.flush(now=t0 + dt.timedelta(hours=1))
    old = Message.objects.get(user=a, topic="reminder")
    services.messages_mark_read(user=a, ids=[old.pk])
    return district


# ------------------------------------------------------------------------------------------- inbox


def test_inbox_page_lists_own_messages_newest_first_unread_bold(world):
    c = _client(world["handler_a"])
    html = c.get("/inbox/").content.decode()
    assert html.index("挂牌督办") < html.index("甲街道案件明天到期")
    assert "乙街道案件明天到期" not in html
    assert '<a href="/cases/2/">甲街道案件挂牌督办</a>' in html
    newer = Message.objects.get(user=world["handler_a"], topic="escalation")
    assert f'class="card message unread" data-testid="message" id="m-{newer.pk}"' in html
    assert html.count("message unread") == 1
    # The header badge counts the unread ones, on every page.
    assert 'data-testid="nav-inbox"' in c.get("/").content.decode()
    assert '<span class="nav-badge">1<span class="visually-hidden">条未读</span></span>' in c.get("/").content.decode()


def test_mark_one_and_all_read_on_the_page(world):
    a = world["handler_a"]
    services.publish(topic="case", key="c:9", title="案件动态", line="已交办", users=[a])
    services.flush()
    c = _client(a)
    first = Message.objects.get(user=a, topic="case")
    resp = c.post(f"/inbox/{first.pk}/read/", {"next": "/inbox/"})
    assert resp.status_code == 302 and resp["Location"] == "/inbox/"
    first.refresh_from_db()
    assert first.read_at is not None
    assert Message.objects.filter(user=a, read_at__isnull=True).count() == 1
    resp = c.post("/inbox/read-all/", follow=True)
    assert "已将 1 条消息标为已读" in resp.content.decode()
    assert not Message.objects.filter(user=a, read_at__isnull=True).exists()
    assert "nav-badge" not in c.get("/inbox/").content.decode()


def test_someone_elses_message_is_404_and_stays_unread(world):
    theirs = Message.objects.get(user=world["handler_b"])
    for who in ("handler_a", "admin", "commander"):  # not even an administrator reads another inbox
        c = _client(world[who])
        assert c.post(f"/inbox/{theirs.pk}/read/").status_code == 404
        assert c.get(f"/api/notify/inbox/{theirs.pk}").status_code == 404
        r = c.post("/api/notify/inbox/mark-read", json.dumps({"ids": [theirs.pk]}), content_type="application/json")
        assert r.status_code == 404 and r.json()["error"]["code"] == "not_found"
    theirs.refresh_from_db()
    assert theirs.read_at is None


def test_inbox_api(world):
    a = world["handler_a"]
    c = _client(a)
    body = c.get("/api/notify/inbox").json()
    assert body["unread"] == 1
    assert [m["title"] for m in body["messages"]] == ["挂牌督办", "到期提醒"]
    assert body["messages"][0]["unread"] is True and body["messages"][0]["lines"] == [
        {"text": "甲街道案件挂牌督办", "link": "/cases/2/"}]
    assert len(c.get("/api/notify/inbox?unread_only=true").json()["messages"]) == 1
    newer = Message.objects.get(user=a, topic="escalation")
    r = c.post("/api/notify/inbox/mark-read", json.dumps({"ids": [newer.pk]}), content_type="application/json")
    assert r.status_code == 200 and r.json() == {"marked": 1, "unread": 0}
    r = c.post("/api/notify/inbox/mark-read", json.dumps({}), content_type="application/json")
    assert r.status_code == 400 and r.json()["error"]["field"] == "ids"
    r = c.post("/api/notify/inbox/mark-read", json.dumps({"all": True}), content_type="application/json")
    assert r.json() == {"marked": 0, "unread": 0}


# ------------------------------------------------------------------------------------- permissions


PAGE_MATRIX = [  # (who, deliveries page status, sees street A's delivery, sees street B's)
    (None, 302, False, False),
    ("handler_a", 403, False, False),
    ("viewer_a", 403, False, False),
    ("inspector", 403, False, False),
    ("commander", 200, True, True),
    ("admin", 200, True, True),
    ("street_commander_b", 200, False, True),
]


def _who(world, who):
    if who == "street_commander_b":  # the 指挥部 role, but in a street: sees that street only
        return make_user(world.street_b, Role.COMMANDER, username="t_street_cmd_b")
    return world[who] if who else None


@pytest.mark.parametrize(("who", "status", "sees_a", "sees_b"), PAGE_MATRIX, ids=[str(p[0]) for p in PAGE_MATRIX])
def test_delivery_log_permission_matrix(world, who, status, sees_a, sees_b):
    user = _who(world, who)
    c = _client(user)
    da = Delivery.objects.get(unit=world.street_a)
    db = Delivery.objects.get(unit=world.street_b)
    resp = c.get("/notify/deliveries/")
    assert resp.status_code == status
    api = c.get("/api/notify/deliveries")
    assert api.status_code == {302: 401, 403: 403, 200: 200}[status]
    if status != 200:
        assert c.get(f"/notify/deliveries/{da.pk}/").status_code == status
        assert c.post(f"/notify/deliveries/{da.pk}/resend/").status_code == status
        return
    html = resp.content.decode()
    ids = {row["id"] for row in api.json()}
    for delivery, sees in ((da, sees_a), (db, sees_b)):
        assert (f'href="/notify/deliveries/{delivery.pk}/"' in html) is sees
        assert (delivery.pk in ids) is sees
        assert c.get(f"/notify/deliveries/{delivery.pk}/").status_code == (200 if sees else 404)
        assert c.get(f"/api/notify/deliveries/{delivery.pk}").status_code == (200 if sees else 404)
        assert c.post(f"/api/notify/deliveries/{delivery.pk}/resend").status_code == (400 if sees else 404)


@pytest.mark.parametrize("who", [None, "handler_a", "viewer_a", "commander", "admin"])
def test_everyone_signed_in_has_an_inbox(world, who):
    c = _client(world[who] if who else None)
    assert c.get("/inbox/").status_code == (302 if who is None else 200)
    assert c.get("/api/notify/inbox").status_code == (401 if who is None else 200)


def test_delivery_log_filters_by_status_and_names_a_bad_one(world):
    c = _client(world["commander"])
    Delivery.objects.filter(unit=world.street_b).update(status="failed", last_error="HTTP 500")
    html = c.get("/notify/deliveries/", {"status": "failed"}).content.decode()
    assert html.count('data-testid="delivery-row"') == 1 and "HTTP 500" in html
    html = c.get("/notify/deliveries/", {"status": "bogus"}).content.decode()
    assert "状态“bogus”无效，已显示全部" in html and html.count('data-testid="delivery-row"') == 2
    r = c.get("/api/notify/deliveries?status=bogus")
    assert r.status_code == 400 and r.json()["error"]["field"] == "status"


def test_the_nav_shows_the_delivery_log_to_the_command_post_only(world):
    assert 'href="/notify/deliveries/"' in _client(world["commander"]).get("/").content.decode()
    assert 'href="/notify/deliveries/"' not in _client(world["handler_a"]).get("/").content.decode()


# ------------------------------------------------------------------------------------------- admin


def test_admin_manages_channels_and_subscriptions_through_audited_services(world):
    from gongjian.core.models import AuditEvent
    from gongjian.notify.models import Channel, Subscription

    c = _client(world["admin"])
    resp = c.post("/admin/notify/channel/add/", {
        "name": "甲街道钉钉群", "kind": "dingtalk", "url": "ftp://oapi.dingtalk.com/robot/send",
        "unit": world.street_a.pk, "is_active": "on", "rate_limit": 20, "secret": "SECabcdefgh12345678"})
    assert resp.status_code == 200 and "地址应以 http:// 或 https:// 开头" in resp.content.decode()
    resp = c.post("/admin/notify/channel/add/", {
        "name": "甲街道钉钉群", "kind": "dingtalk", "url": "https://oapi.dingtalk.com/robot/send?access_token=t",
        "unit": world.street_a.pk, "is_active": "on", "rate_limit": 20, "secret": "SECabcdefgh12345678"})
    assert resp.status_code == 302
    channel = Channel.objects.get(name="甲街道钉钉群")
    assert channel.secret == "SECabcdefgh12345678"
    page = c.get(f"/admin/notify/channel/{channel.pk}/change/").content.decode()
    assert "SECabcdefgh12345678" not in page and "****5678" in page
    assert "SECabcdefgh12345678" not in c.get("/admin/notify/channel/").content.decode()
    # Saving without typing the secret keeps it.
    c.post(f"/admin/notify/channel/{channel.pk}/change/", {
        "name": "甲街道钉钉群", "kind": "dingtalk", "url": "https://oapi.dingtalk.com/robot/send?access_token=t",
        "unit": world.street_a.pk, "is_active": "on", "rate_limit": 10, "secret": ""})
    channel.refresh_from_db()
    assert channel.secret == "SECabcdefgh12345678" and channel.rate_limit == 10
    resp = c.post("/admin/notify/subscription/add/", {"unit": world.street_a.pk, "topic": "escalation"})
    assert resp.status_code == 200 and "单位订阅需要选择渠道" in resp.content.decode()
    resp = c.post("/admin/notify/subscription/add/", {"unit": world.street_a.pk, "topic": "escalation",
                                                      "channel": channel.pk})
    assert resp.status_code == 302
    sub = Subscription.objects.get(channel=channel)
    c.post(f"/admin/notify/subscription/{sub.pk}/delete/", {"post": "yes"})
    assert not Subscription.objects.filter(pk=sub.pk).exists()
    actions = list(AuditEvent.objects.filter(action__startswith="notify.").values_list("action", flat=True))
    assert actions[-4:] == ["notify.channel.create", "notify.channel.update", "notify.subscription.create",
                            "notify.subscription.delete"]
    assert _client(world["commander"]).get("/admin/notify/channel/").status_code == 302
