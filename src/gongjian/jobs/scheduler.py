"""Turning due slots into tasks, exactly once, and giving back the tasks of workers that died.

``tick()`` is what ``gongjian scheduler`` (or a worker started with ``--with-scheduler``) calls every few
seconds. For each job it locks the job's :class:`JobState` row, enqueues one task for each slot that fell
due since the last tick (with the catch-up rules of the job) and moves the state on — all in one
transaction, so a crash in between leaves either nothing or everything, and two schedulers (or two
workers each with a scheduler) never enqueue the same slot: the second waits for the row lock and then
finds the slot handled (and the unique (job, slot) constraint stands behind that).
"""

from __future__ import annotations

import datetime as dt
import logging
from dataclasses import dataclass

from django.conf import settings
from django.db import IntegrityError, transaction
from django.utils import timezone

from gongjian.jobs.models import JobState, ScheduledRun, WorkerBeat
from gongjian.jobs.schedule import Job, all_jobs

log = logging.getLogger("gongjian.jobs")

# A slot run more than this after its time is marked as a catch-up run (补跑).
LATE_AFTER = dt.timedelta(minutes=2)
# A task whose worker died this many times is failed instead of queued again.
MAX_ATTEMPTS = 5


@dataclass
class Enqueued:
    job: str
    slot: dt.datetime
    task_id: str
    late: bool


def _enqueue(job: Job, slot: dt.datetime, *, late: bool) -> Enqueued | None:
    try:
        with transaction.atomic():
            run = ScheduledRun.objects.create(job=job.name, slot=slot, late=late)
    except IntegrityError:
        return None  # already run for this slot
    result = job.task.enqueue(slot.isoformat())
    ScheduledRun.objects.filter(pk=run.pk).update(task_id=str(result.id))
    return Enqueued(job.name, slot, str(result.id), late)


def tick(*, now: dt.datetime | None = None, jobs: list[Job] | None = None) -> list[Enqueued]:
    """Enqueue every due slot of every job once. Returns what was enqueued."""
    now = now or timezone.now()
    done: list[Enqueued] = []
    for job in jobs if jobs is not None else all_jobs():
        with transaction.atomic():
            state = JobState.objects.select_for_update().filter(name=job.name).first()
            if state is None:
                # First time this job is seen: the schedule starts now (no back-filling of history).
                try:
                    with transaction.atomic():
                        JobState.objects.create(name=job.name, last_slot=now)
                except IntegrityError:
                    pass  # another scheduler saw it first
                continue
            if now <= state.last_slot:
                continue
            due = list(job.slots(state.last_slot, now))
            if job.catch_up == "latest":
                due = due[-1:]
            elif len(due) > job.max_catch_up:
                log.warning("%s: %d slots missed, running the last %d", job.name, len(due), job.max_catch_up)
                due = due[-job.max_catch_up:]
            for slot in due:
                made = _enqueue(job, slot, late=now - slot > LATE_AFTER)
                if made is not None:
                    done.append(made)
                    log.info("enqueued %s for %s%s", job.name, slot.isoformat(), " (catch-up)" if made.late else "")
            state.last_slot = now
            state.save(update_fields=["last_slot", "updated_at"])
    return done


def run_now(job: Job, *, now: dt.datetime | None = None) -> Enqueued:
    """Enqueue a job at once, outside its schedule (`gongjian jobs run NAME`); recorded like a slot."""
    now = now or timezone.now()
    with transaction.atomic():
        made = _enqueue(job, now, late=False)
    if made is None:  # same microsecond as another manual run: practically impossible
        raise RuntimeError(f"{job.name} was just enqueued for {now.isoformat()}")
    return made


def lease() -> dt.timedelta:
    return dt.timedelta(seconds=settings.GONGJIAN_WORKER_LEASE_SECONDS)


def live_workers(now: dt.datetime | None = None) -> set[str]:
    now = now or timezone.now()
    return set(WorkerBeat.objects.filter(seen_at__gte=now - lease(), stopped_at__isnull=True)
               .values_list("worker_id", flat=True))


def reclaim(*, now: dt.datetime | None = None) -> list[str]:
    """Put back in the queue every task left 运行中 by a worker that is gone (no heartbeat within the lease,
    or stopped). The tasks are written to be safe to run again: each one's effects are keyed (a reminder
    per rule and case, a document per day), so the rerun adds only what the dead worker had not committed.
    Returns the ids of the tasks put back."""
    from django_tasks.base import TaskResultStatus
    from django_tasks_db.models import DBTaskResult

    now = now or timezone.now()
    alive = live_workers(now)
    started_before = now - lease()
    back = []
    running = DBTaskResult.objects.filter(status=TaskResultStatus.RUNNING).values_list("id", "worker_ids",
                                                                                        "started_at")
    for task_id, worker_ids, started_at in running:
        owner = worker_ids[-1] if worker_ids else None
        if owner in alive:
            continue
        if owner is None or not WorkerBeat.objects.filter(worker_id=owner).exists():
            # A worker that never beat (or whose row was pruned): only once the lease has passed since start.
            if started_at and started_at > started_before:
                continue
        rows = DBTaskResult.objects.filter(id=task_id, status=TaskResultStatus.RUNNING)
        if len(worker_ids) >= MAX_ATTEMPTS:
            # It has taken its worker down every time: stop retrying, say so in the task's record.
            rows.update(status=TaskResultStatus.FAILED, finished_at=now,
                        exception_class_path="gongjian.jobs.WorkerLost",
                        traceback=f"运行 {len(worker_ids)} 次，每次工作进程都中途退出 / its worker died "
                                  f"{len(worker_ids)} times")
            log.error("task %s lost its worker %d times: marked failed", task_id, len(worker_ids))
            continue
        if rows.update(status=TaskResultStatus.READY, started_at=None):
            back.append(str(task_id))
            log.warning("task %s was left running by worker %s, which is gone: queued again", task_id, owner)
    return back
