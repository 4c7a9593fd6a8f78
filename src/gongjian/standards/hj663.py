"""Evaluation and ranking of ambient air quality: HJ 663 and the validity rules of GB 3095.

Pure Python + numpy, no Django (see shared/standards/hj663-ranking.md).

* Validity: an hour is valid with ≥ 45 minutes of sampling; a 24h mean needs ≥ 20 valid hours of the
  natural day; an O3 8h moving mean needs ≥ 6 valid hours of its 8; the MDA8 needs ≥ 14 valid 8h means
  (or is valid anyway when it exceeds the limit, 160); a month needs ≥ 27 valid days (25 in February), a
  year ≥ 324. An invalid value is NaN ("absent"), never zero, and each function can say why.
* The 8h moving mean at hour t covers the hours t−7 … t (hour labels are interval starts). The MDA8 of a
  day is the largest of the 17 moving means whose 8 hours all lie in that day (windows starting 00:00 …
  16:00, i.e. "8 时至 24 时").
* Period statistics: SO2, NO2, PM10, PM2.5 the mean of the daily means; CO the 95th percentile of the 24h
  means; O3 the 90th percentile of the MDA8 — with the Appendix A percentile (numpy's "linear").
* Composite index: Σ C_i/S_i with concentrations first rounded per GB/T 8170 (µg/m³ integers, CO one
  decimal) and the sum rounded half to even to 2 decimals; exact (Fractions). The limits are a
  configurable mapping; GB 3095-2012 class II is the default.
* Rankings: competition ranking (1, 2, 2, 4): equal values tie.
"""

from __future__ import annotations

import math
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass
from decimal import ROUND_HALF_EVEN, Decimal
from fractions import Fraction

import numpy as np

__all__ = [
    "LIMITS_2012",
    "LIMITS_2026_TRANSITION",
    "POLLUTANTS",
    "RANKING_METHODS",
    "composite_index",
    "daily_means",
    "gbt8170",
    "hour_valid",
    "mda8",
    "moving_8h",
    "percentile",
    "period_statistics",
    "rank",
]

POLLUTANTS = ("SO2", "NO2", "PM10", "PM2.5", "CO", "O3")
LIMITS_2012 = {"SO2": 60, "NO2": 40, "PM10": 70, "PM2.5": 35, "CO": 4, "O3": 160}
# GB 3095-2026 transition annual limits for PM (2026–2030); whether rankings use them is not settled.
LIMITS_2026_TRANSITION = dict(LIMITS_2012, **{"PM10": 60, "PM2.5": 30})

MIN_MINUTES = 45
MIN_HOURS_DAY = 20
MIN_HOURS_8H = 6
MIN_8H_MEANS = 14
O3_8H_LIMIT = 160
MIN_DAYS_MONTH = 27
MIN_DAYS_FEBRUARY = 25
MIN_DAYS_YEAR = 324


def hour_valid(minutes) -> np.ndarray:
    """Is each 1h mean valid (≥ 45 minutes of sampling in the hour)?"""
    return np.asarray(minutes) >= MIN_MINUTES


def gbt8170(value, decimals: int = 0) -> float:
    """GB/T 8170 rounding (half to even on the decimal value as written), e.g. 2.25 → 2.2, 34.5 → 34."""
    if value is None or (isinstance(value, float) and math.isnan(value)):
        return math.nan
    q = Decimal(1).scaleb(-decimals)
    return float(Decimal(str(value)).quantize(q, rounding=ROUND_HALF_EVEN))


def daily_means(hourly) -> np.ndarray:
    """24h means from hourly values shaped (days, 24), NaN = invalid hour; NaN where < 20 valid hours."""
    h = np.asarray(hourly, dtype=np.float64)
    if h.ndim != 2 or h.shape[1] != 24:
        raise ValueError("hourly values must be shaped (days, 24)")
    valid = ~np.isnan(h)
    count = valid.sum(axis=1)
    total = np.where(valid, h, 0.0).sum(axis=1)
    with np.errstate(invalid="ignore", divide="ignore"):
        mean = total / count
    return np.where(count >= MIN_HOURS_DAY, mean, np.nan)


def moving_8h(hourly) -> np.ndarray:
    """8h moving means of a 1-D hourly series: out[t] covers t−7 … t; NaN with < 6 valid hours or t < 7."""
    h = np.asarray(hourly, dtype=np.float64).reshape(-1)
    valid = ~np.isnan(h)
    vals = np.where(valid, h, 0.0)
    csum = np.concatenate([[0.0], np.cumsum(vals)])
    ccnt = np.concatenate([[0], np.cumsum(valid)])
    out = np.full(len(h), np.nan)
    if len(h) >= 8:
        s = csum[8:] - csum[:-8]
        c = ccnt[8:] - ccnt[:-8]
        with np.errstate(invalid="ignore", divide="ignore"):
            out[7:] = np.where(c >= MIN_HOURS_8H, s / c, np.nan)
    return out


@dataclass
class Mda8:
    value: np.ndarray  # per day, NaN where invalid
    count: np.ndarray  # valid 8h means per day (of 17)
    reason: list  # per day: None, or why it is absent


def mda8(hourly, limit: float = O3_8H_LIMIT) -> Mda8:
    """Daily maximum 8h mean of O3 from hourly values shaped (days, 24)."""
    h = np.asarray(hourly, dtype=np.float64)
    if h.ndim != 2 or h.shape[1] != 24:
        raise ValueError("hourly values must be shaped (days, 24)")
    days = h.shape[0]
    m8 = moving_8h(h.reshape(-1)).reshape(days, 24)[:, 7:]  # windows ending 07 … 23: inside the day
    count = (~np.isnan(m8)).sum(axis=1)
    with np.errstate(invalid="ignore"):
        mx = np.where(count > 0, np.nanmax(np.where(np.isnan(m8), -np.inf, m8), axis=1), np.nan)
    ok = (count >= MIN_8H_MEANS) | ((count > 0) & (mx > limit))
    reasons = [None if ok[i] else f"有效8小时均值只有 {int(count[i])} 个（需≥{MIN_8H_MEANS}）" for i in range(days)]
    return Mda8(value=np.where(ok, mx, np.nan), count=count, reason=reasons)


def percentile(values: Iterable[float], p: float) -> float:
    """HJ 663 Appendix A: k = 1 + (n−1)·p/100, s = ⌊k⌋, X(s) + (X(s+1) − X(s))·(k − s). NaN ignored."""
    xs = sorted(float(v) for v in values if v is not None and not math.isnan(float(v)))
    n = len(xs)
    if n == 0:
        return math.nan
    k = 1 + (n - 1) * Fraction(p) / 100
    s = math.floor(k)
    if s >= n:
        return xs[-1]
    return float(xs[s - 1] + (xs[s] - xs[s - 1]) * float(k - s))


def min_days(period: str, month: int | None = None) -> int | None:
    if period == "month":
        return MIN_DAYS_FEBRUARY if month == 2 else MIN_DAYS_MONTH
    if period == "year":
        return MIN_DAYS_YEAR
    return None  # no count rule given for other periods


@dataclass
class PeriodStatistic:
    value: float  # NaN when invalid
    valid_days: int
    reason: str | None


def period_statistics(daily: Mapping[str, Sequence[float]], *, period: str = "month",
                      month: int | None = None) -> dict[str, PeriodStatistic]:
    """Statistics of a period from daily values: {"SO2": 24h means, …, "CO": 24h means, "O3": MDA8}.

    Reported rounded (GB/T 8170: µg/m³ integers, CO one decimal). Invalid when there are fewer valid
    days than the period needs.
    """
    need = min_days(period, month)
    out = {}
    for pol, values in daily.items():
        if pol not in POLLUTANTS:
            raise ValueError(f"未知污染物 {pol}")
        arr = np.asarray(values, dtype=np.float64)
        valid = arr[~np.isnan(arr)]
        n = len(valid)
        if need is not None and n < need:
            out[pol] = PeriodStatistic(math.nan, n, f"有效天数 {n} 天，不足 {need} 天")
            continue
        if n == 0:
            out[pol] = PeriodStatistic(math.nan, 0, "没有有效天")
            continue
        if pol == "CO":
            v = gbt8170(percentile(valid, 95), 1)
        elif pol == "O3":
            v = gbt8170(percentile(valid, 90))
        else:
            v = gbt8170(float(np.mean(valid)))
        out[pol] = PeriodStatistic(v, n, None)
    return out


def composite_index(concentrations: Mapping[str, float], limits: Mapping[str, float] | None = None) -> float:
    """I_sum = Σ C_i/S_i over the six pollutants, 2 decimals; NaN if any is absent.

    ``concentrations``: SO2, NO2, PM10, PM2.5 period means, CO P95 (mg/m³), O3 P90 of MDA8.
    """
    limits = dict(LIMITS_2012 if limits is None else limits)
    total = Fraction(0)
    for pol in POLLUTANTS:
        c = concentrations.get(pol)
        if c is None or (isinstance(c, float) and math.isnan(c)):
            return math.nan
        if c < 0:
            raise ValueError(f"{pol} 浓度不能为负数")
        if pol not in limits or not limits[pol] or limits[pol] <= 0:
            raise ValueError(f"缺少 {pol} 的标准限值或限值不为正数")
        c = gbt8170(c, 1 if pol == "CO" else 0)
        total += Fraction(str(c)) / Fraction(str(limits[pol]))
    return float(_round2(total))


def _round2(x: Fraction) -> Decimal:
    scaled = x * 100
    q, r = divmod(scaled.numerator, scaled.denominator)
    twice = 2 * r
    if twice > scaled.denominator or (twice == scaled.denominator and q % 2 == 1):
        q += 1
    return Decimal(q).scaleb(-2)


# ----------------------------------------------------------------- rankings

RANKING_METHODS = {
    "composite": ("综合指数", True),  # smaller is better
    "pm25": ("PM2.5 浓度", True),
    "good_days": ("优良天数比例", False),  # larger is better
    "yoy": ("综合指数同比变化", True),  # a larger fall is better
}


def good_days_share(daily_aqi: Iterable) -> float:
    """Share of days with AQI ≤ 100 among the days with an AQI (None/NaN days are left out)."""
    vals = [v for v in daily_aqi if v is not None and not (isinstance(v, float) and math.isnan(v))]
    if not vals:
        return math.nan
    return sum(1 for v in vals if v <= 100) / len(vals)


def yoy_change(current: float, previous: float) -> float:
    """Year-on-year change of I_sum as a fraction (−0.1 = 10 % better); NaN without a base."""
    if current is None or previous is None or math.isnan(current) or math.isnan(previous) or previous == 0:
        return math.nan
    return (current - previous) / previous


@dataclass
class Ranked:
    name: str
    value: float
    rank: int | None  # None when the value is absent


def rank(values: Mapping[str, float], method: str = "composite") -> list[Ranked]:
    """Competition ranking of {name: value}; absent (NaN/None) values come last, unranked."""
    if method not in RANKING_METHODS:
        raise ValueError(f"未知的排名方法 {method}，可用：{'、'.join(RANKING_METHODS)}")
    ascending = RANKING_METHODS[method][1]
    present = [(n, v) for n, v in values.items() if v is not None and not math.isnan(v)]
    absent = [(n, math.nan) for n, v in values.items() if v is None or math.isnan(v)]
    present.sort(key=lambda nv: (nv[1] if ascending else -nv[1], nv[0]))
    out = []
    for i, (n, v) in enumerate(present):
        r = out[-1].rank if out and out[-1].value == v else i + 1
        out.append(Ranked(n, v, r))
    out += [Ranked(n, v, None) for n, v in sorted(absent)]
    return out
