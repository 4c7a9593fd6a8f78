"""The holiday table behind working-day deadlines: the seeded years, the calendar read from the table,
the import file and service (all bad lines named, one year per file, atomic, audited), and the CLI."""

from __future__ import annotations

import datetime as dt

import chinese_calendar
import pytest

from gongjian.core import audit, calendar
from gongjian.core.calendar import Day, holidays_import, parse_holiday_file, work_calendar
from gongjian.core.errors import Forbidden, Invalid
from gongjian.core.models import AuditEvent, CalendarDay, HolidayYear
from gongjian.standards.workdays import MissingYear
from tests.test_cli import home, run  # noqa: F401  (home is a fixture)

D = dt.date
pytestmark = pytest.mark.django_db

FILE_2027 = """\
# 2027 年节假日安排(测试用，不是真实通知)
2027-01-01,休,元旦
2027-02-06,假,春节        # 周六，本来就休息
2027/2/8,holiday,春节
2027年2月9日，off，春节
2027-02-07\t上班\t春节调休
2027-02-20,WORK
"""


def _days_of(year: int):
    d = D(year, 1, 1)
    while d.year == year:
        yield d
        d += dt.timedelta(days=1)


# ----------------------------------------------------------------- the seeded table


def test_seeded_years_match_chinese_calendar_day_by_day():
    last = max(d.year for d in chinese_calendar.holidays)
    years = list(HolidayYear.objects.values_list("year", flat=True))
    assert years == list(range(2020, last + 1)) and last >= 2026
    assert all(s.startswith("chinese-calendar ") for s in HolidayYear.objects.values_list("source", flat=True))
    cal = work_calendar()
    for year in years:
        for d in _days_of(year):
            assert cal.is_workday(d) == chinese_calendar.is_workday(d), d


def test_seeded_table_holds_only_the_exceptions_with_chinese_names():
    for day in CalendarDay.objects.all():
        assert day.is_workday != (day.date.weekday() < 5), day
        assert day.year.year == day.date.year
        assert day.name
    assert CalendarDay.objects.filter(year__year=2025).count() == 18 + 5
    assert CalendarDay.objects.filter(year__year=2026).count() == 19 + 6
    names = dict(CalendarDay.objects.filter(year__year=2026).values_list("date", "name"))
    assert names[D(2026, 2, 16)] == "春节"
    assert names[D(2026, 2, 14)] == "春节调休"
    assert names[D(2026, 10, 1)] == "国庆节"
    assert names[D(2026, 1, 4)] == "元旦调休"
    assert D(2026, 2, 15) not in names  # a Sunday off is not an exception


def test_deadlines_from_the_table():
    cal = work_calendar()
    assert cal.add(D(2026, 2, 13), 3) == D(2026, 2, 25)  # 2/14 (Sat, worked), 2/24, 2/25
    assert cal.add(D(2025, 9, 30), 3) == D(2025, 10, 11)
    assert cal.count(D(2025, 12, 31), D(2026, 12, 31)) == 248
    with pytest.raises(MissingYear) as info:
        cal.add(D(2026, 12, 31), 1)
    assert info.value.year == 2027


# ----------------------------------------------------------------- the import file


def test_parse_accepts_the_usual_spellings():
    parsed = parse_holiday_file("\ufeff" + FILE_2027)
    assert parsed.year == 2027
    assert [(d.date, d.is_workday, d.name, d.line) for d in parsed.days] == [
        (D(2027, 1, 1), False, "元旦", 2),
        (D(2027, 2, 6), False, "春节", 3),
        (D(2027, 2, 8), False, "春节", 4),
        (D(2027, 2, 9), False, "春节", 5),
        (D(2027, 2, 7), True, "春节调休", 6),
        (D(2027, 2, 20), True, "", 7),
    ]


def test_decode_utf8_and_gbk():
    assert calendar.decode_holiday_file("2027-01-01,休,元旦".encode()) == "2027-01-01,休,元旦"
    assert calendar.decode_holiday_file("2027-01-01,休,元旦".encode("gbk")) == "2027-01-01,休,元旦"


def test_every_bad_line_is_named_with_its_number():
    text = "\n".join([
        "# 注释",
        "2027-01-01,休,元旦",
        "2027-02-30,休,春节",  # 3: no such day
        "2027-02-08,放,春节",  # 4: unknown kind
        "",
        "2027-01-01,休,元旦",  # 6: duplicate of line 2
        "2027-02-09",  # 7: missing field
        "20270210,休",  # 8: bad date
        "2027-02-11,休,春节,多余",  # 9: too many fields
        "2027-02-12,休," + "长" * 60,  # 10: name too long
    ])
    with pytest.raises(Invalid) as info:
        parse_holiday_file(text)
    details = info.value.details
    assert [e["line"] for e in details] == [3, 4, 6, 7, 8, 9, 10]
    assert "没有这一天" in details[0]["error"] and details[0]["text"] == "2027-02-30,休,春节"
    assert "休 或 班" in details[1]["error"]
    assert "第 2 行" in details[2]["error"]
    assert "7 行错误" in info.value.message and "未导入" in info.value.message


def test_one_file_one_year():
    text = "2027-01-01,休,元旦\n2026-12-31,休,元旦\n2027-02-08,休,春节\n"
    with pytest.raises(Invalid) as info:
        parse_holiday_file(text)
    [bad] = info.value.details
    assert bad["line"] == 2 and "2026" in bad["error"] and "2027" in bad["error"]
    with pytest.raises(Invalid) as info:
        parse_holiday_file(text, year=2026)
    assert [e["line"] for e in info.value.details] == [1, 3]
    with pytest.raises(Invalid):
        parse_holiday_file("# nothing here\n\n")


# ----------------------------------------------------------------- the import service


def _import(text: str, actor=None, source="导入 test.csv"):
    parsed = parse_holiday_file(text)
    return holidays_import(actor=actor, year=parsed.year, days=parsed.days, source=source)


def test_import_stores_the_exceptions_and_is_audited():
    with pytest.raises(MissingYear):
        work_calendar().is_workday(D(2027, 2, 8))
    events = AuditEvent.objects.count()

    result = _import(FILE_2027)

    assert not result.replaced
    assert [d.date for d in result.stored] == [D(2027, 1, 1), D(2027, 2, 7), D(2027, 2, 8), D(2027, 2, 9),
                                               D(2027, 2, 20)]
    assert [d.line for d in result.ignored] == [3]  # a Saturday off changes nothing
    year = HolidayYear.objects.get(year=2027)
    assert year.source == "导入 test.csv"
    assert year.days.count() == 5
    cal = work_calendar()  # rebuilt: the table changed
    assert not cal.is_workday(D(2027, 2, 8)) and cal.is_workday(D(2027, 2, 7))
    assert cal.add(D(2026, 12, 31), 1) == D(2027, 1, 4)

    assert AuditEvent.objects.count() == events + 1
    event = AuditEvent.objects.order_by("-seq").first()
    assert event.action == "holidays.import"
    assert event.object_type == "core.holidayyear" and event.object_id == str(year.pk)
    assert event.before == ""
    assert '["2027-02-07","班","春节调休"]' in event.after
    assert audit.verify().ok


def test_reimport_replaces_the_whole_year():
    _import(FILE_2027)
    result = _import("2027-01-01,休,元旦\n2027-05-03,休,劳动节\n", source="导入 second.csv")
    assert result.replaced
    assert list(CalendarDay.objects.filter(year__year=2027).values_list("date", flat=True)) == [
        D(2027, 1, 1), D(2027, 5, 3)]
    assert HolidayYear.objects.get(year=2027).source == "导入 second.csv"
    cal = work_calendar()
    assert cal.is_workday(D(2027, 2, 8)) and not cal.is_workday(D(2027, 5, 3))
    event = AuditEvent.objects.order_by("-seq").first()
    assert '"春节调休"' in event.before and '"劳动节"' in event.after and "春节" not in event.after
    assert audit.verify().ok


def test_a_failed_replace_changes_nothing(monkeypatch):
    _import(FILE_2027)
    before = list(CalendarDay.objects.filter(year__year=2027).values_list("date", "is_workday", "name"))
    events = AuditEvent.objects.count()

    def broken(**kwargs):
        raise RuntimeError("audit down")

    monkeypatch.setattr(audit, "record", broken)
    with pytest.raises(RuntimeError):
        _import("2027-05-03,休,劳动节\n", source="导入 broken.csv")
    monkeypatch.undo()

    assert list(CalendarDay.objects.filter(year__year=2027).values_list("date", "is_workday", "name")) == before
    assert HolidayYear.objects.get(year=2027).source == "导入 test.csv"
    assert AuditEvent.objects.count() == events
    assert not work_calendar().is_workday(D(2027, 2, 8))
    assert audit.verify().ok


def test_bad_file_imports_nothing():
    events = AuditEvent.objects.count()
    with pytest.raises(Invalid):
        _import(FILE_2027 + "2027-02-31,休,春节\n")
    assert not HolidayYear.objects.filter(year=2027).exists()
    assert AuditEvent.objects.count() == events


def test_service_checks_its_own_input():
    with pytest.raises(Invalid) as info:
        holidays_import(actor=None, year=2027, source="x",
                        days=[Day(D(2027, 1, 1), False), Day(D(2026, 12, 31), False), Day(D(2027, 1, 1), True)])
    assert len(info.value.details) == 2
    with pytest.raises(Invalid, match="上班的周末"):  # nothing that differs from the rule
        holidays_import(actor=None, year=2027, source="x", days=[Day(D(2027, 1, 2), False)])
    with pytest.raises(Invalid):
        holidays_import(actor=None, year=2027, source=" ", days=[Day(D(2027, 1, 1), False)])
    with pytest.raises(Invalid):
        holidays_import(actor=None, year=12027, source="x", days=[])
    assert not HolidayYear.objects.filter(year=2027).exists()


def test_only_administrators_import(district):
    with pytest.raises(Forbidden):
        _import(FILE_2027, actor=district["commander"])
    assert not HolidayYear.objects.filter(year=2027).exists()
    _import(FILE_2027, actor=district["admin"])
    event = AuditEvent.objects.order_by("-seq").first()
    assert event.actor_id == district["admin"].pk


# ----------------------------------------------------------------- the admin page


def test_admin_edits_a_year_through_the_service(district):
    from django.test import Client

    admin = Client()
    admin.force_login(district["admin"])
    resp = admin.post("/admin/core/holidayyear/add/", {
        "year": "2027", "notice": "", "schedule": "2027-01-01,休,元旦\n2027-02-30,休,春节\n2026-12-31,休\n"})
    assert resp.status_code == 200  # the form again, with the bad lines named
    body = resp.content.decode()
    assert "第 2 行" in body and "第 3 行" in body and "第 1 行" not in body
    assert not HolidayYear.objects.filter(year=2027).exists()

    resp = admin.post("/admin/core/holidayyear/add/", {
        "year": "2027", "notice": "测试通知", "schedule": "2027-01-01,休,元旦\r\n2027-02-07,班,春节调休\r\n"})
    assert resp.status_code == 302
    year = HolidayYear.objects.get(year=2027)
    assert year.source == "管理后台 t_admin" and year.notice == "测试通知"
    assert year.days.count() == 2
    page = admin.get(f"/admin/core/holidayyear/{year.pk}/change/").content.decode()
    assert "2027-02-07,班,春节调休" in page

    resp = admin.post(f"/admin/core/holidayyear/{year.pk}/change/",
                      {"notice": "", "schedule": "2027-01-01,休,元旦\n"})
    assert resp.status_code == 302
    assert list(year.days.values_list("date", flat=True)) == [D(2027, 1, 1)]
    events = list(AuditEvent.objects.filter(action="holidays.import").order_by("seq"))
    assert [e.actor_id for e in events] == [district["admin"].pk] * 2
    assert audit.verify().ok

    # the days themselves are read-only; other roles do not get in
    day = year.days.get()
    assert admin.post(f"/admin/core/calendarday/{day.pk}/change/", {"name": "改"}).status_code == 403
    assert admin.get("/admin/core/calendarday/add/").status_code == 403
    commander = Client()
    commander.force_login(district["commander"])
    assert commander.get("/admin/core/holidayyear/").status_code == 302


# ----------------------------------------------------------------- the CLI


@pytest.mark.slow
def test_cli_workdays_and_holidays(home, tmp_path):  # noqa: F811  (the fixture imported above)
    env = home | {"GONGJIAN_ADMIN_PASSWORD": "Admin-pass-2026"}
    assert run(env, "init").returncode == 0

    r = run(env, "workdays", "add", "2026-02-13", "3")
    assert (r.returncode, r.stdout) == (0, "2026-02-25\n"), r.stderr
    r = run(env, "workdays", "is", "2026-02-14")
    assert (r.returncode, r.stdout) == (0, "是\n"), r.stderr

    for args in (["workdays", "add", "2026-12-31", "1"], ["workdays", "is", "2027-01-04"]):
        r = run(env, *args)
        assert r.returncode == 2 and "2027" in r.stderr and r.stderr.count("\n") == 1, r.stderr
    r = run(env, "workdays", "add", "2026-02-30", "1")
    assert r.returncode == 2 and "2026-02-30" in r.stderr and r.stderr.count("\n") == 1
    r = run(env, "workdays", "add", "2026-02-13", "-1")
    assert r.returncode == 2 and "N must be >= 0" in r.stderr and r.stderr.count("\n") == 1

    bad = tmp_path / "bad.csv"
    bad.write_text("2027-01-01,休,元旦\n2027-02-30,休,春节\n2026-12-31,休,元旦\n", encoding="utf-8")
    r = run(env, "holidays", "import", str(bad))
    assert r.returncode == 1
    assert "第 2 行" in r.stderr and "第 3 行" in r.stderr and "第 1 行" not in r.stderr

    good = tmp_path / "2027.csv"
    good.write_text(FILE_2027, encoding="gbk")
    r = run(env, "holidays", "import", str(good), "--year", "2027")
    assert r.returncode == 0, r.stderr
    assert "已导入 2027 年" in r.stdout and "2027-02-07,班,春节调休" in r.stdout

    r = run(env, "workdays", "add", "2026-12-31", "1")
    assert (r.returncode, r.stdout) == (0, "2027-01-04\n"), r.stderr
    r = run(env, "holidays", "list", "--year", "2027")
    assert r.returncode == 0 and "导入 2027.csv" in r.stdout
    listed = [line for line in r.stdout.splitlines() if not line.startswith("#")]
    assert [line.split("#")[0].strip() for line in listed] == [
        "2027-01-01,休,元旦", "2027-02-07,班,春节调休", "2027-02-08,休,春节", "2027-02-09,休,春节",
        "2027-02-20,班"]
    r = run(env, "audit", "verify")
    assert r.returncode == 0 and "共 2 条" in r.stdout  # the admin's creation and the import
