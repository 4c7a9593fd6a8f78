"""Reminders and escalations through real worker processes: two workers racing on the same scans tell
each person once per rule and case, and a worker killed in the middle of a scan loses nothing and doubles
nothing once another worker takes the scan over."""

from __future__ import annotations

import datetime as dt
import os
import signal
import subprocess
import time
from collections import Counter

import pytest
from django.utils import timezone
from django_tasks.base import TaskResultStatus
from django_tasks_db.models import DBTaskResult

from gongjian.ledger import services, tasks
from gongjian.ledger.models import Case, Escalation, EscalationLevel, Source, Status
from gongjian.notify.models import Message, NoticeItem
from tests.factories import make_district
from tests.jobs.conftest import start_worker

WEDNESDAY = "2026-06-03T08:30:00+08:00"  # the cases below are due on Thursday 4 June
NEXT_FRIDAY = "2026-06-12T09:00:00+08:00"  # six working days after that deadline


def _cases(n: int):
    d = make_district()
    campaign = services.campaign_create(
        actor=None, name="并发整治", serial_prefix="并发", command_unit=d.command, starts_on=dt.date(2026, 5, 1),
        categories=[{"name": "垃圾围城", "default_workdays": 3}],
        escalation=[{"level": EscalationLevel.WARNING, "overdue_workdays": 1},
                    {"level": EscalationLevel.LISTED, "overdue_workdays": 3, "notify_leader": True},
                    {"level": EscalationLevel.SUMMONS, "overdue_workdays": 5}])
    category = campaign.categories.get()
    now = timezone.now()
    Case.objects.bulk_create(
        Case(campaign=campaign, year=2026, number=i, serial=f"并发〔2026〕{i:05d}", category=category,
             title=f"问题{i}", source=Source.DISTRICT_INSPECTION, unit=d.street_b if i % 2 else d.street_a,
             leader=d["bureau_leader"] if i % 2 else None, status=Status.RECTIFYING, reported_at=now, assigned_on=dt.date(2026, 6, 1),
             deadline=dt.date(2026, 6, 4)) for i in range(1, n + 1))
    return d


def _wait(predicate, timeout=120.0, what="condition"):
    end = time.monotonic() + timeout
    while time.monotonic() < end:
        if predicate():
            return
        time.sleep(0.02)
    raise AssertionError(f"timed out waiting for {what}")


def _finish(procs, timeout=180):
    for p in procs:
        try:
            p.wait(timeout)
        except subprocess.TimeoutExpired:
            p.kill()
            raise


def _check_told_once(d, n: int) -> None:
    # every (key, person) once, every case reminded to its street's 经办人 and its street's robots
    pairs = Counter(NoticeItem.objects.filter(topic="reminder").values_list("key", "user_id", "unit_id"))
    assert max(pairs.values()) == 1
    assert NoticeItem.objects.filter(topic="reminder", user=d["handler_a"]).count() == n // 2
    assert NoticeItem.objects.filter(topic="reminder", user=d["handler_b"]).count() == n - n // 2
    assert NoticeItem.objects.filter(topic="reminder", unit__isnull=False).count() == n


@pytest.mark.slow
@pytest.mark.django_db(transaction=True)
def test_two_workers_racing_tell_each_person_once_per_rule_and_case(installation_rows, tmp_path, process_env):
    n = 400
    d = _cases(n)
    for _ in range(2):  # the same scans twice (a scheduled run and someone's 立即运行), for two workers
        tasks.deadline_reminders.enqueue(WEDNESDAY)
        tasks.escalation_scan.enqueue(NEXT_FRIDAY)
    procs = [start_worker(process_env, "--batch", log=tmp_path / f"w{k}.log") for k in range(2)]
    _finish(procs)
    assert [p.returncode for p in procs] == [0, 0]
    assert not DBTaskResult.objects.exclude(status=TaskResultStatus.SUCCESSFUL).exists(), [
        r.traceback[-800:] for r in DBTaskResult.objects.filter(status=TaskResultStatus.FAILED)]
    _check_told_once(d, n)
    # each case climbed each rung once: 预警, 挂牌督办, 约谈
    rungs = Counter(Escalation.objects.values_list("case_id", "level"))
    assert len(rungs) == 3 * n and max(rungs.values()) == 1
    assert set(Case.objects.values_list("escalation_level", flat=True)) == {EscalationLevel.SUMMONS}
    told = Counter(NoticeItem.objects.filter(topic="escalation", user__isnull=False).values_list("key", "user_id"))
    assert max(told.values()) == 1
    assert NoticeItem.objects.filter(topic="escalation", user=d["bureau_leader"]).count() == n - n // 2
    # the pumps batched them: every item in exactly one message, 经办人 get a few messages, not hundreds
    assert not NoticeItem.objects.filter(user__isnull=False, message__isnull=True).exists()
    lines = sum(len(m.lines) for m in Message.objects.filter(user=d["handler_a"], topic="reminder"))
    assert lines == n // 2
    assert Message.objects.filter(user=d["handler_a"]).count() <= 6


@pytest.mark.slow
@pytest.mark.django_db(transaction=True)
def test_a_worker_killed_in_the_middle_of_a_scan_loses_nothing_and_doubles_nothing(installation_rows, tmp_path,
                                                                                     process_env):
    n = 3000
    d = _cases(n)
    process_env["GONGJIAN_WORKER_LEASE_SECONDS"] = "2"
    result = tasks.deadline_reminders.enqueue(WEDNESDAY)
    first = start_worker(process_env, log=tmp_path / "first.log")
    try:
        _wait(lambda: NoticeItem.objects.filter(topic="reminder").exists(), what="the scan to start telling")
        os.kill(first.pid, signal.SIGKILL)
        first.wait(10)
    finally:
        if first.poll() is None:
            first.kill()
    told_before = NoticeItem.objects.filter(topic="reminder").count()
    assert 0 < told_before < 2 * n, "the worker should have been killed in the middle of the scan"
    assert DBTaskResult.objects.get(id=result.id).status == TaskResultStatus.RUNNING
    second = start_worker(process_env, "--with-scheduler", log=tmp_path / "second.log")
    try:
        _wait(lambda: DBTaskResult.objects.get(id=result.id).status == TaskResultStatus.SUCCESSFUL,
              what="the scan to finish on the second worker")
    finally:
        second.send_signal(signal.SIGTERM)
        _finish([second], timeout=30)
    _check_told_once(d, n)
    assert len(DBTaskResult.objects.get(id=result.id).worker_ids) == 2
