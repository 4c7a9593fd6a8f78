import datetime as dt

import pytest

from gongjian.assessment import indicators, periods
from gongjian.ledger.models import Status
from tests.assessment.conftest import WEEK, at, make_case


def test_counts_of_a_hand_built_week(week):
    d = week.ledger.d
    data = indicators.collect(periods.parse(WEEK))
    a = data[d.street_a.pk]
    # due: c1 (community's, rolled up), c2, c3, c4; not c5 (due next week), c6 (returned), c7 (rejected)
    assert a["counts"] == {"due": 4, "handled": 2, "handled_on_time": 1, "handled_late": 1, "closed": 2,
                           "closed_on_time": 1, "reworked": 1, "extended": 1, "overdue_pending": 2,
                           "escalated": 1}
    # found in the week (reported 25–31 May, not rejected): c2 district, c3 city, c4 province (23:00 on
    # the 31st), c5 city, c6 city (returned but found); c1 was reported before the week
    assert a["sources"] == {"district_inspection": 1, "city": 3, "province": 1}
    assert data[d.street_b.pk]["counts"]["due"] == 0
    assert data[d.street_b.pk]["sources"] == {"city": 1}
    assert data[d.bureau.pk]["counts"]["closed_on_time"] == 1
    # community and district-level units are not ranked themselves
    assert set(data) == {d.street_a.pk, d.street_b.pk, d.bureau.pk}


def test_rates_of_the_week(week):
    data = indicators.collect(periods.parse(WEEK))
    assert indicators.rates(data[week.ledger.d.street_a.pk]["counts"]) == {
        "disposal_rate": 0.5, "disposal_on_time_rate": 0.25, "late_disposal_rate": 0.25, "closure_rate": 0.5,
        "closure_on_time_rate": 0.25, "rework_rate": 0.25, "extension_rate": 0.25, "overdue_pending_rate": 0.5}
    # nothing due: no rate rather than 0 % or 100 %
    assert set(indicators.rates(data[week.ledger.d.street_b.pk]["counts"]).values()) == {None}


def test_missing_daily_figures_count_days_before_today(week):
    data = indicators.collect(periods.parse(WEEK))
    d = week.ledger.d
    assert [data[u.pk]["missing_days"] for u in (d.street_a, d.street_b, d.bureau)] == [7, 0, 1]
    # the running week: only days before today (Monday 1 June) count, so none yet
    running = indicators.collect(periods.parse("2026-W23"))
    assert running[d.street_a.pk]["missing_days"] == 0


def test_submission_after_the_week_is_not_handled_in_it(week):
    """c4 was submitted on 1 June, after the week: overdue pending in W22, whatever happens later."""
    data = indicators.collect(periods.parse(WEEK), [{"code": "x", "type": "case", "set": "overdue_pending",
                                                     "sources": []}])
    assert data[week.ledger.d.street_a.pk]["cases"]["x"] == [week.cases["c3"].pk, week.cases["c4"].pk]


def test_running_week_is_judged_against_today(ledger):
    d = ledger.d
    # due Wednesday 3 June, not handled, today is Monday 1 June: not yet overdue
    make_case(ledger, d.street_a, reported=at(1, month=6), deadline=dt.date(2026, 6, 3))
    make_case(ledger, d.street_a, reported=at(1, month=6), deadline=dt.date(2026, 6, 1), status=Status.ASSIGNED)
    counts = indicators.collect(periods.parse("2026-W23"))[d.street_a.pk]["counts"]
    assert counts["due"] == 2
    assert counts["overdue_pending"] == 0  # the one due today is not past due yet either


@pytest.mark.parametrize("text,start,end", [
    ("2026-W22", dt.date(2026, 5, 25), dt.date(2026, 5, 31)),
    ("2026-W01", dt.date(2025, 12, 29), dt.date(2026, 1, 4)),
    ("2026-W53", dt.date(2026, 12, 28), dt.date(2027, 1, 3)),
    ("2026-02", dt.date(2026, 2, 1), dt.date(2026, 2, 28)),
    ("2024-02", dt.date(2024, 2, 1), dt.date(2024, 2, 29)),
    ("2026-11-02..2026-11-15", dt.date(2026, 11, 2), dt.date(2026, 11, 15)),
])
def test_periods(text, start, end):
    p = periods.parse(text)
    assert (p.start, p.end) == (start, end)


@pytest.mark.parametrize("text,message", [
    ("2025-W53", "只有 52 周"),
    ("2026-13", "月份 13 无效"),
    ("2026-11-15..2026-11-02", "结束日期早于开始日期"),
    ("2026-02-30..2026-03-01", "无效"),
    ("last week", "无法识别"),
])
def test_bad_periods_say_what_is_wrong(text, message):
    with pytest.raises(periods.PeriodError, match=message):
        periods.parse(text)


def test_previous_periods():
    assert periods.parse("2026-W01").previous().key == "2025-W52"
    assert periods.parse("2026-01").previous().key == "2025-12"
    assert periods.parse("2026-11-08..2026-11-14").previous().key == "2026-11-01..2026-11-07"
