"""挂图作战: the map page and its two JSON feeds (cases as points, grids as polygons), scoped.

Positions are stored in WGS-84; on a GCJ-02 base map (Gaode) they are converted for display here,
so the browser draws what it is given. The number of points is capped (GONGJIAN_MAP_MAX_POINTS) and
the answer says when it was.
"""

from __future__ import annotations

from django.conf import settings
from django.contrib.auth.decorators import login_required
from django.http import JsonResponse
from django.shortcuts import render
from django.urls import reverse
from django.utils.translation import gettext as _
from django.utils.translation import gettext_noop
from django.views.decorators.http import require_GET

from gongjian.core.errors import Invalid
from gongjian.ledger import selectors, services
from gongjian.ledger.models import Category, Status
from gongjian.org.selectors import grids_visible
from gongjian.standards.coords import wgs84_to_gcj02

LIGHT_COLOURS = {"red": "#cf222e", "yellow": "#bf8700", "green": "#1a7f37", None: "#57606a"}
# Marked for the catalogue; the page translates them.
LIGHT_LEGEND = [("red", gettext_noop("红灯 · 已超期")), ("yellow", gettext_noop("黄灯 · 临近期限")),
                ("green", gettext_noop("绿灯 · 期限内")),
                (None, gettext_noop("灰色 · 不在整改期限内(未交办、待核查、已销号等)"))]


def _to_display(lng: float, lat: float) -> tuple[float, float]:
    if settings.GONGJIAN_MAP_BASE == "gaode":
        return wgs84_to_gcj02(lng, lat)
    return lng, lat


def _int_param(request, name: str, label: str) -> int | None:
    raw = request.GET.get(name, "").strip()
    if not raw:
        return None
    if not raw.isdigit():
        raise Invalid(f"{label}参数“{raw[:20]}”应为编号(正整数) / {name} must be an id", field=name)
    return int(raw)


def _filter(request) -> selectors.LedgerFilter:
    """The map's filters (campaign, status, light, category), validated; bad input is Invalid."""
    campaign = _int_param(request, "campaign", "专项行动")
    if campaign is not None and not selectors.campaigns_visible(request.user).filter(pk=campaign).exists():
        raise Invalid(f"找不到专项行动 {campaign} / unknown campaign", field="campaign")
    statuses = [s.strip() for s in request.GET.getlist("status") if s.strip()]
    for s in statuses:
        if s not in Status.values:
            raise Invalid(f"状态“{s[:20]}”无效，可选：{'、'.join(Status.values)} / unknown status", field="status")
    light = request.GET.get("light", "").strip() or None
    if light is not None and light not in selectors.LIGHTS:
        raise Invalid(f"亮灯“{light[:20]}”无效，应为 red、yellow 或 green / unknown light", field="light")
    category = _int_param(request, "category", "类别")
    if category is not None:
        cats = Category.objects.filter(pk=category)
        if campaign is not None:
            cats = cats.filter(campaign_id=campaign)
        if not cats.exists():
            raise Invalid(f"找不到类别 {category} / unknown category", field="category")
    return selectors.LedgerFilter(campaign=campaign, status=statuses, light=light, category=category)


def _bad(exc: Invalid) -> JsonResponse:
    return JsonResponse(exc.as_dict(), status=exc.status, json_dumps_params={"ensure_ascii": False})


@login_required
@require_GET
def page(request):
    campaigns = list(selectors.campaigns_visible(request.user).order_by("-is_active", "-starts_on", "name"))
    categories = list(Category.objects.filter(campaign__in=campaigns).select_related("parent", "campaign")
                      .order_by("campaign_id", "parent_id", "order"))
    context = {
        "campaigns": campaigns,
        "categories": categories,
        "statuses": Status.choices,
        "lights": [(k, v) for k, v in selectors.LIGHTS.items()],
        "legend": [(LIGHT_COLOURS[k], text) for k, text in LIGHT_LEGEND],
        "base": settings.GONGJIAN_MAP_BASE,
        "tianditu_key": settings.GONGJIAN_TIANDITU_KEY if settings.GONGJIAN_MAP_BASE == "tianditu" else "",
        "max_points": settings.GONGJIAN_MAP_MAX_POINTS,
        "selected": {k: request.GET.get(k, "") for k in ("campaign", "status", "light", "category")},
    }
    return render(request, "ledger/map.html", context)


@login_required
@require_GET
def cases_json(request):
    try:
        f = _filter(request)
    except Invalid as exc:
        return _bad(exc)
    on = services.today()
    cap = settings.GONGJIAN_MAP_MAX_POINTS
    qs = (selectors.ledger(request.user, f, on=on).filter(lng__isnull=False, lat__isnull=False)
          .values("pk", "serial", "title", "status", "deadline", "warn_on", "lng", "lat", "unit__name"))
    rows = list(qs[:cap + 1])
    capped = len(rows) > cap
    rows = rows[:cap]
    labels = dict(Status.choices)
    case_url = reverse("ledger:case", args=[0])
    points = []
    for r in rows:
        light = _light(r, on)
        lng, lat = _to_display(r["lng"], r["lat"])
        points.append({
            "id": r["pk"], "serial": r["serial"], "title": r["title"], "status": r["status"],
            "status_label": _(labels[r["status"]]) if r["status"] in labels else r["status"], "light": light,
            "light_label": _(selectors.LIGHTS.get(light, gettext_noop("无"))), "colour": LIGHT_COLOURS[light],
            "unit": r["unit__name"] or "", "lng": round(lng, 7), "lat": round(lat, 7),
            "url": case_url.replace("/0/", f"/{r['pk']}/"),
        })
    message = (_("点位超过 %(cap)s 个，只显示前 %(cap)s 个；请缩小筛选范围") % {"cap": cap} if capped
               else _("共 %(n)s 个点位") % {"n": len(points)})
    return JsonResponse({"base": settings.GONGJIAN_MAP_BASE, "count": len(points), "capped": capped,
                         "max_points": cap, "message": message, "cases": points},
                        json_dumps_params={"ensure_ascii": False})


def _light(row: dict, on) -> str | None:
    class _Case:  # light_of reads status, deadline and warn_on only
        status, deadline, warn_on = row["status"], row["deadline"], row["warn_on"]

    return selectors.light_of(_Case, on)


@login_required
@require_GET
def grids_json(request):
    features = []
    for g in grids_visible(request.user).order_by("code"):
        geometry = g.geometry
        if settings.GONGJIAN_MAP_BASE == "gaode":
            geometry = {"type": geometry["type"], "coordinates": _convert(geometry["coordinates"])}
        features.append({"type": "Feature", "geometry": geometry,
                         "properties": {"id": g.pk, "code": g.code, "name": g.name, "unit": g.unit.name}})
    return JsonResponse({"type": "FeatureCollection", "base": settings.GONGJIAN_MAP_BASE, "features": features},
                        json_dumps_params={"ensure_ascii": False})


def _convert(coordinates):
    """GeoJSON coordinates at any nesting depth, converted for the base map."""
    if coordinates and isinstance(coordinates[0], (int, float)):
        return [round(v, 7) for v in _to_display(coordinates[0], coordinates[1])]
    return [_convert(c) for c in coordinates]
