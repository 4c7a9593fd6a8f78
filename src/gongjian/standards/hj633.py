"""AQI under HJ 633-2012 and HJ 633-2026 (环境空气质量指数 AQI 技术规定).

Pure Python + numpy, no Django. Everything is vectorised over rows, yet exact: concentrations are
turned into integers in millionths (6 decimals, which covers every value a device or a report carries),
and each IAQI is an integer ceiling division on the table segment, so a value on a breakpoint gives
the breakpoint's IAQI and "CO 24h 2.2 mg/m³" is 55, not 56 (see shared/standards/hj633-aqi.md).

Keys (CO in mg/m³, the rest µg/m³)::

    SO2_24h SO2_1h NO2_24h NO2_1h CO_24h CO_1h O3_1h O3_8h PM10_24h PM2.5_24h PM10_1h PM2.5_1h

Semantics chosen here, each from the digest:

* ``iaqi`` of a key is its IAQI on its own column of the standard's table, whether or not the report uses
  it. ``None`` where the standard computes nothing: SO2_1h > 800 and O3_8h > 800 under 2012, and PM10_1h /
  PM2.5_1h under 2012 (published without an IAQI). Under 2026 the PM 1h values go through the 24h
  breakpoints, SO2_1h > 800 is 200 and O3_8h > 800 is 300.
* The report decides which keys enter the AQI (``REPORT_KEYS``). 2012 hourly: when SO2_1h > 800 the SO2
  term is the SO2_24h IAQI instead; 2012: when O3_8h > 800 it drops out and O3_1h (always in the 2012
  reports) stands for O3.
* Above the last breakpoint the standard defines nothing: the IAQI is reported as 500 and the key is
  listed in ``beyond_table``.
* Under 2026 concentrations are first rounded half to even (GB/T 8170): µg/m³ to integers, CO to one
  decimal. The digest states it for the daily report; it is applied to the hourly report too, since the
  2026 hourly values go through the same (24h) breakpoints.
* A pollutant the report needs that is absent is listed in ``missing``. 2026 §5.3.1: the AQI from the
  others is published only when it is > 100, otherwise it is ``None`` (NA) while the IAQIs are still
  shown. 2012 has no such rule: the AQI is computed from the rest and the ``missing`` list says so.
* Primary pollutant(s): the used keys whose (rounded-up) IAQI equals the AQI, only when AQI > 50.
  Exceeding pollutants (2012 only): used keys with IAQI > 100.
"""

from __future__ import annotations

import datetime as dt
import math
from collections.abc import Mapping
from dataclasses import dataclass, field

import numpy as np

__all__ = [
    "HJ633_2012",
    "HJ633_2026",
    "KEYS",
    "LEVELS",
    "REPORTS",
    "STANDARDS",
    "AqiInputError",
    "AqiResult",
    "AqiTable",
    "compute",
    "compute_table",
    "level_of",
    "standard_for",
]

HJ633_2012 = "HJ633-2012"
HJ633_2026 = "HJ633-2026"
STANDARDS = (HJ633_2012, HJ633_2026)
REPORTS = ("daily", "hourly")
SWITCH_DATE = dt.date(2026, 3, 1)

KEYS = ("SO2_24h", "SO2_1h", "NO2_24h", "NO2_1h", "CO_24h", "CO_1h", "O3_1h", "O3_8h",
        "PM10_24h", "PM2.5_24h", "PM10_1h", "PM2.5_1h")
CO_KEYS = ("CO_24h", "CO_1h")
UNITS = {k: ("mg/m³" if k in CO_KEYS else "µg/m³") for k in KEYS}

SCALE = 1_000_000  # concentrations are handled as integers in millionths of their unit
MAX_INPUT = 1e9  # anything larger is not a concentration; rejected as input

_IAQI = (0, 50, 100, 150, 200, 300, 400, 500)

# HJ 633-2012 Table 1; a shorter column ends where the standard stops (notes a and b).
_TABLE_2012: dict[str, tuple] = {
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
_TABLE_2026 = dict(_TABLE_2012)
_TABLE_2026["PM10_24h"] = (0, 50, 120, 250, 350, 420, 500, 600)
_TABLE_2026["PM2.5_24h"] = (0, 35, 60, 115, 150, 250, 350, 500)
_TABLE_2026["PM10_1h"] = _TABLE_2026["PM10_24h"]
_TABLE_2026["PM2.5_1h"] = _TABLE_2026["PM2.5_24h"]

TABLES = {HJ633_2012: _TABLE_2012, HJ633_2026: _TABLE_2026}

# Above the table's end: (IAQI, flag) — None means "not computed"; 500 + flag beyond_table otherwise.
_OVER_END = {
    HJ633_2012: {"SO2_1h": None, "O3_8h": None},
    HJ633_2026: {"SO2_1h": 200, "O3_8h": 300},
}

# Which keys enter the AQI, one entry per pollutant term.
REPORT_KEYS = {
    (HJ633_2012, "daily"): ("SO2_24h", "NO2_24h", "CO_24h", "PM10_24h", "PM2.5_24h", "O3_1h", "O3_8h"),
    (HJ633_2012, "hourly"): ("SO2_1h", "NO2_1h", "CO_1h", "O3_1h", "O3_8h", "PM10_24h", "PM2.5_24h"),
    (HJ633_2026, "daily"): ("SO2_24h", "NO2_24h", "CO_24h", "PM10_24h", "PM2.5_24h", "O3_8h"),
    (HJ633_2026, "hourly"): ("SO2_1h", "NO2_1h", "CO_1h", "O3_1h", "PM10_1h", "PM2.5_1h"),
}

LEVELS = (  # (upper AQI, level, category, colour)
    (50, 1, "优", "#00E400"),
    (100, 2, "良", "#FFFF00"),
    (150, 3, "轻度污染", "#FF7E00"),
    (200, 4, "中度污染", "#FF0000"),
    (300, 5, "重度污染", "#99004C"),
    (None, 6, "严重污染", "#7E0023"),
)
_LEVEL_EDGES = np.array([50, 100, 150, 200, 300], dtype=np.int64)
CATEGORIES = tuple(row[2] for row in LEVELS)
COLORS = tuple(row[3] for row in LEVELS)

NA = -1  # "no value" in the integer arrays of AqiTable


class AqiInputError(ValueError):
    """Bad input: says which key or row and what is wrong, in Chinese and English."""

    def __init__(self, message: str, key: str | None = None, row: int | None = None):
        super().__init__(message)
        self.message = message
        self.key = key
        self.row = row


def standard_for(day: dt.date | dt.datetime) -> str:
    """The rule set in force for data of that date: 2012 until 2026-02-28, 2026 from 2026-03-01."""
    if isinstance(day, dt.datetime):
        day = day.date()
    return HJ633_2012 if day < SWITCH_DATE else HJ633_2026


def level_of(aqi: int | None) -> tuple[int, str, str] | None:
    """(level, category, colour) of an AQI, or None for no AQI."""
    if aqi is None:
        return None
    for upper, level, category, color in LEVELS:
        if upper is None or aqi <= upper:
            return level, category, color
    raise AssertionError("unreachable")


def _check_choice(standard: str, report: str) -> None:
    if standard not in STANDARDS:
        raise AqiInputError(f"未知的标准“{standard}”，应为 {' 或 '.join(STANDARDS)} / unknown standard")
    if report not in REPORTS:
        raise AqiInputError(f"未知的报告类型“{report}”，应为 daily 或 hourly / unknown report")


# ----------------------------------------------------------------- vectorised core


def _round_half_even(scaled: np.ndarray, step: int) -> np.ndarray:
    """GB/T 8170 rounding of whole millionths to a multiple of ``step`` millionths, exactly.

    ``scaled / step`` is correctly rounded; a true half (k + 0.5, k < 2**52) is represented exactly, and any
    other value is at least 1/step away from a half, far more than the rounding error, so ``rint`` (half to
    even) decides exactly as GB/T 8170 does.
    """
    return np.rint(scaled / step) * step


_SEGMENTS: dict[tuple, tuple] = {}


def _segments(bps: tuple) -> tuple:
    seg = _SEGMENTS.get(bps)
    if seg is None:
        bp = np.array(bps, dtype=np.float64) * SCALE
        iq = np.array(_IAQI[: len(bps)], dtype=np.float64)
        seg = (bp, bp[1:-1].copy(), bp[:-1].copy(), np.diff(bp), iq[:-1].copy(), np.diff(iq))
        _SEGMENTS[bps] = seg
    return seg


def _iaqi_column(scaled: np.ndarray, bps: tuple) -> tuple[np.ndarray, np.ndarray]:
    """IAQI (rounded up) on one table column; returns (iaqi as int64, beyond the last breakpoint).

    IAQI = I_lo + ⌈ΔI·(C − BP_lo) / ΔBP⌉ with every operand a whole number < 2**53 (exact in float64). The
    quotient is at most 100 and correctly rounded: if it is a whole number it comes out exactly; if not, it
    is at least 1/ΔBP (≥ 1e-9) from the next whole number, far more than its rounding error (≤ 1e-14), so
    the ceiling is exact — the same result as integer ceiling division, several times faster.
    """
    bp, inner, lo_bp, den, lo_i, di = _segments(bps)
    beyond = scaled > bp[-1]
    x = np.minimum(scaled, bp[-1])
    seg = np.searchsorted(inner, x, side="left")  # segment k holds (BP_k, BP_k+1]; 0 also holds 0
    val = lo_i[seg] + np.ceil(di[seg] * (x - lo_bp[seg]) / den[seg])
    return val.astype(np.int64), beyond


@dataclass
class AqiTable:
    """Results for N rows. Integer arrays use NA (-1) for "no value"."""

    is2012: np.ndarray  # per row: HJ 633-2012 applies (else 2026)
    report: str
    iaqi: dict[str, np.ndarray]  # per given key, NA where not computed / absent
    aqi: np.ndarray  # NA where no AQI (nothing given, or 2026 NA rule)
    level: np.ndarray  # 0 where no AQI
    used: dict[str, np.ndarray]  # per key: entered the AQI on that row
    primary: dict[str, np.ndarray]  # per key: primary pollutant on that row
    exceeding: dict[str, np.ndarray]  # per key: exceeding pollutant (2012 rows only)
    beyond: dict[str, np.ndarray]  # per key: above the table, reported as 500
    not_computed: dict[str, np.ndarray]  # per key: given, but the standard computes no IAQI for it
    missing: dict[str, np.ndarray]  # per report key: absent on that row (pollutant missing)

    def __len__(self) -> int:
        return len(self.aqi)

    def row(self, i: int) -> AqiResult:
        aqi = int(self.aqi[i]) if self.aqi[i] != NA else None
        lv = level_of(aqi)

        def keys(d):
            return [k for k in d if bool(d[k][i])]

        return AqiResult(
            standard=HJ633_2012 if self.is2012[i] else HJ633_2026, report=self.report, aqi=aqi,
            level=lv[0] if lv else None, category=lv[1] if lv else None, color=lv[2] if lv else None,
            primary=keys(self.primary), exceeding=keys(self.exceeding),
            iaqi={k: (int(v[i]) if v[i] != NA else None) for k, v in self.iaqi.items()},
            used=keys(self.used), beyond_table=keys(self.beyond), not_computed=keys(self.not_computed),
            missing=keys(self.missing),
        )


def validate_columns(columns: Mapping[str, object], n: int | None = None) -> dict[str, np.ndarray]:
    """Float arrays per key; NaN = absent. Raises AqiInputError for unknown keys, negatives, inf."""
    out = {}
    for key, col in columns.items():
        if key not in KEYS:
            raise AqiInputError(f"未知的污染物项目“{key}”，可用：{' '.join(KEYS)} / unknown key", key=key)
        arr = np.asarray(col, dtype=np.float64).reshape(-1)
        if n is None:
            n = len(arr)
        elif len(arr) != n:
            raise AqiInputError(f"{key} 的行数 {len(arr)} 与其他项目不一致 / column lengths differ", key=key)
        bad = (arr < 0) | (arr >= MAX_INPUT)  # NaN (absent) compares False; ±inf is caught
        if bad.any():
            i = int(np.argmax(bad))
            raise AqiInputError(f"{key} 第 {i + 1} 行的浓度 {arr[i]!r} 无效：浓度不能为负数，也不能为无穷大"
                                f" / bad concentration", key=key, row=i)
        out[key] = arr
    return out


_LUTS: dict[tuple, np.ndarray] = {}


def _lut_2026(key: str) -> tuple[np.ndarray, int]:
    """IAQI of every concentration the 2026 rounding can produce (whole µg/m³, CO in tenths of mg/m³).

    Built once per column with ``_iaqi_column`` (so the same exact arithmetic); one more entry past the end
    holds the value reported above the table. Returns (table, last index on the table).
    """
    per_unit = 10 if key in CO_KEYS else 1
    cached = _LUTS.get((HJ633_2026, key))
    if cached is None:
        bps = TABLES[HJ633_2026][key]
        last = bps[-1] * per_unit
        grid = np.arange(last + 1, dtype=np.float64) * (SCALE // per_unit)
        val, _ = _iaqi_column(grid, bps)
        over = _OVER_END[HJ633_2026].get(key, 500)
        cached = np.append(val, over).astype(np.int64)
        _LUTS[(HJ633_2026, key)] = cached
    return cached, len(cached) - 2


def _iaqi_under(name: str, key: str, values: np.ndarray, n: int):
    """(IAQI with NA where not computed, beyond-the-table mask, not-computed mask) of one key, one rule set."""
    none = np.zeros(n, dtype=bool)
    filled = np.where(np.isnan(values), 0.0, values)
    if name == HJ633_2026:
        # GB/T 8170 first. Whole µg/m³: a float's own half-to-even rint is exact (a decimal k.5 is a binary
        # k.5 too). CO to 0.1 mg/m³: through whole millionths, so 2.15 rounds as the decimal 2.15 does.
        if key in CO_KEYS:
            units = _round_half_even(np.rint(filled * SCALE), SCALE // 10) / (SCALE // 10)
        else:
            units = np.rint(filled)
        lut, last = _lut_2026(key)
        over = units > last
        val = lut[np.minimum(units, last + 1).astype(np.intp)]
        beyond = none if key in _OVER_END[name] else over
        return val, beyond, none
    table = TABLES[name]
    if key not in table:  # 2012 PM 1h: published without an IAQI
        return np.full(n, NA, dtype=np.int64), none, np.ones(n, dtype=bool)
    val, over = _iaqi_column(np.rint(filled * SCALE), table[key])
    if key in _OVER_END[name]:
        fixed = _OVER_END[name][key]
        if fixed is None:
            return np.where(over, NA, val), none, over
        return np.where(over, fixed, val), none, none
    return np.where(over, 500, val), over, none


def compute_table(columns: Mapping[str, object], *, report: str = "daily",
                  standard: str | None = None, dates=None) -> AqiTable:
    """AQI for every row of ``columns`` ({key: sequence of floats, NaN = absent}).

    The rule set is ``standard`` when named; otherwise per row from ``dates`` (sequence of dates, or
    numpy datetime64); with neither, HJ633-2026.
    """
    cols = validate_columns(columns)
    n = len(next(iter(cols.values()))) if cols else (len(dates) if dates is not None else 1)
    if standard is not None:
        _check_choice(standard, report)
        is2012 = np.full(n, standard == HJ633_2012, dtype=bool)
    elif dates is not None:
        d = np.asarray(dates)
        if np.issubdtype(d.dtype, np.datetime64):
            is2012 = d.astype("datetime64[D]") < np.datetime64(SWITCH_DATE.isoformat())
        else:
            is2012 = np.array([standard_for(x) == HJ633_2012 for x in d], dtype=bool)
    else:
        is2012 = np.zeros(n, dtype=bool)
    _check_choice(HJ633_2026, report)

    present = {k: ~np.isnan(v) for k, v in cols.items()}
    names = [name for name, rows in ((HJ633_2012, is2012), (HJ633_2026, ~is2012)) if rows.any()]
    iaqi: dict[str, np.ndarray] = {}
    beyond: dict[str, np.ndarray] = {}
    not_computed: dict[str, np.ndarray] = {}
    for key, values in cols.items():
        parts = {name: _iaqi_under(name, key, values, n) for name in names}
        if len(parts) == 1:
            val, over, nc = next(iter(parts.values()))
        else:
            (v12, o12, n12), (v26, o26, n26) = parts[HJ633_2012], parts[HJ633_2026]
            val, over, nc = np.where(is2012, v12, v26), np.where(is2012, o12, o26), np.where(is2012, n12, n26)
        p = present[key]
        iaqi[key] = np.where(p, val, NA)
        beyond[key] = over & p
        not_computed[key] = nc & p

    # Which IAQIs enter the AQI, row by row.
    used = {k: np.zeros(n, dtype=bool) for k in cols}
    missing: dict[str, np.ndarray] = {}
    aqi = np.full(n, NA, dtype=np.int64)
    for name in STANDARDS:
        rows = is2012 if name == HJ633_2012 else ~is2012
        if not rows.any():
            continue
        for key in REPORT_KEYS[(name, report)]:
            have = rows & (iaqi[key] != NA) if key in cols else np.zeros(n, dtype=bool)
            if name == HJ633_2012 and key == "SO2_1h" and "SO2_24h" in cols:
                # note (a): SO2 1h above 800 is reported through the 24h mean
                fallback = rows & ~have & (iaqi["SO2_24h"] != NA) & not_computed.get(key, np.zeros(n, dtype=bool))
                used["SO2_24h"] |= fallback
                if fallback.any():
                    aqi = np.where(fallback, np.maximum(aqi, iaqi["SO2_24h"]), aqi)
                covered = have | fallback
            elif name == HJ633_2012 and key == "O3_8h":
                # note (b): above 800 the O3 1h value (in every 2012 report) stands for O3
                covered = have | (rows & not_computed.get(key, np.zeros(n, dtype=bool)))
            else:
                covered = have
            if key in cols:
                used[key] |= have
                aqi = np.where(have, np.maximum(aqi, iaqi[key]), aqi)
            gone = rows & ~covered
            if gone.any():
                missing.setdefault(key, np.zeros(n, dtype=bool))
                missing[key] |= gone

    any_missing = np.zeros(n, dtype=bool)
    for m in missing.values():
        any_missing |= m
    na_rule = ~is2012 & any_missing & (aqi <= 100)
    aqi = np.where(na_rule, NA, aqi)

    level = np.where(aqi == NA, 0, np.searchsorted(_LEVEL_EDGES, np.maximum(aqi, 0), side="left") + 1)
    has_primary = aqi > 50
    primary = {k: used[k] & has_primary & (iaqi[k] == aqi) for k in cols}
    exceeding = {k: used[k] & is2012 & (iaqi[k] > 100) for k in cols}
    return AqiTable(is2012=is2012, report=report, iaqi=iaqi, aqi=aqi, level=level, used=used, primary=primary,
                    exceeding=exceeding, beyond=beyond, not_computed=not_computed, missing=missing)


# ----------------------------------------------------------------- one set of values


@dataclass
class AqiResult:
    standard: str
    report: str
    aqi: int | None
    level: int | None
    category: str | None
    color: str | None
    primary: list[str] = field(default_factory=list)
    exceeding: list[str] = field(default_factory=list)
    iaqi: dict[str, int | None] = field(default_factory=dict)
    used: list[str] = field(default_factory=list)
    beyond_table: list[str] = field(default_factory=list)
    not_computed: list[str] = field(default_factory=list)
    missing: list[str] = field(default_factory=list)

    def as_json(self) -> dict:
        """The object `gongjian aqi` prints: the issue's fields first, then the rule set and the flags."""
        return {
            "aqi": self.aqi, "level": self.level, "category": self.category, "color": self.color,
            "primary": self.primary, "exceeding": self.exceeding, "iaqi": self.iaqi,
            "standard": self.standard, "report": self.report, "used": self.used,
            "flags": {"beyond_table": self.beyond_table, "not_computed": self.not_computed,
                      "missing": self.missing},
        }


def parse_value(key: str, text) -> float:
    """One concentration from text or a number; AqiInputError with a message naming the key."""
    if key not in KEYS:
        raise AqiInputError(f"未知的污染物项目“{key}”，可用：{' '.join(KEYS)} / unknown key “{key}”", key=key)
    if isinstance(text, (int, float)) and not isinstance(text, bool):
        value = float(text)
    else:
        s = str(text).strip()
        try:
            value = float(s)
        except ValueError:
            raise AqiInputError(f"{key} 的值“{s}”不是数字 / {key}: “{s}” is not a number", key=key) from None
        if s.lower().lstrip("+-") in ("nan", "inf", "infinity"):
            value = math.nan
    if math.isnan(value) or math.isinf(value):
        raise AqiInputError(f"{key} 的值“{text}”不是有限的数字 / {key}: not a finite number", key=key)
    if value < 0:
        raise AqiInputError(f"{key} 的浓度不能为负数：{text} / {key}: negative concentration", key=key)
    if value >= MAX_INPUT:
        raise AqiInputError(f"{key} 的浓度过大：{text} / {key}: value too large", key=key)
    return value


def compute(values: Mapping[str, object], *, report: str = "daily", standard: str | None = None,
            date: dt.date | None = None) -> AqiResult:
    """AQI of one set of values ({key: concentration}); rule set named, or by ``date``, else 2026."""
    if standard is None and date is not None:
        standard = standard_for(date)
    standard = standard or HJ633_2026
    _check_choice(standard, report)
    cols = {k: [parse_value(k, v)] for k, v in values.items()}
    return compute_table(cols, report=report, standard=standard).row(0)
