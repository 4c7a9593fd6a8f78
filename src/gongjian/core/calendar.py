"""The holiday table behind working-day deadlines: reading it as a ``WorkCalendar``, replacing a year's
schedule (the one write, audited), and the simple import file an administrator writes from the
State Council notice.

Import file, one exception day per line (UTF-8 or GB18030, as Excel saves CSV)::

    # 2027 年节假日安排(国办发明电〔2026〕x号)
    2027-01-01,休,元旦
    2027-02-07,班,春节调休      # 周日上班

休/假/放假/holiday/off mark a day off, 班/上班/work/workday a working day; the name is optional;
``#`` starts a comment. All dates must be in one year. Lines that agree with the Monday–Friday rule
anyway (a weekend day off, a weekday at work) are accepted and not stored.
"""

from __future__ import annotations

import collections
import dataclasses
import datetime as dt
import re
import unicodedata
from collections.abc import Iterable
from dataclasses import dataclass, field

from django.db import IntegrityError, transaction
from django.db.models import Count, Max

from gongjian.core import audit
from gongjian.core.cache import TableCache
from gongjian.core.errors import Conflict, Forbidden, Invalid
from gongjian.core.models import CalendarDay, HolidayYear
from gongjian.standards.workdays import MissingYear, WorkCalendar

__all__ = [
    "Day",
    "ImportResult",
    "MissingYear",
    "ParsedSchedule",
    "decode_holiday_file",
    "format_day",
    "holidays_import",
    "parse_holiday_file",
    "schedule_text",
    "work_calendar",
]

MIN_YEAR, MAX_YEAR = 1990, 2100
NAME_MAX = CalendarDay._meta.get_field("name").max_length
SOURCE_MAX = HolidayYear._meta.get_field("source").max_length
WEEKDAYS = "一二三四五六日"
WORK_WORDS = {"班", "上班", "work", "workday"}
OFF_WORDS = {"休", "假", "放假", "holiday", "off"}


@dataclass(frozen=True)
class Day:
    date: dt.date
    is_workday: bool
    name: str = ""
    line: int | None = field(default=None, compare=False)  # where it came from in an import file

    @property
    def is_exception(self) -> bool:
        """True when the day breaks the Monday–Friday rule (only those are stored)."""
        return self.is_workday != (self.date.weekday() < 5)


def _width(text: str) -> int:
    return sum(2 if unicodedata.east_asian_width(c) in "WF" else 1 for c in text)


def format_day(day) -> str:
    """One line of the import file, with the weekday as a comment (so a listing can be re-imported)."""
    kind = "班" if day.is_workday else "休"
    text = f"{day.date.isoformat()},{kind},{day.name}".rstrip(",")
    return f"{text}{' ' * max(2, 26 - _width(text))}# 周{WEEKDAYS[day.date.weekday()]}"


# ----------------------------------------------------------------- reading


def _signature():
    # (Aggregate names must not shadow the "days" relation.)
    agg = HolidayYear.objects.aggregate(n=Count("id", distinct=True), top=Max("id"), changed=Max("updated_at"),
                                        n_days=Count("days"), top_day=Max("days__id"))
    return agg["n"], agg["top"], agg["changed"], agg["n_days"], agg["top_day"]


def _build() -> WorkCalendar:
    years = list(HolidayYear.objects.values_list("year", flat=True))
    overrides: dict[int, dict[dt.date, bool]] = {y: {} for y in years}
    for date, is_workday, year in CalendarDay.objects.values_list("date", "is_workday", "year__year"):
        overrides[year][date] = is_workday
    return WorkCalendar(overrides, years)


_calendar_cache = TableCache("work_calendar", build=_build, signature=_signature, models=[HolidayYear, CalendarDay])


def work_calendar() -> WorkCalendar:
    """The working-day calendar of all loaded years (a per-process copy, see ``core.cache``)."""
    return _calendar_cache.get()


def schedule_text(holiday_year: HolidayYear) -> str:
    """A year's schedule in the import format (what `holidays list` prints and the admin edits)."""
    days = holiday_year.days.order_by("date")
    return "\n".join(format_day(d) for d in days)


# ----------------------------------------------------------------- the import file


@dataclass
class ParsedSchedule:
    year: int
    days: list[Day]


_DATE = re.compile(r"^(\d{4})\s*[-/.年]\s*(\d{1,2})\s*[-/.月]\s*(\d{1,2})\s*日?$")
_SPLIT = re.compile(r"\s*[,，\t]\s*")


def decode_holiday_file(data: bytes) -> str:
    """UTF-8 (with or without BOM), else GB18030 (Excel's "CSV" on a Chinese Windows)."""
    try:
        return data.decode("utf-8-sig")
    except UnicodeDecodeError:
        pass
    try:
        return data.decode("gb18030")
    except UnicodeDecodeError:
        raise Invalid("文件编码无法识别：请保存为 UTF-8 / cannot decode the file: save it as UTF-8",
                      field="file") from None


def _parse_date(text: str) -> dt.date:
    m = _DATE.match(text)
    if not m:
        raise ValueError(f"日期“{text}”格式不对，应为 2027-01-01 / bad date, expected YYYY-MM-DD")
    try:
        return dt.date(int(m[1]), int(m[2]), int(m[3]))
    except ValueError:
        raise ValueError(f"没有这一天：“{text}” / no such date") from None


def _parse_kind(text: str) -> bool:
    word = text.strip().lower()
    if word in WORK_WORDS:
        return True
    if word in OFF_WORDS:
        return False
    raise ValueError(f"“{text}”应为 休 或 班 / expected 休 (day off) or 班 (working day)")


def parse_holiday_file(text: str, *, year: int | None = None) -> ParsedSchedule:
    """Parse an import file. Every bad line is reported (Invalid, details: line, text, error);
    with ``year`` all dates must be in it, otherwise in the year most lines are in."""
    if year is not None:
        _check_year(year)
    errors: list[dict] = []
    days: list[Day] = []
    for number, raw in enumerate(text.lstrip("\ufeff").splitlines(), start=1):
        line = raw.split("#", 1)[0].strip()
        if not line:
            continue
        fields = _SPLIT.split(line)
        try:
            if len(fields) < 2:
                raise ValueError("应为“日期,休或班,名称” / expected date,休|班,name")
            if len(fields) > 3:
                raise ValueError("字段太多，应为“日期,休或班,名称” / too many fields")
            date = _parse_date(fields[0])
            is_workday = _parse_kind(fields[1])
            name = fields[2] if len(fields) == 3 else ""
            if len(name) > NAME_MAX:
                raise ValueError(f"名称超过 {NAME_MAX} 个字 / name too long")
        except ValueError as exc:
            errors.append({"line": number, "text": raw.strip(), "error": str(exc)})
            continue
        days.append(Day(date, is_workday, name, line=number))

    explicit = year is not None
    if year is None and days:
        # The year most dates are in; the others are reported line by line.
        year = collections.Counter(d.date.year for d in days).most_common(1)[0][0]
    first_line: dict[dt.date, int] = {}
    kept: list[Day] = []
    for day in days:
        y = day.date.year
        if y != year and explicit:
            errors.append({"line": day.line, "text": "", "error": (
                f"{day.date.isoformat()} 不在指定的 {year} 年 / not in {year}")})
        elif y != year:
            errors.append({"line": day.line, "text": "", "error": (
                f"{day.date.isoformat()} 在 {y} 年，而本文件其余日期在 {year} 年；一个文件只能是一年的安排，"
                f"跨年的调休请并入 {y} 年的安排(可先用 holidays list --year {y} 导出，补上后再导入) / "
                f"date is in {y} but the rest of the file is in {year}: one file, one year")})
        elif day.date in first_line:
            errors.append({"line": day.line, "text": "", "error": (
                f"{day.date.isoformat()} 与第 {first_line[day.date]} 行重复 / "
                f"duplicate of line {first_line[day.date]}")})
        else:
            first_line[day.date] = day.line
            kept.append(day)
    if errors:
        lines = {n: raw.strip() for n, raw in enumerate(text.lstrip("\ufeff").splitlines(), start=1)}
        for e in errors:
            e["text"] = e["text"] or lines.get(e["line"], "")
        errors.sort(key=lambda e: e["line"])
        raise Invalid(f"导入文件有 {len(errors)} 行错误，未导入任何内容 / {len(errors)} bad line(s), "
                      "nothing imported", field="file", details=errors)
    if not kept:
        raise Invalid("文件里没有日期：每行应为“日期,休或班,名称” / no dates in the file", field="file")
    return ParsedSchedule(year=year, days=kept)


# ----------------------------------------------------------------- the write


@dataclass
class ImportResult:
    holiday_year: HolidayYear
    stored: list[Day]  # the exceptions to the Monday–Friday rule, by date
    ignored: list[Day]  # lines that agree with the rule anyway
    replaced: bool  # the year had a schedule before


def _check_year(year) -> int:
    if isinstance(year, bool) or not isinstance(year, int) or not MIN_YEAR <= year <= MAX_YEAR:
        raise Invalid(f"年份“{year}”无效，应在 {MIN_YEAR}–{MAX_YEAR} 之间 / bad year", field="year")
    return year


def _snapshot(holiday_year: HolidayYear, days: Iterable) -> dict:
    return {
        "year": holiday_year.year,
        "source": holiday_year.source,
        "notice": holiday_year.notice,
        "days": [[d.date.isoformat(), "班" if d.is_workday else "休", d.name] for d in days],
    }


def _can_manage(actor) -> bool:
    """The CLI and loaders act as None (the operator holding the database); people need 管理员."""
    return actor is None or (actor.is_active and getattr(actor, "is_admin", False))


def holidays_import(*, actor, year: int, days: Iterable[Day], source: str, notice: str = "",
                    reason: str = "") -> ImportResult:
    """Replace one year's schedule with ``days`` (all of them in ``year``), atomically and audited."""
    if not _can_manage(actor):
        raise Forbidden("没有权限：导入节假日安排 / not permitted: import holidays")
    _check_year(year)
    source = (source or "").strip()
    if not source:
        raise Invalid("请注明来源 / source is required", field="source")
    source = source[:SOURCE_MAX]
    notice = (notice or "").strip()

    days = [d if isinstance(d, Day) else Day(*d) for d in days]
    days = [dataclasses.replace(d, name=str(d.name or "").strip()) for d in days]
    errors = []
    seen: set[dt.date] = set()
    for d in days:
        if isinstance(d.date, dt.datetime) or not isinstance(d.date, dt.date):
            errors.append(f"{d.date!r} 不是日期 / not a date")
        elif d.date.year != year:
            errors.append(f"{d.date.isoformat()} 不在 {year} 年 / not in {year}")
        elif d.date in seen:
            errors.append(f"{d.date.isoformat()} 重复 / duplicate")
        elif len(d.name) > NAME_MAX:
            errors.append(f"{d.date.isoformat()} 的名称超过 {NAME_MAX} 个字 / name too long")
        else:
            seen.add(d.date)
    if errors:
        raise Invalid(f"节假日安排有 {len(errors)} 处错误，未导入 / {len(errors)} error(s), nothing imported",
                      field="days", details=errors)
    stored = sorted((d for d in days if d.is_exception), key=lambda d: d.date)
    ignored = [d for d in days if not d.is_exception]
    if not stored:
        raise Invalid(f"{year} 年的安排里没有任何放假的工作日或上班的周末 / "
                      "nothing in it differs from the Monday–Friday rule", field="days")

    try:
        with transaction.atomic():
            holiday_year = HolidayYear.objects.select_for_update().filter(year=year).first()
            replaced = holiday_year is not None
            if replaced:
                before = _snapshot(holiday_year, holiday_year.days.order_by("date"))
                holiday_year.source, holiday_year.notice = source, notice
                holiday_year.save(update_fields=["source", "notice", "updated_at"])
                holiday_year.days.all().delete()
            else:
                before = None
                holiday_year = HolidayYear.objects.create(year=year, source=source, notice=notice)
            CalendarDay.objects.bulk_create(
                CalendarDay(date=d.date, is_workday=d.is_workday, name=d.name, year=holiday_year)
                for d in stored
            )
            audit.record(actor=actor, action="holidays.import", obj=holiday_year, before=before,
                         after=_snapshot(holiday_year, stored), reason=reason)
    except IntegrityError:
        # Two imports of a new year at once: the loser changes nothing.
        raise Conflict(f"{year} 年的安排正在被另一项导入修改，请重试 / concurrent import, try again",
                       field="year") from None
    return ImportResult(holiday_year=holiday_year, stored=stored, ignored=ignored, replaced=replaced)
