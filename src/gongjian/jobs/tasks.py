"""Tasks of the background machinery itself."""

from __future__ import annotations

import datetime as dt

from django.utils import timezone
from django_tasks import task


@task()
def noop() -> None:
    """Does nothing: measures the queue itself (benchmarks/worker.py)."""


@task()
def prune(slot: str) -> dict:
    """Forget finished task records after 30 days, slot records after 90, stopped workers after 7."""
    from django_tasks.base import TaskResultStatus
    from django_tasks_db.models import DBTaskResult

    from gongjian.jobs.models import ScheduledRun, WorkerBeat

    now = timezone.now()
    tasks, _ = (DBTaskResult.objects.filter(status__in=[TaskResultStatus.SUCCESSFUL, TaskResultStatus.FAILED],
                                            finished_at__lt=now - dt.timedelta(days=30)).delete())
    runs, _ = ScheduledRun.objects.filter(slot__lt=now - dt.timedelta(days=90)).delete()
    workers, _ = WorkerBeat.objects.filter(stopped_at__lt=now - dt.timedelta(days=7)).delete()
    return {"tasks": tasks, "runs": runs, "workers": workers}


@task()
def sweep_media(slot: str) -> dict:
    """Remove files no record points to (older than a day) from the evidence and documents folders."""
    from gongjian.jobs.media import sweep

    result = sweep()
    return {"files": len(result.removed), "bytes": result.bytes_freed, "kept": result.kept}
