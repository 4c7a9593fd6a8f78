from __future__ import annotations

import datetime as dt
from decimal import Decimal

from ninja import Field, Schema


class MetricOut(Schema):
    code: str
    name: str
    unit: str
    max_value: Decimal


class FigureIn(Schema):
    metric: str = Field(..., description="指标代码，如 personnel")
    value: Decimal = Field(..., description="数值，不为负，不超过该指标的单日上限")
    approx: bool = False


class DailyReportIn(Schema):
    unit_id: int
    date: dt.date
    figures: list[FigureIn]
    text: str = Field("", description="工作情况原文(可选)")


class FigureOut(Schema):
    metric: str = Field(..., alias="metric.code")
    name: str = Field(..., alias="metric.name")
    unit: str = Field(..., alias="metric.unit")
    value: Decimal
    approx: bool


class DailyReportOut(Schema):
    id: int
    unit_id: int
    unit_name: str = Field(..., alias="unit.name")
    date: dt.date
    text: str
    revision: int
    submitted_at: dt.datetime
    figures: list[FigureOut]

    @staticmethod
    def resolve_figures(obj):
        return list(obj.figures.select_related("metric"))


class ExtractIn(Schema):
    text: str = Field(..., max_length=20_000)


class ExtractedOut(Schema):
    item: str
    value: float
    unit: str
    approx: bool
    text: str
    metric: str | None


class UnitRef(Schema):
    id: int
    name: str
