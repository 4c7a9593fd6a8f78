"""Declaring periodic jobs and working out when they are due.

A domain lists its jobs in ``<app>/scheduled.py``::

    JOBS = [Job(name="reporting.daily_documents", title="日报三件套", task=tasks.daily_documents,
                at=lambda: settings.GONGJIAN_DAILY_DOCS_AT)]

The job's task is called with one argument, the slot it runs for (ISO 8601 with the offset), so a run
that is late (the machine was down at 18:00 and came back at 19:30) still works on the right day.
Times are wall-clock times in the site's time zone (Asia/Shanghai).
"""

from __future__ import annotations

import datetime as dt
import importlib
from collections.abc import Callable, Iterator
from dataclasses import dataclass, field

from django.apps import apps
from django.utils import timezone
from django.utils.translation import gettext as _
from django.utils.translation import gettext_noop

EVERY_DAY = frozenset(range(7))
WEEKDAY_LABELS = [gettext_noop("周一"), gettext_noop("周二"), gettext_noop("周三"), gettext_noop("周四"),
                  gettext_noop("周五"), gettext_noop("周六"), gettext_noop("周日")]


@dataclass(frozen=True)
class Job:
    name: str                                   # "app.what", unique
    title: str                                  # shown on the status page and in the CLI
    task: object                                # a django_tasks Task taking the slot (ISO text)
    at: dt.time | Callable[[], dt.time] | None = None   # a time of day (local) ...
    every: dt.timedelta | None = None           # ... or a fixed interval (aligned to midnight)
    weekdays: frozenset[int] = EVERY_DAY        # 0 = Monday, for `at` jobs
    catch_up: str = "all"                       # after downtime: "all" missed slots, or only the "latest"
    max_catch_up: int = 7                       # at most this many missed slots are run
    description: str = ""
    extra: dict = field(default_factory=dict)

    def __post_init__(self):
        if (self.at is None) == (self.every is None):
            raise ValueError(f"job {self.name}: give exactly one of at= and every=")
        if self.catch_up not in ("all", "latest"):
            raise ValueError(f"job {self.name}: catch_up is 'all' or 'latest'")
        if self.every is not None and self.every < dt.timedelta(minutes=1):
            raise ValueError(f"job {self.name}: every= is at least one minute")

    def time_of_day(self) -> dt.time | None:
        return self.at() if callable(self.at) else self.at

    def when(self) -> str:
        """The schedule in words: 每天 18:00, 每周一 08:00, 每 15 分钟."""
        if self.every is not None:
            minutes = int(self.every.total_seconds() // 60)
            return (_("每 %(n)s 分钟") % {"n": minutes} if minutes < 60 or minutes % 60
                    else _("每 %(n)s 小时") % {"n": minutes // 60})
        at = self.time_of_day().strftime("%H:%M")
        if self.weekdays == EVERY_DAY:
            return _("每天 %(at)s") % {"at": at}
        days = _("、").join(_(WEEKDAY_LABELS[d]) for d in sorted(self.weekdays))
        return _("每%(days)s %(at)s") % {"days": days, "at": at}

    def slots(self, after: dt.datetime, until: dt.datetime) -> Iterator[dt.datetime]:
        """The due moments in (after, until], oldest first, as aware datetimes."""
        tz = timezone.get_current_timezone()
        if self.every is not None:
            start = timezone.localtime(after, tz).replace(hour=0, minute=0, second=0, microsecond=0)
            step = self.every
            # the first slot strictly after `after`, counted from that local midnight
            n = int((after - start) // step) + 1
            slot = start + n * step
            while slot <= until:
                yield slot
                slot += step
            return
        at = self.time_of_day()
        day = timezone.localtime(after, tz).date()
        last = timezone.localtime(until, tz).date()
        while day <= last:
            if day.weekday() in self.weekdays:
                slot = timezone.make_aware(dt.datetime.combine(day, at), tz)
                if after < slot <= until:
                    yield slot
            day += dt.timedelta(days=1)

    def next_slot(self, after: dt.datetime) -> dt.datetime | None:
        return next(self.slots(after, after + dt.timedelta(days=8)), None)


def all_jobs() -> list[Job]:
    """Every job declared in a ``scheduled.py`` of an installed gongjian app, by name."""
    jobs: dict[str, Job] = {}
    for config in apps.get_app_configs():
        if not config.name.startswith("gongjian."):
            continue
        try:
            module = importlib.import_module(f"{config.name}.scheduled")
        except ModuleNotFoundError as exc:
            if exc.name != f"{config.name}.scheduled":
                raise
            continue
        for job in getattr(module, "JOBS", []):
            if job.name in jobs:
                raise ValueError(f"two periodic jobs are named {job.name}")
            jobs[job.name] = job
    return sorted(jobs.values(), key=lambda j: j.name)


def job_named(name: str) -> Job | None:
    return next((j for j in all_jobs() if j.name == name), None)
