"""Working days under China's holiday schedules (法定节假日与调休), for deadlines such as
"限期3个工作日整改".

Pure Python, no Django. A :class:`WorkCalendar` knows, for each year it has a schedule for, the
exceptions to the Monday–Friday rule: weekday holidays (``False``) and make-up working weekend days
(调休上班, ``True``). Any question that needs a date in a year without a schedule raises
:class:`MissingYear` naming that year; the calendar never guesses.

Semantics (see shared/standards/workdays-and-coordinates.md):

* "N working days after D" counts strictly after D. D itself is day 0, whether or not it is a working
  day, so ``add(holiday, 1)`` is the first working day after the holiday. (``chinese_calendar.
  find_workday`` differs exactly there and is not used.) ``add(d, 0)`` is ``d`` and needs no schedule.
* ``count(start, end)`` is the number of working days in the half-open interval (start, end], so
  ``count(d, add(d, n)) == n``. With ``end < start`` it is minus the count of (end, start]
  (a deadline passed N working days ago gives -N).

Each scheduled year keeps a running total of working days per day of the year, so ``add`` and
``count`` cost a binary search plus one step per calendar year crossed, whatever N is.
"""

from __future__ import annotations

import bisect
import datetime as dt
from collections.abc import Iterable, Mapping

__all__ = ["MissingYear", "WorkCalendar"]

_ONE_DAY = dt.timedelta(days=1)


class MissingYear(Exception):
    """A date in a year for which no holiday schedule has been loaded was needed."""

    def __init__(self, year: int):
        self.year = year
        super().__init__(f"{year} 年的节假日安排尚未导入 / no holiday schedule for {year}")


def _check_date(d, what: str = "date") -> dt.date:
    # datetime is a subclass of date but never equal to one: a datetime key would silently miss
    # every override. The caller decides which local day a moment falls on.
    if isinstance(d, dt.datetime) or not isinstance(d, dt.date):
        raise TypeError(f"{what} must be a datetime.date (not {type(d).__name__})")
    return d


def _is_weekday(d: dt.date) -> bool:
    return d.weekday() < 5


class WorkCalendar:
    """Working days for the years that have a schedule.

    ``overrides`` maps a year to ``{date: is_workday}`` for the days that break the Monday–Friday
    rule (entries that agree with the rule are allowed and change nothing). ``years`` adds years
    whose schedule has no exceptions at all; every key of ``overrides`` is a scheduled year too.
    """

    def __init__(self, overrides: Mapping[int, Mapping[dt.date, bool]], years: Iterable[int] = ()):
        self._overrides: dict[dt.date, bool] = {}
        self._years: frozenset[int] = frozenset(int(y) for y in (*overrides.keys(), *years))
        for year, days in overrides.items():
            for d, is_workday in days.items():
                _check_date(d, "override date")
                if d.year != year:
                    raise ValueError(f"override {d.isoformat()} is filed under year {year}")
                self._overrides[d] = bool(is_workday)
        # _cumulative[year][i]: working days from 1 January up to and including day-of-year index i.
        self._cumulative: dict[int, list[int]] = {}

    # ------------------------------------------------------------ basics

    @property
    def years(self) -> frozenset[int]:
        """The years that have a schedule."""
        return self._years

    def has_year(self, year: int) -> bool:
        return year in self._years

    def _need(self, year: int) -> None:
        if year not in self._years:
            raise MissingYear(year)

    def _workday(self, d: dt.date) -> bool:
        return self._overrides.get(d, _is_weekday(d))

    def is_workday(self, d: dt.date) -> bool:
        _check_date(d)
        self._need(d.year)
        return self._workday(d)

    def _running(self, year: int) -> list[int]:
        """Running totals for a scheduled year, built on first use."""
        totals = self._cumulative.get(year)
        if totals is None:
            totals = []
            n = 0
            d = dt.date(year, 1, 1)
            while d.year == year:
                n += self._workday(d)
                totals.append(n)
                if d == dt.date.max:
                    break
                d += _ONE_DAY
            self._cumulative[year] = totals
        return totals

    @staticmethod
    def _index(d: dt.date) -> int:
        return d.timetuple().tm_yday - 1

    def _through(self, d: dt.date) -> int:
        """Working days from 1 January of d's year up to and including d."""
        return self._running(d.year)[self._index(d)]

    # ------------------------------------------------------------ arithmetic

    def add(self, d: dt.date, n: int) -> dt.date:
        """The date ``n`` working days after ``d`` (``d`` is day 0; ``n`` >= 0)."""
        _check_date(d)
        if isinstance(n, bool) or not isinstance(n, int):
            raise TypeError(f"n must be an int (not {type(n).__name__})")
        if n < 0:
            raise ValueError(f"n must be >= 0 (got {n})")
        if n == 0:
            return d
        if d == dt.date.max:
            raise MissingYear(d.year + 1)
        year = d.year
        # Working days of d's year already used up to and including d (d itself never counts).
        if (d + _ONE_DAY).year == year:
            self._need(year)
            used = self._through(d)
        else:  # d is 31 December: counting starts with the next year
            year += 1
            used = 0
        while True:
            self._need(year)
            totals = self._running(year)
            left_in_year = totals[-1] - used
            if n <= left_in_year:
                i = bisect.bisect_left(totals, used + n)
                return dt.date(year, 1, 1) + dt.timedelta(days=i)
            n -= left_in_year
            used = 0
            year += 1

    def count(self, start: dt.date, end: dt.date) -> int:
        """Working days in (start, end]; negative (minus those in (end, start]) when end < start."""
        _check_date(start, "start")
        _check_date(end, "end")
        if end < start:
            return -self.count(end, start)
        if end == start:
            return 0
        first = start + _ONE_DAY
        for year in range(first.year, end.year + 1):
            self._need(year)
        if first.year == end.year:
            before = self._through(start) if start.year == end.year else 0
            return self._through(end) - before
        total = self._running(first.year)[-1] - (self._through(start) if start.year == first.year else 0)
        for year in range(first.year + 1, end.year):
            total += self._running(year)[-1]
        return total + self._through(end)
