"""Reads of daily figures, always scoped to the reader's units."""

from __future__ import annotations

import datetime as dt
from collections import defaultdict
from decimal import Decimal

from gongjian.org.models import Unit
from gongjian.reporting.models import DailyFigure, DailyReport, Metric
from gongjian.reporting.services import REPORTING_KINDS


def reports_visible(user):
    return DailyReport.objects.visible_to(user)


def reporting_units(user):
    """The units in the reader's scope that report daily figures, in tree order."""
    return Unit.objects.visible_to(user).filter(kind__in=REPORTING_KINDS, is_active=True).order_by("path")


def missing_units(user, date: dt.date) -> list[Unit]:
    reported = DailyReport.objects.filter(date=date).values("unit_id")
    return list(reporting_units(user).exclude(pk__in=reported))


def figures_table(user, date: dt.date) -> tuple[list[Metric], list[tuple[Unit, dict[str, Decimal]]], dict[str, Decimal]]:
    """(metrics, [(unit, {code: value})] for the units that reported, totals by code) for one day."""
    metrics = list(Metric.objects.filter(is_active=True))
    by_unit: dict[int, dict[str, Decimal]] = defaultdict(dict)
    totals: dict[str, Decimal] = defaultdict(Decimal)
    rows = (DailyFigure.objects.visible_to(user).filter(report__date=date)
            .values_list("report__unit_id", "metric__code", "value"))
    for unit_id, code, value in rows:
        by_unit[unit_id][code] = value
        totals[code] += value
    units = Unit.objects.filter(pk__in=list(by_unit)).order_by("path")
    return metrics, [(u, by_unit[u.pk]) for u in units], dict(totals)


def daily_totals(user, start: dt.date, end: dt.date) -> dict[dt.date, dict[str, Decimal]]:
    """Totals by day and metric code over [start, end], in the reader's scope (one aggregate query)."""
    from django.db.models import Sum

    out: dict[dt.date, dict[str, Decimal]] = defaultdict(dict)
    rows = (DailyFigure.objects.visible_to(user).filter(report__date__range=(start, end))
            .values("report__date", "metric__code").annotate(total=Sum("value"))
            .values_list("report__date", "metric__code", "total"))
    for day, code, total in rows:
        out[day][code] = total
    return dict(out)


def documents_visible(user):
    """District-level readers and admins see every generated document; others only the 整改通知书
    addressed to a unit in their scope."""
    from gongjian.core.scoping import scope_q
    from gongjian.reporting.models import Document, DocumentKind

    qs = Document.objects.select_related("unit", "created_by")
    q = scope_q(user, "unit")
    if q is None:
        return qs
    return qs.filter(kind=DocumentKind.NOTICE).filter(q)
