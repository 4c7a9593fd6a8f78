from __future__ import annotations

from ninja import Field, Schema


class RankingHead(Schema):
    period: str = Field(..., description="考核期，如 2026-W47")
    starts_on: str
    ends_on: str
    scheme: str = Field(..., description="考核方案代码")
    version: int = Field(..., description="方案版本号")
    frozen: bool = Field(..., description="已存档(考核期已结束)；否则为临时排名")


class RankingRowOut(Schema):
    unit_id: int
    unit: str
    rank: int = Field(..., description="名次，并列同名次，下一名次跳过")
    score: str = Field(..., description="得分(两位小数)")
    grade: str = Field(..., description="等级 A–E")
    flag: str = Field(..., description="red 红旗 / black 黑旗 / 空")
    rolling_red_flag: bool = Field(..., description="流动红旗")


class RankingOut(RankingHead):
    rows: list[RankingRowOut]


class LineOut(Schema):
    code: str
    label: str
    type: str = Field(..., description="case 按案件 / indicator 按指标 / daily_missing 按日报缺报天数 / air_rank 按空气质量排名")
    count: str = Field(..., description="件数、比率或天数")
    points: str = Field(..., description="每项分值(指标规则为权重)")
    cap: str | None = Field(None, description="上限(绝对值)")
    capped: bool
    value: str = Field(..., description="本项得分")
    has_cases: bool
    cases: str | None = Field(None, description="本项涉及案件的接口地址")


class BreakdownOut(RankingHead, RankingRowOut):
    base: str
    lines: list[LineOut]
    counts: dict[str, int]
    rates: dict[str, float | None]
    sources: dict[str, int]
    missing_days: int


class CaseRefOut(Schema):
    id: int
    serial: str
    title: str
    status: str
    status_label: str
    source: str
    deadline: str | None
    unit: str | None
    url: str


class RuleCasesOut(RankingHead):
    rule: str
    label: str
    cases: list[CaseRefOut]
