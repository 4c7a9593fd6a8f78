"""HJ 663 evaluation and ranking: rules and examples from shared/standards/hj663-ranking.md."""

from __future__ import annotations

import math

import numpy as np
import pytest

from gongjian.standards import hj663

NAN = math.nan


def test_composite_index_of_the_digest_example_is_3_06():
    c = {"PM2.5": 21, "PM10": 39, "SO2": 9, "NO2": 15, "O3": 192, "CO": 0.7}
    assert hj663.composite_index(c) == 3.06


def test_composite_index_with_the_transition_limits():
    # 21/30 + 39/60 + 9/60 + 15/40 + 192/160 + 0.7/4 = 0.7 + 0.65 + 0.15 + 0.375 + 1.2 + 0.175 = 3.25
    c = {"PM2.5": 21, "PM10": 39, "SO2": 9, "NO2": 15, "O3": 192, "CO": 0.7}
    assert hj663.composite_index(c, hj663.LIMITS_2026_TRANSITION) == 3.25


def test_composite_index_rounds_half_to_even_exactly():
    zero = {"PM2.5": 0, "PM10": 0, "SO2": 0, "NO2": 0, "O3": 0}
    assert hj663.composite_index(dict(zero, CO=0.1)) == 0.02  # 0.025 → 0.02
    assert hj663.composite_index(dict(zero, CO=0.3)) == 0.08  # 0.075 → 0.08
    # concentrations are rounded first: CO 0.75 → 0.8 → 0.2; PM2.5 35.5 → 36 → 36/35 = 1.0286 → 1.03
    assert hj663.composite_index(dict(zero, CO=0.75)) == 0.2
    assert hj663.composite_index(dict(zero, CO=0, **{"PM2.5": 35.5})) == 1.03


def test_composite_index_is_absent_when_a_pollutant_is_absent():
    c = {"PM2.5": 21, "PM10": 39, "SO2": 9, "NO2": 15, "O3": NAN, "CO": 0.7}
    assert math.isnan(hj663.composite_index(c))
    with pytest.raises(ValueError):
        hj663.composite_index(dict(c, O3=100), {"PM2.5": 35})


def test_percentile_follows_appendix_a():
    xs = [10, 3, 7, 1, 2, 4, 5, 6, 8, 9]
    # k = 1 + 9·0.95 = 9.55 → X9 + 0.55·(X10 − X9) = 9.55;  p90: k = 9.1 → 9.1
    assert hj663.percentile(xs, 95) == pytest.approx(9.55)
    assert hj663.percentile(xs, 90) == pytest.approx(9.1)
    # n = 3, p = 95: k = 2.9 → 2 + 0.9·(5 − 2) = 4.7
    assert hj663.percentile([5, 2, 1], 95) == pytest.approx(4.7)
    assert hj663.percentile([4.2], 95) == 4.2
    assert hj663.percentile([1, 2, NAN, 3], 50) == 2
    assert math.isnan(hj663.percentile([], 95))


def test_gbt8170_rounds_half_to_even():
    assert hj663.gbt8170(34.5) == 34 and hj663.gbt8170(35.5) == 36 and hj663.gbt8170(2.25, 1) == 2.2
    assert hj663.gbt8170(2.35, 1) == 2.4 and hj663.gbt8170(2.251, 1) == 2.3


def test_hour_is_valid_with_45_minutes():
    assert list(hj663.hour_valid([44, 45, 60])) == [False, True, True]


def test_daily_mean_needs_20_valid_hours():
    day = np.full((2, 24), 10.0)
    day[0, :4] = NAN  # 20 valid
    day[1, :5] = NAN  # 19 valid
    day[0, 4] = 30.0  # mean of 19×10 + 30 = 220/20 = 11
    out = hj663.daily_means(day)
    assert out[0] == 11 and math.isnan(out[1])


def test_moving_8h_needs_6_valid_hours_of_8():
    h = np.arange(1.0, 17.0)  # 1..16
    m = hj663.moving_8h(h)
    assert all(math.isnan(v) for v in m[:7])
    assert m[7] == 4.5  # mean of 1..8
    h[8:10] = NAN  # window ending at 10 (values 4..11 minus 9, 10): 6 valid
    m = hj663.moving_8h(h)
    assert m[10] == pytest.approx((4 + 5 + 6 + 7 + 8 + 11) / 6)
    h[10] = NAN  # now 5 valid in windows ending 10 … 15? ending at 10: 4..11 with 9, 10, 11 missing
    assert math.isnan(hj663.moving_8h(h)[10])


def test_mda8_is_the_largest_8h_mean_inside_the_day():
    day = np.full((1, 24), 100.0)
    day[0, 10:18] = 200.0
    r = hj663.mda8(day)
    assert r.value[0] == 200 and r.count[0] == 17


def test_mda8_needs_14_valid_8h_means_unless_it_exceeds_the_limit():
    day = np.full((2, 24), 100.0)
    day[1] = 170.0
    day[:, :6] = NAN  # windows starting 00 … 03 have > 2 missing hours: 13 valid means
    r = hj663.mda8(day)
    assert list(r.count) == [13, 13]
    assert math.isnan(r.value[0]) and "13" in r.reason[0]
    assert r.value[1] == 170  # above 160: valid anyway


def test_period_statistics_need_enough_valid_days():
    ok = [float(v) for v in range(1, 28)] + [NAN] * 3  # 27 valid days
    short = [float(v) for v in range(1, 27)] + [NAN] * 4  # 26
    s = hj663.period_statistics({"PM2.5": ok, "PM10": short}, period="month", month=1)
    assert s["PM2.5"].value == 14 and s["PM2.5"].valid_days == 27
    assert math.isnan(s["PM10"].value) and "26" in s["PM10"].reason
    feb = hj663.period_statistics({"PM2.5": [10.0] * 25}, period="month", month=2)
    assert feb["PM2.5"].value == 10


def test_period_statistics_use_p95_for_co_and_p90_for_o3():
    co = [0.1 * i for i in range(1, 31)]  # 0.1 … 3.0; k = 1 + 29·0.95 = 28.55 → 2.8 + 0.55·0.1 = 2.855 → 2.9
    o3 = [float(i) for i in range(101, 131)]  # k = 1 + 29·0.9 = 27.1 → 127 + 0.1 = 127.1 → 127
    s = hj663.period_statistics({"CO": co, "O3": o3}, period="month", month=4)
    assert s["CO"].value == 2.9 and s["O3"].value == 127


def test_rankings_tie_equal_values_and_leave_absent_ones_unranked():
    r = hj663.rank({"甲镇": 3.06, "乙镇": 3.06, "丙镇": 2.5, "丁镇": NAN}, "composite")
    assert [(x.name, x.rank) for x in r] == [("丙镇", 1), ("乙镇", 2), ("甲镇", 2), ("丁镇", None)]
    r = hj663.rank({"甲镇": 0.9, "乙镇": 0.95, "丙镇": 0.9}, "good_days")
    assert [(x.name, x.rank) for x in r] == [("乙镇", 1), ("丙镇", 2), ("甲镇", 2)]
    with pytest.raises(ValueError):
        hj663.rank({"甲镇": 1.0}, "loudest")


def test_good_days_share_and_year_on_year_change():
    assert hj663.good_days_share([50, 100, 101, None]) == pytest.approx(2 / 3)
    assert hj663.yoy_change(2.7, 3.0) == pytest.approx(-0.1)
    assert math.isnan(hj663.yoy_change(2.7, NAN))
    r = hj663.rank({"甲镇": hj663.yoy_change(2.7, 3.0), "乙镇": hj663.yoy_change(3.3, 3.0)}, "yoy")
    assert [x.name for x in r] == ["甲镇", "乙镇"]
