"""上报 from a phone: camera photos, GPS position (or a tap on the map), category and description;
and "my reports", the cases this person reported with their status."""

from __future__ import annotations

from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.core.paginator import Paginator
from django.http import Http404
from django.shortcuts import redirect, render
from django.utils.translation import gettext as _

from gongjian.core.errors import DomainError
from gongjian.ledger import selectors, services
from gongjian.ledger.models import Category, Source
from gongjian.ledger.views.case import ui_message
from gongjian.org import selectors as org_selectors
from gongjian.org.models import Role

# Inspectors say how they found it; everyone else reports from their own patrol (自查).
INSPECTOR_SOURCES = [Source.DISTRICT_INSPECTION, Source.NIGHT, Source.UNANNOUNCED]
TITLE_CHARS = 30


def _reporter_or_404(user):
    # Read-only accounts have no report page.
    if services.is_read_only(user):
        raise Http404


def derive_title(category: Category | None, description: str, address: str) -> str:
    """A title from the first line of the description (or the category and address)."""
    first = next((line.strip() for line in description.splitlines() if line.strip()), "")
    if first:
        return first if len(first) <= TITLE_CHARS else first[:TITLE_CHARS] + "…"
    parts = [p for p in (address.strip()[:40], category.name if category else "") if p]
    return "：".join(parts)


def _category_groups(campaigns) -> list[tuple[str, list[tuple[int, str]]]]:
    """Categories for the picker, grouped under their top-level category (and campaign when several)."""
    groups = []
    several = len(campaigns) > 1
    for campaign in campaigns:
        cats = list(selectors.categories_of(campaign))
        tops = [c for c in cats if c.parent_id is None]
        for top in tops:
            children = [c for c in cats if c.parent_id == top.pk]
            label = f"{campaign.name} · {top.name}" if several else top.name
            groups.append((label, [(top.pk, _("%(name)s(其他)") % {"name": top.name} if children else top.name)]
                           + [(c.pk, c.name) for c in children]))
    return groups


def _grids_geojson(user) -> dict:
    features = [{"type": "Feature", "geometry": g.geometry,
                 "properties": {"code": g.code, "name": g.name, "unit": g.unit.name}}
                for g in org_selectors.grids_visible(user)[:500]]
    return {"type": "FeatureCollection", "features": features}


def _float(value: str, label: str, errors: dict, field: str):
    value = (value or "").strip()
    if not value:
        return None
    try:
        number = float(value)
    except ValueError:
        errors[field] = _("%(label)s“%(value)s”不是数字") % {"label": label, "value": value}
        return None
    if number != number or number in (float("inf"), float("-inf")):
        errors[field] = _("%(label)s“%(value)s”不是有效数字") % {"label": label, "value": value}
        return None
    return number


@login_required
def report(request):
    user = request.user
    _reporter_or_404(user)
    campaigns = list(selectors.campaigns_visible(user).filter(is_active=True).order_by("-starts_on", "name"))
    is_inspector = user.has_role(Role.INSPECTOR)
    errors: dict[str, str] = {}
    data = request.POST if request.method == "POST" else {}
    if request.method == "POST":
        campaign = next((c for c in campaigns if str(c.pk) == data.get("campaign", "")), None)
        if campaign is None and len(campaigns) == 1 and not data.get("campaign"):
            campaign = campaigns[0]
        if campaign is None:
            errors["campaign"] = _("请选择专项行动")
        category = None
        if not data.get("category"):
            errors["category"] = _("请选择问题类别")
        elif campaign is not None:
            category = Category.objects.filter(campaign=campaign, pk=data["category"]).first() \
                if data["category"].isdigit() else None
            if category is None:
                errors["category"] = _("所选类别不属于专项行动“%(name)s”，请重新选择") % {"name": campaign.name}
        description = data.get("description", "").strip()
        if not description:
            errors["description"] = _("请描述发现的问题(如 什么问题、多大范围)")
        address = data.get("address", "").strip()
        if len(address) > 200:
            errors["address"] = _("地址不能超过200字(现有 %(n)s 字)") % {"n": len(address)}
        lng = _float(data.get("lng"), _("经度"), errors, "lng")
        lat = _float(data.get("lat"), _("纬度"), errors, "lat")
        source = Source.SELF_CHECK
        if is_inspector:
            source = data.get("source") or Source.DISTRICT_INSPECTION
            if source not in INSPECTOR_SOURCES:
                errors["source"] = _("请选择发现方式")
        title = (data.get("title") or "").strip() or derive_title(category, description, address)
        if not errors:
            try:
                case = services.case_report_with_photos(
                    actor=user, photos=request.FILES.getlist("photos"), campaign=campaign, category=category,
                    title=title, source=source, description=description, address=address, lng=lng, lat=lat)
            except DomainError as exc:
                field = {"file": "photos", "stage": "photos"}.get(exc.field, exc.field)
                errors[field if field in FIELDS else "form"] = ui_message(exc)
            else:
                if case.unit_id:
                    text = _("已上报 %(serial)s，责任单位：%(unit)s") % {"serial": case.serial, "unit": case.unit.name}
                else:
                    text = _("已上报 %(serial)s，未落入任何网格，由指挥部指定责任单位") % {"serial": case.serial}
                messages.success(request, text)
                return redirect("ledger:case", pk=case.pk)
    if errors and request.FILES and "photos" not in errors:
        errors["photos"] = _("请重新选择照片(页面出错后浏览器不会保留已选的照片)")
    context = {
        "campaigns": campaigns,
        "selected_campaign": data.get("campaign") or (str(campaigns[0].pk) if len(campaigns) == 1 else ""),
        "groups": _category_groups(campaigns),
        "is_inspector": is_inspector,
        "sources": [(s.value, s.label) for s in INSPECTOR_SOURCES],
        "errors": errors,
        "posted": data,
        "grids_geojson": _grids_geojson(user),
        "max_photos": services.MAX_PHOTOS,
    }
    return render(request, "ledger/report.html", context, status=400 if errors else 200)


FIELDS = {"campaign", "category", "description", "title", "address", "lng", "lat", "photos", "source"}


@login_required
def my_reports(request):
    user = request.user
    qs = (selectors.cases_visible(user).filter(reported_by=user).select_related("unit", "category")
          .order_by("-reported_at", "-id"))
    page = Paginator(qs, 30).get_page(request.GET.get("page"))
    on = services.today()
    for case in page:
        case.light = selectors.light_of(case, on)
        case.light_label = selectors.LIGHTS.get(case.light or "", "")
    return render(request, "ledger/my_reports.html", {"page": page})
