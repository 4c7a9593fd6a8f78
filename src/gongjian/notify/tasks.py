"""Background tasks of notification: batch what was published and send what is due."""

from __future__ import annotations

import datetime as dt

from django.db import transaction
from django.db.models import Min, Q
from django.utils import timezone
from django_tasks import task


@task()
def pump() -> dict:
    """Batch the published notices into messages (one per person and topic) and send the deliveries that are
    due; then queue the next pump for the earliest retry or rate-limited send still waiting."""
    from gongjian.notify import services

    made = services.flush()
    outcome = services.deliver_due(limit=1000)
    _pump_at_next_due()
    return {"flushed": made, **outcome}


def _waiting_pump(before: dt.datetime | None = None):
    from django_tasks.base import TaskResultStatus
    from django_tasks_db.models import DBTaskResult, get_date_max

    waiting = DBTaskResult.objects.filter(task_path=pump.module_path, status=TaskResultStatus.READY)
    if before is not None:  # an undeferred task's run_after is the far-off "no date" marker
        waiting = waiting.filter(Q(run_after__lte=before) | Q(run_after=get_date_max()))
    return waiting.exists()


def _pump_at_next_due() -> None:
    from gongjian.notify.models import Delivery, DeliveryStatus

    due = Delivery.objects.filter(
        Q(status__in=[DeliveryStatus.PENDING, DeliveryStatus.RETRYING]) | Q(status=DeliveryStatus.SENDING)
    ).aggregate(next=Min("next_attempt_at"), lease=Min("lease_until", filter=Q(status=DeliveryStatus.SENDING)))
    moments = [m for m in (due["next"], due["lease"]) if m is not None]
    if not moments:
        return
    when = max(min(moments), timezone.now())
    if not _waiting_pump(before=when + dt.timedelta(seconds=1)):
        pump.using(run_after=when).enqueue()


def pump_soon() -> None:
    """Queue a pump once the caller's transaction commits, unless one is already waiting to run."""

    def go():
        if not _waiting_pump(before=timezone.now()):
            pump.enqueue()

    transaction.on_commit(go)


@task()
def pump_slot(slot: str) -> dict:
    """The scheduled form of ``pump`` (scheduled jobs receive their slot)."""
    return pump.call()
