"""Seed the holiday table from the chinese-calendar package: every year it covers from 2020 on.

Only the exceptions to the Monday–Friday rule are stored (weekday holidays and make-up working weekend
days), each named in Chinese. Years already present are left alone, so an administrator's import is
never overwritten. No audit events: this is installation data, and ``source`` records where it came
from (the package and its version).
"""

import datetime as dt

from django.db import migrations

FIRST_YEAR = 2020


def _label(name, is_workday, chinese_names):
    base = chinese_names.get(name, name) if name else ""
    if is_workday:
        return f"{base}调休" if base else "调休上班"
    return base or "放假"


def seed(apps, schema_editor):
    import chinese_calendar
    from chinese_calendar.constants import holidays as cc_holidays

    HolidayYear = apps.get_model("core", "HolidayYear")
    CalendarDay = apps.get_model("core", "CalendarDay")
    chinese_names = {h.value: h.chinese for h in chinese_calendar.Holiday}
    source = f"chinese-calendar {chinese_calendar.__version__}"
    last_year = max(d.year for d in cc_holidays)
    for year in range(FIRST_YEAR, last_year + 1):
        if HolidayYear.objects.filter(year=year).exists():
            continue
        days = []
        d = dt.date(year, 1, 1)
        while d.year == year:
            is_holiday, name = chinese_calendar.get_holiday_detail(d)
            is_workday = not is_holiday
            if is_workday != (d.weekday() < 5):
                days.append((d, is_workday, _label(name, is_workday, chinese_names)))
            d += dt.timedelta(days=1)
        holiday_year = HolidayYear.objects.create(year=year, source=source, notice="")
        CalendarDay.objects.bulk_create(
            CalendarDay(date=day, is_workday=work, name=name, year=holiday_year) for day, work, name in days
        )


def unseed(apps, schema_editor):
    HolidayYear = apps.get_model("core", "HolidayYear")
    HolidayYear.objects.filter(source__startswith="chinese-calendar ").delete()


class Migration(migrations.Migration):
    dependencies = [("core", "0004_holiday_calendar")]
    operations = [migrations.RunPython(seed, unseed)]
