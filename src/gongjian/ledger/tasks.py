"""Background tasks of the ledger. Each is safe to run twice: its effects are keyed."""

from __future__ import annotations

from django_tasks import task

from gongjian.jobs.slots import slot_day


@task()
def deadline_reminders(slot: str) -> dict:
    """到期提醒 for the slot's day (GONGJIAN_REMINDER_WORKDAYS working days before each deadline)."""
    from gongjian.ledger import reminders
    from gongjian.notify.tasks import pump_soon

    result = reminders.deadline_reminders(on=slot_day(slot))
    if result.get("notices"):
        pump_soon()
    return result


@task()
def escalation_scan(slot: str) -> dict:
    """The escalation scan (as `gongjian escalate`): each overdue case climbs its ladder once, told once."""
    from gongjian.ledger import services
    from gongjian.notify.tasks import pump_soon

    found = services.escalate(on=slot_day(slot))
    if found:
        pump_soon()
    return {"escalated": len(found)}
