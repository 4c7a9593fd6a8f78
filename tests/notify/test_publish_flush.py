"""publish records once per key and recipient; flush batches per person and topic into one message and
one delivery per subscribed channel, exactly once."""

from __future__ import annotations

import datetime as dt

import pytest
from django.db import transaction
from django.utils import timezone

from gongjian.core.errors import Invalid
from gongjian.notify import services
from gongjian.notify.models import Delivery, Message, NoticeItem
from tests.notify.conftest import make_channel, subscribe

pytestmark = pytest.mark.django_db


def _publish_overdue(user=None, unit=None, n=50, topic="reminder"):
    for i in range(n):
        services.publish(topic=topic, key=f"reminder:case:{i}:2026-11-30", title="到期提醒",
                         line=f"山阳整治〔2026〕{i:04d} 占道经营 … 整改期限 11月30日(明天)", link=f"/cases/{i}/",
                         users=[user] if user else [], units=[unit] if unit else [])


def test_publishing_the_same_key_twice_records_it_once(district):
    handler = district["handler_a"]
    args = {"topic": "reminder", "key": "reminder:case:12:2026-11-30", "title": "到期提醒",
            "line": "山阳整治〔2026〕0012 明天到期", "link": "/cases/12/"}
    assert services.publish(**args, users=[handler], units=[district.street_a]) == 2
    assert services.publish(**args, users=[handler], units=[district.street_a]) == 0
    # A new recipient of the same fact is recorded; the old ones still are not.
    assert services.publish(**args, users=[handler, district["handler_b"].pk]) == 1
    assert NoticeItem.objects.count() == 3


def test_publish_runs_in_the_callers_transaction(district):
    handler = district["handler_a"]
    with pytest.raises(RuntimeError), transaction.atomic():
        services.publish(topic="escalation", key="esc:1", title="督办", line="挂牌督办", users=[handler])
        raise RuntimeError("the scan failed")
    assert not NoticeItem.objects.exists()


@pytest.mark.parametrize(("kw", "field"), [
    ({"topic": "weather"}, "topic"), ({"key": " "}, "key"), ({"line": ""}, "line")])
def test_publish_refuses_bad_input(district, kw, field):
    args = {"topic": "reminder", "key": "k", "title": "t", "line": "l", "users": [district["handler_a"]]} | kw
    with pytest.raises(Invalid) as exc:
        services.publish(**args)
    assert exc.value.field == field
    assert not NoticeItem.objects.exists()


def test_publish_names_an_unknown_recipient(district):
    with pytest.raises(Invalid) as exc:
        services.publish(topic="reminder", key="k", title="t", line="l", users=[district["handler_a"].pk, 987654])
    assert "987654" in exc.value.message
    with pytest.raises(Invalid):
        services.publish(topic="reminder", key="k", title="t", line="l", units=["甲街道"])
    assert not NoticeItem.objects.exists()


def test_fifty_overdue_cases_make_one_message_and_one_robot_delivery(district):
    handler = district["handler_a"]
    robot = make_channel(district.street_a, "http://127.0.0.1:9/robot?key=k")
    subscribe(unit=district.street_a, channel=robot)
    _publish_overdue(user=handler, unit=district.street_a)
    created = services.flush()
    assert created == 2  # one inbox message + one robot delivery
    message = Message.objects.get()
    assert message.user == handler and message.topic == "reminder"
    assert len(message.lines) == 50 and message.title == "到期提醒：50 条"
    assert message.lines[7] == {"text": "山阳整治〔2026〕0007 占道经营 … 整改期限 11月30日(明天)", "link": "/cases/7/"}
    delivery = Delivery.objects.get()
    assert delivery.unit == district.street_a and delivery.channel == robot and delivery.kind == "wecom"
    assert len(delivery.lines) == 50 and delivery.status == "pending"
    assert not NoticeItem.objects.filter(flushed_at__isnull=True).exists()
    assert NoticeItem.objects.filter(message=message).count() == 50
    # Running it again creates nothing.
    assert services.flush() == 0
    assert Message.objects.count() == 1 and Delivery.objects.count() == 1


def test_flush_separates_topics_and_people(district):
    a, b = district["handler_a"], district["handler_b"]
    _publish_overdue(user=a, n=3)
    _publish_overdue(user=b, n=2)
    services.publish(topic="escalation", key="esc:1", title="挂牌督办", line="山阳整治〔2026〕0001 挂牌督办",
                     users=[a])
    assert services.flush() == 3
    assert sorted((m.user.username, m.topic, len(m.lines)) for m in Message.objects.all()) == [
        ("t_handler_a", "escalation", 1), ("t_handler_a", "reminder", 3), ("t_handler_b", "reminder", 2)]
    # A single item keeps its own title.
    assert Message.objects.get(topic="escalation").title == "挂牌督办"


def test_subscriptions_choose_the_deliveries(district):
    a = district["handler_a"]
    a.email = "a@example.org"
    a.save()
    robot = make_channel(district.street_a, "http://127.0.0.1:9/r")
    off = make_channel(district.street_a, "http://127.0.0.1:9/off", kind="webhook", is_active=False)
    subscribe(user=a)                                   # email, all topics
    subscribe(user=a, topic="escalation", channel=robot)  # the robot, escalations only
    subscribe(unit=district.street_a, channel=off)       # switched off: nothing goes there
    subscribe(unit=district.street_a, channel=robot, topic="escalation")
    _publish_overdue(user=a, unit=district.street_a, n=2)
    services.publish(topic="escalation", key="esc:9", title="督办", line="约谈", users=[a], units=[district.street_a])
    services.flush()
    got = sorted((d.topic, d.kind, "user" if d.user_id else "unit") for d in Delivery.objects.all())
    assert got == [("escalation", "email", "user"), ("escalation", "wecom", "unit"),
                   ("escalation", "wecom", "user"), ("reminder", "email", "user")]
    email = Delivery.objects.get(topic="reminder")
    assert email.message == Message.objects.get(topic="reminder")


def test_flush_limit_takes_the_oldest_first(district):
    _publish_overdue(user=district["handler_a"], n=5)
    assert services.flush(limit=2) == 1
    assert len(Message.objects.get().lines) == 2
    assert services.flush() == 1
    assert sorted(len(m.lines) for m in Message.objects.all()) == [2, 3]


def test_flush_stamps_the_given_time(district):
    moment = timezone.now() - dt.timedelta(hours=1)
    _publish_overdue(user=district["handler_a"], n=1)
    services.flush(now=moment)
    assert Message.objects.get().created_at == moment
    assert NoticeItem.objects.get().flushed_at == moment
