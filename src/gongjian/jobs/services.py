"""Writes on background work made by people: running a periodic job now (audited)."""

from __future__ import annotations

from django.db import transaction

from gongjian.core import audit
from gongjian.core.errors import Forbidden, NotFound
from gongjian.jobs import scheduler
from gongjian.jobs.schedule import all_jobs, job_named


def can_manage(user) -> bool:
    """Administrators and the district command post see and start the background jobs."""
    from gongjian.ledger import flows

    return bool(user and user.is_authenticated and flows.is_dispatcher(user))


@transaction.atomic
def run_now(*, actor, name: str) -> scheduler.Enqueued:
    if not can_manage(actor):
        raise Forbidden("只有管理员和指挥部可以立即运行定时任务 / not permitted")
    job = job_named(name)
    if job is None:
        known = "、".join(j.name for j in all_jobs())
        raise NotFound(f"没有名为“{name}”的定时任务(可选：{known}) / no such job")
    made = scheduler.run_now(job)
    audit.record(actor=actor, action="job.run", object_type="jobs.job", object_id=job.name, object_repr=job.title,
                 after={"job": job.name, "task": made.task_id, "slot": made.slot.isoformat()},
                 reason=f"立即运行“{job.title}”")
    return made
