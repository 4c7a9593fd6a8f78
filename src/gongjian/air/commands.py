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
