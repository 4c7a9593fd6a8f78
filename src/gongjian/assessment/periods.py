"""Assessment periods: an ISO week ("2026-W47"), a month ("2026-11") or a range ("2026-11-02..2026-11-15").

Pure Python. A period is a closed range of calendar days; its key is the text people type.
"""

from __future__ import annotations

import calendar
import datetime as dt
import re
from dataclasses import dataclass

_WEEK = re.compile(r"^(\d{4})-?W(\d{1,2})$", re.I)
_MONTH = re.compile(r"^(\d{4})-(\d{1,2})$")
_RANGE = re.compile(r"^(\d{4}-\d{2}-\d{2})\s*(?:\.\.|~|/)\s*(\d{4}-\d{2}-\d{2})$")
MAX_RANGE_DAYS = 366


class PeriodError(ValueError):
    pass


@dataclass(frozen=True)
class Period:
    key: str
    kind: str  # "week", "month", "range"
    start: dt.date
    end: dt.date  # inclusive

    @property
    def days(self) -> int:
        return (self.end - self.start).days + 1

    @property
    def label(self) -> str:
        if self.kind == "week":
            year, week = self.key.split("-W")
            return f"{year}年第{int(week)}周({self.start:%m.%d}—{self.end:%m.%d})"
        if self.kind == "month":
            return f"{self.start.year}年{self.start.month}月"
        return f"{self.start:%Y.%m.%d}—{self.end:%Y.%m.%d}"

    def previous(self) -> Period:
        """The period of the same kind just before (for a range: the same length before it)."""
        if self.kind == "week":
            return week_of(self.start - dt.timedelta(days=7))
        if self.kind == "month":
            last = self.start - dt.timedelta(days=1)
            return parse(f"{last.year}-{last.month:02d}")
        length = dt.timedelta(days=self.days)
        return parse(f"{self.start - length}..{self.end - length}")


def week_of(day: dt.date) -> Period:
    year, week, _ = day.isocalendar()
    return parse(f"{year}-W{week:02d}")


def parse(text: str) -> Period:
    """Parse a period; a bad one raises PeriodError with a Chinese message saying what is wrong."""
    text = (text or "").strip()
    if m := _WEEK.match(text):
        year, week = int(m[1]), int(m[2])
        weeks = dt.date(year, 12, 28).isocalendar()[1]  # 28 December is always in the last ISO week
        if not 1 <= week <= weeks:
            raise PeriodError(f"{year} 年只有 {weeks} 周，没有第 {week} 周 / no such ISO week")
        start = dt.date.fromisocalendar(year, week, 1)
        return Period(f"{year}-W{week:02d}", "week", start, start + dt.timedelta(days=6))
    if m := _MONTH.match(text):
        year, month = int(m[1]), int(m[2])
        if not 1 <= month <= 12:
            raise PeriodError(f"月份 {month} 无效，应为 1–12 / bad month")
        return Period(f"{year}-{month:02d}", "month", dt.date(year, month, 1),
                      dt.date(year, month, calendar.monthrange(year, month)[1]))
    if m := _RANGE.match(text):
        try:
            start, end = dt.date.fromisoformat(m[1]), dt.date.fromisoformat(m[2])
        except ValueError:
            raise PeriodError(f"日期“{text}”无效 / bad date") from None
        if end < start:
            raise PeriodError("结束日期早于开始日期 / the range ends before it starts")
        if (end - start).days + 1 > MAX_RANGE_DAYS:
            raise PeriodError(f"自定义区间最长 {MAX_RANGE_DAYS} 天 / the range is too long")
        return Period(f"{start}..{end}", "range", start, end)
    raise PeriodError(f"考核期“{text}”无法识别：应为 2026-W47(周)、2026-11(月)或 2026-11-02..2026-11-15(区间) / "
                      "bad period")
