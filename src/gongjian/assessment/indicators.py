"""Indicators per unit and period, from the ledger's per-case facts, in aggregate SQL.

The ranked units are the active 街道, 乡镇, 办事处 and 区直部门 (the units that report daily figures). A case
counts for the nearest ranked unit at or above its responsible unit (a community's cases count for its street).

Which cases a period holds (period = whole calendar days ``start``..``end``, Asia/Shanghai):

* 应处置数 = 应结案数 (``due``): cases assigned to a unit whose deadline falls in the period, except those
  returned (回退, waiting for another unit), parked long-term (挂账), or never assigned;
* 处置 (``handled``): of those, submitted (提交整改) or closed before the period's end; 按期处置 when the last
  submission was by the deadline, 超期处置 otherwise (a rework clears the submission, so a reworked case that was
  not resubmitted is not handled);
* 结案 / 按期结案: closed before the period's end / and by the deadline;
* 返工 (``reworked``): the verifier sent it back at least once; 延期 (``extended``): at least one approved extension;
* 超期未处置 (``overdue_pending``): not handled by the period's end and its deadline already past
  (for the running period, past today);
* 挂牌督办 (``escalated``): the case has climbed the ladder to 挂牌督办 or beyond (its level now);
* 发现问题 (``found``): cases reported in the period, by source (not the rejected ones). A problem found by a
  higher-level inspection (市级交办, 省级交办, 暗访 …) counts against the unit it was assigned to.

A case that moved between units mid-period: a case counts for the unit responsible for it when the figures are
taken (``Case.unit``). We chose this over replaying ``case.assign``/``case.return`` audit events because a unit
that returns a case (回退: "not ours") gives up that responsibility, and the next unit's deadline starts afresh
with the new assignment (交办 resets the deadline), so the deadline, the submission and the closure the
indicators count all belong to the unit holding the case; replaying the trail would need one audit query per
case, which a million-case ranking cannot afford. The ranking stores the counts and case ids it used, so later
moves never change a published ranking.
"""

from __future__ import annotations

import datetime as dt
from collections import defaultdict
from dataclasses import dataclass

from django.db.models import Count, Q
from django.utils import timezone

from gongjian.assessment import scoring
from gongjian.assessment.periods import Period
from gongjian.ledger.models import Case, EscalationLevel, Status
from gongjian.org.models import Unit, UnitKind

RANKED_KINDS = (UnitKind.STREET, UnitKind.TOWNSHIP, UnitKind.OFFICE, UnitKind.BUREAU)
NOT_DUE_STATUSES = (Status.REPORTED, Status.REGISTERED, Status.REJECTED, Status.RETURNED, Status.LONG_TERM)


def _today() -> dt.date:
    from gongjian.ledger import services

    return services.today()


def _start_of(day: dt.date) -> dt.datetime:
    return timezone.make_aware(dt.datetime.combine(day, dt.time.min))


@dataclass(frozen=True)
class Window:
    """The instants a period's facts are judged against."""

    period: Period
    start_dt: dt.datetime
    end_dt: dt.datetime
    as_of: dt.date  # deadlines before this day are past

    @classmethod
    def of(cls, period: Period, today: dt.date | None = None) -> Window:
        today = today or _today()
        after = period.end + dt.timedelta(days=1)
        return cls(period, _start_of(period.start), _start_of(after), min(after, today))


def set_q(name: str, w: Window) -> Q:
    """The Q of one case set inside the due cohort (``found`` is its own query, see ``found_q``)."""
    handled = Q(submitted_at__lt=w.end_dt) | Q(closed_at__lt=w.end_dt)
    closed = Q(closed_at__lt=w.end_dt)
    return {
        "due": Q(),
        "handled": handled,
        "handled_on_time": handled & Q(submitted_on_time=True),
        "handled_late": handled & ~Q(submitted_on_time=True),
        "closed": closed,
        "closed_on_time": closed & Q(closed_on_time=True),
        "reworked": Q(rework_count__gt=0),
        "extended": Q(extension_count__gt=0),
        "overdue_pending": ~handled & Q(deadline__lt=w.as_of),
        "escalated": Q(escalation_level__gte=EscalationLevel.LISTED),
    }[name]


def due_q(w: Window) -> Q:
    return (Q(unit__isnull=False, deadline__gte=w.period.start, deadline__lte=w.period.end)
            & ~Q(status__in=NOT_DUE_STATUSES))


def found_q(w: Window) -> Q:
    return Q(unit__isnull=False, reported_at__gte=w.start_dt, reported_at__lt=w.end_dt) & ~Q(status=Status.REJECTED)


def rule_q(rule: dict, w: Window) -> Q:
    """All cases behind one per-case rule (any unit)."""
    q = found_q(w) if rule["set"] == "found" else due_q(w) & set_q(rule["set"], w)
    if rule["sources"]:
        q &= Q(source__in=rule["sources"])
    return q


def ranked_units() -> list[Unit]:
    return list(Unit.objects.filter(kind__in=RANKED_KINDS, is_active=True).order_by("path"))


def rollup_map(ranked: list[Unit]) -> dict[int, int]:
    """unit id -> the id of the nearest ranked unit at or above it, for every unit under a ranked one."""
    ranked_ids = {u.pk for u in ranked}
    out = {}
    for pk, path in Unit.objects.values_list("pk", "path"):
        ids = [int(p) for p in path.strip("/").split("/") if p]
        for anc in reversed(ids):
            if anc in ranked_ids:
                out[pk] = anc
                break
    return out


def _empty() -> dict:
    return {"counts": dict.fromkeys(scoring.COUNTS, 0), "sources": {}, "rules": {}, "cases": {},
            "missing_days": 0}


def collect(period: Period, rules: list[dict] | None = None, *, today: dt.date | None = None,
            with_cases: bool = True) -> dict[int, dict]:
    """Per ranked unit: counts of every case set, found problems by source, the count (and case ids) of each
    per-case rule, and the days without daily figures. Aggregate queries grouped by responsible unit, then
    summed into the ranked units (a few hundred groups, never a row per case)."""
    w = Window.of(period, today)
    ranked = ranked_units()
    up = rollup_map(ranked)
    data = {u.pk: _empty() for u in ranked}
    case_rules = [r for r in rules or [] if r["type"] == "case"]
    due_rules = [r for r in case_rules if r["set"] != "found"]

    # Aliases n_* so none shadows a Case field (closed_on_time is both a fact and a count).
    annotations = {f"n_{name}": Count("id", filter=set_q(name, w)) if name != "due" else Count("id")
                   for name in scoring.COUNTS}
    for i, r in enumerate(due_rules):
        q = set_q(r["set"], w)
        if r["sources"]:
            q &= Q(source__in=r["sources"])
        annotations[f"r{i}"] = Count("id", filter=q) if q else Count("id")
    rows = Case.objects.filter(due_q(w)).order_by().values("unit_id").annotate(**annotations)
    for row in rows:
        target = up.get(row["unit_id"])
        if target is None:
            continue
        unit = data[target]
        for name in scoring.COUNTS:
            unit["counts"][name] += row[f"n_{name}"]
        for i, r in enumerate(due_rules):
            unit["rules"][r["code"]] = unit["rules"].get(r["code"], 0) + row[f"r{i}"]

    found = Case.objects.filter(found_q(w)).order_by().values("unit_id", "source").annotate(n=Count("id"))
    for row in found:
        target = up.get(row["unit_id"])
        if target is None:
            continue
        sources = data[target]["sources"]
        sources[row["source"]] = sources.get(row["source"], 0) + row["n"]
    for r in case_rules:
        if r["set"] == "found":
            for unit in data.values():
                unit["rules"][r["code"]] = sum(n for s, n in unit["sources"].items()
                                               if not r["sources"] or s in r["sources"])
        for unit in data.values():
            unit["rules"].setdefault(r["code"], 0)

    if with_cases:
        # An indicator rule's cases are its rate's numerator (the overdue ones behind 超期待处置率 …).
        numerators = [{"code": r["code"], "set": scoring.INDICATORS[r["indicator"]][1], "sources": []}
                      for r in rules or [] if r["type"] == "indicator"]
        wanted = [(r, lambda u, r=r: u["rules"][r["code"]]) for r in case_rules]
        wanted += [(r, lambda u, r=r: u["counts"][r["set"]]) for r in numerators]
        for r, count in wanted:
            if not any(count(unit) for unit in data.values()):
                continue  # no case behind this rule anywhere: skip the query
            ids: dict[int, list[int]] = defaultdict(list)
            for unit_id, case_id in Case.objects.filter(rule_q(r, w)).order_by("id").values_list("unit_id", "id"):
                if (target := up.get(unit_id)) is not None:
                    ids[target].append(case_id)
            for target, case_ids in ids.items():
                data[target]["cases"][r["code"]] = case_ids

    if rules is None or any(r["type"] == "daily_missing" for r in rules):
        _missing_days(data, period, today or _today())
    return data


def _missing_days(data: dict[int, dict], period: Period, today: dt.date) -> None:
    """Days of the period before today without the unit's daily figures."""
    from gongjian.reporting.models import DailyReport

    last = min(period.end, today - dt.timedelta(days=1))
    days = (last - period.start).days + 1
    if days <= 0:
        return
    reported = dict(DailyReport.objects.filter(date__gte=period.start, date__lte=last, unit_id__in=list(data))
                    .order_by().values("unit_id").annotate(n=Count("id")).values_list("unit_id", "n"))
    for pk, unit in data.items():
        unit["missing_days"] = days - reported.get(pk, 0)


def rates(counts: dict) -> dict[str, float | None]:
    """Every indicator as a float rate (None when nothing was due)."""
    out = {}
    for name in scoring.INDICATORS:
        r = scoring.rate(counts, name)
        out[name] = None if r is None else round(float(r), 4)
    return out
