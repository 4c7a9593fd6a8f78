"""Each due slot becomes exactly one task: across restarts, downtime and two schedulers at once."""

from __future__ import annotations

import datetime as dt
import threading
from zoneinfo import ZoneInfo

import pytest
from django.db import connection
from django_tasks_db.models import DBTaskResult

from gongjian.jobs import scheduler
from gongjian.jobs.models import JobState, ScheduledRun
from gongjian.jobs.schedule import Job
from tests.jobs import sample_tasks

CST = ZoneInfo("Asia/Shanghai")


def at(d, hh, mm=0):
    return dt.datetime(2026, 11, d, hh, mm, tzinfo=CST)


class SlotTask:
    """Stands in for a Task: the scheduler calls .enqueue(slot). Records into the real queue."""

    def __init__(self):
        self.slots = []

    def enqueue(self, slot):
        self.slots.append(slot)
        return sample_tasks.mark.enqueue("/dev/null", len(self.slots))


def make(catch_up="all", max_catch_up=7):
    recorder = SlotTask()
    j = Job(name="test.daily", title="测试", task=recorder, at=dt.time(18, 0), catch_up=catch_up,
            max_catch_up=max_catch_up)
    return j, recorder


@pytest.mark.django_db
def test_a_new_job_starts_from_now_without_backfilling_history():
    j, rec = make()
    assert scheduler.tick(now=at(27, 19), jobs=[j]) == []
    assert JobState.objects.get(name=j.name).last_slot == at(27, 19)
    assert rec.slots == []


@pytest.mark.django_db
def test_a_slot_runs_once_when_it_falls_due():
    j, rec = make()
    scheduler.tick(now=at(27, 17, 59), jobs=[j])
    (made,) = scheduler.tick(now=at(27, 18, 0), jobs=[j])
    assert made.slot == at(27, 18) and not made.late
    assert scheduler.tick(now=at(27, 18, 1), jobs=[j]) == []
    assert rec.slots == [at(27, 18).isoformat()]
    run = ScheduledRun.objects.get(job=j.name)
    assert DBTaskResult.objects.filter(id=run.task_id).exists()


@pytest.mark.django_db
def test_a_restart_after_downtime_runs_each_missed_slot_once_and_late():
    j, rec = make()
    scheduler.tick(now=at(20, 17), jobs=[j])      # last seen on the 20th before 18:00
    made = scheduler.tick(now=at(23, 10), jobs=[j])  # back on the 23rd at 10:00
    assert [m.slot for m in made] == [at(20, 18), at(21, 18), at(22, 18)]
    assert all(m.late for m in made)
    assert scheduler.tick(now=at(23, 10, 5), jobs=[j]) == []
    assert ScheduledRun.objects.filter(job=j.name, late=True).count() == 3
    assert rec.slots == [at(d, 18).isoformat() for d in (20, 21, 22)]  # each task gets its own day


@pytest.mark.django_db
def test_catch_up_latest_runs_only_the_newest_missed_slot_and_the_window_is_bounded():
    j, _ = make(catch_up="latest")
    scheduler.tick(now=at(20, 17), jobs=[j])
    assert [m.slot for m in scheduler.tick(now=at(23, 10), jobs=[j])] == [at(22, 18)]
    k, _ = make(max_catch_up=2)
    JobState.objects.all().delete()
    scheduler.tick(now=at(10, 17), jobs=[k])
    assert [m.slot for m in scheduler.tick(now=at(20, 10), jobs=[k])] == [at(18, 18), at(19, 18)]


@pytest.mark.django_db
def test_run_now_does_not_move_the_schedule():
    j, rec = make()
    scheduler.tick(now=at(27, 17), jobs=[j])
    scheduler.run_now(j, now=at(27, 17, 30))
    (made,) = scheduler.tick(now=at(27, 18), jobs=[j])
    assert made.slot == at(27, 18)
    assert len(rec.slots) == 2


@pytest.mark.django_db(transaction=True)
def test_two_schedulers_ticking_at_once_enqueue_each_slot_once():
    j, rec = make()
    scheduler.tick(now=at(20, 17), jobs=[j])
    barrier = threading.Barrier(2)
    errors = []

    def run():
        try:
            barrier.wait(5)
            scheduler.tick(now=at(25, 10), jobs=[j])
        except Exception as exc:  # pragma: no cover - reported below
            errors.append(exc)
        finally:
            connection.close()

    threads = [threading.Thread(target=run) for _ in range(2)]
    for t in threads:
        t.start()
    for t in threads:
        t.join(30)
    assert errors == []
    slots = list(ScheduledRun.objects.filter(job=j.name).order_by("slot").values_list("slot", flat=True))
    assert slots == [at(d, 18) for d in (20, 21, 22, 23, 24)]
    assert sorted(rec.slots) == sorted(set(rec.slots)) and len(rec.slots) == 5
    assert DBTaskResult.objects.count() == 5
