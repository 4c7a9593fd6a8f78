"""`gongjian worker`, `gongjian scheduler`, `gongjian jobs list|run`."""

from __future__ import annotations

import pytest
from django_tasks.base import TaskResultStatus
from django_tasks_db.models import DBTaskResult

from gongjian.cli import main
from gongjian.jobs.models import JobState
from tests.jobs import sample_tasks

pytestmark = pytest.mark.django_db


def test_jobs_list_shows_each_job_its_schedule_and_the_workers(capsys):
    assert main(["jobs", "list"]) == 0
    out = capsys.readouterr().out
    assert "reporting.daily_documents" in out and "每天 18:00" in out
    assert "assessment.weekly_ranking" in out and "每周一 08:00" in out
    assert "工作进程在线 0 个" in out and "排队中 0" in out


def test_jobs_run_unknown_name_is_a_usage_error_naming_the_choices(capsys):
    assert main(["jobs", "run", "no.such"]) == 2
    err = capsys.readouterr().err
    assert "没有名为“no.such”的定时任务" in err and "ledger.escalation_scan" in err
    assert not DBTaskResult.objects.exists()


def test_jobs_run_wait_runs_it_here(capsys):
    assert main(["jobs", "run", "jobs.prune", "--wait"]) == 0
    assert "结果 / result: 已完成" in capsys.readouterr().out


def test_scheduler_once_starts_the_schedule_without_backfilling(capsys):
    assert main(["scheduler", "--once"]) == 0
    assert "入队 0 个" in capsys.readouterr().out
    assert JobState.objects.count() >= 6


def test_worker_batch_runs_what_is_queued_and_exits(tmp_path, capsys):
    out = tmp_path / "runs.txt"
    for n in range(3):
        sample_tasks.mark.enqueue(str(out), n)
    assert main(["worker", "--batch"]) == 0
    printed = capsys.readouterr().out
    assert "工作进程已启动" in printed and "完成 3 个任务" in printed
    assert len(out.read_text().splitlines()) == 3
    assert set(DBTaskResult.objects.values_list("status", flat=True)) == {TaskResultStatus.SUCCESSFUL}
