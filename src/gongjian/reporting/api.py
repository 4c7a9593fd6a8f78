"""REST endpoints of the daily figures. Thin: scope, call a service, shape the answer."""

from __future__ import annotations

import datetime as dt

from ninja import Router, Status

from gongjian.core.errors import Invalid
from gongjian.org.models import Unit
from gongjian.reporting import selectors, services
from gongjian.reporting.models import Metric
from gongjian.reporting.schemas import (
    DailyReportIn,
    DailyReportOut,
    ExtractedOut,
    ExtractIn,
    MetricOut,
    UnitRef,
)

router = Router(tags=["每日工作量 / daily figures"])


@router.get("/metrics", response=list[MetricOut], summary="工作量指标目录")
def list_metrics(request):
    return Metric.objects.filter(is_active=True)


@router.post("/extract", response=list[ExtractedOut], summary="从文字中提取工作量(粘贴单位自己写的文字)")
def extract(request, body: ExtractIn):
    return services.extract_figures(body.text)


@router.get("/reports", response=list[DailyReportOut], summary="某日各单位报送的工作量(本人范围内)")
def list_reports(request, date: dt.date):
    return selectors.reports_visible(request.auth).filter(date=date).select_related("unit")


@router.post("/reports", response={201: DailyReportOut}, summary="报送工作量(同一单位同一天再次报送即替换，留痕)")
def submit(request, body: DailyReportIn):
    unit = Unit.objects.visible_to(request.auth).filter(pk=body.unit_id).first()
    if unit is None:
        raise Invalid(f"找不到单位 {body.unit_id} / unknown unit", field="unit_id")
    report = services.daily_report_submit(
        actor=request.auth, unit=unit, date=body.date, text=body.text,
        figures=[f.dict() for f in body.figures])
    return Status(201, report)


@router.get("/missing", response=list[UnitRef], summary="某日未报送的单位")
def missing(request, date: dt.date):
    return selectors.missing_units(request.auth, date)
