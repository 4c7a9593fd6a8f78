from __future__ import annotations

import datetime as dt

from ninja import Field, Schema


class InspectionIn(Schema):
    kind: str = Field(..., description="daily 日常督查 / night 夜查 / unannounced 暗访 / city 市级督导 / province 省级暗访 / joint 联合执法")
    campaign_id: int
    title: str
    starts_at: dt.datetime
    ends_at: dt.datetime
    inspector_ids: list[int] = []
    other_inspectors: str = ""
    places: list[str] = []
    summary: str = ""


class InspectionOut(Schema):
    id: int
    kind: str
    kind_label: str = Field(..., alias="get_kind_display")
    campaign_id: int
    title: str
    unit_id: int
    starts_at: dt.datetime
    ends_at: dt.datetime
    places: list[str] = Field(..., alias="place_list")
    summary: str
    finding_count: int = 0

    @staticmethod
    def resolve_finding_count(obj):
        return obj.findings.count()


class FindingIn(Schema):
    category_id: int
    title: str
    description: str = ""
    place: str = ""
    address: str = ""
    lng: float | None = None
    lat: float | None = None
    unit_id: int | None = None
    priority: str = "normal"


class FindingOut(Schema):
    id: int
    case_id: int
    serial: str = Field(..., alias="case.serial")
    source: str = Field(..., alias="case.source")
    place: str
