"""`gongjian ledger import|export`: the ledger as spreadsheets from the command line.

``add_commands(subparsers)`` adds the ``ledger`` group to the gongjian parser. The handlers return
exit codes themselves (0; 1 for a failed operation: bad rows, an unreadable file, a repeated import;
2 for a usage problem) rather than raising ``cli.CliError``: under ``python -m gongjian.cli`` the
running module is ``__main__``, whose CliError is a different class from ``gongjian.cli.CliError``.

Both commands act as the system (the operator who holds the database) unless ``--as USERNAME`` is
given; then the import needs that person to be the command post, and the export holds only what
that person may see.
"""

from __future__ import annotations

import argparse
import datetime as dt
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


class _Usage(Exception):
    """A bad argument; the handler turns it into exit code 2."""


def _setup() -> None:
    from gongjian.cli import _setup_django

    _setup_django()


def _campaign(text: str):
    from gongjian.ledger.models import Campaign

    text = text.strip()
    found = Campaign.objects.filter(pk=int(text)).first() if text.isdigit() else None
    found = found or Campaign.objects.filter(name=text).first()
    if found is None:
        names = "、".join(f"{c.pk}:{c.name}" for c in Campaign.objects.order_by("pk")[:20]) or "(还没有专项行动)"
        raise _Usage(f"没有专项行动“{text}”；现有：{names} / no such campaign")
    return found


def _user(username: str | None):
    """The person to act as, or None for the system."""
    if not username:
        return None
    from gongjian.org.models import User

    user = User.objects.filter(username=username).first()
    if user is None or not user.is_active:
        raise _Usage(f"没有启用的用户“{username}” / no such active user")
    return user


def _reader(username: str | None):
    """Whose view the export is: a person, or the system (which sees every unit)."""
    user = _user(username)
    if user is not None:
        return user
    from gongjian.org.models import User

    # An unsaved superuser: scoping treats it like the installation's administrator.
    return User(username="system", is_superuser=True, is_active=True)


def _date(text: str | None) -> dt.date | None:
    if not text:
        return None
    if not re.fullmatch(r"\d{4}-\d{2}-\d{2}", text.strip()):
        raise _Usage(f"日期“{text}”无效，应为 YYYY-MM-DD / bad date")
    try:
        return dt.date.fromisoformat(text.strip())
    except ValueError:
        raise _Usage(f"没有这一天：“{text}” / no such date") from None


def _split(values: list[str] | None) -> list[str]:
    return [v.strip() for item in values or [] for v in re.split(r"[,，、]", item) if v.strip()]


class _Bars:
    """One tqdm bar per stage on stderr (hidden when stderr is not a terminal)."""

    LABELS = {"read": "读取 / read", "validate": "校验 / check", "write": "写入 / write",
              "export": "导出 / export"}

    def __init__(self):
        self.stage = None
        self.bar = None

    def __call__(self, stage: str, done: int, total: int) -> None:
        from tqdm import tqdm

        if stage != self.stage:
            self.close()
            self.stage = stage
            self.bar = tqdm(total=total or None, desc=self.LABELS.get(stage, stage), unit="行", file=sys.stderr,
                            disable=None, dynamic_ncols=True, leave=False)
        self.bar.total = total or None
        self.bar.update(done - self.bar.n)

    def close(self) -> None:
        if self.bar is not None:
            self.bar.close()
            self.bar = None


# ----------------------------------------------------------------- import


def cmd_ledger_import(args) -> int:
    path = Path(args.file)
    if not path.is_file():
        return _fail(f"找不到文件 {path} / no such file")
    _setup()
    from gongjian.ledger import spreadsheets
    from gongjian.ledger.models import Source

    try:
        campaign = _campaign(args.campaign)
        actor = _user(args.as_user)
        category = None
        if args.category:
            try:
                category = spreadsheets.CategoryResolver(campaign).resolve(args.category.strip())
            except ValueError as exc:
                raise _Usage(str(exc)) from None
        source = Source.DISTRICT_INSPECTION
        if args.source:
            try:
                source = spreadsheets.parse_source(args.source.strip())
            except ValueError as exc:
                raise _Usage(str(exc)) from None
    except _Usage as exc:
        return _fail(str(exc))

    bars = _Bars()
    try:
        result = spreadsheets.import_cases(actor=actor, campaign=campaign, path=path, dry_run=args.dry_run,
                                           default_category=category, default_source=source,
                                           allow_repeat=args.allow_repeat, progress=bars)
    finally:
        bars.close()

    _say(f"工作表“{result.sheet}”，表头在第 {result.header_row} 行；识别的列 / columns: "
         + "，".join(f"{col}→{spreadsheets.FIELD_LABELS[f]}" for f, col in result.columns.items()))
    if result.ignored_columns:
        _say(f"未导入的列 / columns not imported: {'、'.join(result.ignored_columns)}")
    for s in result.skipped:
        _say(f"跳过第 {s['row']} 行 / skipped row {s['row']}: {s['reason']}")
    if result.errors:
        for e in result.errors:
            print(f"第 {e['row']} 行 {e['column']}：{e['message']}", file=sys.stderr)
        bad_rows = len({e["row"] for e in result.errors})
        print(f"共 {bad_rows} 行有错误({len(result.errors)} 处)，什么也没有导入；改正后再导入 / {bad_rows} bad "
              f"row(s), nothing imported", file=sys.stderr, flush=True)
        return EXIT_FAILED
    split = f"已交办 {result.assigned}，已立案 {result.registered}"
    if result.dry_run:
        _say(f"检查通过：{result.rows} 行都可导入({split})；这是试运行，什么也没有写入 / dry run: "
             f"{result.rows} rows would be imported, nothing written")
    else:
        _say(f"已导入 {result.created} 件到“{campaign}”：{result.first_serial} 至 {result.last_serial}({split}) / "
             f"imported {result.created} cases")
    return 0


# ----------------------------------------------------------------- export


def _statuses(values: list[str] | None) -> list[str]:
    from gongjian.ledger.models import Status

    by_text = {**{label: code for code, label in Status.choices}, **{c: c for c in Status.values}}
    out = []
    for v in _split(values):
        if v not in by_text:
            raise _Usage(f"状态“{v}”无效；可选：{'、'.join(Status.labels)} / unknown status")
        out.append(by_text[v])
    return out


def _sources(values: list[str] | None) -> list[str]:
    from gongjian.ledger.spreadsheets import parse_source

    try:
        return [parse_source(v) for v in _split(values)]
    except ValueError as exc:
        raise _Usage(str(exc)) from None


LIGHTS = {"red": "red", "红": "red", "红灯": "red", "yellow": "yellow", "黄": "yellow", "黄灯": "yellow",
          "green": "green", "绿": "green", "绿灯": "green"}


def cmd_ledger_export(args) -> int:
    out = Path(args.out)
    if out.suffix.lower() != ".xlsx":
        return _fail(f"输出文件应以 .xlsx 结尾：{out} / --out must be an .xlsx file")
    if not out.parent.is_dir():
        return _fail(f"目录不存在：{out.parent} / no such directory")
    _setup()
    from gongjian.ledger import selectors, services, spreadsheets

    try:
        campaign = _campaign(args.campaign) if args.campaign else None
        reader = _reader(args.as_user)
        on = _date(args.on) or services.today()
        f = selectors.LedgerFilter(campaign=campaign.pk if campaign else None, status=_statuses(args.status),
                                   source=_sources(args.source), q=args.q or "", order=args.order,
                                   deadline_from=_date(args.deadline_from), deadline_to=_date(args.deadline_to))
        if args.unit:
            try:
                f.unit = spreadsheets.UnitResolver().resolve(args.unit.strip()).pk
            except ValueError as exc:
                raise _Usage(str(exc)) from None
        if args.category:
            if campaign is None:
                raise _Usage("按类别筛选须同时指定 --campaign / --category needs --campaign")
            try:
                f.category = spreadsheets.CategoryResolver(campaign).resolve(args.category.strip()).pk
            except ValueError as exc:
                raise _Usage(str(exc)) from None
        if args.light:
            if args.light.strip() not in LIGHTS:
                raise _Usage(f"灯“{args.light}”无效，可选 红/黄/绿 / light must be red, yellow or green")
            f.light = LIGHTS[args.light.strip()]
    except _Usage as exc:
        return _fail(str(exc))

    cases = selectors.ledger(reader, f, on=on)
    title = args.title or spreadsheets.default_title(campaign, on)
    bars = _Bars()
    total = cases.count()
    bars("export", 0, total)
    try:
        n = spreadsheets.export_xlsx(cases, out, title=title, on=on,
                                     progress=lambda done: bars("export", done, total))
    finally:
        bars.close()
    _say(f"已导出 {n} 行到 {out}：{title} / exported {n} rows")
    return 0


# ----------------------------------------------------------------- parser


def _run(handler):
    def run(args) -> int:
        from gongjian.core.errors import DomainError

        try:
            return handler(args)
        except _Usage as exc:
            return _fail(str(exc))
        except DomainError as exc:  # a bad file, a repeated import, no permission
            return _fail(exc.message, EXIT_FAILED)
    return run


def add_commands(subparsers) -> argparse.ArgumentParser:
    """Add ``ledger import`` and ``ledger export`` to the gongjian parser's subparsers."""
    p = subparsers.add_parser("ledger", help="台账导入导出(Excel/WPS) / ledger import and export (xlsx, csv)",
                              description="把现有的 Excel/WPS 台账导入为案件，或把筛选出的台账导出为可打印的 xlsx。 / "
                                          "Import an existing spreadsheet ledger as cases, or export a filtered "
                                          "ledger as a printable xlsx.")
    sub = p.add_subparsers(dest="ledger_command", metavar="子命令 / subcommand")

    pi = sub.add_parser(
        "import", help="从 xlsx/xls/ods/csv 导入案件(全部成功或全部不导入) / import cases (all rows or none)",
        description="自动识别表头(序号、问题描述、责任单位、整改时限/截止日期、问题类别、地址、来源……)，"
                    "跳过标题行、空行和合并的分组行。先检查每一行：有任何错误时逐行报告(第几行、哪一列、为什么)"
                    "并退出码 1，什么也不导入。有责任单位和整改时限的导入为“已交办”，否则为“已立案”。 / "
                    "Finds the header row, skips title, blank and heading rows, checks every row first: any bad "
                    "row is reported (row, column, why), exit 1, nothing imported. Rows with a unit and a "
                    "deadline are imported as assigned, others as registered.")
    pi.add_argument("file", metavar="FILE", help="xlsx/xlsm/xls/ods 或 csv(UTF-8 或 GBK) / spreadsheet or CSV file")
    pi.add_argument("--campaign", required=True, metavar="NAME_OR_ID",
                    help="导入到哪个专项行动(名称或编号) / the campaign (name or id)")
    pi.add_argument("--dry-run", action="store_true", help="只检查，不写入 / check only, write nothing")
    pi.add_argument("--category", metavar="NAME",
                    help="“问题类别”为空时使用的类别 / category for rows that leave it blank")
    pi.add_argument("--source", metavar="LABEL",
                    help="“来源”为空时使用的来源(默认 区级督查) / source for rows that leave it blank "
                         "(default 区级督查)")
    pi.add_argument("--allow-repeat", action="store_true",
                    help="允许再次导入同一个文件 / import a file that was imported before")
    pi.add_argument("--as", dest="as_user", metavar="USERNAME",
                    help="以该用户身份导入(须为指挥部人员) / act as this user (must be the command post)")
    pi.set_defaults(func=_run(cmd_ledger_import))

    pe = sub.add_parser(
        "export", help="把筛选出的台账导出为 xlsx / export the filtered ledger as xlsx",
        description="按政府台账格式导出：合并的标题行、序号、冻结表头、筛选按钮、列宽、A4 横向打印且每页重复表头。 / "
                    "Laid out like a government ledger: merged title, 序号, frozen header, filters, column "
                    "widths, A4 landscape with the header repeated on every page.")
    pe.add_argument("--campaign", metavar="NAME_OR_ID", help="专项行动(名称或编号) / the campaign (name or id)")
    pe.add_argument("--out", required=True, metavar="FILE.xlsx", help="输出文件 / output file")
    pe.add_argument("--status", action="append", metavar="STATUS",
                    help="状态，可多个(已交办,整改中 或 assigned,rectifying) / status(es), repeatable or comma-separated")
    pe.add_argument("--unit", metavar="UNIT", help="责任单位(含下级) / responsible unit and its sub-units")
    pe.add_argument("--source", action="append", metavar="SOURCE", help="来源，可多个 / source(s)")
    pe.add_argument("--category", metavar="NAME", help="问题类别(含子类) / category and its children")
    pe.add_argument("--light", metavar="红|黄|绿", help="灯 / deadline light (red, yellow, green)")
    pe.add_argument("--deadline-from", metavar="YYYY-MM-DD", help="整改时限不早于 / deadline on or after")
    pe.add_argument("--deadline-to", metavar="YYYY-MM-DD", help="整改时限不晚于 / deadline on or before")
    pe.add_argument("--q", metavar="WORDS", help="关键词(标题、编号、地址、描述) / keywords")
    pe.add_argument("--order", default="serial", choices=["serial", "-serial", "reported", "-reported", "deadline",
                                                           "-deadline", "status", "unit"],
                    help="排序(默认按编号) / order (default serial)")
    pe.add_argument("--on", metavar="YYYY-MM-DD", help="“截至”日期及灯的计算日(默认今天) / as-of date (default today)")
    pe.add_argument("--title", help="标题(默认“<专项行动>问题台账（截至…）”) / title row text")
    pe.add_argument("--as", dest="as_user", metavar="USERNAME",
                    help="按该用户能看到的范围导出 / export what this user may see")
    pe.set_defaults(func=_run(cmd_ledger_export))
    p.set_defaults(func=lambda a, p=p: (p.print_help(), EXIT_USAGE)[1])
    return p
