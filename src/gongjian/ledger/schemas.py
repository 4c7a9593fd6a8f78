from __future__ import annotations

import datetime as dt

from ninja import Field, Schema


class CategoryOut(Schema):
    id: int
    name: str
    parent_id: int | None
    default_workdays: int


class EscalationRuleOut(Schema):
    level: int
    level_label: str = Field(..., alias="get_level_display")
    overdue_workdays: int
    notify_leader: bool


class CampaignOut(Schema):
    id: int
    name: str
    serial_prefix: str
    command_unit_id: int
    starts_on: dt.date
    ends_on: dt.date | None
    description: str
    targets: str
    is_active: bool


class CampaignDetail(CampaignOut):
    categories: list[CategoryOut]
    escalation_rules: list[EscalationRuleOut]

    @staticmethod
    def resolve_categories(obj):
        return list(obj.categories.all())

    @staticmethod
    def resolve_escalation_rules(obj):
        return list(obj.escalation_rules.all())


class CategoryIn(Schema):
    name: str
    default_workdays: int = 5
    children: list[CategoryIn] = []


class EscalationRuleIn(Schema):
    level: int
    overdue_workdays: int
    notify_leader: bool = False


class CampaignIn(Schema):
    name: str
    serial_prefix: str
    command_unit_id: int
    starts_on: dt.date
    ends_on: dt.date | None = None
    description: str = ""
    targets: str = ""
    categories: list[CategoryIn] = []
    escalation: list[EscalationRuleIn] = []


class CaseOut(Schema):
    id: int
    serial: str
    campaign_id: int
    kind: str
    source: str
    source_label: str = Field(..., alias="get_source_display")
    category_id: int
    category_name: str = Field(..., alias="category.name")
    title: str
    description: str
    address: str
    lng: float | None
    lat: float | None
    grid_id: int | None
    unit_id: int | None
    unit_name: str | None
    lead_unit_id: int | None
    leader_id: int | None
    handler_id: int | None
    priority: str
    status: str
    status_label: str = Field(..., alias="get_status_display")
    reported_at: dt.datetime
    assigned_on: dt.date | None
    deadline: dt.date | None
    light: str | None = None
    rework_count: int
    extension_count: int
    escalation_level: int
    closed_at: dt.datetime | None
    closed_on_time: bool | None

    @staticmethod
    def resolve_unit_name(obj):
        return obj.unit.name if obj.unit_id else None


class EvidenceOut(Schema):
    id: int
    stage: str
    original_name: str
    content_type: str
    size: int
    sha256: str
    is_image: bool
    taken_at: dt.datetime | None
    lng: float | None
    lat: float | None
    uploaded_at: dt.datetime
    url: str

    @staticmethod
    def resolve_url(obj):
        return f"/api/ledger/evidence/{obj.pk}/file"


class TimelineEntry(Schema):
    seq: int
    created_at: dt.datetime
    actor_name: str
    action: str
    reason: str


class MoveOut(Schema):
    action: str
    label: str
    needs: str


class CaseDetail(CaseOut):
    evidence: list[EvidenceOut]
    timeline: list[TimelineEntry]
    moves: list[MoveOut]
    workdays_left: int | None = None


class CaseIn(Schema):
    campaign_id: int
    category_id: int
    title: str
    source: str
    kind: str = "problem"
    description: str = ""
    address: str = ""
    lng: float | None = None
    lat: float | None = None
    unit_id: int | None = None
    priority: str = "normal"


class TransitionIn(Schema):
    reason: str = ""
    unit_id: int | None = None
    lead_unit_id: int | None = None
    handler_id: int | None = None
    deadline: dt.date | None = None
    workdays: int | None = None
    plan: str = ""
    review_on: dt.date | None = None


class LedgerPage(Schema):
    count: int = Field(description="匹配的案件数；count_exact 为 false 时表示“超过此数”")
    count_exact: bool = Field(description="false: 匹配超过 count 条，未精确计数（请缩小筛选范围）")
    page: int
    page_size: int
    counts: dict[str, int] = Field(description="按状态计数；count_exact 为 false 时为空")
    results: list[CaseOut]


class ExtensionIn(Schema):
    requested_deadline: dt.date
    reason: str


class ExtensionOut(Schema):
    id: int
    case_id: int
    requested_deadline: dt.date
    reason: str
    status: str
    decision_note: str


class DecisionIn(Schema):
    approve: bool
    note: str = ""


CategoryIn.model_rebuild()
