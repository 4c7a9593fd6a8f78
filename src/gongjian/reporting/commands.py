"""`gongjian docs daily`: the daily three (工作简报, 督查通报, 问题台账) for the whole district.

Handlers return exit codes (0; 1 failed; 2 usage) rather than raising ``cli.CliError``, for the reason
given in ledger/commands.py.
"""

from __future__ import annotations

import argparse
import datetime as dt
import sys

EXIT_FAILED = 1
EXIT_USAGE = 2


def _say(msg: str = "") -> None:
    print(msg, flush=True)


def _fail(msg: str, code: int = EXIT_USAGE) -> int:
    print(f"错误 / error: {msg}", file=sys.stderr, flush=True)
    return code


def cmd_docs_daily(args) -> int:
    from gongjian.cli import _setup_django

    day = None
    if args.date:
        try:
            day = dt.date.fromisoformat(args.date.strip())
        except ValueError:
            return _fail(f"日期“{args.date}”无效，应为 YYYY-MM-DD / bad date")
    _setup_django()
    from gongjian.ledger import services as ledger_services
    from gongjian.reporting.documents import generate_daily
    from gongjian.standards import gbt9704

    day = day or ledger_services.today()
    if day > ledger_services.today():
        return _fail(f"不能生成未来日期({day})的日报 / the date is in the future")
    if gbt9704.libreoffice() is None and not args.no_pdf:
        print("未安装 LibreOffice：只生成 docx，不生成 PDF 副本 / LibreOffice is not installed: docx only, no PDF",
              file=sys.stderr, flush=True)
    try:
        result = generate_daily(day=day, out_dir=args.out, pdf=not args.no_pdf)
    except (OSError, RuntimeError) as exc:
        return _fail(str(exc), EXIT_FAILED)
    for path in result.files:
        _say(str(path))
    timing = "，".join(f"{k} {v:.2f}s" for k, v in result.seconds.items())
    print(f"已生成 {len(result.files)} 个文件 / {len(result.files)} files ({timing})", file=sys.stderr, flush=True)
    return 0


def add_commands(subparsers) -> argparse.ArgumentParser:
    p = subparsers.add_parser("docs", help="生成公文(日报三件套) / generate documents (the daily three)",
                              description="按 GB/T 9704 生成公文。 / Generate official documents (GB/T 9704).")
    sub = p.add_subparsers(dest="docs_command", metavar="子命令 / subcommand")
    pd = sub.add_parser("daily", help="工作简报、督查通报(docx，装有 LibreOffice 时另有 PDF)和问题台账(xlsx) / the daily three",
                        description="为全区生成当天(或 --date 指定日期)的工作简报、督查通报和问题台账，写入 --out 目录，"
                                    "并在系统中登记(同一天再次生成会替换，期号和文号不变)。每个文件的路径各占一行。 / "
                                    "Write the day's brief, bulletin (docx, plus PDF when LibreOffice is installed) "
                                    "and open-problem ledger (xlsx) into --out; prints one path per line.")
    pd.add_argument("--date", metavar="YYYY-MM-DD", help="日期(默认今天) / the day (default today)")
    pd.add_argument("--out", required=True, metavar="DIR", help="输出目录 / output directory")
    pd.add_argument("--no-pdf", action="store_true", help="不生成 PDF 副本 / no PDF copies")
    pd.set_defaults(func=cmd_docs_daily)
    p.set_defaults(func=lambda a, p=p: (p.print_help(), EXIT_USAGE)[1])
    return p
