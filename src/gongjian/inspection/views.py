"""Pages of inspections: the list (scoped), recording an inspection, and its page with the findings
(each a case on the ledger) and the form to add one. Thin: parse, call a service, render."""

from __future__ import annotations

import datetime as dt

from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.core.exceptions import PermissionDenied
from django.core.paginator import Paginator
from django.db.models import Count
from django.shortcuts import redirect, render
from django.utils import timezone
from django.utils.translation import gettext as _

from gongjian.core.errors import DomainError, Forbidden, Invalid
from gongjian.core.scoping import get_visible_or_404
from gongjian.inspection import selectors, services
from gongjian.inspection.models import Finding, InspectionKind
from gongjian.ledger import selectors as ledger_selectors
from gongjian.ledger import services as ledger_services
from gongjian.ledger.models import Category, Priority
from gongjian.org.models import Role, User


def ui_message(exc: DomainError) -> str:
    return exc.message.rsplit(" / ", 1)[0]


def _datetime(value: str, label: str, field: str) -> dt.datetime:
    value = (value or "").strip()
    if not value:
        raise Invalid(_("请填写%(label)s") % {"label": label}, field=field)
    try:
        naive = dt.datetime.fromisoformat(value)
    except ValueError:
        raise Invalid(_("%(label)s“%(value)s”无效，应为 年-月-日 时:分，如 2026-06-01 21:30") % {
            "label": label, "value": value[:20]}, field=field) from None
    if naive.tzinfo is None:
        naive = timezone.make_aware(naive, timezone.get_current_timezone())
    return naive


def _float(value: str, label: str, field: str, low: float, high: float) -> float | None:
    value = (value or "").strip()
    if not value:
        return None
    try:
        number = float(value)
    except ValueError:
        raise Invalid(_("%(label)s“%(value)s”不是数字") % {"label": label, "value": value[:20]}, field=field) from None
    if not low <= number <= high:
        raise Invalid(_("%(label)s应在 %(low)s 到 %(high)s 之间") % {"label": label, "low": low, "high": high}, field=field)
    return number


def _inspector_choices():
    return list(User.objects.filter(is_active=True, role_assignments__role__in=[Role.INSPECTOR, Role.COMMANDER])
                .select_related("unit").order_by("unit__path", "username").distinct())


@login_required
def inspection_list(request):
    user = request.user
    qs = selectors.inspections_visible(user).annotate(n_findings=Count("findings")).order_by("-starts_at", "-id")
    kind, kind_error = request.GET.get("kind", ""), ""
    if kind in InspectionKind.values:
        qs = qs.filter(kind=kind)
    elif kind:
        kind_error, kind = _("类型“%(kind)s”无效，已显示全部督查") % {"kind": kind[:20]}, ""
    page = Paginator(qs, 50).get_page(request.GET.get("page"))
    return render(request, "inspection/pages/list.html", {
        "page": page, "kind": kind, "kind_error": kind_error, "kinds": InspectionKind.choices, "can_record": services.may_inspect(user)})


@login_required
def inspection_new(request):
    user = request.user
    if not services.may_inspect(user):
        raise PermissionDenied("只有督查员或指挥部可以录入督查")
    campaigns = list(ledger_selectors.campaigns_visible(user).order_by("-starts_on", "-id"))
    people = _inspector_choices()
    errors: dict[str, str] = {}
    posted = request.POST if request.method == "POST" else {}
    if request.method == "POST":
        data = request.POST
        try:
            campaign = next((c for c in campaigns if str(c.pk) == data.get("campaign", "")), None)
            if campaign is None:
                raise Invalid(_("请选择专项行动"), field="campaign")
            starts_at = _datetime(data.get("starts_at"), _("开始时间"), "starts_at")
            ends_at = _datetime(data.get("ends_at"), _("结束时间"), "ends_at")
            chosen = set(data.getlist("inspectors"))
            inspectors = [p for p in people if str(p.pk) in chosen]
            if len(inspectors) != len(chosen):
                raise Invalid(_("所选督查人员中有不存在或已停用的账号，请重新选择"), field="inspectors")
            inspection = services.inspection_create(
                actor=user, kind=data.get("kind", ""), campaign=campaign, title=data.get("title", ""),
                starts_at=starts_at, ends_at=ends_at, lead=user, inspectors=inspectors,
                other_inspectors=data.get("other_inspectors", ""), places=data.get("places", "").splitlines(),
                summary=data.get("summary", ""))
        except Forbidden as exc:
            raise PermissionDenied(ui_message(exc)) from None
        except Invalid as exc:
            errors[exc.field or "form"] = ui_message(exc)
        else:
            messages.success(request, _("已录入督查：%(title)s") % {"title": inspection.title})
            return redirect("inspection:detail", pk=inspection.pk)
    context = {"campaigns": campaigns, "people": people, "kinds": InspectionKind.choices, "errors": errors,
               "posted": posted, "chosen": set(posted.getlist("inspectors")) if posted else set()}
    return render(request, "inspection/pages/new.html", context, status=400 if errors else 200)


def _detail(request, inspection, *, errors=None, posted=None, status=200):
    user = request.user
    findings = (Finding.objects.visible_to(user).filter(inspection=inspection)
                .select_related("case", "case__unit", "case__category").order_by("id"))
    categories = list(Category.objects.filter(campaign=inspection.campaign).select_related("parent")
                      .order_by("parent_id", "order", "id")) if services.may_inspect(user) else []
    return render(request, "inspection/pages/detail.html", {
        "inspection": inspection, "findings": findings, "categories": categories,
        "inspectors": inspection.inspectors.all(), "can_add": services.may_inspect(user), "errors": errors or {},
        "posted": posted or {}, "max_photos": ledger_services.MAX_PHOTOS}, status=status)


@login_required
def inspection_detail(request, pk: int):
    inspection = get_visible_or_404(selectors.inspections_visible(request.user), request.user, pk=pk)
    return _detail(request, inspection)


@login_required
def finding_new(request, pk: int):
    user = request.user
    inspection = get_visible_or_404(selectors.inspections_visible(user), user, pk=pk)
    if request.method != "POST":
        return redirect("inspection:detail", pk=inspection.pk)
    if not services.may_inspect(user):
        raise PermissionDenied("只有督查员或指挥部可以录入督查发现的问题")
    data = request.POST
    try:
        category = Category.objects.filter(pk=data.get("category") or 0, campaign=inspection.campaign).first() \
            if (data.get("category") or "").isdigit() else None
        if category is None:
            raise Invalid(_("请选择问题类别"), field="category")
        lng = _float(data.get("lng"), _("经度"), "lng", 73, 136)
        lat = _float(data.get("lat"), _("纬度"), "lat", 3, 54)
        if (lng is None) != (lat is None):
            raise Invalid(_("经度和纬度要同时填写(或都不填)"), field="lng" if lng is None else "lat")
        finding = services.finding_add(
            actor=user, inspection=inspection, category=category, title=data.get("title", ""),
            description=data.get("description", ""), place=data.get("place", ""), lng=lng, lat=lat,
            priority=data.get("priority") if data.get("priority") in Priority.values else Priority.NORMAL,
            photos=request.FILES.getlist("photos"))
    except Forbidden as exc:
        raise PermissionDenied(ui_message(exc)) from None
    except DomainError as exc:
        return _detail(request, inspection, errors={exc.field or "form": ui_message(exc)}, posted=data,
                       status=exc.status)
    messages.success(request, _("已录入问题 %(serial)s，已上报台账") % {"serial": finding.case.serial})
    return redirect("inspection:detail", pk=inspection.pk)
