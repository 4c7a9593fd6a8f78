"""REST endpoints of the assessment. Thin: parse, scope, read."""

from __future__ import annotations

from django.urls import reverse
from ninja import Router

from gongjian.assessment import selectors
from gongjian.assessment.schemas import BreakdownOut, RankingOut, RuleCasesOut

router = Router(tags=["考核排名 / assessment"])


def _head(ranking) -> dict:
    return {"period": ranking.period, "starts_on": ranking.starts_on.isoformat(),
            "ends_on": ranking.ends_on.isoformat(), "scheme": ranking.version.scheme.name,
            "version": ranking.version.number, "frozen": ranking.pk is not None}


@router.get("/rankings", response=RankingOut, summary="某考核期的排名(period：2026-W47、2026-11 或 2026-11-02..2026-11-15；默认上一周)")
def ranking(request, period: str = "", scheme: str = ""):
    r = selectors.ranking_of(request.auth, selectors.parse_period(period), scheme or None)
    rows = [{k: v for k, v in row.items() if k != "lines"} for row in r.results]
    return {**_head(r), "rows": rows}


@router.get("/rankings/units/{unit_id}", response=BreakdownOut, summary="一个单位的得分构成(按规则，可追溯到案件)")
def unit_breakdown(request, unit_id: int, period: str = "", scheme: str = ""):
    p = selectors.parse_period(period)
    r = selectors.ranking_of(request.auth, p, scheme or None)
    row = selectors.unit_row(request.auth, r, unit_id)
    for line in row["lines"]:
        if line["has_cases"]:
            line["cases"] = (reverse("api:assessment_rule_cases", args=[unit_id, line["code"]])
                             + f"?period={p.key}&scheme={r.version.scheme.name}")
    row["rates"] = dict(row["rates"])
    return {**_head(r), **row}


@router.get("/rankings/units/{unit_id}/rules/{code}/cases", response=RuleCasesOut, url_name="assessment_rule_cases",
            summary="某单位某条规则涉及的案件(排名时存档的案件，本人范围内)")
def rule_cases(request, unit_id: int, code: str, period: str = "", scheme: str = ""):
    r = selectors.ranking_of(request.auth, selectors.parse_period(period), scheme or None)
    rule, cases = selectors.rule_cases(request.auth, r, unit_id, code)
    return {**_head(r), "rule": rule["code"], "label": rule["label"],
            "cases": [{"id": c.pk, "serial": c.serial, "title": c.title, "status": c.status,
                       "status_label": c.get_status_display(), "source": c.source,
                       "deadline": c.deadline.isoformat() if c.deadline else None,
                       "unit": c.unit.name if c.unit else None, "url": reverse("ledger:case", args=[c.pk])}
                      for c in cases]}
