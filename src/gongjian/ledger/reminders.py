"""Who is told what about cases: deadline reminders (到期提醒) and the notices of escalation (督办).

The scans publish into the notification app (``gongjian.notify``); each notice has a key (a reminder per
rule, case and deadline; an escalation per case and rung), so a scan run twice, or by two workers at the
same time, tells each person once. The notification app batches them per person.
"""

from __future__ import annotations

import datetime as dt
from collections import defaultdict

from django.conf import settings
from django.db import transaction

from gongjian.ledger.models import DEADLINE_STATUSES, Case, EscalationLevel
from gongjian.org.models import Role, User

CHUNK = 500


def handlers_by_unit(unit_ids) -> dict[int, list[int]]:
    """The active 经办人 told about each unit's cases: the unit's own, or else those of the nearest unit
    above it that has some (a community's cases go to its street's 经办人 when it has none)."""
    from gongjian.org.models import Unit

    paths = dict(Unit.objects.filter(pk__in=set(unit_ids)).values_list("pk", "path"))
    chains = {pk: [int(p) for p in path.strip("/").split("/") if p][::-1] for pk, path in paths.items()}
    wanted = {u for chain in chains.values() for u in chain}
    people: dict[int, list[int]] = defaultdict(list)
    rows = (User.objects.filter(unit_id__in=wanted, is_active=True, role_assignments__role=Role.HANDLER)
            .values_list("unit_id", "id").distinct().order_by("unit_id", "id"))
    for unit_id, user_id in rows:
        people[unit_id].append(user_id)
    found: dict[int, list[int]] = {}
    for pk, chain in chains.items():
        found[pk] = next((people[u] for u in chain if people.get(u)), [])
    return found


def case_people(case: Case, handlers: dict[int, list[int]]) -> list[int]:
    if case.handler_id:
        return [case.handler_id]
    return list(handlers.get(case.unit_id, []))


def _deadline_words(deadline: dt.date, on: dt.date, left: int) -> str:
    """How the reminder sent on ``on`` words the deadline; ``left``: working days after ``on`` up to it.
    A deadline on a day off (typed in or imported, not computed) has none left before it without being today."""
    if deadline == on:
        words = "(今天到期)"
    elif left:
        words = f"(还剩 {left} 个工作日)"
    else:
        words = f"({'周' + '一二三四五六日'[deadline.weekday()]}到期，之前已无工作日)"
    return f"{deadline.month}月{deadline.day}日{words}"


def _windows(on: dt.date, calendar) -> list[tuple[int, dt.date, dt.date]]:
    """(rule, after, through): rule N reminds the cases whose deadline falls after ``after`` and on or
    before ``through``, i.e. within N working days; each case goes to the nearest rule only, so a case
    assigned with two days to go is not told twice the same day by the 3-day and the 1-day rule."""
    rules = sorted(settings.GONGJIAN_REMINDER_WORKDAYS)
    windows = []
    previous_end = None
    for days in rules:
        through = calendar.add(on, days) if days else on
        after = previous_end if previous_end is not None else (on - dt.timedelta(days=1) if days == 0 else on)
        windows.append((days, after, through))
        previous_end = through
    return windows


def deadline_reminders(*, on: dt.date) -> dict:
    """到期提醒 on working day ``on``: tell each running case's handler (or its unit's 经办人) and the unit's
    group robots that the deadline is near. Returns counts; idempotent."""
    from gongjian.core.calendar import work_calendar
    from gongjian.notify import services as notify
    from gongjian.standards.workdays import MissingYear

    calendar = work_calendar()
    try:
        if not calendar.is_workday(on):
            return {"skipped": f"{on} 不是工作日 / not a working day", "cases": 0, "notices": 0}
        windows = _windows(on, calendar)
    except MissingYear as exc:
        return {"skipped": f"{exc.year} 年的节假日安排尚未导入 / no schedule for {exc.year}", "cases": 0, "notices": 0}
    cases = notices = 0
    for days, after, through in windows:
        base = (Case.objects.filter(status__in=sorted(DEADLINE_STATUSES), deadline__gt=after, deadline__lte=through)
                .select_related("unit").only("id", "serial", "title", "deadline", "unit_id", "unit__name",
                                             "handler_id").order_by("id"))
        last_id = 0
        while True:
            chunk = list(base.filter(id__gt=last_id)[:CHUNK])
            if not chunk:
                break
            last_id = chunk[-1].id
            handlers = handlers_by_unit(c.unit_id for c in chunk if not c.handler_id)
            with transaction.atomic():
                for case in chunk:
                    left = calendar.count(on, case.deadline)
                    notices += notify.publish(
                        topic="reminder", key=f"reminder:{days}:{case.id}:{case.deadline.isoformat()}",
                        title="整改期限将至",
                        line=f"{case.serial} {case.title}({case.unit.name if case.unit_id else '未交办'})"
                             f" 整改期限 {_deadline_words(case.deadline, on, left)}",
                        link=f"/cases/{case.id}/", users=case_people(case, handlers),
                        units=[case.unit] if case.unit_id else [])
            cases += len(chunk)
    return {"cases": cases, "notices": notices}


def escalation_notice(case: Case, level: int, days: int, *, tell_leader: bool) -> int:
    """督办 notice for one rung a case has just reached (called inside the escalation's transaction)."""
    from gongjian.notify import services as notify

    people = case_people(case, handlers_by_unit([case.unit_id]) if not case.handler_id else {})
    if tell_leader and case.leader_id:
        people.append(case.leader_id)
    label = EscalationLevel(level).label
    return notify.publish(
        topic="escalation", key=f"escalation:{case.id}:{level}", title="超期督办",
        line=f"{case.serial} {case.title}({case.unit.name if case.unit_id else '未交办'}) 超期 {days} 个工作日，"
             f"已{label}",
        link=f"/cases/{case.id}/", users=people, units=[case.unit] if case.unit_id else [])
