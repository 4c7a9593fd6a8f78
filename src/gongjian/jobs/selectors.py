"""Reads for the status page and `gongjian jobs list`: the jobs, their runs, the workers, the queue."""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass

from django.db.models import Count
from django.utils import timezone
from django.utils.translation import gettext_noop
from django_tasks.base import TaskResultStatus
from django_tasks_db.models import DBTaskResult

from gongjian.jobs.models import JobState, ScheduledRun, WorkerBeat
from gongjian.jobs.schedule import Job, all_jobs
from gongjian.jobs.scheduler import lease

STATUS_LABELS = {
    TaskResultStatus.READY: gettext_noop("排队中"),
    TaskResultStatus.RUNNING: gettext_noop("运行中"),
    TaskResultStatus.SUCCESSFUL: gettext_noop("已完成"),
    TaskResultStatus.FAILED: gettext_noop("失败"),
}


@dataclass
class JobRow:
    job: Job
    next_slot: dt.datetime | None
    last_run: ScheduledRun | None
    last_status: str | None
    last_status_label: str
    last_error: str


@dataclass
class WorkerRow:
    beat: WorkerBeat
    alive: bool


def task_status(task_id: str) -> str:
    row = DBTaskResult.objects.filter(id=task_id).values_list("status", flat=True).first()
    return STATUS_LABELS.get(row, gettext_noop("未知")) if row else gettext_noop("未知")


def job_rows(now: dt.datetime | None = None) -> list[JobRow]:
    now = now or timezone.now()
    jobs = all_jobs()
    states = {s.name: s for s in JobState.objects.all()}
    last_runs = {}
    for job in jobs:
        last_runs[job.name] = ScheduledRun.objects.filter(job=job.name).order_by("-slot").first()
    ids = [r.task_id for r in last_runs.values() if r and r.task_id]
    results = {str(r["id"]): r for r in DBTaskResult.objects.filter(id__in=ids)
               .values("id", "status", "exception_class_path", "traceback")}
    rows = []
    for job in jobs:
        state = states.get(job.name)
        run = last_runs[job.name]
        result = results.get(run.task_id) if run else None
        status = result["status"] if result else None
        error = ""
        if result and status == TaskResultStatus.FAILED:
            lines = [line for line in (result["traceback"] or "").strip().splitlines() if line.strip()]
            error = lines[-1] if lines else result["exception_class_path"]
        rows.append(JobRow(job=job, next_slot=job.next_slot(max(now, state.last_slot) if state else now),
                           last_run=run, last_status=status,
                           last_status_label=STATUS_LABELS.get(status, "—") if status else "—", last_error=error))
    far = now + dt.timedelta(days=366)
    return sorted(rows, key=lambda r: (r.next_slot or far, r.job.name))


def workers(now: dt.datetime | None = None, limit: int = 20) -> list[WorkerRow]:
    now = now or timezone.now()
    fresh = now - lease()
    beats = WorkerBeat.objects.order_by("stopped_at", "-seen_at")[:limit]
    return [WorkerRow(beat=b, alive=b.stopped_at is None and b.seen_at >= fresh) for b in beats]


def queue_counts() -> dict[str, int]:
    counts = dict(DBTaskResult.objects.values_list("status").annotate(n=Count("id")).order_by())
    return {label: counts.get(status, 0) for status, label in STATUS_LABELS.items()}


def recent_tasks(limit: int = 30, status: str | None = None):
    rows = DBTaskResult.objects.order_by("-enqueued_at")
    if status:
        rows = rows.filter(status=status)
    return list(rows[:limit])


def task_title(path: str) -> str:
    """A task's name in Chinese from its job (or its function name)."""
    for job in all_jobs():
        if getattr(job.task, "module_path", None) == path:
            return job.title
    return {"gongjian.notify.tasks.pump": gettext_noop("消息发送"),
            "gongjian.reporting.tasks.document_pdf": gettext_noop("PDF 副本"),
            "gongjian.jobs.tasks.noop": gettext_noop("空任务")}.get(path, path.rsplit(".", 1)[-1])


def error_line(traceback: str) -> str:
    lines = [line for line in (traceback or "").strip().splitlines() if line.strip()]
    return lines[-1] if lines else ""
