"""Reads of the assessment, always scoped.

A ranking table (unit, rank, score, grade, flag) is published to every unit, as the printed bulletin is, so any
signed-in reader sees it. A unit's breakdown and the cases behind its points are shown only when the unit is in
the reader's scope (else 404), and the case lists go through the ledger's scoped selector.
"""

from __future__ import annotations

from gongjian.assessment import indicators, periods, scoring, services
from gongjian.assessment.models import Ranking, Scheme
from gongjian.core.errors import Invalid, NotFound
from gongjian.ledger.selectors import cases_visible
from gongjian.org.models import LeaderAssignment, Unit


def parse_period(text: str | None) -> periods.Period:
    """A period from a query string; a bad one is a 400 naming the parameter."""
    if not (text or "").strip():
        return services.default_period()
    try:
        return periods.parse(text)
    except periods.PeriodError as exc:
        raise Invalid(str(exc), field="period") from None


def ranking_of(user, period: periods.Period, scheme: str | Scheme | None = None) -> Ranking:
    if user is None or not user.is_authenticated:
        raise NotFound("记录不存在或无权查看")
    if not isinstance(scheme, Scheme):
        scheme = services.scheme_of(scheme)
    return services.ranking_run(actor=user, period=period, scheme=scheme)


def unit_row(user, ranking: Ranking, unit_id: int) -> dict:
    """The unit's row with its breakdown, its counts and rates; 404 when out of the reader's scope."""
    if not Unit.objects.visible_to(user).filter(pk=unit_id).exists():
        raise NotFound("单位不存在或无权查看 / not found")
    row = next((r for r in ranking.results if r["unit_id"] == unit_id), None)
    if row is None:
        raise NotFound("该单位不在本期排名中 / the unit is not ranked")
    inputs = ranking.inputs["units"][str(unit_id)]
    definition = ranking.version.definition
    listed = {r["code"] for r in definition["rules"] if r["type"] in ("case", "indicator")}
    lines = [dict(line, has_cases=line["code"] in listed and bool(inputs["cases"].get(line["code"])))
             for line in row["lines"]]
    labels = dict(indicators_labels())
    return {**row, "lines": lines, "base": definition["base"], "counts": inputs["counts"],
            "sources": inputs["sources"], "missing_days": inputs["missing_days"],
            "rates": [(labels[k], v) for k, v in indicators.rates(inputs["counts"]).items()]}


def indicators_labels():
    return [(k, v[0]) for k, v in scoring.INDICATORS.items()]


def rule_cases(user, ranking: Ranking, unit_id: int, code: str):
    """The cases behind one rule of one unit's score (as stored when the ranking was made), in the reader's
    scope."""
    unit_row(user, ranking, unit_id)
    rule = next((r for r in ranking.version.definition["rules"] if r["code"] == code), None)
    if rule is None:
        raise NotFound(f"没有规则“{code}” / no such rule")
    ids = ranking.inputs["units"][str(unit_id)]["cases"].get(code, [])
    return rule, (cases_visible(user).filter(pk__in=ids).select_related("unit", "category")
                  .order_by("deadline", "id"))


def trend(user, scheme: Scheme, period: periods.Period, weeks: int = 8) -> tuple[list[str], dict[str, list]]:
    """Scores per unit over the ``weeks`` weeks ending with ``period``'s week (each week frozen when first read)."""
    keys, p = [], periods.week_of(period.end)
    for _ in range(weeks):
        keys.append(p)
        p = p.previous()
    keys.reverse()
    series: dict[int, list] = {}
    names: dict[int, str] = {}
    for i, week in enumerate(keys):
        ranking = ranking_of(user, week, scheme)
        for r in ranking.results:
            names[r["unit_id"]] = r["unit"]  # keyed by id: two units may share a name
            series.setdefault(r["unit_id"], [None] * len(keys))[i] = float(r["score"])
    return [k.key for k in keys], {names[pk]: data for pk, data in series.items()} if len(set(names.values())) \
        == len(names) else {f"{names[pk]}({pk})": data for pk, data in series.items()}


def leader_ranks(user, period: periods.Period | None = None, scheme: str | None = None) -> list[dict]:
    """The ranks of the units a leader 分包 (and of ranked units under them), for the dashboard.

    [{unit_id, unit, rank, of, score, grade, flag, rolling_red_flag}], in rank order; empty without 分包 or
    without a scheme.
    """
    if user is None or not user.is_authenticated:
        return []
    paths = list(LeaderAssignment.objects.filter(leader=user).values_list("unit__path", flat=True))
    if not paths:
        return []
    try:
        ranking = ranking_of(user, period or services.default_period(), scheme)
    except NotFound:
        return []
    ranked = {u.pk: u.path for u in indicators.ranked_units()}
    mine = {pk for pk, path in ranked.items() if any(path.startswith(p) for p in paths)}
    n = len(ranking.results)
    return [{"unit_id": r["unit_id"], "unit": r["unit"], "rank": r["rank"], "of": n, "score": r["score"],
             "grade": r["grade"], "flag": r["flag"], "rolling_red_flag": r["rolling_red_flag"],
             "period": ranking.period}
            for r in ranking.results if r["unit_id"] in mine]
