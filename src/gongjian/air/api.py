"""REST endpoints of air quality. Thin: scope, call the engine or a selector, shape the answer."""

from __future__ import annotations

import datetime as dt
import math

from django.utils import timezone
from ninja import Router

from gongjian.air import selectors
from gongjian.air.models import POLLUTANTS
from gongjian.air.schemas import AqiIn, AqiOut, HourOut, RankOut, StationOut
from gongjian.core.errors import Invalid
from gongjian.core.scoping import get_visible
from gongjian.standards import hj633, hj663

router = Router(tags=["空气质量 / air quality"])


def _num(v):
    return None if v is None or (isinstance(v, float) and math.isnan(v)) else v


@router.get("/stations", response=list[StationOut], summary="监测站点(本人范围内)")
def stations(request, kind: str | None = None):
    qs = selectors.stations_visible(request.auth).order_by("kind", "code")
    return qs.filter(kind=kind) if kind else qs


@router.get("/stations/{int:station_id}/hourly", response=list[HourOut],
            summary="站点小时数据与实时 AQI(按数据日期选 HJ 633 版本)")
def hourly(request, station_id: int, end: dt.date | None = None, hours: int = 24):
    st = get_visible(selectors.stations_visible(request.auth), request.auth, pk=station_id)
    if not 1 <= hours <= 24 * 31:
        raise Invalid("hours 应在 1–744 之间 / hours must be 1–744", field="hours")
    end = end or timezone.localdate()
    stop = selectors.local_midnight(end + dt.timedelta(days=1))
    series = selectors.hourly_series(st, stop - dt.timedelta(hours=hours), hours)
    out = []
    for i, t in enumerate(series.times):
        res = series.aqi.row(i)
        values = {name: _num(float(series.values[i, selectors.FIELD_INDEX[POLLUTANTS[name][0]]]))
                  for name in st.pollutants}
        out.append({"time": t, "values": values, "aqi": res.aqi, "category": res.category, "primary": res.primary})
    return out


@router.get("/ranking", response=list[RankOut], summary="街道(乡镇)空气质量排名(HJ 663)")
def ranking(request, year: int, month: int | None = None, method: str = "composite"):
    if method not in hj663.RANKING_METHODS:
        raise Invalid(f"排名方法应为 {'、'.join(hj663.RANKING_METHODS)} / unknown method", field="method")
    if month is not None and not 1 <= month <= 12:
        raise Invalid("month 应在 1–12 之间 / month must be 1–12", field="month")
    if not 2000 <= year <= 2100:
        raise Invalid("year 无效 / bad year", field="year")
    rows = selectors.township_ranking(request.auth, year=year, month=month, method=method)
    return [{"rank": r.rank, "unit_id": r.unit_id, "unit_name": r.unit_name, "stations": r.stations,
             "composite": _num(r.composite), "pm25": _num(r.pm25), "good_days": _num(r.good_days),
             "yoy": _num(r.yoy), "concentrations": {k: _num(v) for k, v in r.concentrations.items()},
             "note": r.note} for r in rows]


@router.post("/aqi", response=AqiOut, summary="按 HJ 633 计算 AQI(与 gongjian aqi 相同)")
def aqi(request, body: AqiIn):
    try:
        result = hj633.compute(body.values, report=body.report, standard=body.standard, date=body.date)
    except hj633.AqiInputError as exc:
        raise Invalid(exc.message, field=exc.key or "values") from None
    return result.as_json()
