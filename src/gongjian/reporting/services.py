"""Every write on daily figures: submitting (or replacing) a unit's figures for a day."""

from __future__ import annotations

import datetime as dt
from decimal import Decimal, InvalidOperation

from django.db import transaction
from django.utils import timezone

from gongjian.core import audit
from gongjian.core.errors import Forbidden, Invalid
from gongjian.org.models import Role, Unit, UnitKind
from gongjian.reporting.models import DailyFigure, DailyReport, Metric
from gongjian.standards import figures as figure_standard

# The units that report figures every day: streets, townships, offices and district departments.
REPORTING_KINDS = (UnitKind.STREET, UnitKind.TOWNSHIP, UnitKind.OFFICE, UnitKind.BUREAU)


def today() -> dt.date:
    return timezone.localdate()


def catalogue(metrics=None) -> list[figure_standard.Metric]:
    """The database catalogue in the extractor's terms."""
    rows = metrics if metrics is not None else Metric.objects.filter(is_active=True)
    return [figure_standard.Metric(code=m.code, name=m.name, unit=m.unit, items=tuple(m.keywords.split()),
                                   units=tuple(m.units.split()) or (m.unit,), verbs=tuple(m.verbs.split()))
            for m in rows]


def extract_figures(text: str) -> list[dict]:
    """The quantities in ``text``, each with the catalogue metric it belongs to (or None)."""
    if len(text) > 20_000:
        raise Invalid("文字过长(超过2万字)，请分段粘贴 / text too long", field="text")
    return [f.as_json() for f in figure_standard.extract(text, catalogue())]


def may_report_for(actor, unit: Unit) -> bool:
    if actor is None:
        return True
    if not actor.is_active:
        return False
    if actor.is_admin or (actor.sees_everything and actor.has_role(Role.COMMANDER)):
        return True
    return bool(actor.unit_id and actor.has_role(Role.HANDLER, Role.COMMANDER)
                and actor.unit.path.startswith(unit.path))


def _decimal(value, label: str, field: str) -> Decimal:
    try:
        number = Decimal(str(value).strip().replace(",", ""))
    except (InvalidOperation, ValueError):
        raise Invalid(f"{label}：“{value}”不是数字 / not a number", field=field) from None
    if not number.is_finite():
        raise Invalid(f"{label}：“{value}”不是数字 / not a number", field=field)
    return number


@transaction.atomic
def daily_report_submit(*, actor, unit: Unit, date: dt.date, figures: list[dict], text: str = "") -> DailyReport:
    """A unit's figures for a day: [{"metric": code, "value": number, "approx": bool}]. A second
    submission for the same unit and day replaces the first; both are in the audit trail."""
    if unit.kind not in REPORTING_KINDS:
        raise Invalid(f"“{unit}”不是报送单位(街道、乡镇、办事处、区直部门) / not a reporting unit", field="unit")
    if not may_report_for(actor, unit):
        raise Forbidden(f"没有权限为“{unit}”报送工作量 / not permitted")
    if date > today():
        raise Invalid(f"不能报送未来日期({date:%Y-%m-%d})的工作量 / the date is in the future", field="date")
    if len(text) > 20_000:
        raise Invalid("工作情况原文过长(超过2万字) / text too long", field="text")
    metrics = {m.code: m for m in Metric.objects.filter(is_active=True)}
    values: dict[str, tuple[Decimal, bool]] = {}
    for i, item in enumerate(figures):
        field = f"figures[{i}]"
        code = str(item.get("metric") or "")
        metric = metrics.get(code)
        if metric is None:
            raise Invalid(f"第{i + 1}项：未知指标“{code}” / unknown metric", field=f"{field}.metric")
        if code in values:
            raise Invalid(f"“{metric.name}”填了两次 / metric given twice", field=f"{field}.metric")
        value = _decimal(item.get("value"), metric.name, f"{field}.value")
        if value < 0:
            raise Invalid(f"{metric.name}：数值不能为负({value}) / must not be negative", field=f"{field}.value")
        if value > metric.max_value:
            raise Invalid(f"{metric.name}：{value:f}{metric.unit}超过单日上限{metric.max_value:f}{metric.unit}，请核对 / "
                          f"above the daily maximum", field=f"{field}.value")
        if value != value.quantize(Decimal("0.01")):
            raise Invalid(f"{metric.name}：最多保留两位小数 / at most two decimals", field=f"{field}.value")
        values[code] = (value, bool(item.get("approx", False)))
    if not values:
        raise Invalid("没有填写任何工作量 / no figures given", field="figures")

    report = DailyReport.objects.select_for_update().filter(unit=unit, date=date).first()
    before = None
    now = timezone.now()
    if report is not None:
        before = {"figures": {f.metric.code: str(f.value) for f in report.figures.select_related("metric")},
                  "text": report.text}
        report.figures.all().delete()
        report.text, report.submitted_by, report.submitted_at = text, actor, now
        report.revision += 1
        report.save(update_fields=["text", "submitted_by", "submitted_at", "revision"])
    else:
        report = DailyReport.objects.create(unit=unit, date=date, text=text, submitted_by=actor, submitted_at=now)
    DailyFigure.objects.bulk_create([DailyFigure(report=report, metric=metrics[code], value=value, approx=approx)
                                     for code, (value, approx) in values.items()])
    after = {"figures": {code: str(v) for code, (v, _) in values.items()}, "text": text}
    audit.record(actor=actor, action="daily_report.replace" if before else "daily_report.submit", obj=report,
                 before=before, after=after)
    return report


def _metric_snapshot(metric: Metric) -> dict:
    return {"code": metric.code, "name": metric.name, "unit": metric.unit, "units": metric.units,
            "keywords": metric.keywords, "verbs": metric.verbs, "max_value": str(metric.max_value),
            "order": metric.order, "is_active": metric.is_active}


@transaction.atomic
def metric_save(*, actor, metric: Metric) -> Metric:
    """Add a metric to the catalogue or change one (administrators only; audited). Metrics are never
    deleted, since figures refer to them: switch one off instead."""
    if actor is not None and not (actor.is_active and actor.is_admin):
        raise Forbidden("只有管理员可以维护工作量指标 / only administrators edit the catalogue")
    if not metric.name.strip() or not metric.unit.strip():
        raise Invalid("指标名称和计量单位不能为空 / name and unit are required", field="name")
    if metric.max_value is None or metric.max_value <= 0:
        raise Invalid("单日上限必须大于 0 / the daily maximum must be positive", field="max_value")
    before = None
    if metric.pk:
        old = Metric.objects.select_for_update().get(pk=metric.pk)
        before = _metric_snapshot(old)
    metric.units = " ".join(metric.units.split()) or metric.unit
    metric.save()
    audit.record(actor=actor, action="metric.update" if before else "metric.create", obj=metric,
                 before=before, after=_metric_snapshot(metric))
    return metric
