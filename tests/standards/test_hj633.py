"""HJ 633 AQI engine: vectors worked by hand from the digest's tables (shared/standards/hj633-aqi.md)."""

from __future__ import annotations

import json
import math
import random
from fractions import Fraction

import numpy as np
import pytest

from gongjian.standards import hj633
from gongjian.standards.hj633 import HJ633_2012, HJ633_2026, AqiInputError, compute, compute_table

IAQI = (0, 50, 100, 150, 200, 300, 400, 500)
# The digest's Table 1, restated column by column (2012).
T2012 = {
    "SO2_24h": (0, 50, 150, 475, 800, 1600, 2100, 2620),
    "SO2_1h": (0, 150, 500, 650, 800),
    "NO2_24h": (0, 40, 80, 180, 280, 565, 750, 940),
    "NO2_1h": (0, 100, 200, 700, 1200, 2340, 3090, 3840),
    "PM10_24h": (0, 50, 150, 250, 350, 420, 500, 600),
    "CO_24h": (0, 2, 4, 14, 24, 36, 48, 60),
    "CO_1h": (0, 5, 10, 35, 60, 90, 120, 150),
    "O3_1h": (0, 160, 200, 300, 400, 800, 1000, 1200),
    "O3_8h": (0, 100, 160, 215, 265, 800),
    "PM2.5_24h": (0, 35, 75, 115, 150, 250, 350, 500),
}
T2026 = dict(T2012, **{"PM10_24h": (0, 50, 120, 250, 350, 420, 500, 600),
                       "PM2.5_24h": (0, 35, 60, 115, 150, 250, 350, 500)})
T2026["PM10_1h"] = T2026["PM10_24h"]
T2026["PM2.5_1h"] = T2026["PM2.5_24h"]


def one(key, value, standard=HJ633_2012, report="daily"):
    return compute({key: value}, standard=standard, report=report).iaqi[key]


def breakpoint_rows(table):
    for key, bps in table.items():
        for i, bp in enumerate(bps):
            yield key, bp, IAQI[i], i == len(bps) - 1


@pytest.mark.parametrize(("key", "bp", "expected", "last"), list(breakpoint_rows(T2012)))
def test_every_2012_breakpoint_gives_its_iaqi_and_the_neighbours_round_as_the_standard_says(key, bp, expected, last):
    assert one(key, bp) == expected
    # a hundredth below a breakpoint is a hair under its IAQI: rounded up, the breakpoint's IAQI
    if bp > 0:
        assert one(key, bp - 0.01) == expected
    # a hundredth above moves less than one IAQI point (steepest slope 50/35): rounded up, one more
    if not last:
        assert one(key, bp + 0.01) == expected + 1


@pytest.mark.parametrize(("key", "bp", "expected", "last"), list(breakpoint_rows(T2026)))
def test_every_2026_breakpoint_gives_its_iaqi_and_rounding_of_the_concentration_comes_first(key, bp, expected, last):
    assert one(key, bp, HJ633_2026) == expected
    # 2026 rounds the concentration first (µg to integers, CO to 0.1): a hundredth off is the breakpoint
    if bp > 0:
        assert one(key, bp - 0.01, HJ633_2026) == expected
    if not last:
        assert one(key, bp + 0.01, HJ633_2026) == expected


def test_values_just_above_breakpoints_worked_by_hand():
    # 2012 PM2.5 36: 50 + 50·(36−35)/(75−35) = 51.25 → 52 (the digest's own example)
    assert one("PM2.5_24h", 36) == 52
    # 2012 PM10 151: 100 + 50·1/100 = 100.5 → 101
    assert one("PM10_24h", 151) == 101
    # 2012 SO2 24h 51: 50 + 50·1/100 = 50.5 → 51
    assert one("SO2_24h", 51) == 51
    # 2012 NO2 1h 201: 100 + 50·1/500 = 100.1 → 101
    assert one("NO2_1h", 201) == 101
    # 2012 O3 8h 266: 200 + 100·1/535 → 201
    assert one("O3_8h", 266) == 201
    # 2026 PM2.5 61: 100 + 50·1/55 → 101;  2026 PM10 121: 100 + 50·1/130 → 101
    assert one("PM2.5_24h", 61, HJ633_2026) == 101
    assert one("PM10_24h", 121, HJ633_2026) == 101
    # 2026 PM2.5 36: 50 + 50·1/25 = 52 exactly; PM10 51: 50 + 50·1/70 → 51
    assert one("PM2.5_24h", 36, HJ633_2026) == 52
    assert one("PM10_24h", 51, HJ633_2026) == 51
    # the two moved breakpoints: PM2.5 75 is 100 under 2012 but 50·15/55 + 100 = 113.6 → 114 under 2026
    assert one("PM2.5_24h", 75) == 100
    assert one("PM2.5_24h", 75, HJ633_2026) == 114
    # PM10 150: 100 under 2012; 2026: 100 + 50·30/130 = 111.5 → 112
    assert one("PM10_24h", 150) == 100
    assert one("PM10_24h", 150, HJ633_2026) == 112


def test_co_values_with_one_decimal_that_land_on_an_integer_are_not_pushed_up():
    # 50 + 50·0.2/2 = 55 exactly (a float computation gives 55.000000000000014)
    assert one("CO_24h", 2.2) == 55
    assert one("CO_24h", 0.4) == 10  # 50·0.4/2
    assert one("CO_24h", 1.2) == 30
    assert one("CO_24h", 4.6) == 103  # 100 + 50·0.6/10
    assert one("CO_1h", 5.5) == 55  # 50 + 50·0.5/5
    assert one("CO_24h", 0.7) == 18  # 17.5 → 18
    assert one("CO_24h", 2.1) == 53  # 52.5 → 53


def test_2026_rounds_concentrations_half_to_even_before_the_table():
    # PM2.5 34.5 → 34 (even): 50·34/35 = 48.57 → 49;  35.5 → 36: 52;  60.5 → 60: 100;  61.5 → 62: 101.8 → 102
    assert one("PM2.5_24h", 34.5, HJ633_2026) == 49
    assert one("PM2.5_24h", 35.5, HJ633_2026) == 52
    assert one("PM2.5_24h", 60.5, HJ633_2026) == 100
    assert one("PM2.5_24h", 61.5, HJ633_2026) == 102
    # CO to one decimal: 2.25 → 2.2 (55), 2.15 → 2.2 (55), 2.35 → 2.4 (60)
    assert one("CO_24h", 2.25, HJ633_2026) == 55
    assert one("CO_24h", 2.15, HJ633_2026) == 55
    assert one("CO_24h", 2.35, HJ633_2026) == 60
    # 2012 does not round first: 34.5 → 50·34.5/35 = 49.29 → 50
    assert one("PM2.5_24h", 34.5) == 50


def test_so2_1h_above_800_under_2012_is_not_computed_and_the_24h_mean_stands_in():
    r = compute({"SO2_1h": 801, "SO2_24h": 160, "NO2_1h": 50, "CO_1h": 1, "O3_1h": 50, "O3_8h": 50,
                 "PM10_24h": 40, "PM2.5_24h": 20}, standard=HJ633_2012, report="hourly")
    assert r.iaqi["SO2_1h"] is None
    assert r.not_computed == ["SO2_1h"]
    # SO2 24h 160: 100 + 50·10/325 = 101.5 → 102
    assert r.iaqi["SO2_24h"] == 102
    assert r.aqi == 102 and r.primary == ["SO2_24h"] and r.exceeding == ["SO2_24h"]
    assert r.missing == []
    # exactly 800 is still on the table: IAQI 200
    assert one("SO2_1h", 800, report="hourly") == 200


def test_so2_1h_above_800_under_2026_is_200():
    assert one("SO2_1h", 801, HJ633_2026, "hourly") == 200
    assert one("SO2_1h", 5000, HJ633_2026, "hourly") == 200


def test_o3_8h_above_800_under_2012_drops_out_for_the_1h_value_and_is_300_under_2026():
    r = compute({"SO2_24h": 10, "NO2_24h": 10, "CO_24h": 0.5, "PM10_24h": 40, "PM2.5_24h": 20,
                 "O3_1h": 900, "O3_8h": 850}, standard=HJ633_2012)
    assert r.iaqi["O3_8h"] is None
    # O3 1h 900: 300 + 100·100/200 = 350
    assert r.aqi == 350 and r.primary == ["O3_1h"] and r.missing == []
    assert one("O3_8h", 850, HJ633_2026) == 300


def test_values_beyond_the_table_are_500_and_flagged():
    r = compute({"PM2.5_24h": 600}, standard=HJ633_2012)
    assert r.iaqi["PM2.5_24h"] == 500 and r.aqi == 500 and r.beyond_table == ["PM2.5_24h"]
    assert r.level == 6 and r.category == "严重污染" and r.color == "#7E0023"
    r = compute({"CO_1h": 150.1}, standard=HJ633_2026, report="hourly")
    assert r.iaqi["CO_1h"] == 500 and r.beyond_table == ["CO_1h"]
    # on the last breakpoint: 500, not flagged
    r = compute({"PM2.5_24h": 500}, standard=HJ633_2012)
    assert r.iaqi["PM2.5_24h"] == 500 and r.beyond_table == []


DAILY_LOW = {"SO2_24h": 5, "NO2_24h": 8, "CO_24h": 0.4, "PM10_24h": 30, "O3_1h": 60, "O3_8h": 50}


def test_aqi_exactly_50_is_excellent_with_no_primary_pollutant():
    # PM2.5 35 → 50; the others: SO2 5 → 5, NO2 8 → 10, CO 0.4 → 10, PM10 30 → 30, O3 1h 60 → 18.75 → 19,
    # O3 8h 50 → 25
    r = compute(dict(DAILY_LOW, **{"PM2.5_24h": 35}), standard=HJ633_2012)
    assert r.aqi == 50 and (r.level, r.category, r.color) == (1, "优", "#00E400")
    assert r.primary == [] and r.exceeding == []
    assert r.iaqi == {"SO2_24h": 5, "NO2_24h": 10, "CO_24h": 10, "PM10_24h": 30, "O3_1h": 19, "O3_8h": 25,
                      "PM2.5_24h": 50}
    r = compute(dict(DAILY_LOW, **{"PM2.5_24h": 20}), standard=HJ633_2012)
    assert r.aqi == 30 and r.primary == []  # PM2.5 20 → 28.6 → 29; PM10 30 → 30
    r = compute(dict(DAILY_LOW, **{"PM2.5_24h": 35.1}), standard=HJ633_2012)
    assert r.aqi == 51 and r.category == "良" and r.primary == ["PM2.5_24h"]


def test_ties_after_rounding_up_list_every_primary_pollutant():
    # PM2.5 36 → 51.25 → 52 and PM10 53 → 51.5 → 52: equal only after rounding up
    r = compute(dict(DAILY_LOW, **{"PM2.5_24h": 36, "PM10_24h": 53}), standard=HJ633_2012)
    assert r.aqi == 52 and r.primary == ["PM10_24h", "PM2.5_24h"]


def test_exceeding_pollutants_are_above_100_and_only_under_2012():
    # PM2.5 75 → 100 (not exceeding), PM10 151 → 101 (exceeding)
    r = compute(dict(DAILY_LOW, **{"PM2.5_24h": 75, "PM10_24h": 151}), standard=HJ633_2012)
    assert r.aqi == 101 and r.exceeding == ["PM10_24h"] and r.primary == ["PM10_24h"]
    assert r.level == 3 and r.category == "轻度污染"
    r = compute({"SO2_24h": 5, "NO2_24h": 8, "CO_24h": 0.4, "PM10_24h": 151, "PM2.5_24h": 75, "O3_8h": 50},
                standard=HJ633_2026)
    # 2026: PM2.5 75 → 114, PM10 151 → 100 + 50·31/130 = 111.9 → 112
    assert r.aqi == 114 and r.primary == ["PM2.5_24h"] and r.exceeding == []


def test_2026_missing_pollutant_publishes_aqi_only_above_100():
    five = {"SO2_24h": 5, "NO2_24h": 8, "CO_24h": 0.4, "PM10_24h": 30, "PM2.5_24h": 50}  # no O3_8h
    r = compute(five, standard=HJ633_2026)
    # PM2.5 50 → 50 + 50·15/25 = 80: not above 100 → NA, IAQIs still shown
    assert r.missing == ["O3_8h"]
    assert r.aqi is None and r.level is None and r.category is None and r.primary == []
    assert r.iaqi["PM2.5_24h"] == 80
    r = compute(dict(five, **{"PM2.5_24h": 61}), standard=HJ633_2026)
    assert r.aqi == 101 and r.missing == ["O3_8h"] and r.primary == ["PM2.5_24h"]
    # exactly 100 is not above 100
    r = compute(dict(five, **{"PM2.5_24h": 60}), standard=HJ633_2026)
    assert r.aqi is None
    # 2012 has no such rule: computed from the rest, flagged
    r = compute({"PM2.5_24h": 50}, standard=HJ633_2012)
    assert r.aqi == 69 and "O3_8h" in r.missing  # 50 + 50·15/40 = 68.75 → 69


def test_reports_take_the_values_the_standard_names():
    # 2026 daily drops O3 1h: O3_1h 1000 (IAQI 400) is shown but does not enter
    six = {"SO2_24h": 5, "NO2_24h": 8, "CO_24h": 0.4, "PM10_24h": 30, "PM2.5_24h": 20, "O3_8h": 50}
    r = compute(dict(six, O3_1h=1000), standard=HJ633_2026)
    assert r.iaqi["O3_1h"] == 400 and r.aqi == 30 and "O3_1h" not in r.used
    # 2026 hourly: PM 1h through the 24h breakpoints, no O3 8h term
    h = {"SO2_1h": 5, "NO2_1h": 10, "CO_1h": 0.5, "O3_1h": 60, "PM10_1h": 30, "PM2.5_1h": 60}
    r = compute(dict(h, O3_8h=700), standard=HJ633_2026, report="hourly")
    assert r.aqi == 100 and r.primary == ["PM2.5_1h"] and r.missing == [] and "O3_8h" not in r.used
    # 2012: PM 1h values are published without an IAQI
    r = compute({"PM2.5_1h": 60, "PM2.5_24h": 20}, standard=HJ633_2012, report="hourly")
    assert r.iaqi["PM2.5_1h"] is None and r.iaqi["PM2.5_24h"] == 29


def test_levels_at_their_edges():
    edges = {0: 1, 50: 1, 51: 2, 100: 2, 101: 3, 150: 3, 151: 4, 200: 4, 201: 5, 300: 5, 301: 6, 500: 6}
    for aqi, level in edges.items():
        assert hj633.level_of(aqi)[0] == level
    assert hj633.level_of(None) is None


def test_the_rule_set_follows_the_date():
    import datetime as dt

    assert hj633.standard_for(dt.date(2026, 2, 28)) == HJ633_2012
    assert hj633.standard_for(dt.date(2026, 3, 1)) == HJ633_2026
    assert compute({"PM2.5_24h": 75}, date=dt.date(2026, 2, 28)).iaqi["PM2.5_24h"] == 100
    assert compute({"PM2.5_24h": 75}, date=dt.date(2026, 3, 1)).iaqi["PM2.5_24h"] == 114
    t = compute_table({"PM2.5_24h": [75, 75]},
                      dates=np.array(["2026-02-28T23", "2026-03-01T00"], dtype="datetime64[h]"))
    assert list(t.iaqi["PM2.5_24h"]) == [100, 114]


@pytest.mark.parametrize("value", [-1, -0.001, "abc", "", "nan", "inf", "1e12"])
def test_bad_concentrations_are_refused_with_the_key_named(value):
    with pytest.raises(AqiInputError) as exc:
        compute({"PM10_24h": value})
    assert "PM10_24h" in exc.value.message


def test_unknown_key_and_unknown_standard_are_refused():
    with pytest.raises(AqiInputError, match="PM25"):
        compute({"PM25": 10})
    with pytest.raises(AqiInputError):
        compute({"PM10_24h": 10}, standard="HJ633-2099")
    with pytest.raises(AqiInputError):
        compute_table({"PM10_24h": [10, -5]})


def _reference_iaqi(table, key, value):
    """Exact IAQI with Fractions; None above the end."""
    bps = table[key]
    c = Fraction(value)
    for i in range(1, len(bps)):
        if c <= bps[i]:
            v = Fraction(IAQI[i] - IAQI[i - 1], bps[i] - bps[i - 1]) * (c - bps[i - 1]) + IAQI[i - 1]
            return math.ceil(v)
    return None


def test_vectorised_rows_equal_an_exact_fraction_reference():
    rng = random.Random(7)
    for key, bps in T2012.items():
        values = [round(rng.uniform(0, bps[-1]), rng.choice((0, 1, 2, 3))) for _ in range(400)]
        values += list(bps)
        t = compute_table({key: values}, standard=HJ633_2012)
        expected = [_reference_iaqi(T2012, key, Fraction(str(v))) for v in values]
        assert list(t.iaqi[key]) == expected


# ----------------------------------------------------------------- the command


def test_cli_prints_one_json_object(capsys):
    from gongjian.cli import main

    code = main(["aqi", "--standard", "HJ633-2012", "--report", "hourly", "SO2_1h=801", "SO2_24h=100"])
    out = json.loads(capsys.readouterr().out)
    assert code == 0
    assert out["iaqi"] == {"SO2_1h": None, "SO2_24h": 75}
    assert out["aqi"] == 75 and out["level"] == 2 and out["category"] == "良" and out["color"] == "#FFFF00"
    assert out["primary"] == ["SO2_24h"] and out["exceeding"] == []


@pytest.mark.parametrize("arg", ["PM2.5_24h=-3", "PM2.5_24h=abc", "PM25=3", "PM2.5_24h"])
def test_cli_bad_input_exits_2_with_a_message(arg, capsys):
    from gongjian.cli import main

    assert main(["aqi", arg]) == 2
    err = capsys.readouterr().err
    assert "错误" in err


def test_cli_csv_keeps_other_columns_and_picks_the_rule_set_by_date(tmp_path):
    from gongjian.cli import main

    src = tmp_path / "in.csv"
    src.write_text("日期,站点,PM2.5_24h,PM10_24h\n2026-02-28,甲,75,\n2026-03-01,乙,75,150\n", encoding="utf-8")
    out = tmp_path / "out.csv"
    assert main(["aqi", "--csv", str(src), "--out", str(out)]) == 0
    import csv

    rows = list(csv.DictReader(out.open(encoding="utf-8")))
    assert [r["站点"] for r in rows] == ["甲", "乙"]
    assert rows[0]["AQI"] == "100" and rows[0]["standard"] == HJ633_2012
    assert rows[1]["AQI"] == "114" and rows[1]["IAQI_PM10_24h"] == "112" and rows[1]["standard"] == HJ633_2026


def test_cli_csv_with_a_bad_cell_writes_nothing(tmp_path, capsys):
    from gongjian.cli import main

    src = tmp_path / "in.csv"
    src.write_text("date,PM2.5_24h\n2026-03-01,30\n2026-03-02,-4\n", encoding="utf-8")
    out = tmp_path / "out.csv"
    assert main(["aqi", "--csv", str(src), "--out", str(out)]) == 2
    assert not out.exists()
    assert "第 3 行" in capsys.readouterr().err


def test_2026_rows_equal_an_exact_reference_with_gbt8170_rounding_first():
    from decimal import ROUND_HALF_EVEN, Decimal

    rng = random.Random(2026)
    for key, bps in T2026.items():
        step = Decimal("0.1") if key.startswith("CO") else Decimal(1)
        values = [round(rng.uniform(0, bps[-1] * 1.05), rng.choice((0, 1, 2))) for _ in range(400)]
        values += [b + d for b in bps for d in (0, 0.5, -0.5, 0.05, 0.15, 0.25)] if key.startswith("CO") else \
            [b + d for b in bps for d in (0, 0.5, 1.5, -0.5)]
        values = [v for v in values if v >= 0]
        t = compute_table({key: values}, standard=HJ633_2026)
        for v, got in zip(values, t.iaqi[key], strict=True):
            c = Decimal(str(v)).quantize(step, rounding=ROUND_HALF_EVEN)
            ref = _reference_iaqi(T2026, key, Fraction(c))
            if ref is None:
                ref = {"SO2_1h": 200, "O3_8h": 300}.get(key, 500)
            assert got == ref, (key, v)
