from __future__ import annotations

import datetime as dt

from ninja import Field, Schema


class StationOut(Schema):
    id: int
    code: str
    name: str
    kind: str = Field(..., description="national 国控 / provincial 省控 / township 乡镇站 / dust 工地扬尘 / enterprise 企业")
    kind_label: str = Field(..., alias="get_kind_display")
    mn: str
    unit_id: int
    lng: float | None
    lat: float | None
    pollutants: list[str]
    is_active: bool


class AqiIn(Schema):
    values: dict[str, float] = Field(..., description="KEY → 浓度，如 {\"PM2.5_24h\": 36}; CO 为 mg/m³，其余 µg/m³")
    standard: str | None = Field(None, description="HJ633-2012 / HJ633-2026；不给则按 date，再不给按 2026 版")
    report: str = Field("daily", description="daily 日报 / hourly 实时报")
    date: dt.date | None = None


class AqiOut(Schema):
    aqi: int | None
    level: int | None
    category: str | None
    color: str | None
    primary: list[str]
    exceeding: list[str]
    iaqi: dict[str, int | None]
    standard: str
    report: str
    used: list[str]
    flags: dict[str, list[str]]


class HourOut(Schema):
    time: dt.datetime
    values: dict[str, float | None]
    aqi: int | None
    category: str | None
    primary: list[str]


class RankOut(Schema):
    rank: int | None
    unit_id: int
    unit_name: str
    stations: int
    composite: float | None
    pm25: float | None
    good_days: float | None
    yoy: float | None
    concentrations: dict[str, float | None]
    note: str
