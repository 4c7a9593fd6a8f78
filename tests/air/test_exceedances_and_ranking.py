"""Exceedances open 监测预警 cases (once per open case); the township ranking follows HJ 663."""

from __future__ import annotations

import datetime as dt
import math

import pytest

from gongjian.air import selectors, services
from gongjian.air.models import Exceedance, StationKind
from gongjian.ledger import services as ledger_services
from gongjian.ledger.models import Case, Source, Status
from tests.air.conftest import at

DAY = dt.date(2026, 5, 20)


def pm10(station, day, values, flags=None):
    rows = [(at(day, h), {"PM10": v}, {"PM10": (flags or {}).get(h, "N")}) for h, v in values.items()]
    services.readings_store(station=station, rows=rows)


def test_two_hours_above_the_threshold_open_one_monitoring_case(dust_station, dust_rule, district):
    pm10(dust_station, DAY, {8: 120, 9: 160, 10: 171, 11: 140})
    cases = services.exceedance_scan()
    assert len(cases) == 1
    case = cases[0]
    assert case.source == Source.MONITORING and case.unit == district.street_a
    assert case.category.name == "扬尘" and "甲街道工地扬尘" in case.title
    assert "160" in case.description and "171" in case.description
    ex = Exceedance.objects.get()
    assert ex.case == case and [r["value"] for r in ex.readings] == [160, 171]
    # scanning again changes nothing
    assert services.exceedance_scan() == []
    assert Case.objects.filter(source=Source.MONITORING).count() == 1


def test_single_hours_gaps_and_flagged_values_do_not_count(dust_station, dust_rule):
    pm10(dust_station, DAY, {1: 200, 3: 200, 5: 150, 6: 151, 9: 180, 10: 190}, flags={10: "C"})
    # 1 and 3 are not consecutive; 150 is not above 150; 10 is a calibration value
    assert services.exceedance_scan() == []


def test_no_second_case_while_one_is_open_but_a_new_one_after_close_out(dust_station, dust_rule, ledger):
    pm10(dust_station, DAY, {1: 200, 2: 200})
    (first,) = services.exceedance_scan()
    pm10(dust_station, DAY, {6: 220, 7: 230})
    assert services.exceedance_scan() == []
    assert Exceedance.objects.filter(case=first).count() == 2  # the second run is recorded on the open case
    d = ledger.d
    ledger_services.transition(actor=d["commander"], case=first, action="reject", reason="设备校准中")
    pm10(dust_station, DAY, {15: 190, 16: 195})
    (second,) = services.exceedance_scan()
    assert second.pk != first.pk and Case.objects.get(pk=first.pk).status == Status.REJECTED


def test_an_import_runs_the_rules(tmp_path, dust_station, dust_rule):
    p = tmp_path / "e.csv"
    p.write_text("时间,PM10\n2026-05-20 01:00,180\n2026-05-20 02:00,181\n", encoding="utf-8")
    r = services.readings_import(actor=None, station=dust_station, path=p)
    assert len(r["cases"]) == 1


def test_rules_only_watch_their_station_kind(district, dust_rule):
    s = services.station_create(actor=None, mn="TOWN000001", password="x", name="甲街道空气站",
                                kind=StationKind.TOWNSHIP, unit=district.street_a)
    pm10(s, DAY, {1: 400, 2: 400})
    assert services.exceedance_scan() == []


# ----------------------------------------------------------------- ranking and pages' data

A = {"PM2.5": 35, "PM10": 70, "SO2": 60, "NO2": 40, "CO": 4, "O3": 160}  # every ratio 1: I_sum 6.00
B = {"PM2.5": 21, "PM10": 39, "SO2": 9, "NO2": 15, "CO": 0.7, "O3": 192}  # the digest's example: 3.06


def month_of(station, values, year=2026, month=6, days=30):
    rows = []
    for d in range(days):
        for h in range(24):
            rows.append((at(dt.date(year, month, 1 + d), h), dict(values), {}))
    services.readings_store(station=station, rows=rows)


@pytest.fixture
def townships(district):
    a = services.station_create(actor=None, mn="TOWN00000A", password="x", name="甲街道空气站",
                                kind=StationKind.TOWNSHIP, unit=district.street_a)
    b = services.station_create(actor=None, mn="TOWN00000B", password="x", name="乙街道空气站",
                                kind=StationKind.TOWNSHIP, unit=district.street_b)
    month_of(a, A)
    month_of(b, B)
    return a, b


def test_township_ranking_by_composite_index(townships, district):
    rows = selectors.township_ranking(district["admin"], year=2026, month=6)
    assert [(r.unit_name, r.rank, r.composite) for r in rows] == [("乙街道", 1, 3.06), ("甲街道", 2, 6.0)]
    assert rows[0].concentrations == B and math.isnan(rows[0].yoy)


def test_township_ranking_by_good_days_and_pm25(townships, district):
    # daily AQI (2026): A max(PM2.5 50, CO 100, O3 8h 100 …) = 100 → good; B O3 8h 192 → 130 → not good
    rows = selectors.township_ranking(district["admin"], year=2026, month=6, method="good_days")
    assert [(r.unit_name, r.good_days) for r in rows] == [("甲街道", 1.0), ("乙街道", 0.0)]
    rows = selectors.township_ranking(district["admin"], year=2026, month=6, method="pm25")
    assert [r.unit_name for r in rows] == ["乙街道", "甲街道"]


def test_a_month_short_of_valid_days_is_not_ranked(district):
    s = services.station_create(actor=None, mn="TOWN00000C", password="x", name="甲街道空气站",
                                kind=StationKind.TOWNSHIP, unit=district.street_a)
    month_of(s, A, days=26)
    (row,) = selectors.township_ranking(district["admin"], year=2026, month=6)
    assert row.rank is None and math.isnan(row.composite) and "26" in row.note


def test_ranking_and_stations_are_scoped(townships, district):
    rows = selectors.township_ranking(district["handler_b"], year=2026, month=6)
    assert [r.unit_name for r in rows] == ["乙街道"]
    assert list(selectors.stations_visible(district["handler_a"])) == [townships[0]]


def test_daily_aqi_and_hourly_series(townships):
    _a, b = townships
    d = selectors.daily_series([b], dt.date(2026, 6, 1), dt.date(2026, 6, 3))
    assert list(d.aqi.aqi) == [130, 130, 130]
    h = selectors.hourly_series(b, at(dt.date(2026, 6, 2)), 3)
    # 2026 hourly: O3 1h 192 → 50 + 50·32/40 = 90; PM2.5 21 → 30: AQI 90
    assert list(h.aqi.aqi) == [90, 90, 90]


def test_cli_rules_import_and_scan(tmp_path, dust_station, ledger, capsys):
    from gongjian.cli import main

    assert main(["air", "rules", "add", "--kind", "dust", "--pollutant", "PM10", "--threshold", "150",
                 "--campaign", ledger.campaign.name, "--category", "扬尘"]) == 0
    assert main(["air", "rules", "add", "--kind", "dust", "--pollutant", "PM10", "--threshold", "150",
                 "--campaign", "无此行动", "--category", "扬尘"]) == 2
    p = tmp_path / "e.csv"
    p.write_text("时间,PM10(μg/m³)\n2026-05-20 01:00,180\n2026-05-20 02:00,181\n", encoding="utf-8")
    capsys.readouterr()
    assert main(["air", "import", "--station", dust_station.mn, str(p)]) == 0
    out = capsys.readouterr().out
    assert "新增 2" in out and "已生成案件" in out
    assert main(["air", "scan", "--all"]) == 0
    assert "新生成超标预警案件 0 件" in capsys.readouterr().out
    bad = tmp_path / "bad.csv"
    bad.write_text("PM10\n180\n", encoding="utf-8")
    assert main(["air", "import", "--station", dust_station.mn, str(bad)]) == 1
    assert "缺少时间列" in capsys.readouterr().err
