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


def _day(text: str | None):
    if not text:
        return None
    try:
        return dt.date.fromisoformat(text.strip())
    except ValueError:
        raise ValueError(f"日期“{text}”无效，应为 YYYY-MM-DD / bad date") from None


def cmd_docs_night(args) -> int:
    from gongjian.cli import _setup_django

    try:
        day = _day(args.date)
    except ValueError as exc:
        return _fail(str(exc))
    _setup_django()
    from gongjian.inspection.documents import write_night_report
    from gongjian.ledger import services as ledger_services

    day = day or ledger_services.today() - dt.timedelta(days=1)
    doc = write_night_report(day=day, out_dir=args.out, pdf=not args.no_pdf)
    for path in doc.out_files:
        _say(str(path))
    return 0


def cmd_docs_notice(args) -> int:
    from gongjian.cli import _setup_django

    _setup_django()
    from gongjian.ledger.models import OPEN_STATUSES, Case
    from gongjian.org.models import Unit
    from gongjian.reporting.documents import write_notice

    if bool(args.case) == bool(args.unit):
        return _fail("请用 --case 编号 或 --unit 单位名称 指定通知对象(二选一) / give --case or --unit")
    if args.case:
        case = Case.objects.select_related("unit").filter(serial=args.case.strip()).first()
        if case is None:
            return _fail(f"没有编号为“{args.case}”的案件 / no such case", EXIT_FAILED)
        if case.unit is None:
            return _fail(f"案件 {case.serial} 尚未交办责任单位 / the case has no responsible unit", EXIT_FAILED)
        cases, unit = [case], case.unit
    else:
        unit = Unit.objects.filter(name=args.unit.strip()).first()
        if unit is None:
            return _fail(f"没有单位“{args.unit}” / no such unit", EXIT_FAILED)
        cases = list(Case.objects.filter(unit__path__startswith=unit.path, status__in=sorted(OPEN_STATUSES))
                     .order_by("deadline", "id"))
        if not cases:
            return _fail(f"“{unit.name}”没有未整改的问题 / no open cases", EXIT_FAILED)
    doc = write_notice(cases=cases, unit=unit, out_dir=args.out, pdf=not args.no_pdf)
    for path in doc.out_files:
        _say(str(path))
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
    pn = sub.add_parser("night", help="夜查日报 / the night-inspection report",
                        description="某日(默认昨天)夜间 18:00 至次日 06:00 开始的夜查及发现的问题。 / The night "
                                    "inspections that started between 18:00 on DATE and 06:00 the next day.")
    pn.add_argument("--date", metavar="YYYY-MM-DD", help="日期(默认昨天) / the day (default yesterday)")
    pn.add_argument("--out", required=True, metavar="DIR", help="输出目录 / output directory")
    pn.add_argument("--no-pdf", action="store_true", help="不生成 PDF 副本 / no PDF copies")
    pn.set_defaults(func=cmd_docs_night)
    pt = sub.add_parser("notice", help="整改通知书(按案件或按单位) / a rectification notice",
                        description="给责任单位的整改通知书：--case 针对一个案件，--unit 列出该单位全部未整改问题。"
                                    "文号按年度顺序编号。 / A numbered notice for one case or all open cases of a unit.")
    pt.add_argument("--case", metavar="SERIAL", help="案件编号，如 山阳整治〔2026〕0001 / case serial")
    pt.add_argument("--unit", metavar="NAME", help="单位名称 / unit name")
    pt.add_argument("--out", required=True, metavar="DIR", help="输出目录 / output directory")
    pt.add_argument("--no-pdf", action="store_true", help="不生成 PDF 副本 / no PDF copies")
    pt.set_defaults(func=cmd_docs_notice)
    p.set_defaults(func=lambda a, p=p: (p.print_help(), EXIT_USAGE)[1])
    return p
