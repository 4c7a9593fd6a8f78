"""When periodic jobs are due: daily, weekly and interval slots in the site's time zone (Asia/Shanghai)."""

from __future__ import annotations

import datetime as dt
from zoneinfo import ZoneInfo

import pytest

from gongjian.config import env
from gongjian.jobs.schedule import Job, all_jobs

CST = ZoneInfo("Asia/Shanghai")


def at(y, m, d, hh, mm, ss=0):
    return dt.datetime(y, m, d, hh, mm, ss, tzinfo=CST)


def job(**kw):
    return Job(name="t.job", title="测试", task=None, **kw)


def test_daily_slots_are_local_times_and_the_window_is_open_before_and_closed_after():
    daily = job(at=dt.time(18, 0))
    assert list(daily.slots(at(2026, 11, 27, 17, 59), at(2026, 11, 28, 18, 0))) == [
        at(2026, 11, 27, 18, 0), at(2026, 11, 28, 18, 0)]
    # a slot exactly at `after` was handled by the previous tick
    assert list(daily.slots(at(2026, 11, 27, 18, 0), at(2026, 11, 28, 17, 59))) == []
    # 18:00 in Beijing is 10:00 UTC
    (slot,) = daily.slots(at(2026, 11, 27, 0, 0), at(2026, 11, 27, 23, 0))
    assert slot.astimezone(dt.UTC).hour == 10


def test_weekly_slot_only_on_its_weekday():
    weekly = job(at=dt.time(8, 0), weekdays=frozenset({0}))
    # Saturday 28 Nov 2026 to Tuesday 1 Dec: only Monday 30 Nov 08:00
    assert list(weekly.slots(at(2026, 11, 28, 9, 0), at(2026, 12, 1, 9, 0))) == [at(2026, 11, 30, 8, 0)]
    assert weekly.next_slot(at(2026, 11, 30, 8, 0)) == at(2026, 12, 7, 8, 0)


def test_interval_slots_are_aligned_to_local_midnight():
    every = job(every=dt.timedelta(minutes=15))
    assert list(every.slots(at(2026, 11, 27, 10, 7), at(2026, 11, 27, 10, 46))) == [
        at(2026, 11, 27, 10, 15), at(2026, 11, 27, 10, 30), at(2026, 11, 27, 10, 45)]
    assert list(every.slots(at(2026, 11, 27, 10, 15), at(2026, 11, 27, 10, 29, 59))) == []


def test_schedules_in_words():
    assert job(at=dt.time(18, 0)).when() == "每天 18:00"
    assert job(at=dt.time(8, 0), weekdays=frozenset({0})).when() == "每周一 08:00"
    assert job(at=dt.time(8, 5), weekdays=frozenset({0, 4})).when() == "每周一、周五 08:05"
    assert job(every=dt.timedelta(minutes=15)).when() == "每 15 分钟"
    assert job(every=dt.timedelta(hours=2)).when() == "每 2 小时"


@pytest.mark.parametrize("kw", [{}, {"at": dt.time(1, 0), "every": dt.timedelta(hours=1)},
                                {"every": dt.timedelta(seconds=30)}, {"at": dt.time(1, 0), "catch_up": "some"}])
def test_a_job_must_say_when_exactly_once(kw):
    with pytest.raises(ValueError):
        job(**kw)


def test_every_domain_declares_its_jobs():
    names = [j.name for j in all_jobs()]
    for name in ("ledger.deadline_reminders", "ledger.escalation_scan", "reporting.daily_documents",
                 "reporting.figures_reminder", "assessment.weekly_ranking", "jobs.prune"):
        assert name in names
    assert len(names) == len(set(names))


def test_configured_times(settings):
    assert settings.GONGJIAN_DAILY_DOCS_AT == dt.time(18, 0)
    assert settings.GONGJIAN_RANKING_AT == dt.time(8, 0)
    daily = next(j for j in all_jobs() if j.name == "reporting.daily_documents")
    settings.GONGJIAN_DAILY_DOCS_AT = dt.time(17, 30)
    assert daily.when() == "每天 17:30"


@pytest.mark.parametrize("raw", ["18", "18:0", "25:00", "18:60", "six", "18:00:00"])
def test_a_bad_time_setting_names_the_setting(monkeypatch, raw):
    monkeypatch.setenv("GONGJIAN_DAILY_DOCS_AT", raw)
    with pytest.raises(env.ConfigError, match="GONGJIAN_DAILY_DOCS_AT"):
        env.time_of_day("GONGJIAN_DAILY_DOCS_AT", "18:00")


def test_reminder_workdays_setting(monkeypatch):
    monkeypatch.setenv("GONGJIAN_REMINDER_WORKDAYS", "1, 3")
    assert env.workday_list("GONGJIAN_REMINDER_WORKDAYS", "1") == [3, 1]
    for bad in ("x", "-1", "31", ","):
        monkeypatch.setenv("GONGJIAN_REMINDER_WORKDAYS", bad)
        with pytest.raises(env.ConfigError, match="GONGJIAN_REMINDER_WORKDAYS"):
            env.workday_list("GONGJIAN_REMINDER_WORKDAYS", "1")
