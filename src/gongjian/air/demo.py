"""The demo district's monitoring stations and 430 days of hourly readings (generated, seeded): a year,
plus the same month a year earlier, so year-on-year ranking has a base.

One township station per street office, a national control station, two site dust monitors and an
enterprise monitor. Readings follow a plausible pattern: particulate matter high in winter and at night,
O3 high on summer afternoons, NO2 and CO with the rush hours, plus day-to-day weather swings. The dust
monitors get two short PM10 episodes in the last days, so the dust rule opens a 监测预警 case.
Inserted in bulk (a few seconds), through the services for the stations and the rule.
"""

from __future__ import annotations

import datetime as dt

import numpy as np
from django.db import transaction
from django.utils import timezone

from gongjian.air import services
from gongjian.air.models import POLLUTANT_FIELDS, HourlyReading, Station, StationKind
from gongjian.org.models import Unit

STATIONS = [
    # code, name, kind, unit, (lng, lat), level multiplier
    ("SY-GK-01", "山阳区国控监测站", StationKind.NATIONAL, "焦作市生态环境局山阳分局", (113.268, 35.218), 1.00),
    ("SY-XZ-BJF", "百间房街道空气站", StationKind.TOWNSHIP, "百间房街道", (113.252, 35.212), 1.08),
    ("SY-XZ-DFH", "东方红街道空气站", StationKind.TOWNSHIP, "东方红街道", (113.275, 35.213), 0.97),
    ("SY-XZ-TH", "太行街道空气站", StationKind.TOWNSHIP, "太行街道", (113.262, 35.224), 1.02),
    ("SY-XZ-JD", "焦东街道空气站", StationKind.TOWNSHIP, "焦东街道", (113.285, 35.221), 1.12),
    ("SY-XZ-GY", "光亚街道空气站", StationKind.TOWNSHIP, "光亚街道", (113.247, 35.226), 0.93),
    ("SY-XZ-YX", "艺新街道空气站", StationKind.TOWNSHIP, "艺新街道", (113.258, 35.205), 0.99),
    ("SY-XZ-DH", "定和街道空气站", StationKind.TOWNSHIP, "定和街道", (113.291, 35.209), 1.05),
    ("SY-XZ-ZX", "中星街道空气站", StationKind.TOWNSHIP, "中星街道", (113.271, 35.230), 0.95),
    ("SY-XZ-XC", "新城街道空气站", StationKind.TOWNSHIP, "新城街道", (113.301, 35.217), 1.01),
    ("SY-XZ-LW", "李万街道空气站", StationKind.TOWNSHIP, "李万街道", (113.306, 35.229), 1.15),
    ("SY-YC-01", "墙南棚改项目工地扬尘监测", StationKind.DUST, "百间房街道", (113.249, 35.207), 1.0),
    ("SY-YC-02", "红旗路综合体工地扬尘监测", StationKind.DUST, "东方红街道", (113.279, 35.215), 1.0),
    ("SY-QY-01", "焦东建材公司厂界监测", StationKind.ENTERPRISE, "焦东街道", (113.289, 35.224), 1.1),
]
DUST_RULE = ("工地扬尘 PM10 连续2小时超150", 150.0, 2)


def is_loaded() -> bool:
    return Station.objects.filter(code="SY-GK-01").exists()


def _pattern(hours: np.ndarray, start: dt.datetime, rng: np.random.Generator, level: float) -> np.ndarray:
    """(hours, 6) values in POLLUTANT_FIELDS order (pm25, pm10, so2, no2, co, o3)."""
    local = timezone.localtime(start)
    doy = (local.timetuple().tm_yday - 1 + hours / 24.0) % 365.25
    hod = (local.hour + hours) % 24
    winter = 0.5 + 0.5 * np.cos(2 * np.pi * (doy - 15) / 365.25)  # 1 in mid-January, 0 in mid-July
    summer = 1 - winter
    days = len(hours) // 24 + 2
    weather = np.repeat(np.exp(rng.normal(-0.05, 0.45, days)), 24)[: len(hours)]  # day-to-day swings
    weather = np.convolve(weather, np.ones(12) / 12, mode="same")
    night = 0.5 + 0.5 * np.cos(2 * np.pi * (hod - 2) / 24)
    rush = np.exp(-((hod - 8) ** 2) / 4) + np.exp(-((hod - 19) ** 2) / 5)
    afternoon = np.clip(np.sin(np.pi * (hod - 8) / 12), 0, None)
    noise = np.exp(rng.normal(0, 0.12, (len(hours), 6)))
    pm25 = (18 + 52 * winter) * (0.8 + 0.4 * night) * weather * level
    pm10 = pm25 * (1.35 + 0.25 * summer) + 5
    so2 = (6 + 14 * winter) * (0.9 + 0.2 * rush) * level
    no2 = (22 + 18 * winter) * (0.75 + 0.6 * rush) * level
    co = (0.5 + 0.9 * winter) * (0.85 + 0.3 * night) * weather ** 0.5
    o3 = (24 + 80 * summer * afternoon + 15 * afternoon) / weather ** 0.3
    out = np.stack([pm25, pm10, so2, no2, co, o3], axis=1) * noise
    out[:, :4] = np.round(out[:, :4])
    out[:, 4] = np.round(out[:, 4], 1)
    out[:, 5] = np.round(out[:, 5])
    return out


def _bulk(station: Station, start: dt.datetime, values: np.ndarray, measured: list[str]) -> int:
    flags = "".join("N" if f in measured else "-" for f in POLLUTANT_FIELDS)
    objs = []
    for i, row in enumerate(values.tolist()):
        kw = {f: (row[j] if f in measured else None) for j, f in enumerate(POLLUTANT_FIELDS)}
        objs.append(HourlyReading(station=station, time=start + dt.timedelta(hours=i), flags=flags, **kw))
    HourlyReading.objects.bulk_create(objs, batch_size=5000)
    return len(objs)


@transaction.atomic
def load(log=print, days: int = 430) -> bool:
    if is_loaded():
        return False
    from gongjian.ledger import demo as ledger_demo
    from gongjian.ledger import services as ledger_services
    from gongjian.ledger.models import Campaign

    tz = timezone.get_current_timezone()
    today = ledger_services.today()
    end = timezone.make_aware(dt.datetime(today.year, today.month, today.day), tz)
    start = end - dt.timedelta(days=days)
    hours = np.arange(days * 24)
    rng = np.random.default_rng(633)
    base = _pattern(hours, start, rng, 1.0)
    n = 0
    for i, (code, name, kind, unit_name, (lng, lat), level) in enumerate(STATIONS):
        unit = Unit.objects.get(name=unit_name)
        station = services.station_create(actor=None, mn=f"{code.replace('-', '')}{i:04d}", password=f"{212000 + i}",
                                          name=name, kind=kind, unit=unit, code=code, lng=lng, lat=lat,
                                          address=f"焦作市山阳区{unit_name}")
        local = _pattern(hours, start, rng, level)
        values = 0.7 * base * level + 0.3 * local  # stations share the district's weather
        if kind == StationKind.DUST:
            values[:, 1] = np.minimum(values[:, 1], 140) * 0.9  # kept under the rule, but for the episodes
            for back in (30, 53):  # two episodes of three hours, some days ago
                values[-back:-back + 3, 1] = [168, 183, 171]
        measured = [f for f in POLLUTANT_FIELDS
                    if {"pm25": "PM2.5", "pm10": "PM10", "so2": "SO2", "no2": "NO2", "co": "CO", "o3": "O3"}[f]
                    in station.pollutants]
        n += _bulk(station, start, np.round(values, 1), measured)
    campaign = Campaign.objects.filter(name=ledger_demo.CAMPAIGN).first()
    cases = []
    if campaign is not None:
        category = campaign.categories.filter(name="扬尘").first() or campaign.categories.first()
        services.rule_create(actor=None, name=DUST_RULE[0], station_kind=StationKind.DUST, pollutant="PM10",
                             threshold=DUST_RULE[1], hours=DUST_RULE[2], campaign=campaign, category=category)
        cases = services.exceedance_scan(actor=None)
    log(f"  监测站点 {len(STATIONS)} 个，小时数据 {n} 条，超标预警案件 {len(cases)} 件 / stations, readings, cases")
    return True
