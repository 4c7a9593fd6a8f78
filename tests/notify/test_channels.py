"""Each channel against a real HTTP endpoint on 127.0.0.1: the exact body, signature parameters and
headers it receives; email through Django's locmem backend."""

from __future__ import annotations

import base64
import hashlib
import hmac
import json
import urllib.parse

import pytest
from django.core import mail
from django.utils import timezone

from gongjian.core.errors import Invalid
from gongjian.notify import services
from gongjian.notify.channels import dingtalk, webhook
from gongjian.notify.models import Channel, Delivery, DeliveryAttempt
from tests.notify.conftest import make_channel, subscribe

pytestmark = pytest.mark.django_db

LINE = "山阳整治〔2026〕0012 占道经营 … 整改期限 11月30日(明天)"


def _one(district, channel, *, user=None):
    if user is None:
        subscribe(unit=district.street_a, channel=channel)
        services.publish(topic="reminder", key="r:12", title="到期提醒", line=LINE, link="/cases/12/",
                         units=[district.street_a])
    else:
        services.publish(topic="reminder", key="r:12", title="到期提醒", line=LINE, link="/cases/12/", users=[user])
    services.flush()
    return Delivery.objects.get()


# ---------------------------------------------------------------------------------- DingTalk signing


def test_dingtalk_signature_matches_a_step_by_step_computation():
    secret, ts = "SECa1b2c3d4e5f6", 1764201600000
    string_to_sign = str(ts) + "\n" + secret
    mac = hmac.HMAC(secret.encode("utf-8"), digestmod=hashlib.sha256)
    mac.update(string_to_sign.encode("utf-8"))
    expected = urllib.parse.quote(base64.standard_b64encode(mac.digest()).decode("ascii"), safe="")
    assert dingtalk.sign(secret, ts) == expected


def test_dingtalk_signature_matches_a_hand_checked_vector():
    # Worked out once with OpenSSL, not Python:
    #   printf '1700000000000\nSEC0123456789abcdef' | openssl dgst -sha256 -hmac 'SEC0123456789abcdef' -binary | base64
    #   -> TSZbRFUuvaSQaRKUpF970OPCb2/LcQAP3wOvwZIzBZk=   then URL-encoded by hand: / -> %2F, = -> %3D
    assert dingtalk.sign("SEC0123456789abcdef", 1700000000000) == "TSZbRFUuvaSQaRKUpF970OPCb2%2FLcQAP3wOvwZIzBZk%3D"
    url = dingtalk.signed_url("https://oapi.dingtalk.com/robot/send?access_token=abc", "SEC0123456789abcdef",
                              1700000000000)
    assert url == ("https://oapi.dingtalk.com/robot/send?access_token=abc&timestamp=1700000000000"
                   "&sign=TSZbRFUuvaSQaRKUpF970OPCb2%2FLcQAP3wOvwZIzBZk%3D")


def test_dingtalk_request_carries_timestamp_sign_and_markdown(district, endpoint, settings):
    settings.GONGJIAN_SITE_URL = "https://gj.example.gov.cn"
    secret = "SECdingtalk-test-secret"
    robot = make_channel(district.street_a, f"{endpoint.url}/robot/send?access_token=tok", kind="dingtalk",
                         secret=secret)
    delivery = _one(district, robot)
    before = int(timezone.now().timestamp() * 1000)
    assert services.deliver_due()["sent"] == 1
    (req,) = endpoint.requests
    assert req.path == "/robot/send" and req.query["access_token"] == "tok"
    ts = int(req.query["timestamp"])
    assert before - 1000 <= ts <= before + 60_000
    # The server sees the decoded value: base64 of HMAC-SHA256(secret, "ts\nsecret").
    digest = hmac.new(secret.encode(), f"{ts}\n{secret}".encode(), hashlib.sha256).digest()
    assert req.query["sign"] == base64.b64encode(digest).decode()
    assert req.json == {"msgtype": "markdown", "markdown": {
        "title": "到期提醒", "text": f"**到期提醒**\n- [{LINE}](https://gj.example.gov.cn/cases/12/)"}}
    delivery.refresh_from_db()
    assert delivery.status == "sent" and delivery.attempts == 1 and delivery.sent_at is not None


# ------------------------------------------------------------------------------------------- WeCom


def test_wecom_request_body_is_markdown_content(district, endpoint):
    robot = make_channel(district.street_a, f"{endpoint.url}/cgi-bin/webhook/send?key=wx-key")
    _one(district, robot)
    assert services.deliver_due() == {"sent": 1, "retrying": 0, "failed": 0, "waiting": 0, "expired": 0,
                                      "lease_lost": 0}
    (req,) = endpoint.requests
    assert req.query == {"key": "wx-key"}
    assert req.headers["content-type"].startswith("application/json")
    assert req.json == {"msgtype": "markdown", "markdown": {"content": f"**到期提醒**\n- [{LINE}](/cases/12/)"}}


def test_wecom_rate_limit_answer_is_retried_later(district, endpoint):
    endpoint.answer = (200, '{"errcode":45009,"errmsg":"api freq out of limit"}')
    robot = make_channel(district.street_a, f"{endpoint.url}/send?key=k")
    delivery = _one(district, robot)
    now = timezone.now()
    assert services.deliver_due(now=now)["retrying"] == 1
    delivery.refresh_from_db()
    assert delivery.status == "retrying" and "45009" in delivery.last_error
    assert delivery.next_attempt_at == now + services.backoff(1)
    endpoint.answer = (200, '{"errcode":0,"errmsg":"ok"}')
    assert services.deliver_due(now=now + services.backoff(1))["sent"] == 1
    assert len(endpoint.requests) == 2


def test_a_long_batch_is_cut_to_the_robots_size_limit(district, endpoint):
    robot = make_channel(district.street_a, f"{endpoint.url}/send?key=k")
    subscribe(unit=district.street_a, channel=robot)
    for i in range(200):
        services.publish(topic="reminder", key=f"r:{i}", title="到期提醒", line=f"{LINE} 第{i}件",
                         link=f"/cases/{i}/", units=[district.street_a])
    services.flush()
    services.deliver_due()
    content = endpoint.requests[0].json["markdown"]["content"]
    assert len(content.encode()) <= 4096
    shown = content.count("\n- [")
    assert 10 < shown < 200 and content.endswith(f"……另有 {200 - shown} 条，请登录平台查看")


# ----------------------------------------------------------------------------------------- webhook


def test_webhook_body_and_headers(district, endpoint):
    hook = make_channel(district.street_a, f"{endpoint.url}/hook", kind="webhook", secret="wh-secret-0001")
    delivery = _one(district, hook)
    services.deliver_due()
    (req,) = endpoint.requests
    body = req.json
    assert set(body) == {"id", "topic", "title", "lines", "links", "sent_at"}
    assert body["id"] == delivery.pk and body["topic"] == "reminder" and body["title"] == "到期提醒"
    assert body["lines"] == [LINE] and body["links"] == ["/cases/12/"]
    assert req.headers["x-gongjian-delivery"] == str(delivery.pk)
    expected = hmac.new(b"wh-secret-0001", req.body, hashlib.sha256).hexdigest()
    assert req.headers["x-gongjian-signature"] == expected
    # The helper agrees with OpenSSL on a fixed body:
    #   printf '{"a":1}' | openssl dgst -sha256 -hmac 'whsecret'
    assert webhook.signature("whsecret", b'{"a":1}') == \
        "b2ede3ef30f428daf114e70cd9dd2fd3ff364a1fdc17db5f846f4f49d8a01dab"


def test_webhook_without_secret_sends_no_signature(district, endpoint):
    hook = make_channel(district.street_a, f"{endpoint.url}/hook", kind="webhook")
    _one(district, hook)
    services.deliver_due()
    assert "x-gongjian-signature" not in endpoint.requests[0].headers


def test_a_2xx_other_than_200_is_success_for_a_webhook(district, endpoint):
    endpoint.answer = (204, "")
    hook = make_channel(district.street_a, f"{endpoint.url}/hook", kind="webhook")
    _one(district, hook)
    assert services.deliver_due()["sent"] == 1


# ------------------------------------------------------------------------------------------- email


def test_email_goes_to_the_persons_address(district):
    user = district["handler_a"]
    user.email = "jingban@example.org"
    user.save()
    subscribe(user=user)
    _one(district, None, user=user)
    assert services.deliver_due()["sent"] == 1
    (sent,) = mail.outbox
    assert sent.to == ["jingban@example.org"] and "到期提醒" in sent.subject
    assert LINE in sent.body and "/cases/12/" in sent.body


def test_a_person_without_email_is_a_clear_failure(district):
    user = district["handler_a"]
    subscribe(user=user)
    delivery = _one(district, None, user=user)
    assert services.deliver_due()["failed"] == 1
    delivery.refresh_from_db()
    assert delivery.status == "failed" and delivery.last_error.startswith("该人员没有邮箱")
    assert DeliveryAttempt.objects.get().error.startswith("该人员没有邮箱")
    assert mail.outbox == []


# ------------------------------------------------------------------------------------------ channel


@pytest.mark.parametrize(("url", "says"), [
    ("ftp://example.org/x", "http://"), ("file:///etc/passwd", "http://"), ("javascript:alert(1)", "http://"),
    ("http://", "主机名"), ("robot.example.org/send", "http://"), ("http://exa mple.org/", "空格"),
    ("http://example.org:99999/", "端口")])
def test_channel_url_must_be_http(district, url, says):
    with pytest.raises(Invalid) as exc:
        make_channel(district.street_a, url)
    assert exc.value.field == "url" and says in exc.value.message
    assert not Channel.objects.exists()


def test_channel_secret_is_masked_in_the_audit_trail(district):
    from gongjian.core.models import AuditEvent

    make_channel(district.street_a, "https://oapi.dingtalk.com/robot/send?access_token=SECRETTOKEN",
                 kind="dingtalk", secret="SECverysecretvalue1234")
    event = AuditEvent.objects.get(action="notify.channel.create")
    after = json.loads(event.after)
    assert "SECverysecretvalue1234" not in event.after and "SECRETTOKEN" not in event.after
    assert after["secret"] == "****1234" and after["url"].endswith("?****")
