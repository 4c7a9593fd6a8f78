"""Every write on air quality: stations, readings, exceedance rules and the cases exceedances open."""

from __future__ import annotations

import datetime as dt
import hmac
import re
from pathlib import Path

from django.db import transaction
from django.utils import timezone

from gongjian.air import imports
from gongjian.air.models import (
    DEFAULT_POLLUTANTS,
    POLLUTANT_FIELDS,
    POLLUTANTS,
    VALID_FLAG,
    Exceedance,
    ExceedanceRule,
    HourlyReading,
    MinuteReading,
    Station,
    StationKind,
)
from gongjian.core import audit
from gongjian.core.errors import Conflict, Invalid
from gongjian.ledger import services as ledger_services
from gongjian.ledger.models import Campaign, Case, Category, Source, Status
from gongjian.org.models import Role, Unit
from gongjian.org.permissions import can_manage_org, require

MN_RE = re.compile(r"^[A-Za-z0-9_\-]{6,32}$")
CODE_RE = re.compile(r"^[A-Za-z0-9_\-]{1,32}$")


def can_manage_stations(actor) -> bool:
    return can_manage_org(actor) or (actor.is_active and actor.sees_everything and actor.has_role(Role.COMMANDER))


def password_matches(station: Station, password: str) -> bool:
    """Compare the PW a device sent with the stored one, in constant time."""
    return hmac.compare_digest(station.device_password.encode(), (password or "").encode())


@transaction.atomic
def station_create(*, actor, mn: str, password: str, name: str, kind: str, unit: Unit,
                   code: str | None = None, lng: float | None = None, lat: float | None = None,
                   address: str = "", pollutants: list[str] | None = None,
                   value_units: dict[str, str] | None = None) -> Station:
    require(can_manage_stations(actor), "管理监测站点")
    mn = (mn or "").strip()
    name = (name or "").strip()
    code = (code or mn).strip()
    if not MN_RE.match(mn):
        raise Invalid(f"设备编号(MN)“{mn}”无效：应为 6–32 位字母、数字、下划线或短横线 / bad MN", field="mn")
    if not CODE_RE.match(code):
        raise Invalid(f"站点编码“{code}”无效 / bad code", field="code")
    if not name or len(name) > 100:
        raise Invalid("站点名称不能为空，且不超过100字 / name required", field="name")
    if kind not in StationKind.values:
        raise Invalid(f"站点类型“{kind}”无效，应为 {'、'.join(StationKind.values)} / bad kind", field="kind")
    if not password or len(password) > 64 or not password.isprintable() or ";" in password or "&" in password:
        raise Invalid("设备密码不能为空，不超过64位，且不能含 ; 或 & / bad device password", field="password")
    if (lng is None) != (lat is None):
        raise Invalid("经度和纬度必须同时填写 / give both lng and lat", field="lng")
    if lng is not None and not (-180 <= lng <= 180 and -90 <= lat <= 90):
        raise Invalid("坐标超出范围 / coordinates out of range", field="lng")
    pollutants = list(pollutants or DEFAULT_POLLUTANTS.get(kind, list(POLLUTANTS)))
    bad = [p for p in pollutants if p not in POLLUTANTS]
    if bad:
        raise Invalid(f"未知的监测项目：{'、'.join(bad)} / unknown pollutant", field="pollutants")
    value_units = dict(value_units or {})
    for p, u in value_units.items():
        if p not in POLLUTANTS or imports.factor(p, u) is None:
            raise Invalid(f"{p} 的单位“{u}”无效 / bad unit", field="value_units")
    if Station.objects.filter(mn=mn).exists():
        raise Conflict(f"设备编号 {mn} 已登记 / MN already registered", field="mn")
    if Station.objects.filter(code=code).exists():
        raise Conflict(f"站点编码 {code} 已存在 / code exists", field="code")
    station = Station.objects.create(code=code, name=name, kind=kind, mn=mn, device_password=password, unit=unit,
                                     lng=lng, lat=lat, address=address.strip(), pollutants=pollutants,
                                     value_units=value_units)
    audit.record(actor=actor, action="air.station.create", obj=station, after=station.snapshot())
    return station


# ----------------------------------------------------------------- readings


def _merge_flags(old: str, new: dict[str, str]) -> str:
    chars = list(old or "------")
    for pollutant, flag in new.items():
        chars[POLLUTANT_FIELDS.index(POLLUTANTS[pollutant][0])] = flag
    return "".join(chars)


def readings_store(*, station: Station, rows, minute: bool = False, batch: int = 2000) -> tuple[int, int]:
    """Insert or merge rows ``[(time, {pollutant: value}, {pollutant: flag})]``; returns (created, updated).

    One row per station and time; for a time already stored, the pollutants in ``rows`` replace theirs and
    the others are kept (dedup on station, time and pollutant). Call inside a transaction.
    """
    model = MinuteReading if minute else HourlyReading
    rows = list(rows)
    created = updated = 0
    for start in range(0, len(rows), batch):
        chunk = rows[start:start + batch]
        existing = {r.time: r for r in model.objects.filter(station=station, time__in=[t for t, _, _ in chunk])}
        new, changed, fields = [], [], {"flags"}
        for moment, values, flags in chunk:
            obj = existing.get(moment)
            if obj is None:
                obj = model(station=station, time=moment)
                new.append(obj)
            else:
                changed.append(obj)
            for pollutant, value in values.items():
                f = POLLUTANTS[pollutant][0]
                setattr(obj, f, value)
                fields.add(f)
            obj.flags = _merge_flags(obj.flags, {p: flags.get(p, VALID_FLAG) for p in values})
        model.objects.bulk_create(new, batch_size=batch)
        if changed:
            model.objects.bulk_update(changed, sorted(fields), batch_size=batch)
        created += len(new)
        updated += len(changed)
    return created, updated


@transaction.atomic
def readings_import(*, actor, station: Station, path: Path, minute: bool = False,
                    scan: bool = True) -> dict:
    """Import a station software export (CSV/xlsx); all or nothing. Returns counts and opened cases."""
    require(can_manage_stations(actor), "导入监测数据")
    grid = imports.read_file(Path(path))
    parsed = imports.parse_grid(grid, station=station, minute=minute)
    unknown = [p for p in parsed.pollutants if p not in station.pollutants]
    if unknown:
        raise Invalid(f"站点“{station.name}”不监测 {'、'.join(unknown)}；请先在站点的监测项目中添加 / "
                      "the station does not measure these", field="file")
    created, updated = readings_store(station=station, rows=parsed.rows, minute=minute)
    times = [t for t, _, _ in parsed.rows]
    result = {"rows": len(parsed.rows), "created": created, "updated": updated, "pollutants": parsed.pollutants,
              "ignored_columns": parsed.ignored, "from": min(times).isoformat(), "to": max(times).isoformat()}
    audit.record(actor=actor, action="air.readings.import", obj=station, after=result)
    result["cases"] = []
    if scan and not minute:
        result["cases"] = [c.serial for c in exceedance_scan(actor=actor, station=station, since=min(times))]
    return result


# ----------------------------------------------------------------- exceedances


@transaction.atomic
def rule_create(*, actor, name: str, station_kind: str, pollutant: str, threshold: float, hours: int,
                campaign: Campaign, category: Category) -> ExceedanceRule:
    require(can_manage_stations(actor), "设置超标规则")
    if station_kind not in StationKind.values:
        raise Invalid("站点类型无效 / bad kind", field="station_kind")
    if pollutant not in POLLUTANTS:
        raise Invalid("污染物无效 / bad pollutant", field="pollutant")
    if not threshold or threshold <= 0:
        raise Invalid("阈值应为正数 / threshold must be positive", field="threshold")
    if not 1 <= int(hours) <= 72:
        raise Invalid("连续小时数应在 1–72 之间 / hours 1–72", field="hours")
    if category.campaign_id != campaign.pk:
        raise Invalid("类别不属于该专项行动 / category of another campaign", field="category")
    rule = ExceedanceRule.objects.create(name=name.strip() or f"{pollutant}超标", station_kind=station_kind,
                                         pollutant=pollutant, threshold=threshold, hours=hours,
                                         campaign=campaign, category=category)
    audit.record(actor=actor, action="air.rule.create", obj=rule,
                 after={"station_kind": station_kind, "pollutant": pollutant, "threshold": threshold,
                        "hours": hours, "campaign": campaign.pk, "category": category.pk})
    return rule


def _runs(readings, field: str, threshold: float, hours: int):
    """Runs of ≥ ``hours`` consecutive hours with a valid value above the threshold: [(rows)]."""
    runs, current = [], []
    one_hour = dt.timedelta(hours=1)
    idx = POLLUTANT_FIELDS.index(field)
    for r in readings:
        v = getattr(r, field)
        above = v is not None and r.flags[idx] == VALID_FLAG and v > threshold
        if above and current and r.time - current[-1].time == one_hour:
            current.append(r)
        elif above:
            if len(current) >= hours:
                runs.append(current)
            current = [r]
        else:
            if len(current) >= hours:
                runs.append(current)
            current = []
    if len(current) >= hours:
        runs.append(current)
    return runs


CLOSED = (Status.CLOSED, Status.REJECTED)


def _open_case(station: Station, rule: ExceedanceRule) -> Case | None:
    ex = (Exceedance.objects.filter(station=station, rule=rule, case__isnull=False)
          .exclude(case__status__in=CLOSED).select_related("case").order_by("-started_at").first())
    return ex.case if ex else None


@transaction.atomic
def exceedance_scan(*, actor=None, station: Station | None = None, since: dt.datetime | None = None) -> list[Case]:
    """Check hourly readings against the active rules; open a 监测预警 case per new run of exceedance.

    A run already recorded is not recorded again; while a case is open for the same station and rule, a
    new run is attached to that case (recorded, no second case).
    """
    opened: list[Case] = []
    rules = ExceedanceRule.objects.filter(is_active=True).select_related("campaign", "category")
    for rule in rules:
        stations = Station.objects.filter(kind=rule.station_kind, is_active=True)
        if station is not None:
            stations = stations.filter(pk=station.pk)
        field = POLLUTANTS[rule.pollutant][0]
        unit_label = POLLUTANTS[rule.pollutant][1]
        for st in stations.select_related("unit"):
            qs = HourlyReading.objects.filter(station=st).order_by("time")
            if since is not None:
                qs = qs.filter(time__gte=since - dt.timedelta(hours=rule.hours))
            for run in _runs(qs.only("time", field, "flags"), field, rule.threshold, rule.hours):
                start = run[0].time
                if Exceedance.objects.filter(station=st, rule=rule, started_at=start).exists():
                    continue
                # a run that continues one already recorded (the earlier part was imported before)
                prior = Exceedance.objects.filter(station=st, rule=rule, started_at__lt=start,
                                                  ended_at__gte=start - dt.timedelta(hours=1)).first()
                data = [{"time": timezone.localtime(r.time).isoformat(), "value": getattr(r, field)} for r in run]
                if prior is not None:
                    prior.ended_at = run[-1].time
                    prior.readings = data
                    prior.save(update_fields=["ended_at", "readings"])
                    continue
                case = _open_case(st, rule)
                if case is None:
                    lines = "\n".join(f"{timezone.localtime(r.time):%m-%d %H:00}  {getattr(r, field):g} {unit_label}"
                                      for r in run)
                    t0 = timezone.localtime(start)
                    case = ledger_services.case_report(
                        actor=None, campaign=rule.campaign, category=rule.category, source=Source.MONITORING,
                        title=(f"{st.name} {rule.pollutant} 连续{len(run)}小时超过 {rule.threshold:g} {unit_label}"
                               f"（{t0:%m-%d %H时}起）")[:200],
                        description=(f"监测预警：{st.get_kind_display()}站点 {st.name}（MN {st.mn}）"
                                     f"{rule.pollutant} 小时均值连续 {len(run)} 小时高于 {rule.threshold:g} {unit_label}"
                                     f"（规则：{rule.name}）。\n超标数据：\n{lines}"),
                        address=st.address, unit=st.unit, reported_at=timezone.now())
                    opened.append(case)
                Exceedance.objects.create(station=st, rule=rule, started_at=start, ended_at=run[-1].time,
                                          readings=data, case=case)
                audit.record(actor=actor, action="air.exceedance", obj=st,
                             after={"rule": rule.pk, "start": start.isoformat(), "hours": len(run), "case": case.pk})
    return opened


def readings_store_many(*, rows, minute: bool = False) -> tuple[int, int]:
    """``readings_store`` for many stations at once (the HJ 212 gateway's batches): rows are
    ``[(station_id, time, {pollutant: value}, {pollutant: flag})]``, same merge rules, one query to find the
    rows already stored. Call inside a transaction."""
    model = MinuteReading if minute else HourlyReading
    rows = list(rows)
    if not rows:
        return 0, 0
    wanted = {(s, t) for s, t, _, _ in rows}
    existing = {(r.station_id, r.time): r for r in model.objects.filter(
        station_id__in={s for s, _ in wanted}, time__in={t for _, t in wanted}) if (r.station_id, r.time) in wanted}
    new: dict[tuple, object] = {}
    changed: dict[tuple, object] = {}
    fields = {"flags"}
    for station_id, moment, values, flags in rows:
        key = (station_id, moment)
        obj = existing.get(key) or new.get(key)
        if obj is None:
            obj = new[key] = model(station_id=station_id, time=moment)
        elif key in existing:
            changed[key] = obj
        for pollutant, value in values.items():
            f = POLLUTANTS[pollutant][0]
            setattr(obj, f, value)
            fields.add(f)
        obj.flags = _merge_flags(obj.flags, {p: flags.get(p, VALID_FLAG) for p in values})
    model.objects.bulk_create(list(new.values()), batch_size=2000)
    if changed:
        model.objects.bulk_update(list(changed.values()), sorted(fields), batch_size=2000)
    return len(new), len(changed)
