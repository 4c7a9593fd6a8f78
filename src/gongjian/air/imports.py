"""Reading the files station software exports: a time column and pollutant columns like ``PM2.5(μg/m³)``.

``parse_grid(rows, station=…)`` turns the rows of the first sheet into values in the canonical units
(µg/m³, CO mg/m³) with their flags, or raises ``Invalid`` listing every bad cell by row and column, in
Chinese. Nothing is stored here; ``services.readings_import`` stores.
"""

from __future__ import annotations

import csv
import datetime as dt
import io
import math
import re
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from django.utils import timezone

from gongjian.air.models import ALL_FLAGS, POLLUTANTS
from gongjian.core.errors import Invalid

TIME_HEADERS = {"时间", "监测时间", "数据时间", "日期时间", "采样时间", "time", "datetime", "datatime", "date time"}
NAMES = {
    "pm2.5": "PM2.5", "pm25": "PM2.5", "pm2_5": "PM2.5", "细颗粒物": "PM2.5",
    "pm10": "PM10", "可吸入颗粒物": "PM10",
    "so2": "SO2", "二氧化硫": "SO2",
    "no2": "NO2", "二氧化氮": "NO2",
    "co": "CO", "一氧化碳": "CO",
    "o3": "O3", "臭氧": "O3",
}
FLAG_SUFFIX = re.compile(r"^(.*?)\s*(?:[-_ ]?flag|标记|标志|标识)$", re.IGNORECASE)
HEADER = re.compile(r"^\s*(.+?)\s*(?:[(（\[]\s*([^)）\]]*?)\s*[)）\]])?\s*$")
# factor from a unit to the canonical one; keys normalised by _unit_key
_TO_UG = {"µg/m3": 1.0, "mg/m3": 1000.0, "ng/m3": 0.001}
_TO_MG = {"µg/m3": 0.001, "mg/m3": 1.0, "ng/m3": 0.000001}
# Above these (canonical units) a value is not a concentration but almost surely a unit mix-up.
PLAUSIBLE_MAX = {"PM2.5": 5000.0, "PM10": 10000.0, "SO2": 10000.0, "NO2": 10000.0, "CO": 150.0, "O3": 3000.0}
MAX_ERRORS = 50


def _unit_key(text: str) -> str:
    t = text.strip().lower().replace(" ", "").replace("μ", "µ").replace("³", "3")
    t = t.replace("ug/", "µg/").replace("微克/立方米", "µg/m3").replace("毫克/立方米", "mg/m3")
    return t.replace("纳克/立方米", "ng/m3")


def factor(pollutant: str, unit: str) -> float | None:
    """Multiplier from ``unit`` to the canonical unit of the pollutant, None for an unknown unit."""
    table = _TO_MG if pollutant == "CO" else _TO_UG
    return table.get(_unit_key(unit))


@dataclass
class Column:
    index: int
    pollutant: str
    factor: float
    header: str


@dataclass
class Parsed:
    rows: list[tuple[dt.datetime, dict[str, float], dict[str, str]]] = field(default_factory=list)
    pollutants: list[str] = field(default_factory=list)
    ignored: list[str] = field(default_factory=list)


def _norm(h: Any) -> str:
    return "" if h is None else str(h).strip()


def _parse_time(value: Any, tz) -> dt.datetime | None:
    if isinstance(value, dt.datetime):
        moment = value
    elif isinstance(value, dt.date):
        moment = dt.datetime(value.year, value.month, value.day)
    else:
        text = _norm(value)
        m = re.fullmatch(r"(\d{4})[-/.年](\d{1,2})[-/.月](\d{1,2})日?(?:[ T]+(\d{1,2})(?:[:时](\d{1,2}))?(?::(\d{1,2}))?分?)?",
                         text)
        if not m:
            m = re.fullmatch(r"(\d{4})(\d{2})(\d{2})(\d{2})(\d{2})?(\d{2})?", text)  # HJ 212 DataTime
        if not m:
            return None
        try:
            moment = dt.datetime(int(m[1]), int(m[2]), int(m[3]), int(m[4] or 0), int(m[5] or 0), int(m[6] or 0))
        except ValueError:
            return None
    if timezone.is_naive(moment):
        moment = timezone.make_aware(moment, tz)
    return moment


def _number(value: Any) -> float | None:
    if isinstance(value, bool):
        raise ValueError
    if isinstance(value, (int, float)):
        v = float(value)
    else:
        v = float(_norm(value).replace(",", ""))
    if math.isnan(v) or math.isinf(v):
        raise ValueError
    return v


def read_file(path: Path) -> list[list[Any]]:
    """Rows of the first sheet of a CSV/xlsx/xls/ods file."""
    from gongjian.ledger.spreadsheets import _decode_csv, _read_workbook

    suffix = path.suffix.lower()
    if suffix in (".csv", ".txt", ".tsv"):
        text = _decode_csv(path.read_bytes())
        first = text.split("\n", 1)[0]
        delimiter = "\t" if first.count("\t") > first.count(",") else ","
        return [list(r) for r in csv.reader(io.StringIO(text, newline=""), delimiter=delimiter)]
    if suffix in (".xlsx", ".xlsm", ".xls", ".ods"):
        sheets = _read_workbook(path)
        if not sheets:
            raise Invalid("文件中没有可见的工作表 / no visible sheet", field="file")
        return sheets[0][1]
    raise Invalid(f"不支持的文件类型“{suffix or path.name}”，请上传 CSV 或 Excel(.xlsx/.xls) / unsupported file type",
                  field="file")


def parse_grid(grid: list[list[Any]], *, station, minute: bool = False) -> Parsed:
    """Values per time from the rows of an export; ``Invalid`` (details: every problem) on any bad cell."""
    tz = timezone.get_current_timezone()
    rows = [r for r in grid if any(_norm(c) for c in r)]
    if not rows:
        raise Invalid("文件是空的 / the file is empty", field="file")
    header = [_norm(h) for h in rows[0]]
    errors: list[str] = []
    time_col = next((i for i, h in enumerate(header) if h.lower() in TIME_HEADERS), None)
    if time_col is None:
        raise Invalid(f"第 1 行缺少时间列：表头应有“时间”或“监测时间”一列（现有：{'、'.join(h for h in header if h)}）"
                      " / no time column", field="file")
    cols: list[Column] = []
    flag_cols: dict[str, int] = {}
    ignored = []
    for i, h in enumerate(header):
        if i == time_col or not h:
            continue
        fm = FLAG_SUFFIX.match(h)
        if fm and NAMES.get(fm[1].strip().lower()):
            flag_cols[NAMES[fm[1].strip().lower()]] = i
            continue
        m = HEADER.match(h)
        name = NAMES.get(m[1].strip().lower()) if m else None
        if not name:
            ignored.append(h)
            continue
        if any(c.pollutant == name for c in cols):
            errors.append(f"第 1 行第 {i + 1} 列“{h}”：{name} 出现了两列 / {name} appears twice")
            continue
        unit = m[2] or station.unit_of(name)
        f = factor(name, unit)
        if f is None:
            errors.append(f"第 1 行第 {i + 1} 列“{h}”：无法识别的单位“{unit}”，应为 µg/m³、mg/m³ 或 ng/m³"
                          " / unknown unit")
            continue
        cols.append(Column(i, name, f, h))
    if not cols and not errors:
        errors.append("第 1 行没有可识别的污染物列，列名应如 PM2.5(μg/m³)、PM10、SO2、NO2、CO(mg/m³)、O3"
                      " / no pollutant column")
    if errors:
        raise Invalid(f"表头有 {len(errors)} 处问题 / bad header", field="file", details=errors)

    out = Parsed(pollutants=[c.pollutant for c in cols], ignored=ignored)
    seen: dict[dt.datetime, int] = {}
    for n, row in enumerate(rows[1:], start=2):
        if len(errors) >= MAX_ERRORS:
            break
        cell = row[time_col] if time_col < len(row) else None
        moment = _parse_time(cell, tz)
        if moment is None:
            errors.append(f"第 {n} 行“{header[time_col]}”列：时间“{_norm(cell)}”无法识别，应如 2026-05-01 13:00"
                          " / unreadable time")
            continue
        if not minute and (moment.minute or moment.second):
            errors.append(f"第 {n} 行：小时数据的时间应为整点，“{_norm(cell)}”不是 / hourly data must be on the hour")
            continue
        if moment in seen:
            errors.append(f"第 {n} 行：时间 {timezone.localtime(moment):%Y-%m-%d %H:%M} 与第 {seen[moment]} 行重复"
                          " / duplicated time")
            continue
        seen[moment] = n
        values: dict[str, float] = {}
        flags: dict[str, str] = {}
        for c in cols:
            raw = row[c.index] if c.index < len(row) else None
            if raw is None or _norm(raw) == "" or _norm(raw).upper() in ("NA", "N/A", "—", "-", "--"):
                continue
            try:
                v = _number(raw)
            except ValueError:
                errors.append(f"第 {n} 行“{c.header}”列：“{_norm(raw)}”不是数字 / not a number")
                continue
            if v < 0:
                errors.append(f"第 {n} 行“{c.header}”列：浓度不能为负数（{_norm(raw)}） / negative value")
                continue
            v = v * c.factor
            if v > PLAUSIBLE_MAX[c.pollutant]:
                errors.append(f"第 {n} 行“{c.header}”列：{_norm(raw)} 换算后为 {v:g} {POLLUTANTS[c.pollutant][1]}，"
                              "超出合理范围，请检查单位(mg 与 µg 是否写反) / implausible value: check the unit")
                continue
            flag = "N"
            if c.pollutant in flag_cols:
                fi = flag_cols[c.pollutant]
                flag = _norm(row[fi] if fi < len(row) else "").upper() or "N"
                if len(flag) != 1 or flag not in ALL_FLAGS:
                    errors.append(f"第 {n} 行“{header[fi]}”列：数据标记“{flag}”无效，应为 {'、'.join(ALL_FLAGS)} 之一"
                                  " / bad data flag")
                    continue
            values[c.pollutant] = v
            flags[c.pollutant] = flag
        out.rows.append((moment, values, flags))
    if errors:
        raise Invalid(f"文件有 {len(errors)}{'+' if len(errors) >= MAX_ERRORS else ''} 处问题，未导入任何数据"
                      " / nothing imported", field="file", details=errors)
    if not out.rows:
        raise Invalid("文件只有表头，没有数据行 / no data rows", field="file")
    return out
