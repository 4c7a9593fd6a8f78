"""`gongjian rank`: a period's ranking as a table or JSON; `gongjian rank scheme import|list`.

Handlers return exit codes (0; 1 failed; 2 usage), as in ledger/commands.py.
"""

from __future__ import annotations

import argparse
import json
import sys
import unicodedata

EXIT_FAILED = 1
EXIT_USAGE = 2

FLAG_LABELS = {"red": "红旗", "black": "黑旗", "": ""}


def _fail(msg: str, code: int = EXIT_USAGE) -> int:
    print(f"错误 / error: {msg}", file=sys.stderr, flush=True)
    return code


def _width(text: str) -> int:
    return sum(2 if unicodedata.east_asian_width(ch) in "WF" else 1 for ch in text)


def _pad(text: str, width: int) -> str:
    return text + " " * (width - _width(text))


def table(rows: list[list[str]]) -> str:
    widths = [max(_width(r[i]) for r in rows) for i in range(len(rows[0]))]
    return "\n".join("  ".join(_pad(c, w) for c, w in zip(r, widths, strict=True)).rstrip() for r in rows)


def cmd_rank(args) -> int:
    from gongjian.cli import _setup_django

    _setup_django()
    from gongjian.assessment import periods, services
    from gongjian.core.errors import DomainError

    try:
        period = periods.parse(args.period) if args.period else services.default_period()
    except periods.PeriodError as exc:
        return _fail(str(exc))
    try:
        scheme = services.scheme_of(args.scheme)
        ranking = services.ranking_run(actor=None, period=period, scheme=scheme)
    except DomainError as exc:
        return _fail(exc.message, EXIT_FAILED)
    if args.format == "json":
        out = [{"unit": r["unit"], "unit_id": r["unit_id"], "rank": r["rank"], "score": float(r["score"]),
                "grade": r["grade"], "flag": r["flag"], "rolling_red_flag": r["rolling_red_flag"]}
               for r in ranking.results]
        print(json.dumps(out, ensure_ascii=False, indent=1), flush=True)
    else:
        rows = [["名次", "单位", "得分", "等级", "红黑旗"]]
        for r in ranking.results:
            flag = FLAG_LABELS[r["flag"]] + (" 流动红旗" if r["rolling_red_flag"] else "")
            rank = f"{r['rank']}" + ("(并列)" if sum(x["rank"] == r["rank"] for x in ranking.results) > 1 else "")
            rows.append([rank, r["unit"], r["score"], r["grade"], flag.strip()])
        print(table(rows), flush=True)
    state = "已存档" if ranking.pk else "本期未结束，结果为临时排名"
    print(f"{period.label} · {scheme.title} 第{ranking.version.number}版 · {state} / "
          f"{period.key}, scheme {scheme.name} v{ranking.version.number}"
          f"{'' if ranking.pk else ' (provisional)'}", file=sys.stderr, flush=True)
    return 0


def cmd_scheme_import(args) -> int:
    from gongjian.cli import _setup_django

    _setup_django()
    from gongjian.assessment import services
    from gongjian.core.errors import DomainError

    try:
        version = services.scheme_import(actor=None, path=args.file, name=args.name, note=args.note or "")
    except DomainError as exc:
        return _fail(exc.message, EXIT_FAILED)
    print(f"考核方案 {version.scheme.name}({version.scheme.title}) 第{version.number}版 / "
          f"scheme {version.scheme.name} v{version.number}", flush=True)
    return 0


def cmd_scheme_list(args) -> int:
    from gongjian.cli import _setup_django

    _setup_django()
    from gongjian.assessment.models import Scheme

    rows = [["代码", "名称", "版本", "默认"]]
    for s in Scheme.objects.all():
        latest = s.latest()
        rows.append([s.name, s.title, str(latest.number if latest else 0), "是" if s.is_default else ""])
    if len(rows) == 1:
        print("尚无考核方案 / no schemes", file=sys.stderr)
        return 0
    print(table(rows), flush=True)
    return 0


def add_commands(subparsers) -> argparse.ArgumentParser:
    p = subparsers.add_parser(
        "rank", help="考核排名 / the ranking of a period",
        description="按考核方案计算一个考核期各单位的得分、名次(并列同名次)、等级和红黑旗。已结束的考核期首次计算后存档，"
                    "再次运行返回同一结果。 / Score, rank (ties share a rank), grade and flag every unit for a period; "
                    "an ended period is frozen when first computed.")
    p.add_argument("--period", metavar="PERIOD",
                   help="2026-W47(周，默认上一周)、2026-11(月)或 2026-11-02..2026-11-15 / week, month or range")
    p.add_argument("--scheme", metavar="NAME", help="考核方案代码(默认为默认方案) / scheme name")
    p.add_argument("--format", choices=["table", "json"], default="table", help="输出格式 / output format")
    p.set_defaults(func=cmd_rank)
    sub = p.add_subparsers(dest="rank_command", metavar="子命令 / subcommand")
    ps = sub.add_parser("scheme", help="考核方案：导入、列表 / scoring schemes: import, list",
                        description="考核方案。 / Scoring schemes.")
    s_sub = ps.add_subparsers(dest="scheme_command", metavar="子命令 / subcommand")
    pi = s_sub.add_parser("import", help="从 JSON 或 YAML 文件导入(改动即新版本) / import (a change adds a version)",
                          description="导入考核方案；文件中的 name(或文件名)为方案代码。与最新版本不同时新增一个版本，"
                                      "旧版本和用它算出的排名保持不变。 / Import a scheme; a changed definition adds "
                                      "a version, old versions stay.")
    pi.add_argument("file", metavar="FILE", help=".json、.yaml 或 .yml 文件 / scheme file")
    pi.add_argument("--name", help="方案代码(默认取文件中的 name 或文件名) / scheme name")
    pi.add_argument("--note", help="修订说明 / note for this version")
    pi.set_defaults(func=cmd_scheme_import)
    pl = s_sub.add_parser("list", help="列出考核方案 / list schemes", description="列出考核方案。 / List schemes.")
    pl.set_defaults(func=cmd_scheme_list)
    ps.set_defaults(func=lambda a, ps=ps: (ps.print_help(), EXIT_USAGE)[1])
    return p
