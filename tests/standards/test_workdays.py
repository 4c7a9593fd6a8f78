"""Working days (standards/workdays.py), with vectors worked out by hand from the State Council notices.

2025 (国办发明电〔2024〕12号): 元旦 1/1; 春节 1/28–2/4, work Sun 1/26 and Sat 2/8; 清明 4/4–6; 劳动节 5/1–5,
work Sun 4/27; 端午 5/31–6/2; 国庆中秋 10/1–8, work Sun 9/28 and Sat 10/11.
2026 (notice of 2025-11-04): 元旦 1/1–3, work Sun 1/4; 春节 2/15–23, work Sat 2/14 and Sat 2/28; 清明 4/4–6;
劳动节 5/1–5, work Sat 5/9; 端午 6/19–21; 中秋 9/25–27; 国庆 10/1–7, work Sun 9/20 and Sat 10/10.

Only the exceptions to Monday–Friday go into the calendar; the weekdays were worked out with
1 January 2025 = Wednesday and 1 January 2026 = Thursday.
"""

from __future__ import annotations

import datetime as dt

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from gongjian.standards.workdays import MissingYear, WorkCalendar

D = dt.date

HOLIDAYS_2025 = [  # weekday holidays only
    D(2025, 1, 1),
    D(2025, 1, 28), D(2025, 1, 29), D(2025, 1, 30), D(2025, 1, 31), D(2025, 2, 3), D(2025, 2, 4),
    D(2025, 4, 4),
    D(2025, 5, 1), D(2025, 5, 2), D(2025, 5, 5),
    D(2025, 6, 2),
    D(2025, 10, 1), D(2025, 10, 2), D(2025, 10, 3), D(2025, 10, 6), D(2025, 10, 7), D(2025, 10, 8),
]
WORKDAYS_2025 = [D(2025, 1, 26), D(2025, 2, 8), D(2025, 4, 27), D(2025, 9, 28), D(2025, 10, 11)]
HOLIDAYS_2026 = [
    D(2026, 1, 1), D(2026, 1, 2),
    D(2026, 2, 16), D(2026, 2, 17), D(2026, 2, 18), D(2026, 2, 19), D(2026, 2, 20), D(2026, 2, 23),
    D(2026, 4, 6),
    D(2026, 5, 1), D(2026, 5, 4), D(2026, 5, 5),
    D(2026, 6, 19),
    D(2026, 9, 25),
    D(2026, 10, 1), D(2026, 10, 2), D(2026, 10, 5), D(2026, 10, 6), D(2026, 10, 7),
]
WORKDAYS_2026 = [D(2026, 1, 4), D(2026, 2, 14), D(2026, 2, 28), D(2026, 5, 9), D(2026, 9, 20), D(2026, 10, 10)]


def _overrides(holidays, workdays):
    return {**dict.fromkeys(holidays, False), **dict.fromkeys(workdays, True)}


CAL = WorkCalendar({2025: _overrides(HOLIDAYS_2025, WORKDAYS_2025),
                    2026: _overrides(HOLIDAYS_2026, WORKDAYS_2026)})


def test_hand_tables_are_what_they_claim():
    for d in HOLIDAYS_2025 + HOLIDAYS_2026:
        assert d.weekday() < 5, d
    for d in WORKDAYS_2025 + WORKDAYS_2026:
        assert d.weekday() >= 5, d
    assert [d.strftime("%a") for d in WORKDAYS_2025] == ["Sun", "Sat", "Sun", "Sun", "Sat"]
    assert [d.strftime("%a") for d in WORKDAYS_2026] == ["Sun", "Sat", "Sat", "Sat", "Sun", "Sat"]


def test_hand_tables_agree_with_chinese_calendar():
    chinese_calendar = pytest.importorskip("chinese_calendar")
    d = D(2025, 1, 1)
    while d.year < 2027:
        assert CAL.is_workday(d) == chinese_calendar.is_workday(d), d
        d += dt.timedelta(days=1)


def test_is_workday():
    assert CAL.is_workday(D(2025, 1, 27))  # Monday before the festival
    assert not CAL.is_workday(D(2025, 1, 28))  # 除夕, a Tuesday
    assert CAL.is_workday(D(2025, 1, 26))  # make-up Sunday
    assert CAL.is_workday(D(2026, 2, 14))  # make-up Saturday
    assert not CAL.is_workday(D(2026, 2, 21))  # Saturday inside the holiday
    assert not CAL.is_workday(D(2026, 3, 1))  # ordinary Sunday
    assert CAL.is_workday(D(2026, 3, 2))  # ordinary Monday


@pytest.mark.parametrize(("start", "n", "expected"), [
    # 2025 Spring Festival: off 1/28–2/4, work Sun 1/26 and Sat 2/8
    (D(2025, 1, 24), 1, D(2025, 1, 26)),  # Fri → the make-up Sunday
    (D(2025, 1, 24), 2, D(2025, 1, 27)),
    (D(2025, 1, 24), 3, D(2025, 2, 5)),  # the whole festival skipped
    (D(2025, 1, 27), 1, D(2025, 2, 5)),
    (D(2025, 1, 27), 3, D(2025, 2, 7)),  # 限期3个工作日 from the eve of the holiday
    (D(2025, 1, 27), 4, D(2025, 2, 8)),  # make-up Saturday
    (D(2025, 1, 27), 5, D(2025, 2, 10)),
    # 2025 National Day + Mid-autumn: off 10/1–8, work Sun 9/28 and Sat 10/11
    (D(2025, 9, 26), 1, D(2025, 9, 28)),
    (D(2025, 9, 26), 3, D(2025, 9, 30)),
    (D(2025, 9, 26), 4, D(2025, 10, 9)),
    (D(2025, 9, 30), 3, D(2025, 10, 11)),
    (D(2025, 9, 30), 4, D(2025, 10, 13)),
    # 2026 Spring Festival: off 2/15–23, work Sat 2/14 and Sat 2/28
    (D(2026, 2, 13), 1, D(2026, 2, 14)),
    (D(2026, 2, 13), 2, D(2026, 2, 24)),
    (D(2026, 2, 14), 3, D(2026, 2, 26)),
    (D(2026, 2, 14), 5, D(2026, 2, 28)),
    (D(2026, 2, 14), 6, D(2026, 3, 2)),
    # 2026 Mid-autumn 9/25–27 and National Day 10/1–7, work Sun 9/20 and Sat 10/10
    (D(2026, 9, 18), 1, D(2026, 9, 20)),
    (D(2026, 9, 24), 1, D(2026, 9, 28)),
    (D(2026, 9, 28), 3, D(2026, 10, 8)),
    (D(2026, 9, 30), 3, D(2026, 10, 10)),
    (D(2026, 9, 30), 4, D(2026, 10, 12)),
    # 2025 → 2026: 元旦 1/1–3, work Sun 1/4
    (D(2025, 12, 30), 1, D(2025, 12, 31)),
    (D(2025, 12, 30), 2, D(2026, 1, 4)),
    (D(2025, 12, 30), 3, D(2026, 1, 5)),
    (D(2025, 12, 31), 1, D(2026, 1, 4)),
    # ordinary weeks
    (D(2026, 3, 6), 1, D(2026, 3, 9)),  # Fri → Mon
    (D(2026, 3, 2), 10, D(2026, 3, 16)),
    (D(2026, 11, 20), 20, D(2026, 12, 18)),
])
def test_add(start, n, expected):
    assert CAL.add(start, n) == expected
    assert CAL.count(start, expected) == n


@pytest.mark.parametrize(("start", "n", "expected"), [
    # The start is a holiday: it is day 0 all the same, the next working day is day 1.
    (D(2025, 1, 29), 1, D(2025, 2, 5)),
    (D(2025, 2, 1), 3, D(2025, 2, 7)),  # a Saturday inside the holiday
    (D(2025, 10, 5), 3, D(2025, 10, 11)),  # 10/9, 10/10, then the make-up Saturday
    (D(2026, 2, 18), 3, D(2026, 2, 26)),
    (D(2026, 10, 1), 1, D(2026, 10, 8)),
    (D(2026, 3, 1), 1, D(2026, 3, 2)),  # an ordinary Sunday
    # The start is a make-up working day: day 0 too.
    (D(2025, 1, 26), 1, D(2025, 1, 27)),
    (D(2026, 2, 28), 1, D(2026, 3, 2)),
])
def test_start_day_is_day_zero_whether_or_not_it_is_a_working_day(start, n, expected):
    assert CAL.add(start, n) == expected


def test_differs_from_chinese_calendar_find_workday_on_a_holiday():
    chinese_calendar = pytest.importorskip("chinese_calendar")
    # find_workday first moves to a working day, then counts: one day later than our semantics.
    assert chinese_calendar.find_workday(1, D(2025, 1, 29)) == D(2025, 2, 6)
    assert CAL.add(D(2025, 1, 29), 1) == D(2025, 2, 5)


def test_zero_days_is_the_date_itself():
    for d in (D(2025, 1, 29), D(2026, 2, 14), D(2026, 3, 4), D(2026, 3, 7)):
        assert CAL.add(d, 0) == d
    # and needs no schedule at all
    assert CAL.add(D(2027, 6, 1), 0) == D(2027, 6, 1)
    assert WorkCalendar({}).add(D(2030, 1, 1), 0) == D(2030, 1, 1)


def test_crossing_into_a_year_without_schedule_names_it():
    assert CAL.add(D(2026, 12, 30), 1) == D(2026, 12, 31)
    with pytest.raises(MissingYear) as info:
        CAL.add(D(2026, 12, 30), 2)
    assert info.value.year == 2027
    assert "2027" in str(info.value) and "节假日安排" in str(info.value) and "no holiday schedule" in str(info.value)
    for call in (lambda: CAL.add(D(2026, 12, 31), 1), lambda: CAL.add(D(2026, 6, 1), 500),
                 lambda: CAL.is_workday(D(2027, 1, 4)), lambda: CAL.count(D(2026, 12, 30), D(2027, 1, 5)),
                 lambda: CAL.count(D(2027, 1, 5), D(2026, 12, 30))):
        with pytest.raises(MissingYear) as info:
            call()
        assert info.value.year == 2027


def test_a_missing_earlier_year_is_named_too():
    with pytest.raises(MissingYear) as info:
        CAL.is_workday(D(2024, 12, 31))
    assert info.value.year == 2024
    with pytest.raises(MissingYear) as info:
        CAL.add(D(2024, 12, 30), 1)  # needs 2024-12-31
    assert info.value.year == 2024
    # From 31 December the count starts in the next year: the old year is not needed.
    assert CAL.add(D(2024, 12, 31), 1) == D(2025, 1, 2)
    assert CAL.count(D(2024, 12, 31), D(2025, 1, 3)) == 2


def test_a_gap_between_scheduled_years_is_named():
    cal = WorkCalendar({2025: {}, 2027: {}})
    with pytest.raises(MissingYear) as info:
        cal.add(D(2025, 12, 1), 40)
    assert info.value.year == 2026


def test_count():
    assert CAL.count(D(2025, 1, 27), D(2025, 2, 10)) == 5  # 2/5, 2/6, 2/7, 2/8 (Sat), 2/10
    assert CAL.count(D(2025, 2, 10), D(2025, 1, 27)) == -5  # deadline passed 5 working days ago
    assert CAL.count(D(2026, 2, 14), D(2026, 2, 14)) == 0
    assert CAL.count(D(2026, 2, 13), D(2026, 2, 14)) == 1  # end counts, start does not
    assert CAL.count(D(2026, 2, 14), D(2026, 2, 23)) == 0  # nothing but holiday
    # Whole years: Mon–Fri days (261 in each), minus weekday holidays, plus make-up weekend days.
    assert CAL.count(D(2024, 12, 31), D(2025, 12, 31)) == 261 - 18 + 5 == 248
    assert CAL.count(D(2025, 12, 31), D(2026, 12, 31)) == 261 - 19 + 6 == 248
    assert CAL.count(D(2024, 12, 31), D(2026, 12, 31)) == 496
    # Spring Festival month 2026: February has 20 Mon–Fri days, 6 of them off, 2 Saturdays worked.
    assert CAL.count(D(2026, 1, 31), D(2026, 2, 28)) == 20 - 6 + 2


def test_add_and_count_agree_over_every_start_of_both_years():
    d = D(2025, 1, 1)
    while d.year < 2026:
        for n in (0, 1, 2, 3, 5, 10, 30, 200):
            end = CAL.add(d, n)
            assert CAL.count(d, end) == n, (d, n)
            if n:
                assert CAL.is_workday(end)
                assert CAL.count(d, end - dt.timedelta(days=1)) == n - 1
        d += dt.timedelta(days=1)


def _naive_add(cal: WorkCalendar, d: dt.date, n: int) -> dt.date:
    while n:
        d += dt.timedelta(days=1)
        n -= cal.is_workday(d)
    return d


@settings(max_examples=300, deadline=None)
@given(st.dates(D(2025, 1, 1), D(2026, 12, 31)), st.integers(0, 480))
def test_add_matches_counting_day_by_day(start, n):
    try:
        expected = _naive_add(CAL, start, n)
    except MissingYear as exc:
        with pytest.raises(MissingYear) as info:
            CAL.add(start, n)
        assert info.value.year == exc.year == 2027
        return
    assert CAL.add(start, n) == expected


def test_large_n_is_exact_and_fast():
    years = range(2000, 2101)
    cal = WorkCalendar({y: {} for y in years} | {2025: _overrides(HOLIDAYS_2025, WORKDAYS_2025)})
    # 100 years ahead: one step per year, not per day.
    end = cal.add(D(2000, 1, 1), 25_000)
    assert cal.count(D(2000, 1, 1), end) == 25_000 and cal.is_workday(end)
    assert end == _naive_add(cal, D(2000, 1, 1), 25_000)
    with pytest.raises(MissingYear) as info:
        cal.add(D(2000, 1, 1), 10**9)
    assert info.value.year == 2101


def test_bad_input():
    with pytest.raises(ValueError):
        CAL.add(D(2026, 3, 2), -1)
    with pytest.raises(TypeError):
        CAL.add(D(2026, 3, 2), 1.5)
    with pytest.raises(TypeError):
        CAL.add(dt.datetime(2026, 3, 2, 9, 0), 1)  # a moment is not a day: the caller picks the local day
    with pytest.raises(TypeError):
        CAL.is_workday("2026-03-02")
    with pytest.raises(ValueError, match="filed under"):
        WorkCalendar({2026: {D(2025, 12, 31): False}})


def test_years_without_exceptions_and_redundant_overrides():
    cal = WorkCalendar({2030: {D(2030, 1, 5): False}}, years=[2031])  # a Saturday off: no change
    assert cal.years == {2030, 2031}
    assert not cal.is_workday(D(2030, 1, 5))
    assert cal.count(D(2029, 12, 31), D(2031, 12, 31)) == 261 + 261
