"""Air quality pages: the township ranking, a station's hourly page, its daily AQI calendar, imports.

Thin: every read goes through ``selectors`` (scoped; another unit's station is a 404), every write
through ``services``. Bad query strings fall back to the default with a message saying what was wrong.
"""

from __future__ import annotations

import calendar
import datetime as dt
import math
import re
import tempfile
from pathlib import Path

from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.shortcuts import redirect, render
from django.utils import dateformat, timezone
from django.utils.translation import gettext as _
from django.utils.translation import gettext_noop

from gongjian.air import selectors, services
from gongjian.air.models import POLLUTANTS, Station, StationKind
from gongjian.core.errors import DomainError
from gongjian.core.scoping import get_visible_or_404
from gongjian.standards import hj633, hj663

METHODS = {k: v[0] for k, v in hj663.RANKING_METHODS.items()}
# The standards' own Chinese names, marked for the catalogue: pages translate them when they show them.
_CATALOGUE = [gettext_noop("综合指数"), gettext_noop("PM2.5 浓度"), gettext_noop("优良天数比例"),
              gettext_noop("综合指数同比变化"), gettext_noop("优"), gettext_noop("良"), gettext_noop("轻度污染"),
              gettext_noop("中度污染"), gettext_noop("重度污染"), gettext_noop("严重污染")]
LEVEL_ROWS = [{"upper": u, "level": lv, "category": c, "color": col} for u, lv, c, col in hj633.LEVELS]
MAX_UPLOAD = 20 * 1024 * 1024


def _fmt(v, digits=0):
    if v is None or (isinstance(v, float) and math.isnan(v)):
        return "—"
    return f"{v:.{digits}f}"


def _today() -> dt.date:
    return timezone.localdate()


def _parse_period(text: str | None, errors: list[str]) -> tuple[int, int | None]:
    today = _today()
    first = today.replace(day=1) - dt.timedelta(days=1)  # the last complete month
    default = (first.year, first.month)
    if not text:
        return default
    text = text.strip()
    m = re.fullmatch(r"(\d{4})(?:-(\d{1,2}))?", text)
    if not m or not 2000 <= int(m[1]) <= today.year or (m[2] and not 1 <= int(m[2]) <= 12):
        errors.append(_("统计期“%(text)s”无效，应为年份(如 2026)或年月(如 2026-05)，已改为 %(default)s") % {
            "text": text, "default": f"{default[0]}-{default[1]:02d}"})
        return default
    return int(m[1]), (int(m[2]) if m[2] else None)


@login_required
def ranking(request):
    errors: list[str] = []
    year, month = _parse_period(request.GET.get("period"), errors)
    method = request.GET.get("method") or "composite"
    if method not in METHODS:
        errors.append(_("排名方法“%(method)s”无效，已改为按综合指数") % {"method": method})
        method = "composite"
    rows = selectors.township_ranking(request.user, year=year, month=month, method=method)
    table = []
    for r in rows:
        c = r.concentrations
        table.append({
            "rank": r.rank, "unit": r.unit_name, "stations": r.stations,
            "pm25": _fmt(c.get("PM2.5")), "pm10": _fmt(c.get("PM10")), "so2": _fmt(c.get("SO2")),
            "no2": _fmt(c.get("NO2")), "co": _fmt(c.get("CO"), 1), "o3": _fmt(c.get("O3")),
            "composite": _fmt(r.composite, 2),
            "good_days": "—" if math.isnan(r.good_days) else f"{r.good_days * 100:.1f}%",
            "yoy": "—" if math.isnan(r.yoy) else f"{r.yoy * 100:+.1f}%", "note": r.note,
        })
    chart = {
        "title": _(METHODS[method]),
        "units": [r.unit_name for r in rows if r.rank is not None],
        "values": [round(r.value * 100, 1) if method in ("good_days", "yoy") else r.value
                   for r in rows if r.rank is not None],
        "percent": method in ("good_days", "yoy"),
    }
    period_label = (dateformat.format(dt.date(year, month, 1), _("Y年n月")) if month
                    else _("%(year)s年") % {"year": year})
    months = []
    today = _today()
    y, m = today.year, today.month
    for _step in range(13):
        m -= 1
        if m == 0:
            y, m = y - 1, 12
        months.append((f"{y}-{m:02d}", dateformat.format(dt.date(y, m, 1), _("Y年n月"))))
    months += [(str(today.year - 1), _("%(year)s年全年") % {"year": today.year - 1})]
    current = f"{year}-{month:02d}" if month else str(year)
    if current not in dict(months):
        months.insert(0, (current, period_label))
    stations = selectors.stations_visible(request.user).order_by("kind", "code")
    return render(request, "air/pages/ranking.html", {
        "rows": table, "chart": chart, "method": method, "methods": METHODS, "period": current,
        "period_label": period_label, "months": months, "errors": errors,
        "stations": stations, "can_manage": services.can_manage_stations(request.user),
    })


def _station_context(request, pk):
    return get_visible_or_404(Station.objects.select_related("unit"), request.user, pk=pk)


@login_required
def station(request, pk: int):
    st = _station_context(request, pk)
    errors = []
    hours_text = request.GET.get("hours") or "168"
    hours = int(hours_text) if hours_text in ("24", "72", "168", "336") else 168
    if hours_text not in ("24", "72", "168", "336"):
        errors.append(_("时段“%(text)s”无效，已改为最近7天") % {"text": hours_text})
    end_text = request.GET.get("end") or ""
    end_day = _today()
    if end_text:
        try:
            end_day = dt.date.fromisoformat(end_text)
        except ValueError:
            errors.append(_("截止日期“%(text)s”无效，应为 YYYY-MM-DD，已改为今天") % {"text": end_text})
        else:
            if not dt.date(2000, 1, 1) <= end_day <= _today():
                errors.append(_("截止日期“%(text)s”超出范围，已改为今天") % {"text": end_text})
                end_day = _today()
    end = selectors.local_midnight(end_day + dt.timedelta(days=1))
    start = end - dt.timedelta(hours=hours)
    series = selectors.hourly_series(st, start, hours)
    times = [timezone.localtime(t).strftime("%m-%d %H:00") for t in series.times]
    aqi = [None if a == hj633.NA else int(a) for a in series.aqi.aqi]
    pollutant_series = []
    for name in st.pollutants:
        j = selectors.FIELD_INDEX[POLLUTANTS[name][0]]
        vals = [None if math.isnan(v) else round(float(v), 1 if name == "CO" else 0) for v in series.values[:, j]]
        pollutant_series.append({"name": name, "unit": POLLUTANTS[name][1], "values": vals})
    latest = None
    for i in range(len(series.times) - 1, -1, -1):
        if any(not math.isnan(v) for v in series.values[i]):
            res = series.aqi.row(i)
            latest = {"time": times[i], "aqi": res.aqi, "category": res.category, "color": res.color,
                      "level": res.level, "primary": "、".join(res.primary), "missing": "、".join(res.missing),
                      "values": [(p["name"], p["values"][i], p["unit"]) for p in pollutant_series]}
            break
    exceedances = st.exceedances.select_related("rule", "case").order_by("-started_at")[:10]
    return render(request, "air/pages/station.html", {
        "station": st, "hours": hours, "end": end_day.isoformat(), "errors": errors, "latest": latest,
        "chart": {"times": times, "aqi": aqi, "pollutants": pollutant_series,
                  "levels": [[u or 500, _(c), col] for u, _level, c, col in hj633.LEVELS]},
        "levels": LEVEL_ROWS, "exceedances": exceedances,
        "has_aqi": any(a is not None for a in aqi), "can_manage": services.can_manage_stations(request.user),
    })


@login_required
def station_calendar(request, pk: int):
    st = _station_context(request, pk)
    errors = []
    today = _today()
    year_text = request.GET.get("year") or str(today.year)
    if re.fullmatch(r"\d{4}", year_text) and 2000 <= int(year_text) <= today.year:
        year = int(year_text)
    else:
        errors.append(_("年份“%(text)s”无效，已改为 %(year)s") % {"text": year_text, "year": today.year})
        year = today.year
    first, last = dt.date(year, 1, 1), min(dt.date(year, 12, 31), today)
    series = selectors.daily_series([st], first, last)
    by_day = {}
    for i, day in enumerate(series.days):
        res = series.aqi.row(i)
        by_day[day] = res
    months = []
    counts = {row["category"]: 0 for row in LEVEL_ROWS}
    no_data = 0
    for month in range(1, 13):
        weeks = []
        for week in calendar.Calendar(firstweekday=0).monthdatescalendar(year, month):
            cells = []
            for day in week:
                if day.month != month:
                    cells.append(None)
                    continue
                res = by_day.get(day)
                cell = {"day": day.day, "date": day.isoformat(), "aqi": None, "color": "", "category": "",
                        "dark": False, "primary": ""}
                if res is not None and res.aqi is not None:
                    cell.update(aqi=res.aqi, color=res.color, category=res.category, dark=res.level >= 5,
                                primary="、".join(res.primary))
                    counts[res.category] += 1
                elif day <= last:
                    no_data += 1
                cells.append(cell)
            weeks.append(cells)
        months.append({"label": dateformat.format(dt.date(year, month, 1), _("n月")), "weeks": weeks})
    valid = sum(counts.values())
    good = counts["优"] + counts["良"]
    return render(request, "air/pages/calendar.html", {
        "station": st, "year": year, "months": months, "counts": counts,
        "levels": [dict(row, count=counts[row["category"]]) for row in LEVEL_ROWS], "errors": errors,
        "valid_days": valid, "no_data": no_data, "good_share": f"{good / valid * 100:.1f}%" if valid else "—",
        "years": list(range(today.year, today.year - 3, -1)),
    })


@login_required
def station_import(request, pk: int):
    st = _station_context(request, pk)
    if not services.can_manage_stations(request.user):
        return render(request, "air/pages/import.html", {"station": st, "forbidden": True}, status=403)
    ctx = {"station": st, "errors": [], "result": None}
    if request.method == "POST":
        upload = request.FILES.get("file")
        minute = request.POST.get("interval") == "minute"
        if upload is None:
            ctx["errors"] = [_("请选择要导入的文件(CSV 或 Excel)")]
        elif upload.size > MAX_UPLOAD:
            ctx["errors"] = [_("文件过大(超过 %(mb)s MB)") % {"mb": MAX_UPLOAD // 1024 // 1024}]
        else:
            suffix = Path(upload.name).suffix.lower()[:8]
            with tempfile.TemporaryDirectory() as tmp:
                path = Path(tmp) / f"upload{suffix}"
                with path.open("wb") as f:
                    for chunk in upload.chunks():
                        f.write(chunk)
                try:
                    result = services.readings_import(actor=request.user, station=st, path=path, minute=minute)
                except DomainError as exc:
                    ctx["errors"] = [exc.message, *(exc.details or [])]
                else:
                    messages.success(request, _("导入 %(rows)s 行：新增 %(created)s，更新 %(updated)s；生成超标预警案件 %(cases)s 件")
                                     % {"rows": result["rows"], "created": result["created"],
                                        "updated": result["updated"], "cases": len(result["cases"])})
                    return redirect("air:station", pk=st.pk)
        return render(request, "air/pages/import.html", ctx, status=400)
    return render(request, "air/pages/import.html", ctx)


KIND_LABELS = dict(StationKind.choices)
