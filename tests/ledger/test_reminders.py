"""Deadline reminders (到期提醒) and escalation notices (督办): who is told, once per rule and case."""

from __future__ import annotations

import datetime as dt

import pytest

from gongjian.ledger import reminders, services
from gongjian.ledger.models import EscalationLevel
from gongjian.notify import services as notify
from gongjian.notify.models import Message, NoticeItem

pytestmark = pytest.mark.django_db

MON, TUE, WED, THU, SAT = (dt.date(2026, 6, d) for d in (1, 2, 3, 4, 6))


def messages_of(user):
    return list(Message.objects.filter(user=user))


def test_a_case_due_tomorrow_is_reminded_once_to_the_nearest_handler_and_its_unit(ledger):
    case = ledger.assigned()  # community A, assigned Monday with 3 working days: due Thursday
    assert case.deadline == THU
    assert reminders.deadline_reminders(on=TUE) == {"cases": 0, "notices": 0}  # two working days left
    result = reminders.deadline_reminders(on=WED)
    # community A has no 经办人 of its own: street A's is told, and community A's group robots
    assert result == {"cases": 1, "notices": 2}
    item = NoticeItem.objects.get(user=ledger.d["handler_a"])
    assert item.topic == "reminder" and item.link == f"/cases/{case.pk}/"
    assert case.serial in item.line and "6月4日" in item.line and "还剩 1 个工作日" in item.line
    assert NoticeItem.objects.filter(unit=ledger.d.community_a).count() == 1
    assert reminders.deadline_reminders(on=WED)["notices"] == 0  # run again: nobody told twice
    assert not NoticeItem.objects.filter(user=ledger.d["handler_b"]).exists()


def test_a_deadline_on_a_day_off_is_not_called_today(ledger):
    """An imported deadline may fall on a Saturday: reminded on the Friday before (the last working day),
    never as 今天到期."""
    case = ledger.assigned()
    type(case).objects.filter(pk=case.pk).update(deadline=SAT)
    assert reminders.deadline_reminders(on=THU)["cases"] == 0  # Friday is still a working day before it
    reminders.deadline_reminders(on=THU + dt.timedelta(days=1))
    (item,) = NoticeItem.objects.filter(user=ledger.d["handler_a"])
    assert "6月6日(周六到期，之前已无工作日)" in item.line and "今天到期" not in item.line


def test_fifty_cases_reach_the_handler_as_one_message(ledger):
    cases = [ledger.assigned(title=f"问题{i}") for i in range(50)]
    reminders.deadline_reminders(on=WED)
    notify.flush()
    (message,) = messages_of(ledger.d["handler_a"])
    assert len(message.lines) == 50
    assert {line["link"] for line in message.lines} == {f"/cases/{c.pk}/" for c in cases}


def test_a_named_handler_is_told_instead_of_the_unit_s_handlers(ledger, district):
    from tests.factories import make_user

    own = make_user(district.community_a, "handler", username="t_own_handler")
    case = ledger.assigned()
    case.handler = own
    case.save(update_fields=["handler"])
    reminders.deadline_reminders(on=WED)
    assert list(NoticeItem.objects.filter(user__isnull=False).values_list("user_id", flat=True)) == [own.pk]


def test_each_case_goes_to_its_nearest_rule_only_and_each_rule_fires_once(ledger, settings):
    settings.GONGJIAN_REMINDER_WORKDAYS = [3, 1]
    ledger.assigned()  # due Thursday
    reminders.deadline_reminders(on=MON)  # Thursday is 3 working days away: the 3-day rule
    reminders.deadline_reminders(on=TUE)  # still the 3-day rule's window: already told
    reminders.deadline_reminders(on=WED)  # 1 working day: the 1-day rule
    keys = sorted(NoticeItem.objects.filter(user=ledger.d["handler_a"]).values_list("key", flat=True))
    assert [k.split(":")[1] for k in keys] == ["1", "3"]


def test_no_reminders_on_a_day_off_and_a_new_deadline_is_reminded_again(ledger):
    case = ledger.assigned()
    assert "不是工作日" in reminders.deadline_reminders(on=SAT)["skipped"]
    reminders.deadline_reminders(on=WED)
    case.deadline = dt.date(2026, 6, 9)  # an approved extension: due next Tuesday
    case.save(update_fields=["deadline"])
    reminders.deadline_reminders(on=dt.date(2026, 6, 8))
    assert NoticeItem.objects.filter(user=ledger.d["handler_a"]).count() == 2


def test_running_cases_only(ledger):
    ledger.submitted()
    assert reminders.deadline_reminders(on=WED)["cases"] == 0


def test_escalation_tells_the_handler_and_on_listing_the_leader_each_rung_once(ledger, district):
    case = ledger.report(lng=113.215, lat=35.205)  # street B's community: 分包 leader is bureau_leader
    case = services.transition(actor=district["commander"], case=case, action="register")
    case = services.transition(actor=district["commander"], case=case, action="assign", workdays=3)
    assert case.leader_id == district["bureau_leader"].pk
    services.escalate(on=dt.date(2026, 6, 5))  # 1 working day overdue: 预警
    first = NoticeItem.objects.filter(topic="escalation", user__isnull=False)
    assert set(first.values_list("user_id", flat=True)) == {district["handler_b"].pk}
    services.escalate(on=dt.date(2026, 6, 9))  # 3 working days: 挂牌督办, the 分包 leader is told
    listed = NoticeItem.objects.filter(topic="escalation", key=f"escalation:{case.pk}:{EscalationLevel.LISTED}")
    assert set(listed.values_list("user_id", flat=True)) - {None} == {district["handler_b"].pk,
                                                                      district["bureau_leader"].pk}
    assert "挂牌督办" in listed.first().line
    before = NoticeItem.objects.count()
    services.escalate(on=dt.date(2026, 6, 9))
    assert NoticeItem.objects.count() == before
