"""The 台账 page: the filterable ledger, its export, the import of a spreadsheet ledger, bulk assign.

Every read goes through ``selectors.ledger`` (scoped to the reader), every write through the
services (``services.transition`` per case, ``spreadsheets.import_cases``). The filter bar is
``forms.LedgerFilterForm``, the same parser as the REST list.
"""

from __future__ import annotations

import logging
import math
import os
import secrets
import tempfile
import time
from pathlib import Path
from types import SimpleNamespace
from urllib.parse import urlencode

from django.conf import settings
from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.core.exceptions import PermissionDenied
from django.http import FileResponse
from django.shortcuts import redirect, render
from django.urls import reverse
from django.utils.cache import patch_vary_headers
from django.utils.translation import gettext as _
from django.views.decorators.http import require_POST

from gongjian.core.errors import DomainError
from gongjian.ledger import flows, selectors, services, spreadsheets
from gongjian.ledger.forms import ORDER_LABELS, BulkAssignForm, ImportForm, LedgerFilterForm
from gongjian.ledger.models import Campaign, Source, Status
from gongjian.org.models import Unit
from gongjian.standards.workdays import MissingYear

logger = logging.getLogger(__name__)

PAGE_SIZE = 50
SOURCE_LABELS = dict(Source.choices)
# The columns the table shows (and what the light and the links need): nothing else is read.
ROW_FIELDS = ("id", "serial", "title", "status", "source", "reported_at", "deadline", "warn_on", "campaign_id",
              "unit__name", "category__name")
# Sortable columns: header -> (ascending key, descending key or None).
SORTS = {"serial": ("serial", "-serial"), "reported": ("reported", "-reported"),
         "deadline": ("deadline", "-deadline"), "status": ("status", None), "unit": ("unit", None)}
FILTER_FIELDS = tuple(LedgerFilterForm.base_fields)


def _params(request, **override) -> str:
    """The request's filter parameters (no empty ones), with ``override`` applied, as a query string."""
    pairs = [(k, v) for k in FILTER_FIELDS for v in request.GET.getlist(k) if v != "" and k not in override]
    pairs += [(k, v) for k, v in override.items() if v not in ("", None)]
    return urlencode(pairs)


def _page_number(raw: str | None) -> tuple[int, str]:
    if raw in (None, ""):
        return 1, ""
    try:
        page = int(raw)
    except ValueError:
        return 1, _("页码“%(raw)s”无效，应为正整数；已显示第 1 页") % {"raw": raw[:20]}
    if page < 1:
        return 1, _("页码应为正整数；已显示第 1 页")
    return page, ""


def _rows(qs, page: int, on):
    rows = list(qs.values(*ROW_FIELDS)[(page - 1) * PAGE_SIZE: page * PAGE_SIZE])
    cal = services._calendar() if rows else None
    for r in rows:
        r["status_label"] = Status(r["status"]).label
        r["source_label"] = SOURCE_LABELS.get(r["source"], r["source"])
        light = selectors.light_of(SimpleNamespace(**r), on)
        r["light"], r["light_label"] = light, selectors.LIGHTS.get(light, "")
        r["workdays_left"] = None
        if light:
            try:
                r["workdays_left"] = cal.count(on, r["deadline"])
            except MissingYear:
                pass
    return rows


def _sort_links(request, f) -> dict:
    current = f.effective_order()
    links = {}
    for col, (asc, desc) in SORTS.items():
        if current == asc and desc:
            target, state = desc, "ascending"
        elif current == asc:
            target, state = asc, "ascending"
        elif current == desc:
            target, state = asc, "descending"
        else:
            target, state = asc, "none"
        links[col] = {"href": "?" + _params(request, order=target), "state": state,
                      "title": _("按%(order)s排序") % {"order": ORDER_LABELS[target]}}
    return links


def _context(request) -> dict:
    user = request.user
    form = LedgerFilterForm(request.GET or None, user=user)
    f = form.to_filter()
    page, page_error = _page_number(request.GET.get("page"))
    on = services.today()
    qs = selectors.ledger(user, f, on=on)
    counts = selectors.ledger_counts(user, f, qs)
    pages = max(1, math.ceil(counts.total / PAGE_SIZE))
    if page > pages:
        if counts.exact:
            page_error = page_error or _("没有第 %(page)s 页(共 %(pages)s 页)；已显示最后一页") % {"page": page, "pages": pages}
        else:  # no deep OFFSET past the counted matches: narrowing the filter is the way on
            page_error = page_error or (_("超过 %(total)s 件时只能翻到第 %(pages)s 页；已显示第 %(pages)s 页，"
                                          "请缩小筛选范围") % {"total": f"{counts.total:,}", "pages": pages})
        page = pages
    rows = _rows(qs, page, on)
    dispatcher = flows.is_dispatcher(user)
    status_links = [{"code": code, "label": label, "n_text": f"{counts.by_status.get(code, 0):,}",
                     "href": "?" + _params(request, status=code, page=""), "current": f.status == [code]}
                    for code, label in Status.choices]
    return {
        "form": form, "filter": f, "rows": rows, "counts": counts, "page": page, "pages": pages,
        "page_error": page_error, "on": on, "status_links": status_links,
        "all_href": "?" + _params(request, status=""),
        "prev_href": "?" + _params(request, page=page - 1) if page > 1 else "",
        "next_href": "?" + _params(request, page=page + 1) if page < pages else "",
        "sort": _sort_links(request, f), "query": _params(request),
        "first_row": (page - 1) * PAGE_SIZE + 1, "last_row": (page - 1) * PAGE_SIZE + len(rows),
        "total_text": f"{counts.total:,}" + ("" if counts.exact else "+"), "cap_text": f"{counts.total:,}",
        "order_label": ORDER_LABELS[f.effective_order()],
        "dispatcher": dispatcher,
        "assign_units": [(u.pk, "\u3000" * max(u.depth - 1, 0) + u.name) for u in _assign_units()] if dispatcher else [],
        "more_open": any(form.data.get(k) for k in ("source", "category", "reported_from", "reported_to",
                                                    "deadline_from", "deadline_to", "closed_from", "closed_to"))
        if form.is_bound else False,
    }


def _assign_units():
    """The units a dispatcher may assign to: any unit of the district (as the API allows)."""
    return Unit.objects.filter(is_active=True).order_by("path")


@login_required
def ledger_list(request):
    context = _context(request)
    htmx = getattr(request, "htmx", None)
    partial = bool(htmx) and not htmx.history_restore_request
    template = "ledger/partials/table_results.html" if partial else "ledger/pages/table.html"
    context["oob"] = partial
    response = render(request, template, context)
    patch_vary_headers(response, ("HX-Request",))
    return response


@login_required
def ledger_export(request):
    user = request.user
    form = LedgerFilterForm(request.GET or None, user=user)
    f = form.to_filter()
    if form.is_bound and not form.is_valid():
        return render(request, "ledger/pages/export_error.html",
                      {"form": form, "back": reverse("ledger:list") + "?" + _params(request)}, status=400)
    on = services.today()
    cases = selectors.ledger(user, f, on=on)
    campaign = Campaign.objects.filter(pk=f.campaign).first() if f.campaign else None
    out = tempfile.TemporaryFile()
    try:
        spreadsheets.export_xlsx(cases, out, title=spreadsheets.default_title(campaign, on), on=on)
    except DomainError as exc:
        out.close()
        return render(request, "ledger/pages/export_error.html",
                      {"message": exc.message, "back": reverse("ledger:list") + "?" + _params(request)},
                      status=400)
    out.seek(0)
    name = f"{campaign.name if campaign else '整治攻坚'}台账-{on:%Y%m%d}.xlsx"
    return FileResponse(out, as_attachment=True, filename=name,
                        content_type="application/vnd.openxmlformats-officedocument.spreadsheetml.sheet")


# ----------------------------------------------------------------- bulk assign


@login_required
@require_POST
def bulk_assign(request):
    user = request.user
    if not flows.is_dispatcher(user):
        raise PermissionDenied("只有指挥部可以批量交办")
    form = BulkAssignForm(request.POST, units=_assign_units())
    results = []
    if form.is_valid():
        unit, workdays = form.cleaned_data["unit"], form.cleaned_data["workdays"]
        ids = form.cleaned_data["cases"]
        found = {c.pk: c for c in selectors.cases_visible(user).filter(pk__in=ids).select_related("unit")}
        for pk in ids:
            case = found.get(pk)
            if case is None:
                results.append({"pk": pk, "serial": f"#{pk}", "ok": False, "message": _("案件不存在或无权查看")})
                continue
            try:
                moved = services.transition(actor=user, case=case, action="assign", unit=unit, workdays=workdays)
            except DomainError as exc:
                results.append({"pk": pk, "serial": case.serial, "ok": False, "message": exc.message.split(" / ")[0]})
            else:
                results.append({"pk": pk, "serial": case.serial, "ok": True,
                                "message": _("已交办给%(unit)s，整改期限 %(deadline)s") % {
                                    "unit": unit.name, "deadline": f"{moved.deadline:%Y-%m-%d}"}})
    context = {"form": form, "results": results, "done": sum(r["ok"] for r in results),
               "refused": sum(not r["ok"] for r in results), "back": request.POST.get("back", "")}
    status = 200 if form.is_valid() else 400
    if getattr(request, "htmx", None):
        response = render(request, "ledger/partials/bulk_result.html", context, status=status)
        if context["done"]:
            response["HX-Trigger"] = "ledger:changed"  # the table reloads to show the new statuses
        return response
    return render(request, "ledger/pages/bulk_result.html", context, status=status)


# ----------------------------------------------------------------- import


def _import_dir() -> Path:
    path = Path(settings.MEDIA_ROOT).parent / "imports"
    path.mkdir(parents=True, exist_ok=True)
    # Uploads that were checked but never confirmed are removed after a day.
    cutoff = time.time() - 86400
    for old in path.iterdir():
        try:
            if old.stat().st_mtime < cutoff:
                old.unlink()
        except OSError:
            pass
    return path


def _columns(result) -> list[tuple[str, str]]:
    return [(col, spreadsheets.FIELD_LABELS.get(f, f)) for f, col in result.columns.items()]


def _require_importer(user) -> None:
    if not flows.is_dispatcher(user):
        raise PermissionDenied("只有指挥部或管理员可以导入台账")


@login_required
def ledger_import(request):
    user = request.user
    _require_importer(user)
    context: dict = {}
    if request.method == "POST" and request.POST.get("token"):
        return _import_confirm(request)
    if request.method == "POST":
        form = ImportForm(request.POST, request.FILES, user=user)
        if form.is_valid():
            upload = form.cleaned_data["file"]
            campaign = form.cleaned_data["campaign"]
            token = secrets.token_urlsafe(16)
            suffix = Path(upload.name).suffix.lower()
            path = _import_dir() / f"{token}{suffix}"
            with open(path, "wb") as fh:
                for chunk in upload.chunks():
                    fh.write(chunk)
            try:
                result = spreadsheets.import_cases(actor=user, campaign=campaign, path=path, dry_run=True)
            except DomainError as exc:
                path.unlink(missing_ok=True)
                form.add_error("file", exc.message.split(" / ")[0])
            except Exception:  # a damaged file the readers cannot open
                logger.warning("ledger import: could not read %s", upload.name, exc_info=True)
                path.unlink(missing_ok=True)
                form.add_error("file", _("无法读取“%(name)s”：文件可能已损坏，或不是它的扩展名所示的格式") % {
                    "name": upload.name})
            else:
                if result.sheet in (path.name, path.stem):  # a csv's "sheet" is the stored file's name
                    result.sheet = upload.name
                result.file = upload.name
                context["result"] = result
                context["columns"] = _columns(result)
                if result.ok:
                    pending = request.session.get("ledger_imports", {})
                    pending[token] = {"path": str(path), "name": upload.name, "campaign": campaign.pk}
                    request.session["ledger_imports"] = pending
                    context["token"] = token
                    context["campaign"] = campaign
                else:
                    path.unlink(missing_ok=True)
    else:
        form = ImportForm(user=user)
    context["form"] = form
    return render(request, "ledger/pages/import.html", context)


def _import_confirm(request):
    user = request.user
    pending = request.session.get("ledger_imports", {})
    item = pending.pop(request.POST.get("token", ""), None)
    request.session["ledger_imports"] = pending
    form = ImportForm(user=user)
    if item is None or not os.path.exists(item["path"]):
        return render(request, "ledger/pages/import.html",
                      {"form": form, "error": _("这次检查已失效(已导入过或超过一天)，请重新上传文件")}, status=400)
    campaign = selectors.campaigns_visible(user).filter(pk=item["campaign"]).first()
    path = Path(item["path"])
    try:
        if campaign is None:
            raise DomainError(_("专项行动已不存在，请重新上传"))
        result = spreadsheets.import_cases(actor=user, campaign=campaign, path=path, dry_run=False)
    except DomainError as exc:
        return render(request, "ledger/pages/import.html", {"form": form, "error": exc.message.split(" / ")[0]},
                      status=400)
    finally:
        path.unlink(missing_ok=True)
    if not result.ok:  # the ledger changed between the check and the confirmation
        result.file = item["name"]
        return render(request, "ledger/pages/import.html",
                      {"form": form, "result": result, "columns": _columns(result)}, status=400)
    messages.success(request, _("已导入 %(n)s 件到“%(campaign)s”：%(first)s 至 %(last)s(已交办 %(assigned)s，已立案 "
                                "%(registered)s)") % {
        "n": result.created, "campaign": campaign, "first": result.first_serial, "last": result.last_serial,
        "assigned": result.assigned, "registered": result.registered})
    return redirect(reverse("ledger:list") + "?" + urlencode({"campaign": campaign.pk}))
