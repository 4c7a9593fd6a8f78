"""Stations, readings imports (CSV/xlsx as station software exports them) and the CLI verbs."""

from __future__ import annotations

import datetime as dt

import pytest

from gongjian.air import services
from gongjian.air.models import HourlyReading, Station, StationKind
from gongjian.core.errors import Conflict, Forbidden, Invalid
from tests.air.conftest import at

DAY = dt.date(2026, 5, 20)


def write(tmp_path, text, name="export.csv", encoding="utf-8"):
    p = tmp_path / name
    p.write_bytes(text.encode(encoding))
    return p


def test_station_keeps_the_device_password_comparable(dust_station):
    assert dust_station.device_password == "pw-123456"
    assert services.password_matches(dust_station, "pw-123456")
    assert not services.password_matches(dust_station, "pw-12345")
    assert dust_station.pollutants == ["PM2.5", "PM10"]


def test_only_admin_or_command_post_registers_stations(district):
    with pytest.raises(Forbidden):
        services.station_create(actor=district["handler_a"], mn="DUST000009", password="x1", name="站",
                                kind=StationKind.DUST, unit=district.street_a)
    s = services.station_create(actor=district["commander"], mn="DUST000009", password="x1", name="站",
                                kind=StationKind.DUST, unit=district.street_a)
    assert s.code == "DUST000009"


def test_station_input_is_checked(district, dust_station):
    with pytest.raises(Conflict, match="DUST000001"):
        services.station_create(actor=None, mn="DUST000001", password="x", name="重复", kind="dust",
                                unit=district.street_a)
    with pytest.raises(Invalid) as exc:
        services.station_create(actor=None, mn="DUST000002", password="x", name="站", kind="factory",
                                unit=district.street_a)
    assert exc.value.field == "kind"
    with pytest.raises(Invalid):
        services.station_create(actor=None, mn="D 1", password="x", name="站", kind="dust", unit=district.street_a)
    with pytest.raises(Invalid):
        services.station_create(actor=None, mn="DUST000003", password="a;b", name="站", kind="dust",
                                unit=district.street_a)
    assert Station.objects.count() == 1


def test_import_reads_headers_with_units_and_converts_them(tmp_path, dust_station):
    p = write(tmp_path, "监测时间,PM2.5(μg/m³),PM10(mg/m3),温度(℃)\n"
                        "2026-05-20 01:00,35,0.081,20\n2026/5/20 2:00,36.5,0.09,21\n")
    r = services.readings_import(actor=None, station=dust_station, path=p)
    assert (r["rows"], r["created"], r["updated"]) == (2, 2, 0)
    assert r["ignored_columns"] == ["温度(℃)"]
    rows = list(HourlyReading.objects.filter(station=dust_station).order_by("time"))
    assert [x.time for x in rows] == [at(DAY, 1), at(DAY, 2)]
    assert rows[0].pm25 == 35 and rows[0].pm10 == pytest.approx(81) and rows[1].pm10 == pytest.approx(90)
    assert rows[0].flags == "NN----"


def test_import_uses_the_station_unit_when_the_header_has_none(tmp_path, district):
    s = services.station_create(actor=None, mn="DUST000004", password="x", name="站", kind="dust",
                                unit=district.street_a, value_units={"PM2.5": "ng/m³"})
    p = write(tmp_path, "时间,PM2.5\n2026-05-20 01:00,35000\n")
    services.readings_import(actor=None, station=s, path=p)
    assert HourlyReading.objects.get(station=s).pm25 == pytest.approx(35)


def test_import_deduplicates_on_station_time_and_pollutant(tmp_path, dust_station):
    services.readings_import(actor=None, station=dust_station,
                             path=write(tmp_path, "时间,PM2.5,PM10\n2026-05-20 01:00,30,60\n"))
    r = services.readings_import(actor=None, station=dust_station,
                                 path=write(tmp_path, "时间,PM10,PM10标记\n2026-05-20 01:00,65,M\n2026-05-20 02:00,70,N\n",
                                            "b.csv"))
    assert (r["created"], r["updated"]) == (1, 1)
    first = HourlyReading.objects.get(station=dust_station, time=at(DAY, 1))
    assert first.pm25 == 30 and first.pm10 == 65  # PM2.5 kept, PM10 replaced
    assert first.flags == "NM----"
    assert HourlyReading.objects.filter(station=dust_station).count() == 2


@pytest.mark.parametrize(("text", "needle"), [
    ("站点,PM2.5\n甲,30\n", "缺少时间列"),
    ("时间,PM2.5\n2026-05-20 01:00,30\n2026-05-20 01:00,31\n", "与第 2 行重复"),
    ("时间,PM2.5\n2026-05-20 01:00,-3\n", "不能为负数"),
    ("时间,PM2.5\n2026-05-20 01:00,三十\n", "不是数字"),
    ("时间,PM2.5\n2026-05-20 01:30,30\n", "整点"),
    ("时间,PM2.5\n昨天,30\n", "无法识别"),
    ("时间,PM2.5(mg/m³)\n2026-05-20 01:00,35\n", "单位"),
    ("时间,PM2.5(ppm)\n2026-05-20 01:00,35\n", "无法识别的单位"),
    ("时间,温度\n2026-05-20 01:00,35\n", "没有可识别的污染物列"),
])
def test_bad_files_are_refused_whole_with_row_and_column(tmp_path, dust_station, text, needle):
    p = write(tmp_path, text)
    with pytest.raises(Invalid) as exc:
        services.readings_import(actor=None, station=dust_station, path=p)
    assert needle in exc.value.message + " ".join(exc.value.details or [])
    assert not HourlyReading.objects.exists()


def test_a_bad_row_among_good_ones_stores_nothing(tmp_path, dust_station):
    p = write(tmp_path, "时间,PM2.5\n2026-05-20 01:00,30\n2026-05-20 02:00,-1\n")
    with pytest.raises(Invalid) as exc:
        services.readings_import(actor=None, station=dust_station, path=p)
    assert any("第 3 行" in d for d in exc.value.details)
    assert not HourlyReading.objects.exists()


def test_co_in_micrograms_is_converted_and_a_mix_up_is_caught(tmp_path, district):
    s = services.station_create(actor=None, mn="NATL000001", password="x", name="国控站", kind="national",
                                unit=district.root)
    services.readings_import(actor=None, station=s, path=write(tmp_path, "时间,CO(μg/m³)\n2026-05-20 01:00,800\n"))
    assert HourlyReading.objects.get(station=s).co == pytest.approx(0.8)
    with pytest.raises(Invalid) as exc:
        services.readings_import(actor=None, station=s,
                                 path=write(tmp_path, "时间,CO(mg/m³)\n2026-05-20 02:00,800\n", "b.csv"))
    assert "mg 与 µg" in " ".join(exc.value.details)


def test_gbk_csv_and_xlsx_exports_are_read(tmp_path, dust_station):
    services.readings_import(actor=None, station=dust_station,
                             path=write(tmp_path, "时间,PM2.5(μg/m³)\n2026-05-20 01:00,30\n", encoding="gb18030"))
    from openpyxl import Workbook

    wb = Workbook()
    ws = wb.active
    ws.append(["数据时间", "PM2.5(μg/m³)", "PM10(μg/m³)"])
    ws.append([dt.datetime(2026, 5, 20, 2), 31, 62])
    path = tmp_path / "export.xlsx"
    wb.save(path)
    services.readings_import(actor=None, station=dust_station, path=path)
    second = HourlyReading.objects.get(station=dust_station, time=at(DAY, 2))
    assert second.pm25 == 31 and second.pm10 == 62


def test_station_does_not_take_pollutants_it_does_not_measure(tmp_path, dust_station):
    with pytest.raises(Invalid, match="SO2"):
        services.readings_import(actor=None, station=dust_station,
                                 path=write(tmp_path, "时间,SO2\n2026-05-20 01:00,30\n"))


def test_cli_stations_add_and_list(district, capsys):
    from gongjian.cli import main

    assert main(["stations", "add", "--mn", "CLI0000001", "--password", "123456", "--name", "乙街道空气站",
                 "--kind", "township", "--unit", "乙街道"]) == 0
    s = Station.objects.get(mn="CLI0000001")
    assert s.kind == StationKind.TOWNSHIP and s.unit == district.street_b and s.device_password == "123456"
    assert main(["stations", "add", "--mn", "CLI0000001", "--password", "1", "--name", "x", "--kind", "dust"]) == 1
    assert main(["stations", "add", "--mn", "CLI0000002", "--password", "1", "--name", "x", "--kind", "dust",
                 "--unit", "无此单位"]) == 2
    capsys.readouterr()
    assert main(["stations", "list"]) == 0
    out = capsys.readouterr().out
    assert "CLI0000001" in out and "乡镇站" in out and "乙街道" in out
