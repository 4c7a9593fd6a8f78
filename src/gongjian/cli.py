"""The `gongjian` command: init, demo, serve, audit verify, manage, and the domain verbs.

Every subcommand has bilingual --help; failures print one readable line to stderr and exit non-zero
(1 for a failed operation, 2 for a usage or configuration problem).
"""

from __future__ import annotations

import argparse
import datetime as dt
import getpass
import os
import re
import sys
from collections.abc import Callable
from pathlib import Path

import gongjian

EXIT_FAILED = 1
EXIT_USAGE = 2


class CliError(Exception):
    def __init__(self, message: str, code: int = EXIT_FAILED):
        super().__init__(message)
        self.code = code


def _setup_django() -> None:
    os.environ.setdefault("DJANGO_SETTINGS_MODULE", "gongjian.config.settings")
    import django

    django.setup()


def _say(msg: str = "") -> None:
    print(msg, flush=True)


# ----------------------------------------------------------------- init


def _migrate(verbose: bool) -> None:
    from django.core.management import call_command

    call_command("migrate", interactive=False, verbosity=1 if verbose else 0)


def _collectstatic() -> None:
    from django.core.management import call_command

    call_command("collectstatic", interactive=False, verbosity=0)


def _ensure_admin(interactive: bool, demo: bool) -> str:
    from gongjian.org import services
    from gongjian.org.demo import DEMO_PASSWORD
    from gongjian.org.models import Role, User

    username = os.environ.get("GONGJIAN_ADMIN_USERNAME", "admin").strip() or "admin"
    if User.objects.filter(username=username).exists():
        return f"管理员账号 {username} 已存在 / admin account exists"
    if demo:
        return ""  # the demo loader creates the admin with the demo password
    password = os.environ.get("GONGJIAN_ADMIN_PASSWORD", "")
    if not password:
        if not interactive or not sys.stdin.isatty():
            raise CliError("需要管理员密码：请设置 GONGJIAN_ADMIN_PASSWORD，或在终端中运行以输入 / "
                           "set GONGJIAN_ADMIN_PASSWORD or run in a terminal to be prompted", EXIT_USAGE)
        while True:
            password = getpass.getpass(f"设置管理员 {username} 的密码 / password for {username}: ")
            again = getpass.getpass("再输入一次 / again: ")
            if password != again:
                _say("两次输入不一致 / passwords differ")
                continue
            break
    services.user_create(actor=None, username=username, password=password, unit=None,
                         roles=[Role.ADMIN], name="系统管理员", is_superuser=True,
                         check_password=password != DEMO_PASSWORD)
    return f"已创建管理员账号 {username} / admin account created"


def cmd_init(args) -> int:
    from gongjian.config import env

    home = env.home()
    home.mkdir(parents=True, exist_ok=True)
    _say(f"数据目录 / data directory: {home}")
    _setup_django()
    from django.db import connection

    _say(f"数据库 / database: {connection.vendor} {connection.settings_dict.get('NAME')}")
    _migrate(verbose=args.verbose)
    _collectstatic()
    msg = _ensure_admin(interactive=not args.no_input, demo=args.demo)
    if msg:
        _say(msg)
    if args.demo:
        from gongjian.ledger import demo as ledger_demo
        from gongjian.org import demo

        loaded = demo.load(log=_say)
        loaded = ledger_demo.load(log=_say) or loaded
        from gongjian.assessment import demo as assessment_demo
        from gongjian.reporting import demo as reporting_demo

        loaded = reporting_demo.load(log=_say) or loaded
        loaded = assessment_demo.load(log=_say) or loaded
        from gongjian.air import demo as air_demo

        loaded = air_demo.load(log=_say) or loaded
        from gongjian.notify import demo as notify_demo

        loaded = notify_demo.load(log=_say) or loaded
        from gongjian.jobs import demo as jobs_demo

        loaded = jobs_demo.load(log=_say) or loaded
        if loaded:
            _say("已载入演示区：山阳区 / demo district loaded")
        else:
            _say("演示区已存在，未作改动 / demo district already present, unchanged")
    _say("初始化完成 / init done")
    return 0


# ----------------------------------------------------------------- serve


def _check_ready() -> None:
    from django.db import connection
    from django.db.migrations.executor import MigrationExecutor

    try:
        executor = MigrationExecutor(connection)
        pending = executor.migration_plan(executor.loader.graph.leaf_nodes())
    except Exception as exc:
        raise CliError(f"无法连接数据库：{exc} / cannot reach the database".replace("\n", " ")) from None
    if pending:
        raise CliError("数据库尚未初始化或需要升级：请先运行 gongjian init / run `gongjian init` first",
                       EXIT_USAGE)


def _serve(host: str, port: int, workers: int, threads: int, on_ready: Callable[[], None] | None = None):
    from django.conf import settings

    from gongjian.config import env

    if settings.DEBUG:
        raise CliError("GONGJIAN_DEBUG 已开启：生产服务拒绝在调试模式下运行 / refusing to serve with DEBUG on",
                       EXIT_USAGE)
    if not env.is_embedded() and not os.environ.get("GONGJIAN_SECRET_KEY"):
        raise CliError("使用外部数据库时必须设置 GONGJIAN_SECRET_KEY / set GONGJIAN_SECRET_KEY", EXIT_USAGE)
    _check_ready()
    _collectstatic()

    from gunicorn.app.base import BaseApplication

    class Server(BaseApplication):
        def load_config(self):
            for key, value in {
                "bind": [f"[{host}]:{port}" if ":" in host else f"{host}:{port}"],
                "workers": workers,
                "threads": threads,
                "worker_class": "gthread",
                "accesslog": "-" if os.environ.get("GONGJIAN_ACCESS_LOG") else None,
                "errorlog": "-",
                "loglevel": "warning",
                "timeout": 120,
                "graceful_timeout": 10,
                "preload_app": True,
                "when_ready": (lambda _server: on_ready()) if on_ready else None,
            }.items():
                if value is not None:
                    self.cfg.set(key, value)

        def load(self):
            from gongjian.config.wsgi import application

            return application

    Server().run()


def _address(host: str, port: int) -> str:
    shown = "127.0.0.1" if host in ("0.0.0.0", "") else host
    shown = f"[{shown}]" if ":" in shown else shown
    return f"http://{shown}:{port}/"


def _start_worker():
    """The background worker with the scheduler, in its own process beside the web server."""
    from gongjian.jobs.runner import start_subprocess

    worker, shown = start_subprocess()
    _say(f"后台任务进程已启动 / worker started: {shown}" if worker else f"后台任务进程未启动 / worker not started: {shown}")
    return worker


def _stop(proc) -> None:
    if proc is not None:
        proc.terminate()
        try:
            proc.wait(15)
        except Exception:
            proc.kill()


def cmd_serve(args) -> int:
    _setup_django()
    url = _address(args.host, args.port)
    worker = None
    if args.with_worker:
        _check_ready()
        worker = _start_worker()
    try:
        _serve(args.host, args.port, args.workers, args.threads,
               on_ready=lambda: _say(f"服务已启动，请在浏览器打开 / open: {url}"))
    finally:
        _stop(worker)
    return 0


def cmd_demo(args) -> int:
    args.demo = True
    cmd_init(args)
    from gongjian.org.demo import logins_text

    url = _address(args.host, args.port)

    def ready():
        _say("")
        _say(logins_text())
        _say("")
        _say(f"演示服务已启动，请在浏览器打开 / open: {url}")
        _say("按 Ctrl+C 停止 / Ctrl+C to stop")

    gateway = None
    if args.gateway_port is not None:  # the HJ 212 gateway, in its own process
        from gongjian.gateway.runner import start_subprocess

        gateway, shown = start_subprocess(args.host, args.gateway_port)
        _say(f"HJ 212 网关端口 / gateway port: {shown}" if gateway else f"HJ 212 网关未启动 / gateway not started: {shown}")
    worker = _start_worker() if args.with_worker else None
    try:
        _serve(args.host, args.port, args.workers, args.threads, on_ready=ready)
    finally:
        _stop(worker)
        _stop(gateway)
    return 0


# ----------------------------------------------------------------- audit


def cmd_audit_verify(args) -> int:
    _setup_django()
    from gongjian.core import audit

    result = audit.verify()
    if result.ok:
        _say(result.message)
        return 0
    print(f"审计链损坏 / audit chain broken: {result.message}", file=sys.stderr)
    return EXIT_FAILED


def cmd_escalate(args) -> int:
    _setup_django()
    from gongjian.ledger import services
    from gongjian.ledger.models import EscalationLevel

    found = services.escalate(dry_run=args.dry_run)
    verb = "将升级 / would escalate" if args.dry_run else "已升级 / escalated"
    for case, level, days in found:
        _say(f"{case.serial}  {case.unit.name if case.unit_id else '—'}  超期 {days} 个工作日 → "
             f"{EscalationLevel(level).label}")
    _say(f"{verb}: {len(found)} 件 / cases")
    return 0


def cmd_manage(args) -> int:
    _setup_django()
    from django.core.management import execute_from_command_line

    execute_from_command_line(["gongjian manage", *args.rest])
    return 0


# ----------------------------------------------------------------- working days and holidays


def _date_arg(text: str) -> dt.date:
    text = text.strip()
    try:
        if not re.fullmatch(r"\d{4}-\d{2}-\d{2}", text):
            raise ValueError
        return dt.date.fromisoformat(text)
    except ValueError:
        raise CliError(f"日期“{text}”无效，应为 YYYY-MM-DD，例如 2026-02-13 / bad date “{text}”, "
                       "expected YYYY-MM-DD", EXIT_USAGE) from None


def _missing_year(year: int) -> CliError:
    return CliError(f"{year} 年的节假日安排尚未导入，请用 gongjian holidays import 导入 / no holiday schedule "
                    f"for {year}: import it with `gongjian holidays import`", EXIT_USAGE)


def _work_calendar():
    _setup_django()
    _check_ready()
    from gongjian.core.calendar import work_calendar

    return work_calendar()


def cmd_workdays_add(args) -> int:
    start = _date_arg(args.date)
    if not re.fullmatch(r"[+-]?\d{1,7}", args.n.strip()):
        raise CliError(f"天数“{args.n}”无效，应为 0 或正整数 / N must be a whole number >= 0", EXIT_USAGE)
    n = int(args.n)
    if n < 0:
        raise CliError(f"天数不能为负数：{n} / N must be >= 0", EXIT_USAGE)
    from gongjian.standards.workdays import MissingYear

    try:
        result = _work_calendar().add(start, n)
    except MissingYear as exc:
        raise _missing_year(exc.year) from None
    _say(result.isoformat())
    return 0


def cmd_workdays_is(args) -> int:
    day = _date_arg(args.date)
    from gongjian.standards.workdays import MissingYear

    try:
        _say("是" if _work_calendar().is_workday(day) else "否")
    except MissingYear as exc:
        raise _missing_year(exc.year) from None
    return 0


def _print_bad_lines(exc) -> None:
    print(f"错误 / error: {exc.message}", file=sys.stderr)
    for e in exc.details or []:
        print(f"  第 {e['line']} 行 / line {e['line']}: {e['text']}  ← {e['error']}", file=sys.stderr)


def cmd_holidays_import(args) -> int:
    path = Path(args.file)
    try:
        data = path.read_bytes()
    except OSError as exc:
        raise CliError(f"无法读取文件 {path}：{exc.strerror} / cannot read the file", EXIT_USAGE) from None
    _setup_django()
    _check_ready()
    from gongjian.core import calendar
    from gongjian.core.errors import Invalid

    try:
        parsed = calendar.parse_holiday_file(calendar.decode_holiday_file(data), year=args.year)
        result = calendar.holidays_import(actor=None, year=parsed.year, days=parsed.days,
                                          source=f"导入 {path.name}", notice=args.notice or "")
    except Invalid as exc:
        _print_bad_lines(exc)
        return EXIT_FAILED
    off = sum(not d.is_workday for d in result.stored)
    work = len(result.stored) - off
    what = "替换了原有安排" if result.replaced else "新增"
    _say(f"已导入 {parsed.year} 年节假日安排({what})：工作日放假 {off} 天，周末调休上班 {work} 天 / "
         f"imported the {parsed.year} schedule: {off} weekday holidays, {work} working weekend days")
    for day in result.stored:
        _say(calendar.format_day(day))
    if result.ignored:
        lines = "、".join(str(d.line) for d in result.ignored if d.line)
        _say(f"另有 {len(result.ignored)} 行本来就是周末休息或工作日上班，无需存储(第 {lines} 行) / "
             f"{len(result.ignored)} line(s) agree with the Monday–Friday rule and were not stored")
    return 0


def cmd_holidays_list(args) -> int:
    _setup_django()
    _check_ready()
    from django.db.models import Count, Q

    from gongjian.core import calendar
    from gongjian.core.models import HolidayYear

    years = HolidayYear.objects.annotate(
        n_off=Count("days", filter=Q(days__is_workday=False)),
        n_work=Count("days", filter=Q(days__is_workday=True)),
    ).order_by("year")
    if args.year is not None:
        years = years.filter(year=args.year)
        if not years:
            raise _missing_year(args.year)
    if not years:
        _say("尚未导入任何节假日安排 / no holiday schedules yet")
        return 0
    for i, hy in enumerate(years):
        if i:
            _say("")
        _say(f"# {hy.year} 年：工作日放假 {hy.n_off} 天，周末调休上班 {hy.n_work} 天；来源 {hy.source}；"
             f"更新于 {hy.updated_at:%Y-%m-%d} / {hy.year}: {hy.n_off} weekday holidays, "
             f"{hy.n_work} working weekend days")
        if hy.notice:
            _say(f"# 通知 / notice: {' '.join(hy.notice.split())}")
        text = calendar.schedule_text(hy)
        if text:
            _say(text)
    return 0


def cmd_extract(args) -> int:
    """Quantities of work in Chinese text on stdin, one JSON object per line (no database needed)."""
    import json

    from gongjian.standards.figures import extract

    data = sys.stdin.buffer.read()
    for encoding in ("utf-8-sig", "gb18030"):
        try:
            text = data.decode(encoding)
            break
        except UnicodeDecodeError:
            continue
    else:
        raise CliError("输入既不是 UTF-8 也不是 GB18030 编码的文本 / stdin is neither UTF-8 nor GB18030 text", EXIT_USAGE)
    figures = extract(text)
    for figure in figures:
        print(json.dumps(figure.as_json(), ensure_ascii=False), flush=False)
    sys.stdout.flush()
    if not figures:
        print("未找到工作量数字(如“清运垃圾50立方米”) / no quantities of work found", file=sys.stderr)
    return 0


def _year_arg(text: str) -> int:
    if not re.fullmatch(r"\d{4}", text.strip()):
        raise argparse.ArgumentTypeError(f"年份“{text}”无效，应为四位数字 / expected a four-digit year")
    return int(text)


# ----------------------------------------------------------------- parser


def _add_server_args(p: argparse.ArgumentParser) -> None:
    p.add_argument("--host", default=os.environ.get("GONGJIAN_HOST", "127.0.0.1"),
                   help="监听地址 / address to listen on (default 127.0.0.1)")
    p.add_argument("--port", type=int, default=int(os.environ.get("GONGJIAN_PORT", "8000")),
                   help="端口 / port (default 8000)")
    p.add_argument("--workers", type=int, default=int(os.environ.get("GONGJIAN_WORKERS", "2")),
                   help="进程数 / worker processes (default 2)")
    p.add_argument("--threads", type=int, default=int(os.environ.get("GONGJIAN_THREADS", "4")),
                   help="每进程线程数 / threads per process (default 4)")


def build_parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(
        prog="gongjian",
        description="攻坚指挥平台 / gongjian: command platform for environmental remediation campaigns. "
                    "数据目录由 GONGJIAN_HOME 指定(默认 ./gongjian-data) / data directory: GONGJIAN_HOME.",
    )
    parser.add_argument("--version", action="version", version=f"gongjian {gongjian.__version__}")
    sub = parser.add_subparsers(dest="command", metavar="命令 / command")

    p = sub.add_parser("init", help="初始化数据目录、数据库和管理员 / create data directory, database and admin",
                       description="创建数据目录、迁移数据库、创建管理员账号(GONGJIAN_ADMIN_PASSWORD 或交互输入)；"
                                   "--demo 载入演示区。可重复运行，不会改动已有数据。 / Create the data directory, "
                                   "migrate, create the admin account; --demo loads the demo district. "
                                   "Idempotent.")
    p.add_argument("--demo", action="store_true", help="载入演示区(山阳区) / load the demo district")
    p.add_argument("--no-input", action="store_true", help="不交互提问 / never prompt")
    p.add_argument("--verbose", action="store_true", help="显示迁移详情 / show migrations")
    p.set_defaults(func=cmd_init)

    p = sub.add_parser("demo", help="初始化演示区并启动服务 / init --demo, then serve",
                       description="等于 init --demo 再 serve；打印访问地址和演示账号。 / init --demo then serve; "
                                   "prints the address and the demo logins.")
    _add_server_args(p)
    p.add_argument("--no-input", action="store_true", default=True, help=argparse.SUPPRESS)
    p.add_argument("--verbose", action="store_true", help="显示迁移详情 / show migrations")
    p.add_argument("--gateway-port", type=int, default=9212, help="HJ 212 网关端口，默认 9212 / gateway port")
    p.add_argument("--no-gateway", dest="gateway_port", action="store_const", const=None,
                   help="不启动 HJ 212 网关 / do not start the gateway")
    p.add_argument("--no-worker", dest="with_worker", action="store_false",
                   help="不启动后台任务进程(提醒、督办、日报不会自动运行) / do not start the worker")
    p.set_defaults(func=cmd_demo)

    p = sub.add_parser("serve", help="启动 Web 服务(gunicorn) / run the web server (gunicorn)",
                       description="以生产服务器(gunicorn，静态文件由 whitenoise 提供)运行。 / Run the production "
                                   "server (gunicorn; static files via whitenoise).")
    _add_server_args(p)
    p.add_argument("--with-worker", action="store_true",
                   help="同时运行后台任务和定时调度(单机部署) / also run the worker and scheduler (one machine)")
    p.set_defaults(func=cmd_serve)

    p = sub.add_parser("audit", help="审计链 / audit chain", description="审计链工具 / audit chain tools")
    audit_sub = p.add_subparsers(dest="audit_command", metavar="子命令 / subcommand")
    pv = audit_sub.add_parser("verify", help="校验审计链，完整时返回0 / verify the chain (exit 0 when intact)",
                              description="重新计算整条哈希链；被改、删、插、调换的记录会被指出(退出码1)。 / "
                                          "Recompute the hash chain; exits 1 naming the first bad row.")
    pv.set_defaults(func=cmd_audit_verify)
    p.set_defaults(func=lambda a, p=p: (p.print_help(), EXIT_USAGE)[1])

    p = sub.add_parser("extract", help="从文字中提取工作量数字 / quantities of work in Chinese text",
                       description="从标准输入读取中文文字(如“累计出动500余人次,清运垃圾50立方米”)，每找到一个工作量"
                                   "数字输出一行 JSON：item、value、unit、approx、text、metric。日期、时间、文号、"
                                   "门牌号、地名不算。 / Read Chinese text on stdin and print one JSON object per "
                                   "quantity of work: item, value, unit, approx, text, metric.")
    p.set_defaults(func=cmd_extract)

    p = sub.add_parser("workdays", help="工作日计算(按节假日安排和调休) / working days (holidays and make-up days)",
                       description="按已导入的节假日安排计算工作日。“N 个工作日后”从 DATE 的次日起算，DATE 本身"
                                   "是第 0 天(无论是否工作日)。所需年份尚未导入时退出码为 2。 / Working days under "
                                   "the loaded holiday schedules. N working days after DATE counts from the day "
                                   "after DATE (DATE is day 0). Exits 2 naming the year when a needed year has no "
                                   "schedule.")
    wd_sub = p.add_subparsers(dest="workdays_command", metavar="子命令 / subcommand")
    pw = wd_sub.add_parser("add", help="DATE 之后第 N 个工作日 / the date N working days after DATE",
                           description="打印 DATE 之后第 N 个工作日(YYYY-MM-DD)。例：限期3个工作日 → "
                                       "gongjian workdays add 2026-02-13 3 / Print the date N working days "
                                       "after DATE.")
    pw.add_argument("date", metavar="DATE", help="起算日期 YYYY-MM-DD(第 0 天) / start date (day 0)")
    pw.add_argument("n", metavar="N", help="工作日数，0 或正整数 / number of working days, >= 0")
    pw.set_defaults(func=cmd_workdays_add)
    pw = wd_sub.add_parser("is", help="DATE 是否工作日：打印 是 或 否 / is DATE a working day (是/否)",
                           description="打印 是 或 否。 / Print 是 (yes) or 否 (no) for the date.")
    pw.add_argument("date", metavar="DATE", help="日期 YYYY-MM-DD / the date")
    pw.set_defaults(func=cmd_workdays_is)
    p.set_defaults(func=lambda a, p=p: (p.print_help(), EXIT_USAGE)[1])

    p = sub.add_parser("holidays", help="节假日安排：导入和查看 / holiday schedules: import and list",
                       description="平台自己的节假日表(初始数据来自 chinese-calendar)。国务院公布新一年安排后，"
                                   "用 import 导入。 / The platform's holiday table (seeded from "
                                   "chinese-calendar); import each new year's schedule when it is published.")
    h_sub = p.add_subparsers(dest="holidays_command", metavar="子命令 / subcommand")
    ph = h_sub.add_parser("import", help="从文件导入一年的安排(整年替换) / import a year's schedule (replaces it)",
                          description="文件每行一天，只写与“周一至周五上班”不同的日子：2027-01-01,休,元旦 或 "
                                      "2027-02-07,班,春节调休(休/假/holiday/off，班/上班/work)；# 之后为注释；"
                                      "所有日期须在同一年。有任何错误行时逐行报告(带行号)，什么也不导入。 / "
                                      "One exception day per line: date,休|班,name; # comments; all dates in one "
                                      "year. Any bad line is reported with its line number and nothing is "
                                      "imported.")
    ph.add_argument("file", metavar="FILE", help="文本或 CSV 文件(UTF-8 或 GBK) / text or CSV file")
    ph.add_argument("--year", type=_year_arg, help="文件所属年份(默认取文件中的日期) / the year of the file")
    ph.add_argument("--notice", help="通知文号或说明 / the notice's reference, e.g. 国办发明电〔2026〕x号")
    ph.set_defaults(func=cmd_holidays_import)
    ph = h_sub.add_parser("list", help="列出已导入的年份和日期 / list the loaded years and their days",
                          description="按导入文件的格式打印(可再导入)。 / Print in the import format "
                                      "(re-importable).")
    ph.add_argument("--year", type=_year_arg, help="只列这一年 / only this year")
    ph.set_defaults(func=cmd_holidays_list)
    p.set_defaults(func=lambda a, p=p: (p.print_help(), EXIT_USAGE)[1])

    from gongjian.ledger.commands import add_commands as add_ledger_commands

    add_ledger_commands(sub)

    from gongjian.gateway.commands import add_commands as add_hj212_commands

    add_hj212_commands(sub)

    from gongjian.reporting.commands import add_commands as add_docs_commands

    add_docs_commands(sub)

    from gongjian.assessment.commands import add_commands as add_rank_commands

    add_rank_commands(sub)

    from gongjian.air.commands import add_commands as add_air_commands

    add_air_commands(sub)

    from gongjian.jobs.commands import add_commands as add_job_commands

    add_job_commands(sub)

    p = sub.add_parser("escalate", help="超期督办扫描 / run the escalation scan",
                       description="按各专项行动的督办规则，把超期案件升级为预警、挂牌督办、约谈、问责；每级只记一次，"
                                   "重复运行不会重复升级。 / Climb each overdue case up its campaign's ladder, each "
                                   "rung once; running it again changes nothing.")
    p.add_argument("--dry-run", action="store_true", help="只列出，不写入 / list only, write nothing")
    p.set_defaults(func=cmd_escalate)

    p = sub.add_parser("manage", help="Django 管理命令 / Django management passthrough",
                       description="把其余参数交给 Django 的 manage.py。 / Pass the rest to Django's manage.py.",
                       add_help=False)
    p.add_argument("rest", nargs=argparse.REMAINDER)
    p.set_defaults(func=cmd_manage)
    return parser


def main(argv: list[str] | None = None) -> int:
    parser = build_parser()
    args = parser.parse_args(argv)
    if not getattr(args, "func", None):
        parser.print_help()
        return EXIT_USAGE
    try:
        code = args.func(args)
    except CliError as exc:
        print(f"错误 / error: {exc}", file=sys.stderr)
        return exc.code
    except KeyboardInterrupt:
        return 130
    except Exception as exc:  # one readable line, not a traceback
        from gongjian.core.errors import DomainError

        if isinstance(exc, DomainError):
            print(f"错误 / error: {exc.message}", file=sys.stderr)
            return EXIT_FAILED
        if os.environ.get("GONGJIAN_TRACEBACK"):
            raise
        first = str(exc).strip().splitlines()[0] if str(exc).strip() else ""
        print(f"错误 / error: {type(exc).__name__}: {first} (GONGJIAN_TRACEBACK=1 显示详情 / for details)",
              file=sys.stderr)
        return EXIT_FAILED
    return code or 0


if __name__ == "__main__":
    sys.exit(main())
