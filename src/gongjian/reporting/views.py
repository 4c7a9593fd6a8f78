"""Pages of the daily figures and the generated documents. Thin: scope, parse, call a service, render.

* ``/daily/``: a unit's figures for a day, typed in or pasted as the text the unit already writes
  (识别 fills the inputs it recognised and lists what it found); a second save replaces the first.
* ``/daily/overview/``: district-level readers see units × metrics with totals, the units that have not
  reported, and the totals of the last 14 days as a chart. A fixed number of queries, whatever the units.
* ``/documents/``: the generated documents, newest first, downloaded through the reader's scope; the
  command post generates the daily three and the 夜查日报 on demand, and a 整改通知书 from a case page.
"""

from __future__ import annotations

import datetime as dt
import tempfile
from collections import defaultdict
from decimal import Decimal
from pathlib import Path

from django.conf import settings
from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.core.exceptions import PermissionDenied
from django.core.paginator import Paginator
from django.http import FileResponse, Http404
from django.shortcuts import redirect, render
from django.urls import reverse
from django.utils import translation
from django.utils.translation import gettext as _
from django.views.decorators.http import require_POST

from gongjian.core.errors import DomainError, Forbidden, Invalid
from gongjian.core.scoping import get_visible_or_404
from gongjian.ledger import flows
from gongjian.ledger import services as ledger_services
from gongjian.ledger.models import Case
from gongjian.reporting import selectors, services
from gongjian.reporting.models import DailyReport, DocumentKind, Metric
from gongjian.reporting.tasks import documents_dir, pdfs_later
from gongjian.standards import gbt9704

CHART_DAYS = 14


def ui_message(exc: DomainError) -> str:
    """The Chinese part of a service message ("中文 / English")."""
    return exc.message.rsplit(" / ", 1)[0]


def number_text(value) -> str:
    """120 for 120.00, 35.5 for 35.50: what a person would type."""
    if value is None or value == "":
        return ""
    d = Decimal(str(value))
    return f"{d:.0f}" if d == d.to_integral_value() else format(d.normalize(), "f")


def parse_day(value: str | None, label: str | None = None) -> dt.date:
    """A date from a form or query string, not in the future; Invalid names what is wrong."""
    value = (value or "").strip()
    label = label or _("日期")
    if not value:
        return services.today()
    try:
        day = dt.date.fromisoformat(value)
    except ValueError:
        raise Invalid(_("%(label)s“%(value)s”无效，应为 年-月-日，如 2026-06-01") % {"label": label, "value": value[:20]},
                      field="date") from None
    if day > services.today():
        raise Invalid(_("%(label)s %(day)s 是未来的日期，只能选择今天或以前") % {"label": label, "day": f"{day:%Y-%m-%d}"},
                      field="date")
    return day


# ----------------------------------------------------------------- /daily/


def _reportable_units(user) -> list:
    return [u for u in selectors.reporting_units(user) if services.may_report_for(user, u)]


def _pick_unit(units: list, value: str | None):
    if not value:
        return units[0]
    for u in units:
        if str(u.pk) == str(value).strip():
            return u
    raise Http404  # another unit's form: never say whether it exists


def _rows(metrics: list[Metric], values: dict[str, str], approx: set[str], errors: dict[str, str]) -> list[dict]:
    return [{"metric": m, "value": values.get(m.code, ""), "approx": m.code in approx,
             "error": errors.get(m.code, "")} for m in metrics]


def _posted_values(data, metrics) -> tuple[dict[str, str], set[str]]:
    values = {m.code: (data.get(f"m-{m.code}") or "").strip() for m in metrics}
    approx = {m.code for m in metrics if data.get(f"a-{m.code}")}
    return values, approx


def _extract(text: str, metrics: list[Metric], values: dict[str, str], approx: set[str]):
    """Fill ``values`` from the pasted text: the spans found, summed per metric when one occurs twice."""
    found = services.extract_figures(text)
    names = {m.code: m for m in metrics}
    sums: dict[str, Decimal] = defaultdict(Decimal)
    counts: dict[str, int] = defaultdict(int)
    for f in found:
        code = f.get("metric")
        if code in names:
            sums[code] += Decimal(str(f["value"]))
            counts[code] += 1
            if f.get("approx"):
                approx.add(code)
            f["metric_name"] = names[code].name
    for code, total in sums.items():
        values[code] = number_text(total)
    repeated = [names[c].name for c, n in counts.items() if n > 1]
    return found, repeated


def _daily_context(request, user, units, unit, day, *, rows, text="", errors=None, found=None, repeated=None,
                   extracted=False):
    report = (DailyReport.objects.visible_to(user).filter(unit=unit, date=day)
              .select_related("submitted_by").first())
    return {
        "units": units, "unit": unit, "day": day, "today": services.today(), "rows": rows, "text": text,
        "errors": errors or {}, "report": report, "found": found or [], "repeated": repeated or [],
        "extracted": extracted, "unmatched": [f for f in (found or []) if not f.get("metric")],
        "can_overview": user.sees_everything,
    }


@login_required
def daily(request):
    user = request.user
    units = _reportable_units(user)
    if not units:
        if user.sees_everything and request.method != "POST":  # district inspectors and leaders read the totals
            return redirect("reporting:overview")
        raise PermissionDenied("只有街道、乡镇、办事处和区直部门的经办人或指挥部可以报送工作量")
    metrics = list(Metric.objects.filter(is_active=True))
    data = request.POST if request.method == "POST" else request.GET
    unit = _pick_unit(units, data.get("unit"))
    errors: dict[str, str] = {}
    try:
        day = parse_day(data.get("date"))
    except Invalid as exc:
        errors["date"] = ui_message(exc)
        day = services.today()
    if request.method != "POST":
        report = DailyReport.objects.visible_to(user).filter(unit=unit, date=day).first()
        values, approx, text = {}, set(), ""
        if report is not None:
            figures = list(report.figures.select_related("metric"))
            values = {f.metric.code: number_text(f.value) for f in figures}
            approx = {f.metric.code for f in figures if f.approx}
            text = report.text
        ctx = _daily_context(request, user, units, unit, day, rows=_rows(metrics, values, approx, {}), text=text,
                             errors=errors)
        return render(request, "reporting/pages/daily.html", ctx, status=400 if errors else 200)

    text = data.get("text", "")
    values, approx = _posted_values(data, metrics)
    if data.get("action") == "extract":  # 识别 without JavaScript: the whole page, filled in
        return _extract_response(request, user, units, unit, day, metrics, values, approx, text, errors,
                                 template="reporting/pages/daily.html")
    if errors:  # a bad date: nothing saved
        ctx = _daily_context(request, user, units, unit, day, rows=_rows(metrics, values, approx, {}), text=text,
                             errors=errors)
        return render(request, "reporting/pages/daily.html", ctx, status=400)
    figures, order = [], []
    for m in metrics:
        if values[m.code]:
            figures.append({"metric": m.code, "value": values[m.code], "approx": m.code in approx})
            order.append(m.code)
    try:
        report = services.daily_report_submit(actor=user, unit=unit, date=day, figures=figures, text=text)
    except Forbidden as exc:
        raise PermissionDenied(ui_message(exc)) from None
    except Invalid as exc:
        field_errors: dict[str, str] = {}
        field = exc.field or ""
        if field.startswith("figures[") and "]" in field:
            index = int(field[len("figures["):field.index("]")])
            field_errors[order[index]] = ui_message(exc)
        elif field in ("date", "text"):
            errors[field] = ui_message(exc)
        else:
            errors["figures"] = ui_message(exc)
        ctx = _daily_context(request, user, units, unit, day, rows=_rows(metrics, values, approx, field_errors),
                             text=text, errors=errors)
        return render(request, "reporting/pages/daily.html", ctx, status=400)
    if report.revision:
        messages.success(request, _("已保存%(unit)s %(day)s 的工作量(第%(n)s次修订，已替换之前的报送)") % {
            "unit": unit.name, "day": f"{day:%Y-%m-%d}", "n": report.revision})
    else:
        messages.success(request, _("已保存%(unit)s %(day)s 的工作量") % {"unit": unit.name, "day": f"{day:%Y-%m-%d}"})
    return redirect(f"{reverse('reporting:daily')}?unit={unit.pk}&date={day:%Y-%m-%d}")


def _extract_response(request, user, units, unit, day, metrics, values, approx, text, errors, *, template):
    found, repeated = [], []
    try:
        found, repeated = _extract(text, metrics, values, approx)
    except Invalid as exc:
        errors["text"] = ui_message(exc)
    if not text.strip():
        errors["text"] = _("请先粘贴工作情况文字，再按“识别”")
    elif not found and "text" not in errors:
        errors["text"] = _("没有在文字中找到工作量(数字加单位，如“出动120人次”)，请直接在下面填写")
    ctx = _daily_context(request, user, units, unit, day, rows=_rows(metrics, values, approx, {}), text=text,
                         errors=errors, found=found, repeated=repeated, extracted=True)
    return render(request, template, ctx)


@login_required
@require_POST
def daily_extract(request):
    """识别 (htmx): the figure inputs filled from the pasted text, and the list of what was found."""
    user = request.user
    units = _reportable_units(user)
    if not units:
        raise PermissionDenied
    metrics = list(Metric.objects.filter(is_active=True))
    unit = _pick_unit(units, request.POST.get("unit"))
    errors: dict[str, str] = {}
    try:
        day = parse_day(request.POST.get("date"))
    except Invalid as exc:
        errors["date"] = ui_message(exc)
        day = services.today()
    values, approx = _posted_values(request.POST, metrics)
    return _extract_response(request, user, units, unit, day, metrics, values, approx, request.POST.get("text", ""),
                             errors, template="reporting/partials/daily_figures.html")


# ----------------------------------------------------------------- /daily/overview/


@login_required
def overview(request):
    user = request.user
    if not user.sees_everything:
        raise PermissionDenied("每日工作量汇总仅供区级指挥部、督查、领导查看")
    error = ""
    try:
        day = parse_day(request.GET.get("date"))
    except Invalid as exc:
        error, day = ui_message(exc), services.today()
    metrics, rows, totals = selectors.figures_table(user, day)
    missing = selectors.missing_units(user, day)
    start = day - dt.timedelta(days=CHART_DAYS - 1)
    by_day = selectors.daily_totals(user, start, day)
    days = [start + dt.timedelta(days=i) for i in range(CHART_DAYS)]
    chart = {
        "days": [f"{d.month}-{d.day:02d}" for d in days],
        "series": [{"name": f"{m.name}({m.unit})", "data": [float(by_day.get(d, {}).get(m.code, 0)) for d in days]}
                   for m in metrics],
    }
    table = [{"unit": unit, "cells": [number_text(figs.get(m.code)) for m in metrics]} for unit, figs in rows]
    context = {
        "day": day, "today": services.today(), "error": error, "metrics": metrics, "table": table,
        "totals": [number_text(totals.get(m.code)) for m in metrics], "missing": missing, "chart": chart,
        "previous": day - dt.timedelta(days=1), "next": day + dt.timedelta(days=1) if day < services.today() else None,
    }
    return render(request, "reporting/pages/overview.html", context, status=400 if error else 200)


# ----------------------------------------------------------------- /documents/




@login_required
def documents(request):
    user = request.user
    qs = selectors.documents_visible(user)
    kind, kind_error = request.GET.get("kind", ""), ""
    if kind in DocumentKind.values:
        qs = qs.filter(kind=kind)
    elif kind:
        kind_error, kind = _("类型“%(kind)s”无效，已显示全部公文") % {"kind": kind[:20]}, ""
    page = Paginator(qs.order_by("-date", "-created_at", "-id"), 50).get_page(request.GET.get("page"))
    context = {
        "page": page, "kind": kind, "kind_error": kind_error, "kinds": DocumentKind.choices, "can_generate": flows.is_dispatcher(user),
        "today": services.today(), "yesterday": services.today() - dt.timedelta(days=1),
        "libreoffice": gbt9704.libreoffice() is not None,
    }
    return render(request, "reporting/pages/documents.html", context)


def _document_or_404(user, pk: int):
    doc = selectors.documents_visible(user).filter(pk=pk).first()
    if doc is None:
        raise Http404
    return doc


@login_required
def document_file(request, pk: int, which: str = "file"):
    """A generated file, only through the reader's scope (never a public media address)."""
    doc = _document_or_404(request.user, pk)
    field = doc.pdf if which == "pdf" else doc.file
    if not field:
        raise Http404
    try:
        handle = field.open("rb")
    except OSError:
        raise Http404 from None
    response = FileResponse(handle, as_attachment=True, filename=Path(field.name).name)
    response["Cache-Control"] = "private, no-store"
    return response


@login_required
@require_POST
def documents_generate(request):
    user = request.user
    if not flows.is_dispatcher(user):
        raise PermissionDenied("只有指挥部可以生成公文")
    what = request.POST.get("what", "")
    label = {"daily": _("日报三件套"), "night": _("夜查日报")}.get(what)
    try:
        if label is None:
            raise Invalid(_("请选择要生成的公文(日报三件套或夜查日报)"), field="what")
        day = parse_day(request.POST.get("date"))
        # Official documents are Chinese whatever language the person reads the pages in.
        with translation.override(settings.LANGUAGE_CODE), \
                tempfile.TemporaryDirectory(dir=documents_dir(), prefix="work-") as out:
            if what == "daily":
                from gongjian.reporting.documents import generate_daily

                result = generate_daily(day=day, out_dir=out, actor=user, pdf=False)
                made = result.documents
            else:
                from gongjian.inspection.documents import write_night_report

                doc = write_night_report(day=day, out_dir=out, actor=user, pdf=False)
                made = [doc]
        pdfs_later(made)  # PDF copies are made by the worker: LibreOffice takes seconds per document
    except Invalid as exc:
        messages.error(request, ui_message(exc))
        return redirect("reporting:documents")
    except (OSError, RuntimeError, ValueError) as exc:
        messages.error(request, _("生成%(what)s失败：%(error)s") % {"what": label, "error": exc})
        return redirect("reporting:documents")
    names = _("、").join(_(d.get_kind_display()) for d in made)
    note = (_("。PDF 副本正在后台生成，稍后刷新本页即可下载") if gbt9704.libreoffice() is not None
            else _("。未安装 LibreOffice，只生成了 docx/xlsx，没有 PDF 副本"))
    messages.success(request, _("已生成 %(day)s 的%(names)s%(note)s") % {"day": f"{day:%Y-%m-%d}", "names": names,
                                                                      "note": note})
    return redirect("reporting:documents")


@login_required
@require_POST
def case_notice(request, pk: int):
    """生成整改通知书 from a case page: one numbered notice to the case's responsible unit."""
    user = request.user
    case = get_visible_or_404(Case.objects.select_related("unit", "category", "campaign"), user, pk=pk)
    if not flows.is_dispatcher(user):
        raise PermissionDenied("只有指挥部可以下达整改通知书")
    if case.unit is None:
        messages.error(request, _("该案件尚未交办责任单位，不能下达整改通知书"))
        return redirect("ledger:case", pk=case.pk)
    from gongjian.reporting.documents import write_notice

    try:
        with translation.override(settings.LANGUAGE_CODE), \
                tempfile.TemporaryDirectory(dir=documents_dir(), prefix="work-") as out:
            doc = write_notice(cases=[case], unit=case.unit, out_dir=out, actor=user, on=ledger_services.today(),
                               pdf=False)
        pdfs_later([doc])
    except (OSError, RuntimeError) as exc:
        messages.error(request, _("生成整改通知书失败：%(error)s") % {"error": exc})
        return redirect("ledger:case", pk=case.pk)
    return render(request, "reporting/pages/notice_done.html", {"doc": doc, "case": case,
                                                                "libreoffice": gbt9704.libreoffice() is not None})
