"""The worker: runs each task once, records failures, and a killed worker's task runs again, once."""

from __future__ import annotations

import datetime as dt
import os
import signal
import subprocess
import time

import pytest
from django.utils import timezone
from django_tasks.base import TaskResultStatus
from django_tasks_db.models import DBTaskResult

from gongjian.jobs import scheduler, selectors
from gongjian.jobs.models import WorkerBeat
from gongjian.jobs.worker import run_pending
from tests.jobs import sample_tasks
from tests.jobs.conftest import start_worker


def lines(path) -> list[str]:
    return path.read_text().splitlines() if path.exists() else []


@pytest.mark.django_db
def test_run_pending_runs_each_ready_task_and_records_failures(tmp_path):
    out = tmp_path / "runs.txt"
    ids = [sample_tasks.mark.enqueue(str(out), n).id for n in range(5)]
    failing = sample_tasks.boom.enqueue().id
    assert run_pending() == 6
    assert sorted(int(line.split()[0]) for line in lines(out)) == [0, 1, 2, 3, 4]
    assert set(DBTaskResult.objects.filter(id__in=ids).values_list("status", flat=True)) == {
        TaskResultStatus.SUCCESSFUL}
    failed = DBTaskResult.objects.get(id=failing)
    assert failed.status == TaskResultStatus.FAILED
    assert "故意失败" in failed.traceback
    assert run_pending() == 0  # nothing runs twice
    assert selectors.queue_counts() == {"排队中": 0, "运行中": 0, "已完成": 5, "失败": 1}
    beats = list(WorkerBeat.objects.order_by("started_at"))
    assert [b.tasks_done for b in beats] == [6, 0]
    assert all(b.stopped_at is not None for b in beats)


def _running(worker_id: str | None, started: dt.datetime) -> DBTaskResult:
    result = sample_tasks.mark.enqueue("/dev/null", 1)
    row = DBTaskResult.objects.get(id=result.id)
    row.status, row.started_at = TaskResultStatus.RUNNING, started
    row.worker_ids = [worker_id] if worker_id else []
    row.save()
    return row


def _beat(worker_id: str, seen: dt.datetime, stopped=None) -> None:
    WorkerBeat.objects.create(worker_id=worker_id, hostname="h", pid=1, started_at=seen, seen_at=seen,
                              stopped_at=stopped)


@pytest.mark.django_db
def test_reclaim_puts_back_only_the_tasks_of_workers_that_are_gone(settings):
    settings.GONGJIAN_WORKER_LEASE_SECONDS = 60
    now = timezone.now()
    _beat("alive", now - dt.timedelta(seconds=30))
    _beat("silent", now - dt.timedelta(seconds=61))
    _beat("stopped", now - dt.timedelta(seconds=5), stopped=now - dt.timedelta(seconds=1))
    keep = _running("alive", now - dt.timedelta(minutes=10))
    lost = _running("silent", now - dt.timedelta(minutes=10))
    quit_ = _running("stopped", now - dt.timedelta(seconds=5))
    young_unknown = _running("never-beat", now - dt.timedelta(seconds=10))
    old_unknown = _running("never-beat-2", now - dt.timedelta(seconds=70))
    back = set(scheduler.reclaim(now=now))
    assert back == {str(lost.id), str(quit_.id), str(old_unknown.id)}
    status = dict(DBTaskResult.objects.values_list("id", "status"))
    assert status[keep.id] == status[young_unknown.id] == TaskResultStatus.RUNNING
    assert status[lost.id] == TaskResultStatus.READY
    assert scheduler.reclaim(now=now) == []


@pytest.mark.django_db
def test_a_task_that_keeps_killing_its_worker_is_failed_not_retried_forever():
    now = timezone.now()
    row = _running(None, now - dt.timedelta(hours=1))
    row.worker_ids = [f"w{i}" for i in range(scheduler.MAX_ATTEMPTS)]
    row.save()
    assert scheduler.reclaim(now=now) == []
    row.refresh_from_db()
    assert row.status == TaskResultStatus.FAILED
    assert "工作进程都中途退出" in row.traceback


def _wait(predicate, timeout=60.0, what="condition"):
    end = time.monotonic() + timeout
    while time.monotonic() < end:
        if predicate():
            return
        time.sleep(0.1)
    raise AssertionError(f"timed out waiting for {what}")


def _stop(proc: subprocess.Popen) -> None:
    if proc.poll() is None:
        proc.send_signal(signal.SIGTERM)
        try:
            proc.wait(20)
        except subprocess.TimeoutExpired:
            proc.kill()
            proc.wait(5)


@pytest.mark.slow
@pytest.mark.django_db(transaction=True)
def test_two_worker_processes_run_each_task_exactly_once(tmp_path, process_env):
    out = tmp_path / "runs.txt"
    n = 150
    for i in range(n):
        sample_tasks.mark.enqueue(str(out), i)
    procs = [start_worker(process_env, "--batch", log=tmp_path / f"w{k}.log") for k in range(2)]
    for p in procs:
        p.wait(120)
    assert [p.returncode for p in procs] == [0, 0], [(tmp_path / f"w{k}.log").read_text()[-2000:] for k in range(2)]
    runs = [int(line.split()[0]) for line in lines(out)]
    assert sorted(runs) == list(range(n))  # every task once: none lost, none doubled
    assert DBTaskResult.objects.filter(status=TaskResultStatus.SUCCESSFUL).count() == n


@pytest.mark.slow
@pytest.mark.django_db(transaction=True)
def test_a_task_whose_worker_is_killed_runs_again_on_another_worker(tmp_path, process_env):
    process_env["GONGJIAN_WORKER_LEASE_SECONDS"] = "2"
    out = tmp_path / "slow.txt"
    result = sample_tasks.slow.enqueue(str(out), 3.0)
    first = start_worker(process_env, log=tmp_path / "first.log")
    try:
        _wait(lambda: any(line.startswith("start") for line in lines(out)), what="the task to start")
        os.kill(first.pid, signal.SIGKILL)  # mid-task: no chance to clean up
        first.wait(10)
    finally:
        _stop(first)
    assert DBTaskResult.objects.get(id=result.id).status == TaskResultStatus.RUNNING
    second = start_worker(process_env, "--with-scheduler", log=tmp_path / "second.log")
    try:
        _wait(lambda: DBTaskResult.objects.get(id=result.id).status == TaskResultStatus.SUCCESSFUL, timeout=90,
              what="the task to finish on the second worker")
    finally:
        _stop(second)
    row = DBTaskResult.objects.get(id=result.id)
    assert len(row.worker_ids) == 2 and row.worker_ids[0] != row.worker_ids[1]
    assert [line.split()[0] for line in lines(out)] == ["start", "start", "done"]
    assert str(first.pid) not in lines(out)[-1]
