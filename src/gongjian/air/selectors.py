"""Reads on air quality, always scoped: stations, hourly series, daily AQI, the township ranking."""

from __future__ import annotations

import calendar
import datetime as dt
import math
from dataclasses import dataclass

import numpy as np
from django.utils import timezone

from gongjian.air.models import POLLUTANT_FIELDS, VALID_FLAG, HourlyReading, Station, StationKind
from gongjian.standards import hj633, hj663

HOUR = dt.timedelta(hours=1)
FIELD_INDEX = {f: i for i, f in enumerate(POLLUTANT_FIELDS)}
# HJ 663 pollutant names in the order of POLLUTANT_FIELDS (pm25, pm10, so2, no2, co, o3)
HJ663_NAMES = ("PM2.5", "PM10", "SO2", "NO2", "CO", "O3")


def stations_visible(user):
    return Station.objects.visible_to(user).select_related("unit")


def local_midnight(day: dt.date) -> dt.datetime:
    return timezone.make_aware(dt.datetime(day.year, day.month, day.day), timezone.get_current_timezone())


def hourly_grid(station_ids, start: dt.datetime, hours: int) -> dict[int, np.ndarray]:
    """{station id: array (hours, 6)} of valid hourly values (flag N), NaN elsewhere."""
    out = {sid: np.full((hours, len(POLLUTANT_FIELDS)), np.nan) for sid in station_ids}
    end = start + hours * HOUR
    rows = (HourlyReading.objects.filter(station_id__in=list(station_ids), time__gte=start, time__lt=end)
            .values_list("station_id", "time", *POLLUTANT_FIELDS, "flags"))
    rows = list(rows)
    if not rows:
        return out
    t0 = start.timestamp()
    sid = np.array([r[0] for r in rows])
    hour = ((np.array([r[1].timestamp() for r in rows]) - t0) // 3600).astype(np.intp)
    values = np.array([r[2:8] for r in rows], dtype=np.float64)  # None → NaN
    flags = "".join((r[8] or "").ljust(6, "-")[:6] for r in rows).encode("ascii", "replace")
    valid = np.frombuffer(flags, dtype="S1").reshape(-1, 6) == VALID_FLAG.encode()
    values[~valid] = np.nan
    for station_id, arr in out.items():
        mine = sid == station_id
        arr[hour[mine]] = values[mine]
    return out


def _moving_24h(values: np.ndarray) -> np.ndarray:
    """24h moving mean at hour t over t−23 … t, valid with ≥ 20 valid hours (NaN otherwise)."""
    valid = ~np.isnan(values)
    csum = np.concatenate([[0.0], np.cumsum(np.where(valid, values, 0.0))])
    ccnt = np.concatenate([[0], np.cumsum(valid)])
    out = np.full(len(values), np.nan)
    if len(values) >= 24:
        s, c = csum[24:] - csum[:-24], ccnt[24:] - ccnt[:-24]
        with np.errstate(invalid="ignore", divide="ignore"):
            out[23:] = np.where(c >= hj663.MIN_HOURS_DAY, s / c, np.nan)
    return out


@dataclass
class HourlySeries:
    times: list[dt.datetime]
    values: np.ndarray  # (hours, 6)
    aqi: hj633.AqiTable


def hourly_series(station: Station, start: dt.datetime, hours: int) -> HourlySeries:
    """Hourly values and the real-time AQI (HJ 633 hourly report, rule set by each hour's date).

    The 2012 terms that need history (O3 8h, PM 24h moving means) are computed from the 24 hours before.
    """
    lead = 24
    grid = hourly_grid([station.pk], start - lead * HOUR, hours + lead)[station.pk]
    v = grid
    cols = {
        "SO2_1h": v[:, 2], "NO2_1h": v[:, 3], "CO_1h": v[:, 4], "O3_1h": v[:, 5],
        "PM2.5_1h": v[:, 0], "PM10_1h": v[:, 1],
        "O3_8h": hj663.moving_8h(v[:, 5]), "PM2.5_24h": _moving_24h(v[:, 0]), "PM10_24h": _moving_24h(v[:, 1]),
    }
    cols = {k: c[lead:] for k, c in cols.items()}
    times = [start + i * HOUR for i in range(hours)]
    dates = np.array([timezone.localtime(t).replace(tzinfo=None) for t in times], dtype="datetime64[h]")
    table = hj633.compute_table(cols, report="hourly", dates=dates)
    return HourlySeries(times=times, values=v[lead:], aqi=table)


@dataclass
class DailySeries:
    days: list[dt.date]
    means: np.ndarray  # (days, 6): 24h means; the O3 column holds the MDA8
    o3_max_1h: np.ndarray
    aqi: hj633.AqiTable


def _daily_from_grid(grid: np.ndarray, days: int) -> tuple[np.ndarray, np.ndarray]:
    h = grid.reshape(days, 24, len(POLLUTANT_FIELDS))
    means = np.stack([hj663.daily_means(h[:, :, j]) for j in range(len(POLLUTANT_FIELDS))], axis=1)
    means[:, FIELD_INDEX["o3"]] = hj663.mda8(h[:, :, FIELD_INDEX["o3"]]).value
    o3 = h[:, :, FIELD_INDEX["o3"]]
    counts = (~np.isnan(o3)).sum(axis=1)
    with np.errstate(invalid="ignore"):
        o3max = np.where(counts >= hj663.MIN_HOURS_DAY, np.nanmax(np.where(np.isnan(o3), -np.inf, o3), axis=1),
                         np.nan)
    return means, o3max


def _daily_aqi(days: list[dt.date], means: np.ndarray, o3max: np.ndarray) -> hj633.AqiTable:
    cols = {"PM2.5_24h": means[:, 0], "PM10_24h": means[:, 1], "SO2_24h": means[:, 2], "NO2_24h": means[:, 3],
            "CO_24h": means[:, 4], "O3_8h": means[:, 5], "O3_1h": o3max}
    return hj633.compute_table(cols, report="daily", dates=np.array(days, dtype="datetime64[D]"))


def daily_series(stations: list[Station], first: dt.date, last: dt.date) -> DailySeries:
    """Daily means (the mean over the valid stations for several) and the daily AQI from those means."""
    days = (last - first).days + 1
    grids = hourly_grid([s.pk for s in stations], local_midnight(first), days * 24)
    per_site = [_daily_from_grid(g, days) for g in grids.values()]
    with np.errstate(invalid="ignore"), _quiet():
        means = np.nanmean(np.stack([m for m, _ in per_site]), axis=0) if per_site else np.full((days, 6), np.nan)
        o3max = np.nanmean(np.stack([o for _, o in per_site]), axis=0) if per_site else np.full(days, np.nan)
    day_list = [first + dt.timedelta(days=i) for i in range(days)]
    return DailySeries(days=day_list, means=means, o3_max_1h=o3max, aqi=_daily_aqi(day_list, means, o3max))


class _quiet:
    def __enter__(self):
        import warnings

        self._w = warnings.catch_warnings()
        self._w.__enter__()
        warnings.simplefilter("ignore", RuntimeWarning)

    def __exit__(self, *exc):
        return self._w.__exit__(*exc)


# ----------------------------------------------------------------- ranking


@dataclass
class RankRow:
    unit_id: int
    unit_name: str
    stations: int
    concentrations: dict  # HJ 663 name → period statistic (NaN when invalid)
    composite: float
    good_days: float
    pm25: float
    yoy: float
    previous: float
    value: float = math.nan
    rank: int | None = None
    note: str = ""


def _period_for(unit_stations: list[Station], first: dt.date, last: dt.date, month: int | None, period: str):
    series = daily_series(unit_stations, first, last)
    daily = {name: series.means[:, j] for j, name in enumerate(HJ663_NAMES)}
    stats = hj663.period_statistics(daily, period=period, month=month)
    conc = {k: s.value for k, s in stats.items()}
    notes = [f"{k}：{s.reason}" for k, s in stats.items() if s.reason]
    comp = hj663.composite_index(conc)
    aqi = [None if a == hj633.NA else int(a) for a in series.aqi.aqi]
    return conc, comp, hj663.good_days_share(aqi), notes


def township_ranking(user, *, year: int, month: int | None = None, method: str = "composite",
                     limits: dict | None = None, whole_district: bool = False) -> list[RankRow]:
    """Rank the units owning township stations (乡镇站) in the user's scope for a month or a year.

    ``whole_district`` ranks every station regardless of ``user``: what the assessment's frozen rankings
    (which belong to the district, not to a reader) use.
    """
    base = Station.objects.select_related("unit") if whole_district else stations_visible(user)
    stations = list(base.filter(kind=StationKind.TOWNSHIP, is_active=True))
    by_unit: dict[int, list[Station]] = {}
    for s in stations:
        by_unit.setdefault(s.unit_id, []).append(s)
    if month:
        first, last = dt.date(year, month, 1), dt.date(year, month, calendar.monthrange(year, month)[1])
        prev = (dt.date(year - 1, month, 1), dt.date(year - 1, month, calendar.monthrange(year - 1, month)[1]))
        period = "month"
    else:
        first, last = dt.date(year, 1, 1), dt.date(year, 12, 31)
        prev = (dt.date(year - 1, 1, 1), dt.date(year - 1, 12, 31))
        period = "year"
    rows = []
    for unit_stations in by_unit.values():
        conc, comp, good, notes = _period_for(unit_stations, first, last, month, period)
        if limits is not None:
            comp = hj663.composite_index(conc, limits)
        _, prev_comp, _, _ = _period_for(unit_stations, prev[0], prev[1], month, period)
        unit = unit_stations[0].unit
        rows.append(RankRow(unit_id=unit.pk, unit_name=unit.name, stations=len(unit_stations), concentrations=conc,
                            composite=comp, good_days=good, pm25=conc.get("PM2.5", math.nan),
                            yoy=hj663.yoy_change(comp, prev_comp), previous=prev_comp, note="；".join(notes)))
    attr = {"composite": "composite", "pm25": "pm25", "good_days": "good_days", "yoy": "yoy"}[method]
    ranked = hj663.rank({str(r.unit_id): getattr(r, attr) for r in rows}, method)
    by_id = {str(r.unit_id): r for r in rows}
    out = []
    for x in ranked:
        r = by_id[x.name]
        r.value, r.rank = x.value, x.rank
        out.append(r)
    return out
