"""`gongjian aqi` and `gongjian stations …`: air quality from the command line.

``add_commands(subparsers)`` adds the groups to the gongjian parser. Handlers return exit codes
themselves (0; 1 for a failed operation; 2 for bad input or usage), like ledger/commands.py.
`gongjian aqi` needs no database.
"""

from __future__ import annotations

import argparse
import csv
import datetime as dt
import io
import json
import re
import sys
from pathlib import Path

EXIT_FAILED = 1
EXIT_USAGE = 2


def _say(msg: str = "") -> None:
    print(msg, flush=True)


def _fail(msg: str, code: int = EXIT_USAGE) -> int:
    print(f"错误 / error: {msg}", file=sys.stderr, flush=True)
    return code


def _parse_date(text: str) -> dt.date | None:
    m = re.match(r"\s*(\d{4})[-/年.](\d{1,2})[-/月.](\d{1,2})", text or "")
    if not m:
        m = re.match(r"\s*(\d{4})(\d{2})(\d{2})", text or "")
    if not m:
        return None
    try:
        return dt.date(int(m[1]), int(m[2]), int(m[3]))
    except ValueError:
        return None


# ----------------------------------------------------------------- aqi

DATE_COLUMNS = ("date", "time", "datetime", "datatime", "日期", "时间", "监测时间", "数据时间")
OUT_COLUMNS = ("AQI", "level", "category", "color", "primary", "exceeding", "standard", "flags")


def _read_text(path: Path) -> str:
    data = path.read_bytes()
    for encoding in ("utf-8-sig", "gb18030"):
        try:
            return data.decode(encoding)
        except UnicodeDecodeError:
            continue
    raise ValueError(f"{path} 既不是 UTF-8 也不是 GB18030 编码 / not UTF-8 or GB18030 text")


def aqi_csv(src: Path, dst: Path, *, standard: str | None, report: str) -> list[str]:
    """AQI for every row of a CSV whose columns are named by the keys; other columns are kept.

    The rule set is ``standard`` or, when None, each row's date column (date/time/日期/时间), else 2026.
    Returns the errors (row and column, in Chinese); with any error nothing is written.
    """
    import numpy as np

    from gongjian.standards import hj633

    text = _read_text(src)
    rows = list(csv.reader(io.StringIO(text)))
    if not rows:
        return ["文件是空的 / the file is empty"]
    header = [h.strip() for h in rows[0]]
    body = [r for r in rows[1:] if any(c.strip() for c in r)]
    by_lower = {k.lower(): k for k in hj633.KEYS}
    key_cols = {i: by_lower[h.lower()] for i, h in enumerate(header) if h.lower() in by_lower}
    errors = []
    seen = {}
    for i, h in enumerate(header):
        if h in seen:
            errors.append(f"第 1 行：列名“{h}”重复（第 {seen[h] + 1} 列和第 {i + 1} 列） / duplicated column")
        seen[h] = i
    if not key_cols:
        errors.append(f"第 1 行：没有可识别的污染物列，列名应为 {' '.join(hj633.KEYS)} 之一 / no pollutant column")
    date_col = next((i for i, h in enumerate(header) if h.lower() in DATE_COLUMNS), None)
    if errors:
        return errors
    n = len(body)
    cols = {k: np.full(n, np.nan) for k in key_cols.values()}
    dates = []
    for r, row in enumerate(body):
        line = r + 2
        if len(row) > len(header):
            errors.append(f"第 {line} 行：有 {len(row)} 列，表头只有 {len(header)} 列 / too many cells")
            continue
        for i, key in key_cols.items():
            cell = row[i].strip() if i < len(row) else ""
            if cell == "" or cell.upper() in ("NA", "—", "-"):
                continue
            try:
                cols[key][r] = hj633.parse_value(key, cell)
            except hj633.AqiInputError as exc:
                errors.append(f"第 {line} 行“{header[i]}”列：{exc.message}")
        if standard is None and date_col is not None:
            cell = row[date_col] if date_col < len(row) else ""
            d = _parse_date(cell)
            if d is None:
                errors.append(f"第 {line} 行“{header[date_col]}”列：日期“{cell}”无法识别，应为 YYYY-MM-DD"
                              " / unreadable date")
            dates.append(d or hj633.SWITCH_DATE)
    if errors:
        return errors
    table = hj633.compute_table(cols, report=report, standard=standard,
                                dates=dates if (standard is None and date_col is not None) else None)
    out = io.StringIO()
    w = csv.writer(out, lineterminator="\n")
    iaqi_cols = [f"IAQI_{k}" for k in cols]
    w.writerow(header + list(OUT_COLUMNS) + iaqi_cols)
    for r, row in enumerate(body):
        res = table.row(r)
        flags = []
        flags += [f"beyond_table:{k}" for k in res.beyond_table]
        flags += [f"not_computed:{k}" for k in res.not_computed]
        flags += [f"missing:{k}" for k in res.missing]
        w.writerow(list(row) + [""] * (len(header) - len(row)) + [
            "" if res.aqi is None else res.aqi, res.level or "", res.category or "", res.color or "",
            " ".join(res.primary), " ".join(res.exceeding), res.standard, " ".join(flags),
        ] + ["" if res.iaqi[k] is None else res.iaqi[k] for k in cols])
    dst.write_text(out.getvalue(), encoding="utf-8")
    return []


def cmd_aqi(args) -> int:
    from gongjian.standards import hj633

    if args.date and args.standard:
        return _fail("--date 和 --standard 只能给一个 / give --date or --standard, not both")
    standard = args.standard
    if args.date:
        d = _parse_date(args.date)
        if d is None or not re.fullmatch(r"\d{4}-\d{2}-\d{2}", args.date.strip()):
            return _fail(f"日期“{args.date}”无效，应为 YYYY-MM-DD / bad date")
        standard = hj633.standard_for(d)
    if args.csv or args.out:
        if not (args.csv and args.out):
            return _fail("--csv 和 --out 要一起给 / --csv needs --out")
        if args.values:
            return _fail("用 --csv 时不能再给 KEY=VALUE / KEY=VALUE cannot be combined with --csv")
        src = Path(args.csv)
        if not src.is_file():
            return _fail(f"找不到文件 {src} / no such file")
        try:
            errors = aqi_csv(src, Path(args.out), standard=standard, report=args.report)
        except ValueError as exc:
            return _fail(str(exc))
        if errors:
            print(f"错误 / error: {src} 有 {len(errors)} 处问题，未写出结果 / nothing written", file=sys.stderr)
            for e in errors[:50]:
                print(f"  {e}", file=sys.stderr)
            return EXIT_USAGE
        return 0
    if not args.values:
        return _fail("请给出浓度，例如 PM2.5_24h=36 PM10_24h=80 / give KEY=VALUE pairs")
    values = {}
    for item in args.values:
        if "=" not in item:
            return _fail(f"“{item}”应写成 KEY=VALUE，例如 PM2.5_24h=36 / expected KEY=VALUE")
        key, _, value = item.partition("=")
        key = key.strip()
        if key in values:
            return _fail(f"{key} 给了两次 / {key} given twice")
        values[key] = value
    try:
        result = hj633.compute(values, report=args.report, standard=standard or hj633.HJ633_2026)
    except hj633.AqiInputError as exc:
        return _fail(exc.message)
    _say(json.dumps(result.as_json(), ensure_ascii=False))
    return 0


def add_commands(sub) -> None:
    from gongjian.standards import hj633

    p = sub.add_parser(
        "aqi", help="按 HJ 633 计算空气质量指数 / AQI under HJ 633",
        description="按 HJ 633-2012 或 HJ 633-2026 计算 AQI，打印一个 JSON 对象；或用 --csv 逐行计算。"
                    "浓度单位：CO 为 mg/m³，其余 µg/m³。不给 --standard 时按 --date（默认按 2026 版）。 / "
                    "AQI of KEY=VALUE pairs as one JSON object, or of every row of a CSV. CO in mg/m³, others µg/m³.",
        epilog=f"KEY: {' '.join(hj633.KEYS)}", formatter_class=argparse.RawDescriptionHelpFormatter)
    p.add_argument("--standard", choices=hj633.STANDARDS, help="标准版本 / rule set")
    p.add_argument("--date", help="数据日期，据此选择标准版本 / date of the data, picks the rule set")
    p.add_argument("--report", choices=hj633.REPORTS, default="daily", help="日报或实时报 / daily or hourly")
    p.add_argument("--csv", metavar="IN", help="逐行计算的 CSV 文件 / CSV to compute row by row")
    p.add_argument("--out", metavar="OUT", help="结果 CSV / output CSV")
    p.add_argument("values", nargs="*", metavar="KEY=VALUE")
    p.set_defaults(func=cmd_aqi)

    add_station_commands(sub)


# ----------------------------------------------------------------- stations and readings

KIND_WORDS = ("dust", "township", "national", "provincial", "enterprise")


def _setup() -> int | None:
    """Django up and the database migrated; an exit code when not (the caller returns it)."""
    from gongjian.cli import _check_ready, _setup_django

    _setup_django()
    try:
        _check_ready()
    except Exception as exc:  # gongjian.cli.CliError (a different class under python -m)
        return _fail(str(exc), getattr(exc, "code", EXIT_FAILED))
    return None


def _unit(text: str | None):
    from gongjian.org.models import Unit

    if not text:
        unit = Unit.objects.filter(parent__isnull=True).order_by("pk").first()
        if unit is None:
            raise ValueError("还没有任何单位：请先初始化组织机构 / no units yet")
        return unit
    text = text.strip()
    found = Unit.objects.filter(pk=int(text)).first() if text.isdigit() else None
    found = found or Unit.objects.filter(name=text).first() or Unit.objects.filter(short_name=text).first()
    if found is None:
        raise ValueError(f"没有单位“{text}” / no such unit")
    return found


def cmd_stations_add(args) -> int:
    if (rc := _setup()) is not None:
        return rc
    from gongjian.air import services
    from gongjian.core.errors import DomainError

    try:
        unit = _unit(args.unit)
    except ValueError as exc:
        return _fail(str(exc))
    if (args.lng is None) != (args.lat is None):
        return _fail("--lng 和 --lat 要一起给 / give both --lng and --lat")
    try:
        station = services.station_create(actor=None, mn=args.mn, password=args.password, name=args.name,
                                          kind=args.kind, unit=unit, code=args.code, lng=args.lng, lat=args.lat,
                                          pollutants=args.pollutants.split(",") if args.pollutants else None)
    except DomainError as exc:
        return _fail(exc.message, EXIT_FAILED if exc.status == 409 else EXIT_USAGE)
    _say(f"已登记站点 {station.code} {station.name}（{station.get_kind_display()}，MN {station.mn}，"
         f"责任单位 {station.unit.name}） / station added")
    return 0


def cmd_stations_list(args) -> int:
    if (rc := _setup()) is not None:
        return rc
    from gongjian.air.models import Station

    rows = Station.objects.select_related("unit").order_by("kind", "code")
    if args.json:
        _say(json.dumps([{"code": s.code, "name": s.name, "kind": s.kind, "mn": s.mn, "unit": s.unit.name,
                          "lng": s.lng, "lat": s.lat, "pollutants": s.pollutants, "active": s.is_active}
                         for s in rows], ensure_ascii=False))
        return 0
    if not rows:
        _say("还没有监测站点 / no stations")
        return 0
    for s in rows:
        _say(f"{s.code}\t{s.get_kind_display()}\t{s.mn}\t{s.name}\t{s.unit.name}\t{','.join(s.pollutants)}")
    return 0


def cmd_readings_import(args) -> int:
    if (rc := _setup()) is not None:
        return rc
    from gongjian.air import services
    from gongjian.air.models import Station
    from gongjian.core.errors import DomainError

    station = Station.objects.filter(code=args.station).first() or Station.objects.filter(mn=args.station).first()
    if station is None:
        return _fail(f"没有站点“{args.station}”（按站点编码或 MN 查找） / no such station")
    path = Path(args.file)
    if not path.is_file():
        return _fail(f"找不到文件 {path} / no such file")
    try:
        result = services.readings_import(actor=None, station=station, path=path, minute=args.minute)
    except DomainError as exc:
        print(f"错误 / error: {exc.message}", file=sys.stderr)
        for line in exc.details or []:
            print(f"  {line}", file=sys.stderr)
        return EXIT_FAILED
    _say(f"导入 {result['rows']} 行：新增 {result['created']}，更新 {result['updated']}；"
         f"项目 {'、'.join(result['pollutants'])} / imported")
    if result["ignored_columns"]:
        _say(f"未导入的列 / ignored columns: {'、'.join(result['ignored_columns'])}")
    for serial in result["cases"]:
        _say(f"超标预警，已生成案件 {serial} / case opened")
    return 0


def cmd_air_scan(args) -> int:
    if (rc := _setup()) is not None:
        return rc
    from django.utils import timezone

    from gongjian.air import services

    if args.hours is not None and args.hours <= 0:
        return _fail("--hours 应为正整数 / --hours must be positive")
    since = None if args.all else timezone.now() - dt.timedelta(hours=args.hours or 72)
    cases = services.exceedance_scan(actor=None, since=since)
    for c in cases:
        _say(f"{c.serial} {c.title}")
    _say(f"新生成超标预警案件 {len(cases)} 件 / cases opened")
    return 0


def cmd_rules_add(args) -> int:
    if (rc := _setup()) is not None:
        return rc
    from gongjian.air import services
    from gongjian.core.errors import DomainError
    from gongjian.ledger.models import Campaign

    campaign = Campaign.objects.filter(name=args.campaign).first()
    if campaign is None:
        names = "、".join(Campaign.objects.values_list("name", flat=True)[:20]) or "(还没有专项行动)"
        return _fail(f"没有专项行动“{args.campaign}”；现有：{names} / no such campaign")
    category = campaign.categories.filter(name=args.category).first()
    if category is None:
        names = "、".join(campaign.categories.values_list("name", flat=True))
        return _fail(f"专项行动中没有类别“{args.category}”；现有：{names} / no such category")
    try:
        rule = services.rule_create(actor=None, name=args.name or "", station_kind=args.kind,
                                    pollutant=args.pollutant, threshold=args.threshold, hours=args.hours,
                                    campaign=campaign, category=category)
    except DomainError as exc:
        return _fail(exc.message)
    _say(f"已添加超标规则 {rule.pk}：{rule.name} / rule added")
    return 0


def cmd_rules_list(args) -> int:
    if (rc := _setup()) is not None:
        return rc
    from gongjian.air.models import ExceedanceRule

    rules = ExceedanceRule.objects.select_related("campaign", "category").order_by("pk")
    if not rules:
        _say("还没有超标规则 / no rules")
    for r in rules:
        _say(f"{r.pk}\t{r.get_station_kind_display()}\t{r.pollutant} > {r.threshold:g} 连续 {r.hours} 小时\t"
             f"{r.campaign.name}/{r.category.name}\t{'启用' if r.is_active else '停用'}\t{r.name}")
    return 0


def add_station_commands(sub) -> None:
    p = sub.add_parser("stations", help="空气监测站点 / air monitoring stations",
                       description="登记和查看空气监测站点。 / Register and list monitoring stations.")
    ss = p.add_subparsers(dest="stations_cmd")
    pa = ss.add_parser("add", help="登记站点 / add a station",
                       description="设备密码按 HJ 212 协议需要原样保存，用于核对设备上传的 PW。 / The device "
                                   "password is stored as given: HJ 212 sends it in clear and the platform compares it.")
    pa.add_argument("--mn", required=True, help="设备编号 MN / device id")
    pa.add_argument("--password", required=True, help="设备密码 PW / device password")
    pa.add_argument("--name", required=True, help="站点名称 / name")
    pa.add_argument("--kind", required=True, choices=KIND_WORDS,
                    help="dust 工地扬尘, township 乡镇站, national 国控, provincial 省控, enterprise 企业")
    pa.add_argument("--unit", help="责任单位(名称或编号)，默认区级单位 / owning unit (name or id)")
    pa.add_argument("--code", help="站点编码，默认同 MN / station code (default: the MN)")
    pa.add_argument("--lng", type=float, help="经度 / longitude")
    pa.add_argument("--lat", type=float, help="纬度 / latitude")
    pa.add_argument("--pollutants", help="监测项目，逗号分隔，如 PM2.5,PM10 / pollutants measured")
    pa.set_defaults(func=cmd_stations_add)
    pl = ss.add_parser("list", help="列出站点 / list stations")
    pl.add_argument("--json", action="store_true", help="输出 JSON / print JSON")
    pl.set_defaults(func=cmd_stations_list)
    p.set_defaults(func=lambda a, p=p: (p.print_help(), EXIT_USAGE)[1])

    p = sub.add_parser("air", help="空气质量数据：导入、超标扫描 / air readings: import, exceedance scan",
                       description="导入站点软件导出的 CSV/xlsx（时间列 + 如 PM2.5(μg/m³) 的污染物列），"
                                   "按站点、时间、污染物去重；或按超标规则扫描。 / Import station exports; scan rules.")
    asub = p.add_subparsers(dest="air_cmd")
    pi = asub.add_parser("import", help="导入监测数据 / import readings")
    pi.add_argument("--station", required=True, help="站点编码或 MN / station code or MN")
    pi.add_argument("--minute", action="store_true", help="分钟数据(默认小时数据) / minute data")
    pi.add_argument("file")
    pi.set_defaults(func=cmd_readings_import)
    pscan = asub.add_parser("scan", help="按超标规则扫描并生成监测预警案件 / open cases for exceedances")
    pscan.add_argument("--hours", type=int, help="扫描最近多少小时，默认 72 / look back this many hours (72)")
    pscan.add_argument("--all", action="store_true", help="扫描全部历史数据 / scan all readings")
    pscan.set_defaults(func=cmd_air_scan)
    prules = asub.add_parser("rules", help="超标规则 / exceedance rules")
    rsub = prules.add_subparsers(dest="rules_cmd")
    pra = rsub.add_parser("add", help="添加规则 / add a rule",
                          description="某类站点的某项污染物小时值连续 N 小时高于阈值时，为站点责任单位生成监测预警案件。 / "
                                      "Open a 监测预警 case when a pollutant stays above a threshold for N hours.")
    pra.add_argument("--kind", required=True, choices=KIND_WORDS, help="站点类型 / station kind")
    pra.add_argument("--pollutant", required=True, choices=["PM2.5", "PM10", "SO2", "NO2", "CO", "O3"])
    pra.add_argument("--threshold", required=True, type=float, help="阈值 µg/m³(CO 为 mg/m³) / threshold")
    pra.add_argument("--hours", type=int, default=2, help="连续小时数，默认 2 / consecutive hours (2)")
    pra.add_argument("--campaign", required=True, help="案件所属专项行动 / campaign of the cases")
    pra.add_argument("--category", required=True, help="案件类别 / category of the cases")
    pra.add_argument("--name", help="规则名称 / name")
    pra.set_defaults(func=cmd_rules_add)
    prl = rsub.add_parser("list", help="列出规则 / list rules")
    prl.set_defaults(func=cmd_rules_list)
    prules.set_defaults(func=lambda a, p=prules: (p.print_help(), EXIT_USAGE)[1])
    p.set_defaults(func=lambda a, p=p: (p.print_help(), EXIT_USAGE)[1])
