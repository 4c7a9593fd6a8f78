"""The ledger as data: export the filtered ledger as a government 台账 (xlsx), import cases from the
spreadsheets people already keep (xlsx/xlsm/xls/ods via python-calamine, csv in UTF-8 or GBK).

Export
    ``export_xlsx`` writes what a filter selects, in the queryset's order, laid out like a 台账: a title
    row merged across all columns, a frozen header row with filters, 序号 1..n, sensible widths, wrapped
    text, A4 landscape fitted to one page wide with the header repeated on every printed page.
    xlsxwriter builds the workbook (styles, title, header, print set-up, defined names); the data rows
    are streamed straight into the sheet's XML in the same form xlsxwriter writes them, because
    xlsxwriter's per-cell API manages ~8,000 such rows/s and a district exports hundreds of thousands.

Import
    ``read_table`` finds the header row (the first row that names two known columns; a merged title
    above it is skipped), follows merged cells (a 责任单位 merged over several rows applies to each of
    them; a row that is one merged heading such as "一、垃圾围城" is skipped), skips blank rows and
    合计/说明 rows, and keeps the row numbers Excel shows. ``import_cases`` checks every row first and
    reports every bad cell as {row, column, message}; a dry run stops there and writes nothing. A real
    import writes all rows or none, in one transaction, numbered after the campaign's last case, with
    one audit event for the whole file.

    What a cell may hold:
      * 整改时限: a date cell, an Excel serial number, 2026-06-30, 2026/6/30, 2026.6.30, 20260630,
        2026年6月30日, 6月30日 (this year), "3个工作日" / "5日内" / "5天内" (working days after the
        import day), 立行立改/立即整改 (the import day). Blank leaves the case unassigned.
      * 责任单位 / 牵头单位: a unit's name, its short name, "街道/社区" for a name used twice, or a
        unique part of a name ("焦北" for 焦北社区, "山阳区百间房街道" for 百间房街道).
      * 问题类别: a category of the campaign, or "父类/子类"; blank uses ``default_category``.
      * 来源: a label (区级督查, 12345热线 …) or code; blank is ``default_source``, 区级督查 unless
        told otherwise, since a ledger brought to the command post is usually what its inspections
        found. 计划任务 rows become planned tasks.
    A case with a responsible unit and a deadline is imported 已交办 (assigned today, the yellow-light
    day worked out in working days); without either it is 已立案 and waits for the command post.
    The 状态/灯/交办日期/分包领导 columns of an exported ledger are not read back: an import starts
    cases, it does not replay their history.
"""

from __future__ import annotations

import codecs
import csv
import dataclasses
import datetime as dt
import hashlib
import io
import math
import os
import re
import zipfile
from collections.abc import Callable, Iterable
from pathlib import Path
from typing import Any, NamedTuple

from django.db import IntegrityError, transaction
from django.db.models import Max
from django.utils import timezone

from gongjian.core import audit
from gongjian.core.errors import Conflict, Invalid
from gongjian.core.models import AuditEvent
from gongjian.ledger import flows, services
from gongjian.ledger.models import (
    DEADLINE_STATUSES,
    Campaign,
    Case,
    CaseKind,
    Category,
    EscalationLevel,
    Priority,
    Source,
    Status,
)
from gongjian.org.models import Unit, User
from gongjian.org.permissions import require
from gongjian.org.selectors import responsible_leader_id

# ===================================================================== export

EXPORT_COLUMNS: list[tuple[str, float]] = [
    ("序号", 6), ("编号", 20), ("问题类别", 14), ("问题描述", 48), ("地址", 24), ("来源", 10),
    ("责任单位", 16), ("分包领导", 10), ("交办日期", 11), ("整改时限", 11), ("状态", 8), ("灯", 6),
    ("返工次数", 6), ("销号时间", 16), ("备注", 26),
]
SHEET_NAME = "台账"
EXCEL_MAX_ROWS = 1_048_576
MAX_EXPORT_ROWS = EXCEL_MAX_ROWS - 2  # title and header rows
EXCEL_MAX_CELL = 32_767
EXPORT_CHUNK = 2000
_EXCEL_EPOCH = dt.datetime(1899, 12, 30)
_LIGHT_TEXT = {"red": "红灯", "yellow": "黄灯", "green": "绿灯"}
_STATUS_LABEL = dict(Status.choices)
_SOURCE_LABEL = dict(Source.choices)
_ESCALATION_LABEL = dict(EscalationLevel.choices)
_SHEET_PATH = "xl/worksheets/sheet1.xml"

# XML 1.0 forbids most control characters; & < > must be escaped.
_XML_SPECIAL = re.compile(r"[&<>\x00-\x08\x0b\x0c\x0e-\x1f\ufffe\uffff]")
_XML_CONTROL = re.compile(r"[\x00-\x08\x0b\x0c\x0e-\x1f\ufffe\uffff]")


def _xml_text(text: str) -> str:
    if _XML_SPECIAL.search(text) is None:
        return text
    text = text.replace("&", "&amp;").replace("<", "&lt;").replace(">", "&gt;")
    return _XML_CONTROL.sub("", text)


@dataclasses.dataclass
class _Skeleton:
    entries: dict[str, bytes]   # every part of the workbook but the sheet
    prefix: bytes               # the sheet's XML up to its first data row
    suffix: bytes               # the sheet's XML from </sheetData> on
    styles: dict[str, int]      # style ids for the data cells ("text", "date", "red", …)


_STYLE_CELLS = {"text": "A3", "number": "B3", "date": "C3", "datetime": "D3", "red": "E3", "yellow": "F3",
                "green": "G3"}


def _skeleton(title: str, rows: int) -> _Skeleton:
    """The workbook around the data, made by xlsxwriter, for a sheet of ``rows`` data rows.

    One sample row (row 3) carries a blank cell in each data style; xlsxwriter assigns the style
    ids, and they are read back from its own XML, so the streamed rows use exactly those.
    """
    import xlsxwriter

    buf = io.BytesIO()
    wb = xlsxwriter.Workbook(buf, {"in_memory": True, "strings_to_numbers": False,
                                   "strings_to_formulas": False, "strings_to_urls": False})
    wb.set_properties({"title": title, "author": "gongjian", "created": dt.datetime(2000, 1, 1)})
    ws = wb.add_worksheet(SHEET_NAME)
    base = {"font_name": "宋体", "font_size": 10, "border": 1, "valign": "vcenter"}
    fmt = {
        "title": wb.add_format({"font_name": "黑体", "font_size": 18, "bold": True, "align": "center",
                                "valign": "vcenter"}),
        "header": wb.add_format({**base, "bold": True, "align": "center", "text_wrap": True,
                                 "bg_color": "#D9D9D9"}),
        "text": wb.add_format({**base, "text_wrap": True}),
        "number": wb.add_format({**base, "align": "center"}),
        "date": wb.add_format({**base, "align": "center", "num_format": "yyyy-mm-dd"}),
        "datetime": wb.add_format({**base, "align": "center", "text_wrap": True, "num_format": "yyyy-mm-dd hh:mm"}),
        "red": wb.add_format({**base, "align": "center", "bg_color": "#FF4D4F", "font_color": "#FFFFFF"}),
        "yellow": wb.add_format({**base, "align": "center", "bg_color": "#FFD666"}),
        "green": wb.add_format({**base, "align": "center", "bg_color": "#95DE64"}),
    }
    last = len(EXPORT_COLUMNS) - 1
    ws.merge_range(0, 0, 0, last, title, fmt["title"])
    ws.set_row(0, 36)
    ws.write_row(1, 0, [name for name, _ in EXPORT_COLUMNS], fmt["header"])
    ws.set_row(1, 30)
    for col, (_, width) in enumerate(EXPORT_COLUMNS):
        ws.set_column(col, col, width)
    for name, ref in _STYLE_CELLS.items():
        ws.write_blank(ref, None, fmt[name])
    ws.freeze_panes(2, 0)
    ws.autofilter(1, 0, 1 + rows, last)
    ws.set_landscape()
    ws.set_paper(9)  # A4
    ws.fit_to_pages(1, 0)  # one page wide, as many pages tall as needed
    ws.repeat_rows(1)  # the header row on every printed page
    ws.center_horizontally()
    ws.set_margins(left=0.4, right=0.4, top=0.6, bottom=0.6)
    ws.set_footer("&C第 &P 页，共 &N 页")
    wb.close()

    with zipfile.ZipFile(io.BytesIO(buf.getvalue())) as zf:
        entries = {name: zf.read(name) for name in zf.namelist()}
    sheet = entries.pop(_SHEET_PATH).decode("utf-8")
    styles = {}
    for name, ref in _STYLE_CELLS.items():
        m = re.search(rf'<c r="{ref}" s="(\d+)"/>', sheet)
        if m is None:
            raise RuntimeError(f"xlsxwriter wrote no style for {ref}")
        styles[name] = int(m[1])
    start, end = sheet.index('<row r="3"'), sheet.index("</sheetData>")
    # The dimension is optional and unknown until the rows are written: leave it out.
    prefix = re.sub(r"<dimension ref=\"[^\"]*\"/>", "", sheet[:start])
    return _Skeleton(entries, prefix.encode("utf-8"), sheet[end:].encode("utf-8"), styles)


_EPOCH_DAY = _EXCEL_EPOCH.date()


def _excel_date(day: dt.date | None) -> str:
    """The <v> of a date cell, or nothing for no date."""
    return "" if day is None else f"<v>{(day - _EPOCH_DAY).days}</v>"


def _excel_datetime(moment: dt.datetime | None, tz) -> str:
    if moment is None:
        return ""
    local = moment.astimezone(tz).replace(tzinfo=None) if moment.tzinfo else moment
    delta = local - _EXCEL_EPOCH
    return f"<v>{delta.days + delta.seconds / 86400:.6f}</v>"


def _inline(value: str | None) -> str:
    """The end of a text cell: its inline string, or nothing for an empty cell."""
    if not value:
        return "/>"
    if len(value) > EXCEL_MAX_CELL:
        value = value[:EXCEL_MAX_CELL - 1] + "…"
    space = ' xml:space="preserve"' if value[0].isspace() or value[-1].isspace() else ""
    return f' t="inlineStr"><is><t{space}>{_xml_text(value)}</t></is></c>'


class _Labels:
    """Names for the ids in a chunk of cases, fetched once per id."""

    def __init__(self):
        units = list(Unit.objects.values_list("id", "name", "parent__name"))
        seen: dict[str, int] = {}
        for _, name, _ in units:
            seen[name] = seen.get(name, 0) + 1
        # A name used twice in the tree is written "上级/名称", which the import reads back.
        self.units = {pk: (f"{parent}/{name}" if seen[name] > 1 and parent else name)
                      for pk, name, parent in units}
        self.categories: dict[int, str] = {}
        self.users: dict[int, str] = {}

    def fetch(self, rows: list[tuple]) -> None:
        cats = {r[2] for r in rows} - self.categories.keys()
        if cats:
            for pk, name, parent in Category.objects.filter(pk__in=cats).values_list("id", "name", "parent__name"):
                self.categories[pk] = f"{parent}/{name}" if parent else name
        users = {r[8] for r in rows if r[8]} - self.users.keys()
        if users:
            for pk, name, username in User.objects.filter(pk__in=users).values_list("id", "name", "username"):
                self.users[pk] = name or username
        missing = {r[7] for r in rows if r[7]} | {r[19] for r in rows if r[19]}
        missing -= self.units.keys()
        if missing:  # a unit created during the export
            self.units.update(Unit.objects.filter(pk__in=missing).values_list("id", "name"))


_EXPORT_FIELDS = (
    "id", "serial", "category_id", "title", "description", "address", "source", "unit_id", "leader_id",
    "assigned_on", "deadline", "warn_on", "status", "rework_count", "closed_at", "escalation_level",
    "extension_count", "long_term_plan", "long_term_review_on", "lead_unit_id", "rejection_reason",
)


def _remarks(r: tuple, labels: _Labels) -> str:
    parts = []
    if r[15]:
        parts.append(f"督办：{_ESCALATION_LABEL.get(r[15], r[15])}")
    if r[16]:
        parts.append(f"延期 {r[16]} 次")
    if r[19]:
        parts.append(f"牵头单位：{labels.units.get(r[19], '')}")
    if r[12] == Status.LONG_TERM and r[17]:
        review = f"(复查 {r[18].isoformat()})" if r[18] else ""
        parts.append(f"挂账：{r[17]}{review}")
    if r[12] == Status.REJECTED and r[20]:
        parts.append(f"不予立案：{r[20]}")
    return "；".join(parts)


_LINE_PT = 13.5  # one line of 10-point 宋体


def _lines(text: str | None, width: float) -> int:
    """How many lines ``text`` wraps to in a column ``width`` units wide. In 10-point 宋体 a Chinese
    character takes about 1.75 units and a Latin one 0.9; UTF-8 gives the first three bytes and the
    second one, which tells them apart without a loop over the characters."""
    if not text or (len(text) * 1.75 <= width and "\n" not in text):
        return 1
    return sum(max(1, math.ceil((0.9 * len(part) + 0.425 * (len(part.encode("utf-8")) - len(part))) / width))
               for part in text.split("\n"))


_WRAP_WIDTH = {name: width - 1.5 for name, width in EXPORT_COLUMNS}


def _row_xml(n: int, r: tuple, labels: _Labels, styles: dict[str, int], on: dt.date, tz) -> str:
    """One data row, in the form xlsxwriter writes with constant_memory (inline strings)."""
    row = n + 2
    st, sn, sd = styles["text"], styles["number"], styles["date"]
    title, description = r[3], (r[4] or "").strip()
    text = "\n".join((title, description)) if description and description != title else title
    status, deadline, warn_on = r[12], r[10], r[11]
    light, light_style = "", st
    if status in DEADLINE_STATUSES and deadline is not None:
        key = "red" if deadline < on else ("yellow" if warn_on and warn_on <= on else "green")
        light, light_style = _LIGHT_TEXT[key], styles[key]
    date_cells = (f'<c r="I{row}" s="{sd}">{_excel_date(r[9])}</c>', f'<c r="J{row}" s="{sd}">{_excel_date(r[10])}</c>')
    closed = _excel_datetime(r[14], tz)
    remarks = _remarks(r, labels)
    unit = labels.units.get(r[7]) if r[7] else ""
    # Wrapped text needs its row height written down: Excel and WPS keep a row's stored height,
    # LibreOffice too, so without it a two-line description is cut to one line.
    lines = max(_lines(text, _WRAP_WIDTH["问题描述"]), _lines(r[5], _WRAP_WIDTH["地址"]),
                _lines(remarks, _WRAP_WIDTH["备注"]), _lines(unit, _WRAP_WIDTH["责任单位"]))
    height = f' ht="{lines * _LINE_PT + 3:g}" customHeight="1"' if lines > 1 else ""
    return (
        f'<row r="{row}"{height}><c r="A{row}" s="{sn}"><v>{n}</v></c>'
        f'<c r="B{row}" s="{st}"{_inline(r[1])}'
        f'<c r="C{row}" s="{st}"{_inline(labels.categories.get(r[2]))}'
        f'<c r="D{row}" s="{st}"{_inline(text)}'
        f'<c r="E{row}" s="{st}"{_inline(r[5])}'
        f'<c r="F{row}" s="{st}"{_inline(_SOURCE_LABEL.get(r[6], r[6]))}'
        f'<c r="G{row}" s="{st}"{_inline(unit)}'
        f'<c r="H{row}" s="{st}"{_inline(labels.users.get(r[8]) if r[8] else "")}'
        f"{date_cells[0]}{date_cells[1]}"
        f'<c r="K{row}" s="{st}"{_inline(_STATUS_LABEL.get(status, status))}'
        f'<c r="L{row}" s="{light_style}"{_inline(light)}'
        f'<c r="M{row}" s="{sn}"><v>{r[13]}</v></c>'
        f'<c r="N{row}" s="{styles["datetime"]}">{closed}</c>'
        f'<c r="O{row}" s="{st}"{_inline(remarks)}</row>'
    )


def export_xlsx(cases, path_or_file, *, title: str, on: dt.date,
                progress: Callable[[int], None] | None = None, chunk_size: int = EXPORT_CHUNK) -> int:
    """Write ``cases`` (a Case queryset, in its order) as a 台账 workbook; returns the number of rows.

    Streams: the queryset is read ``chunk_size`` rows at a time and the rows go straight into the
    compressed file, so a million cases never sit in memory. ``progress(done)`` after every chunk.
    A path is written to a temporary file first and renamed, so a failed export leaves no half file.
    """
    if isinstance(path_or_file, str | os.PathLike):
        target = Path(path_or_file)
        partial = target.with_name(f".{target.name}.part")
        try:
            with open(partial, "wb") as fh:
                n = export_xlsx(cases, fh, title=title, on=on, progress=progress, chunk_size=chunk_size)
            os.replace(partial, target)
        finally:
            partial.unlink(missing_ok=True)
        return n

    first = _skeleton(title, 1)
    labels = _Labels()
    tz = timezone.get_current_timezone()
    rows = cases.values_list(*_EXPORT_FIELDS).iterator(chunk_size=chunk_size)
    n = 0
    with zipfile.ZipFile(path_or_file, "w", zipfile.ZIP_DEFLATED, compresslevel=1) as zf:
        zf.writestr("[Content_Types].xml", first.entries["[Content_Types].xml"])
        with zf.open(_SHEET_PATH, "w") as out:
            out.write(first.prefix)
            chunk: list[tuple] = []

            def flush() -> None:
                nonlocal n
                if n + len(chunk) > MAX_EXPORT_ROWS:
                    raise Invalid(f"超过 Excel 单表 {MAX_EXPORT_ROWS:,} 行的上限，请缩小筛选范围 / more rows than "
                                  "one Excel sheet holds: narrow the filter", field="filter")
                labels.fetch(chunk)
                parts = []
                for r in chunk:
                    n += 1
                    parts.append(_row_xml(n, r, labels, first.styles, on, tz))
                out.write("".join(parts).encode("utf-8"))
                chunk.clear()
                if progress:
                    progress(n)

            for r in rows:
                chunk.append(r)
                if len(chunk) >= chunk_size:
                    flush()
            if chunk:
                flush()
            final = _skeleton(title, n)
            if final.prefix != first.prefix or final.styles != first.styles:
                raise RuntimeError("the workbook skeleton changed with the row count")
            out.write(final.suffix)
        for name, data in final.entries.items():
            if name != "[Content_Types].xml":
                zf.writestr(name, data)
    return n


def default_title(campaign: Campaign | None, on: dt.date) -> str:
    what = campaign.name if campaign else "整治攻坚"
    return f"{what}问题台账（截至{on.year}年{on.month}月{on.day}日）"


# ===================================================================== reading spreadsheets

SPREADSHEET_SUFFIXES = {".xlsx", ".xlsm", ".xlsb", ".xls", ".ods"}
CSV_SUFFIXES = {".csv", ".tsv", ".txt"}
HEADER_SCAN_ROWS = 30

# field -> header names, best first. A column serves one field; a field takes its best column.
FIELD_HEADERS: dict[str, tuple[str, ...]] = {
    "title": ("标题", "问题名称", "任务名称", "事项名称", "问题", "存在问题", "存在的问题", "主要问题", "问题事项",
              "事项", "任务", "问题内容", "任务内容", "问题描述", "问题情况", "问题及描述"),
    "description": ("详细描述", "问题详情", "具体情况", "情况说明", "详细情况", "具体问题", "问题描述", "描述",
                    "问题情况", "现场情况"),
    "unit": ("责任单位", "责任主体", "整改责任单位", "责任部门", "整改单位", "属地责任单位", "属地单位", "属地",
             "主责单位", "承办单位", "所属街道", "街道"),
    "lead_unit": ("牵头单位", "牵头部门", "牵头"),
    "category": ("问题类别", "类别", "问题类型", "类型", "问题分类", "分类", "整治类别", "整治类型"),
    "deadline": ("整改时限", "截止日期", "完成时限", "整改期限", "时限", "截止时间", "办结时限", "整改截止日期",
                 "限期", "整改时间"),
    "address": ("地址", "具体位置", "位置", "地点", "详细地址", "问题地址", "具体地点", "点位", "具体点位",
                "点位位置", "问题位置"),
    "source": ("来源", "问题来源", "线索来源", "交办来源", "发现途径"),
    "priority": ("紧急程度", "优先级", "缓急程度", "缓急"),
    "serial": ("序号",),
    "ref": ("编号", "问题编号", "案件编号", "任务编号"),
    "lng": ("经度",),
    "lat": ("纬度",),
    "remark": ("备注",),
}
FIELD_LABELS = {
    "title": "问题描述", "description": "详细描述", "unit": "责任单位", "lead_unit": "牵头单位", "category": "问题类别",
    "deadline": "整改时限", "address": "地址", "source": "来源", "priority": "紧急程度", "serial": "序号",
    "ref": "编号", "lng": "经度", "lat": "纬度", "remark": "备注",
}
# Columns that are only numbering: a row with nothing else is blank.
_NUMBERING = {"serial", "ref"}
_HEADER_NOISE = re.compile(r"[\s\u3000\xa0*＊:：]+")
_HEADER_BRACKETS = re.compile(r"[（(【\[〔<＜《].*?[)）】\]〕>＞》]")
_PERSON_HEADER = re.compile(r"(人|电话|联系方式|手机|职务)$")
_TOTAL_ROW = re.compile(r"^(合计|总计|小计|共计)")
_HEADING_ROW = re.compile(r"^[（(]?[一二三四五六七八九十百]+[、)）.．]")
_NOTE_ROW = re.compile(r"^(注|说明|备注|填表说明|填报说明)\s*[:：]")


def normalise_header(text: Any) -> str:
    """A header as written (“整改时限（必填）”, “* 责任单位”, “问题\n描述”) to the name matched on."""
    if text is None:
        return ""
    text = str(text)
    text = _HEADER_BRACKETS.sub("", text)
    return _HEADER_NOISE.sub("", text)


def map_columns(headers: list[str]) -> dict[str, int]:
    """field -> column index for the headers of one row (see FIELD_HEADERS)."""
    names = [normalise_header(h) for h in headers]
    taken: set[int] = set()
    found: dict[str, int] = {}
    for field, synonyms in FIELD_HEADERS.items():
        best = None
        for col, name in enumerate(names):
            if col in taken or not name:
                continue
            if name in synonyms:
                rank = synonyms.index(name)
            else:
                # “问题描述及整改要求”, “整改完成时限”: a header containing a known name of three or
                # more characters, unless it names a person or a phone (“责任单位责任人”).
                hits = [i for i, s in enumerate(synonyms) if len(s) >= 3 and s in name]
                if not hits or _PERSON_HEADER.search(name):
                    continue
                rank = 100 + min(hits)
            if best is None or rank < best[0]:
                best = (rank, col)
        if best is not None:
            found[field] = best[1]
            taken.add(best[1])
    return found


class SheetRow(NamedTuple):
    number: int          # the row number Excel shows (1-based)
    values: list[Any]


@dataclasses.dataclass
class Table:
    sheet: str
    header_row: int                  # 1-based; the last row of a header that spans several rows
    headers: list[str]
    columns: dict[str, int]          # field -> column index
    rows: list[SheetRow]
    skipped: list[dict] = dataclasses.field(default_factory=list)  # [{row, reason}]

    def header_of(self, field: str) -> str:
        col = self.columns.get(field)
        return (str(self.headers[col]).strip() or FIELD_LABELS[field]) if col is not None else FIELD_LABELS[field]

    @property
    def ignored_columns(self) -> list[str]:
        used = set(self.columns.values())
        return [str(h).strip() for i, h in enumerate(self.headers) if i not in used and str(h).strip()]


def _blank(value: Any) -> bool:
    return value is None or (isinstance(value, str) and not value.strip())


def _decode_csv(data: bytes) -> str:
    if data.startswith((codecs.BOM_UTF16_LE, codecs.BOM_UTF16_BE)):
        return data.decode("utf-16")  # Excel's “Unicode 文本”
    for encoding in ("utf-8-sig", "gb18030"):  # GB18030 covers GBK, what WPS and Excel write on Chinese Windows
        try:
            return data.decode(encoding)
        except UnicodeDecodeError:
            continue
    raise Invalid("无法识别 CSV 文件的编码：请另存为 UTF-8 或 GBK 编码 / cannot decode the CSV: save it as UTF-8",
                  field="file")


def _read_csv(path: Path) -> list[tuple[str, list[list[Any]], list]]:
    text = _decode_csv(path.read_bytes())
    first = text.split("\n", 1)[0]
    delimiter = "\t" if path.suffix.lower() == ".tsv" or (first.count("\t") > first.count(",")) else ","
    rows = [list(r) for r in csv.reader(io.StringIO(text, newline=""), delimiter=delimiter)]
    return [(path.name, rows, [])]


def _read_workbook(path: Path) -> list[tuple[str, list[list[Any]], list]]:
    import python_calamine as pc

    try:
        wb = pc.CalamineWorkbook.from_path(str(path))
    except pc.PasswordError:
        raise Invalid("文件有密码保护，请先取消密码 / the file is password-protected", field="file") from None
    except Exception as exc:  # calamine raises several kinds for a file it cannot parse
        raise Invalid(f"无法读取“{path.name}”：文件可能已损坏，或并非真正的 Excel 文件(有些系统导出的 .xls 实为网页，"
                      f"请用 Excel/WPS 另存为 .xlsx) / cannot read the file ({type(exc).__name__})",
                      field="file") from None
    sheets = []
    with wb:
        for meta in wb.sheets_metadata:
            if meta.visible != pc.SheetVisibleEnum.Visible or meta.typ != pc.SheetTypeEnum.WorkSheet:
                continue
            sheet = wb.get_sheet_by_name(meta.name)
            sheets.append((meta.name, sheet.to_python(skip_empty_area=False), sheet.merged_cell_ranges or []))
    if path.suffix.lower() == ".ods":  # calamine reports merged cells for xlsx and xls only
        spans = _ods_merges(path)
        sheets = [(name, grid, merges or spans.get(name, [])) for name, grid, merges in sheets]
    return sheets


_ODS_TABLE = "{urn:oasis:names:tc:opendocument:xmlns:table:1.0}"
_ODS_MAX_REPEAT = 10_000  # a longer run of empty cells is padding to the sheet's edge


def _ods_merges(path: Path) -> dict[str, list]:
    """Merged ranges per sheet of an OpenDocument spreadsheet, as calamine gives them for xlsx:
    [((first_row, first_col), (last_row, last_col))], zero-based from A1.

    In content.xml a merged cell carries number-rows-spanned / number-columns-spanned and the
    cells it covers are covered-table-cell elements; rows and cells may be run-length encoded with
    number-rows-repeated / number-columns-repeated.
    """
    import zipfile

    from defusedxml.ElementTree import iterparse

    T = _ODS_TABLE
    merges: dict[str, list] = {}
    try:
        with zipfile.ZipFile(path) as z, z.open("content.xml") as content:
            sheet, row, col, depth = "", 0, 0, 0
            for event, el in iterparse(content, events=("start", "end")):
                tag = el.tag
                if tag == f"{T}table":
                    depth += 1 if event == "start" else -1
                    if event == "start" and depth == 1:
                        sheet, row = el.get(f"{T}name", ""), 0
                        merges.setdefault(sheet, [])
                elif depth != 1:
                    continue
                elif tag == f"{T}table-row":
                    if event == "start":
                        col = 0
                    else:
                        row += int(el.get(f"{T}number-rows-repeated", "1"))
                        el.clear()
                elif tag in (f"{T}table-cell", f"{T}covered-table-cell") and event == "start":
                    rows_spanned = int(el.get(f"{T}number-rows-spanned", "1"))
                    cols_spanned = int(el.get(f"{T}number-columns-spanned", "1"))
                    if rows_spanned > 1 or cols_spanned > 1:
                        merges[sheet].append(((row, col), (row + rows_spanned - 1, col + cols_spanned - 1)))
                    col += min(int(el.get(f"{T}number-columns-repeated", "1")), _ODS_MAX_REPEAT)
    except (KeyError, ValueError, zipfile.BadZipFile, SyntaxError) as exc:
        # calamine read the cells already, so only the merges are unknown: refuse rather than guess.
        raise Invalid(f"无法读取“{path.name}”中的合并单元格，请用 Excel/WPS 另存为 .xlsx 后再导入 / "
                      f"cannot read the merged cells of this ODS file ({type(exc).__name__})", field="file") from None
    return merges


def _grids(path: Path) -> list[tuple[str, list[list[Any]], list]]:
    suffix = path.suffix.lower()
    if not path.is_file():
        raise Invalid(f"找不到文件“{path}” / no such file", field="file")
    if suffix in CSV_SUFFIXES:
        return _read_csv(path)
    if suffix in SPREADSHEET_SUFFIXES:
        return _read_workbook(path)
    raise Invalid(f"不支持的文件类型“{suffix or path.name}”：请用 .xlsx、.xls、.ods 或 .csv / unsupported file type",
                  field="file")


def _find_header(grid: list[list[Any]]) -> tuple[int, dict[str, int]] | None:
    for i, row in enumerate(grid[:HEADER_SCAN_ROWS]):
        columns = map_columns([("" if v is None else str(v)) for v in row])
        if len(columns) >= 2:
            return i, columns
    return None


def _table_from_grid(sheet: str, grid: list[list[Any]], merges: list) -> Table | None:
    width = max((len(r) for r in grid), default=0)
    for row in grid:
        row.extend([""] * (width - len(row)))
    found = _find_header(grid)
    if found is None:
        return None
    top, _ = found
    # A header may span rows (“责任单位” merged over 责任单位 | 牵头单位 below it): fill the header
    # block's merges both ways and take each column's lowest name.
    bottom = max([top] + [r2 for (r1, _c1), (r2, _c2) in merges if r1 <= top <= r2])
    bottom = min(bottom, len(grid) - 1)
    block = [list(grid[r]) for r in range(top, bottom + 1)]
    for (r1, c1), (r2, c2) in merges:
        if r2 < top or r1 > bottom:
            continue
        value = grid[r1][c1] if r1 < len(grid) and c1 < width else ""
        for r in range(max(r1, top), min(r2, bottom) + 1):
            for c in range(c1, min(c2, width - 1) + 1):
                block[r - top][c] = value
    headers = []
    for c in range(width):
        names = [str(block[r][c]).strip() for r in range(len(block)) if not _blank(block[r][c])]
        headers.append(names[-1] if names else "")
    columns = map_columns(headers)
    if len(columns) < 2:
        return None

    # Data merges: a cell merged down several rows holds for each of them; a row that is a single
    # merged cell across the table is a heading (“一、垃圾围城”).
    data_start = bottom + 1
    headings: set[int] = set()
    mapped = set(columns.values())
    content_cols = [c for f, c in columns.items() if f not in _NUMBERING]
    unmapped = [c for c in range(width) if c not in mapped]
    # Rows with something typed in them (a merged cell's value filled down does not count).
    check = content_cols + unmapped
    typed = {r for r in range(data_start, len(grid)) if any(not _blank(grid[r][c]) for c in check)}
    for (r1, c1), (r2, c2) in merges:
        if r1 < data_start or r1 >= len(grid):
            continue
        if r1 == r2 and len(mapped & set(range(c1, c2 + 1))) >= 3:
            headings.add(r1)
            continue
        value = grid[r1][c1]
        for r in range(r1 + 1, min(r2, len(grid) - 1) + 1):
            if _blank(grid[r][c1]):
                grid[r][c1] = value
    rows, skipped = [], []
    for r in range(data_start, len(grid)):
        values = grid[r]
        if r in headings:
            text = next((str(v).strip() for v in values if not _blank(v)), "")
            skipped.append({"row": r + 1, "reason": f"分组标题行“{text[:30]}”"})
            continue
        if r not in typed:
            continue  # blank, or only a pre-printed 序号
        texts = _first_texts(values)
        if _TOTAL_ROW.match(texts[0]) or (len(texts) == 1 and _NOTE_ROW.match(texts[0])):
            skipped.append({"row": r + 1, "reason": f"合计或说明行“{texts[0][:30]}”"})
            continue
        if len(texts) == 1 and _HEADING_ROW.match(texts[0]):  # “二、扬尘” alone, not merged
            skipped.append({"row": r + 1, "reason": f"分组标题行“{texts[0][:30]}”"})
            continue
        rows.append(SheetRow(r + 1, values))
    return Table(sheet, bottom + 1, headers, columns, rows, skipped)


def _first_texts(values: list) -> list[str]:
    """The first two non-blank cells of a row as text (enough to tell a total, note or heading row)."""
    texts = []
    for v in values:
        if v is None:
            continue
        if isinstance(v, str):
            v = v.strip()
            if not v:
                continue
        else:
            v = str(v).strip()
        texts.append(v)
        if len(texts) == 2:
            break
    return texts


def read_table(path) -> Table:
    """The first sheet of ``path`` that has a recognisable header row, as a Table."""
    path = Path(path)
    sheets = _grids(path)
    for name, grid, merges in sheets:
        table = _table_from_grid(name, grid, merges)
        if table is not None:
            return table
    known = "、".join(h[0] for h in FIELD_HEADERS.values() if h[0] not in ("编号",))
    raise Invalid(f"“{path.name}”中找不到表头行：前 {HEADER_SCAN_ROWS} 行里没有一行同时含两个可识别的列名"
                  f"({known} …) / no header row found", field="file")


def read_rows(path) -> tuple[list[str], list[SheetRow]]:
    """(headers, data rows) of a spreadsheet: blank rows skipped, merged cells followed, Excel's row numbers."""
    table = read_table(path)
    return table.headers, table.rows


# ===================================================================== parsing cells

SERIAL_MIN = 36526   # 2000-01-01 as an Excel serial number
SERIAL_MAX = 73415   # 2100-12-31
_CN_DIGITS = {"零": 0, "一": 1, "二": 2, "两": 2, "三": 3, "四": 4, "五": 5, "六": 6, "七": 7, "八": 8, "九": 9}
_DATE_FULL = re.compile(r"^(\d{4})\s*[-/.年]\s*(\d{1,2})\s*[-/.月]\s*(\d{1,2})\s*[日号]?"
                        r"(?:\s*[T ]?\s*\d{1,2}[:：]\d{2}(?:[:：]\d{2}(?:\.\d+)?)?)?$")
_DATE_COMPACT = re.compile(r"^(\d{4})(\d{2})(\d{2})$")
_DATE_MONTH_DAY = re.compile(r"^(\d{1,2})\s*[月/.-]\s*(\d{1,2})\s*[日号]?$")
_RELATIVE = re.compile(r"^(?:限期|须在|需在|要求|在)?\s*([0-9]+|[零一二两三四五六七八九十百]+)\s*个?\s*(工作日|日|天)\s*"
                       r"(?:内|之内|以内)?\s*(?:完成|整改|整改完成|办结|完成整改)?$")
_IMMEDIATE = {"立行立改", "立即整改", "即知即改", "立即", "马上整改", "立查立改"}


def _cn_number(text: str) -> int:
    if text.isdigit():
        return int(text)
    if "百" in text:
        head, _, rest = text.partition("百")
        return (_CN_DIGITS.get(head, 1) if head else 1) * 100 + (_cn_number(rest) if rest else 0)
    if "十" in text:
        head, _, rest = text.partition("十")
        return (_CN_DIGITS[head] if head else 1) * 10 + (_CN_DIGITS[rest] if rest else 0)
    return _CN_DIGITS[text] if len(text) == 1 else int("".join(str(_CN_DIGITS[c]) for c in text))


def _date(y: int, m: int, d: int, text: str) -> dt.date:
    try:
        return dt.date(y, m, d)
    except ValueError:
        raise ValueError(f"没有这一天：“{text}”") from None


def _from_serial(value: float, text: str) -> dt.date:
    if not SERIAL_MIN <= value <= SERIAL_MAX:
        raise ValueError(f"“{text}”不是日期：请写成 2026-06-30，或“5个工作日”")
    return (_EXCEL_EPOCH + dt.timedelta(days=int(value))).date()


def parse_deadline(value: Any, *, today: dt.date) -> dt.date | None:
    """A deadline cell as people fill it in (see the module docstring); ValueError says why not."""
    if _blank(value):
        return None
    if isinstance(value, dt.datetime):
        return value.date()
    if isinstance(value, dt.date):
        return value
    if isinstance(value, bool) or isinstance(value, dt.time | dt.timedelta):
        raise ValueError(f"“{value}”不是日期")
    if isinstance(value, int | float):
        return _from_serial(value, f"{value:g}")
    text = str(value).strip().replace("\u3000", " ")
    if m := _DATE_FULL.match(text):
        return _date(int(m[1]), int(m[2]), int(m[3]), text)
    if m := _DATE_COMPACT.match(text):
        return _date(int(m[1]), int(m[2]), int(m[3]), text)
    if m := _DATE_MONTH_DAY.match(text):
        return _date(today.year, int(m[1]), int(m[2]), text)
    if re.fullmatch(r"\d{5}(\.\d+)?", text):
        return _from_serial(float(text), text)
    if text in _IMMEDIATE:
        return services.deadline_after(today, 0)
    if m := _RELATIVE.match(text):
        return services.deadline_after(today, _cn_number(m[1]))
    hint = "；长期整改的问题请留空，导入后由指挥部交办或挂账" if "长期" in text or "持续" in text else ""
    raise ValueError(f"无法识别的日期“{text}”：请写成 2026-06-30、2026年6月30日，或“5个工作日”{hint}")


def cell_text(value: Any) -> str:
    if value is None:
        return ""
    if value.__class__ is str:
        return value.replace("\r\n", "\n").strip().strip("\u3000\xa0").strip()
    if isinstance(value, float) and value.is_integer():
        return str(int(value))
    if isinstance(value, dt.datetime):
        return value.date().isoformat() if value.time() == dt.time() else value.isoformat(" ")
    if isinstance(value, dt.date):
        return value.isoformat()
    return str(value).replace("\r\n", "\n").strip().strip("\u3000\xa0").strip()


def _number(value: Any, what: str) -> float:
    if isinstance(value, int | float) and not isinstance(value, bool):
        return float(value)
    try:
        return float(cell_text(value).rstrip("°"))
    except ValueError:
        raise ValueError(f"{what}“{cell_text(value)}”不是数字") from None


_UNIT_SUFFIX = re.compile(r"(办事处|人民政府|居民委员会|居委会|村民委员会|村委会|党工委|管委会)$")
_MANY_UNITS = re.compile(r"[、，,;；]|\s和\s")
_UNIT_PATH_SPLIT = re.compile(r"\s*[/／>＞]\s*")


class UnitResolver:
    """A unit from what people write in a 责任单位 cell (see the module docstring)."""

    def __init__(self):
        self.units = {u.pk: u for u in Unit.objects.all()}
        self.by_name: dict[str, list[Unit]] = {}
        self.by_short: dict[str, list[Unit]] = {}
        for u in self.units.values():
            self.by_name.setdefault(u.name, []).append(u)
            if u.short_name:
                self.by_short.setdefault(u.short_name, []).append(u)
        self._cache: dict[str, Unit] = {}

    def label(self, unit: Unit) -> str:
        names = [self.units[i].name for i in unit.ancestor_ids if i in self.units]
        return "/".join([*names[1:], unit.name]) if len(names) > 1 else unit.name

    def _ancestors_match(self, unit: Unit, parts: Iterable[str]) -> bool:
        names = {n for i in unit.ancestor_ids if i in self.units
                 for n in (self.units[i].name, self.units[i].short_name) if n}
        return all(any(p == n or p in n or n in p for n in names) for p in parts if p)

    def _pick(self, candidates: list[Unit], text: str) -> Unit:
        active = [u for u in candidates if u.is_active] or candidates
        if len(active) == 1:
            if not active[0].is_active:
                raise ValueError(f"单位“{active[0].name}”已停用")
            return active[0]
        shown = "、".join(f"“{self.label(u)}”" for u in active[:5])
        more = f"等 {len(active)} 个" if len(active) > 5 else ""
        raise ValueError(f"“{text}”对应多个单位：{shown}{more}，请写全称，如“{self.label(active[0])}”")

    def resolve(self, text: str) -> Unit:
        if text in self._cache:
            return self._cache[text]
        unit = self._resolve(text)
        self._cache[text] = unit
        return unit

    def _resolve(self, text: str) -> Unit:
        if _MANY_UNITS.search(text):
            raise ValueError(f"“{text}”含有多个单位：一个问题只能有一个责任单位(其余可写在牵头单位或备注里)")
        parts = [p for p in _UNIT_PATH_SPLIT.split(text) if p]
        name, above = parts[-1], parts[:-1]
        # “百间房街道办事处” for 百间房街道, “墙南社区居委会” for 墙南社区.
        bare = _UNIT_SUFFIX.sub("", name) or name
        for index, key in ((self.by_name, name), (self.by_short, name), (self.by_name, bare)):
            found = [u for u in index.get(key, []) if self._ancestors_match(u, above)]
            if found:
                return self._pick(found, text)
        if above:
            raise ValueError(f"没有名为“{text}”的单位")
        # “山阳区百间房街道”: the text ends with a unit's name, and what is before names its ancestors.
        ends = [u for n, us in self.by_name.items() if len(n) >= 2 and text.endswith(n) for u in us]
        if ends:
            longest = max(len(u.name) for u in ends)
            ends = [u for u in ends if len(u.name) == longest
                    and self._ancestors_match(u, [text[: -len(u.name)]])]
            if ends:
                return self._pick(ends, text)
        # “焦北” for 焦北社区, “城市管理局” for 区城市管理局: a unique unit whose name starts or ends with it.
        if len(text) >= 2:
            near = [u for n, us in self.by_name.items() if n.startswith(text) or n.endswith(text) for u in us]
            if near:
                return self._pick(near, text)
        raise ValueError(f"没有名为“{text}”的单位，请核对名称(可在“单位管理”中查看)")


class CategoryResolver:
    def __init__(self, campaign: Campaign):
        self.campaign = campaign
        self.categories = list(Category.objects.filter(campaign=campaign).select_related("parent"))
        self._cache: dict[str, Category] = {}

    def resolve(self, text: str) -> Category:
        if text not in self._cache:
            self._cache[text] = self._resolve(text)
        return self._cache[text]

    def _resolve(self, text: str) -> Category:
        parts = [p for p in _UNIT_PATH_SPLIT.split(text) if p]
        name, parent = parts[-1], (parts[-2] if len(parts) > 1 else None)
        found = [c for c in self.categories if c.name == name
                 and (parent is None or (c.parent is not None and c.parent.name == parent))]
        if len(found) == 1:
            return found[0]
        if len(found) > 1:
            shown = "、".join(f"“{c}”" for c in found)
            raise ValueError(f"类别“{text}”有多个：{shown}，请写成“上级类别/类别”")
        names = "、".join(str(c) for c in self.categories[:12])
        more = " …" if len(self.categories) > 12 else ""
        raise ValueError(f"专项行动“{self.campaign.name}”中没有问题类别“{text}”；可选：{names}{more}")


_SOURCE_WORDS: list[tuple[str, str]] = [
    ("12345", Source.HOTLINE), ("热线", Source.HOTLINE), ("暗访", Source.UNANNOUNCED), ("夜查", Source.NIGHT),
    ("自查", Source.SELF_CHECK), ("媒体", Source.MEDIA), ("曝光", Source.MEDIA), ("监测", Source.MONITORING),
    ("举报", Source.PUBLIC), ("信访", Source.PUBLIC), ("群众", Source.PUBLIC), ("省", Source.PROVINCE),
    ("中央", Source.PROVINCE), ("市", Source.CITY), ("计划", Source.PLAN), ("区", Source.DISTRICT_INSPECTION),
    ("督查", Source.DISTRICT_INSPECTION), ("巡查", Source.DISTRICT_INSPECTION),
]
_SOURCE_BY_TEXT = {**{label: code for code, label in Source.choices}, **{code: code for code in Source.values}}


def parse_source(text: str) -> str:
    if text in _SOURCE_BY_TEXT:
        return _SOURCE_BY_TEXT[text]
    for word, code in _SOURCE_WORDS:
        if word in text:
            return code
    raise ValueError(f"来源“{text}”无法识别；可选：{'、'.join(Source.labels)}")


_PRIORITY_BY_TEXT = {
    **{label: code for code, label in Priority.choices}, **{code: code for code in Priority.values},
    "特急": Priority.URGENT, "加急": Priority.URGENT, "急": Priority.URGENT, "是": Priority.URGENT,
    "普通": Priority.NORMAL, "常规": Priority.NORMAL, "否": Priority.NORMAL,
}


# ===================================================================== import

IMPORT_BATCH = 2000


@dataclasses.dataclass
class ImportResult:
    file: str
    sheet: str = ""
    header_row: int = 0
    columns: dict[str, str] = dataclasses.field(default_factory=dict)   # field -> header as written
    ignored_columns: list[str] = dataclasses.field(default_factory=list)
    rows: int = 0                        # data rows found (blank, heading and total rows not counted)
    skipped: list[dict] = dataclasses.field(default_factory=list)        # [{row, reason}]
    errors: list[dict] = dataclasses.field(default_factory=list)         # [{row, column, message}]
    dry_run: bool = False
    created: int = 0
    assigned: int = 0                    # of the rows (to be) imported: 已交办
    registered: int = 0                  # and 已立案 (no unit or no deadline)
    case_ids: list[int] = dataclasses.field(default_factory=list)
    first_serial: str = ""
    last_serial: str = ""

    @property
    def ok(self) -> bool:
        return not self.errors


class _Valid(NamedTuple):
    row: int
    title: str
    description: str
    address: str
    source: str
    priority: str
    category_id: int
    unit_id: int | None
    lead_unit_id: int | None
    lng: float | None
    lat: float | None
    grid_id: int | None
    deadline: dt.date | None


def _file_sha256(path: Path) -> str:
    h = hashlib.sha256()
    with open(path, "rb") as fh:
        for block in iter(lambda: fh.read(1 << 20), b""):
            h.update(block)
    return h.hexdigest()


def _previous_import(campaign: Campaign, sha256: str) -> AuditEvent | None:
    return (AuditEvent.objects.filter(action="case.import", object_type=campaign._meta.label_lower,
                                      object_id=str(campaign.pk), after__contains=sha256)
            .order_by("-seq").first())


def _split_title(text: str) -> tuple[str, str]:
    """The title cell: its first line is the title (the export writes 标题 + newline + 描述); a title
    longer than the field is shortened and kept whole in the description."""
    first, _, rest = text.partition("\n")
    first, rest = first.strip(), rest.strip()
    if len(first) > 200:
        return first[:199] + "…", text.strip()
    return first, rest


def _validate(table: Table, campaign: Campaign, *, today: dt.date, default_category: Category | None,
              default_source: str, progress) -> tuple[list[_Valid], list[dict]]:
    cols = table.columns
    units = UnitResolver()
    categories = CategoryResolver(campaign)
    valid: list[_Valid] = []
    errors: list[dict] = []
    deadlines: dict[Any, dt.date | ValueError | None] = {}
    total = len(table.rows)

    present = list(cols.items())

    for i, (number, values) in enumerate(table.rows):
        cells = {field: values[col] for field, col in present}  # (a missing column reads as None)
        row_errors = []

        def bad(field: str, message: str, number=number, row_errors=row_errors) -> None:
            row_errors.append({"row": number, "column": table.header_of(field), "message": message})

        title, description = _split_title(cell_text(cells.get("title")))
        if not title:
            bad("title", "问题描述(标题)不能为空")
        extra = cell_text(cells.get("description"))
        description = "\n".join(p for p in (description, extra) if p)
        remark = cell_text(cells.get("remark"))
        if remark:
            description = "\n".join(p for p in (description, f"备注：{remark}") if p)
        address = cell_text(cells.get("address"))
        if len(address) > 200:
            bad("address", f"地址不能超过200字(现有 {len(address)} 字)")

        category_id = None
        text = cell_text(cells.get("category"))
        if text:
            try:
                category_id = categories.resolve(text).pk
            except ValueError as exc:
                bad("category", str(exc))
        elif default_category is not None:
            category_id = default_category.pk
        else:
            bad("category", "问题类别不能为空")

        unit_ids = {}
        for field in ("unit", "lead_unit"):
            text = cell_text(cells.get(field))
            unit_ids[field] = None
            if text:
                try:
                    unit_ids[field] = units.resolve(text).pk
                except ValueError as exc:
                    bad(field, str(exc))

        source = default_source
        text = cell_text(cells.get("source"))
        if text:
            try:
                source = parse_source(text)
            except ValueError as exc:
                bad("source", str(exc))
        priority = Priority.NORMAL
        text = cell_text(cells.get("priority"))
        if text:
            priority = _PRIORITY_BY_TEXT.get(text)
            if priority is None:
                bad("priority", f"紧急程度“{text}”无法识别；可选：{'、'.join(Priority.labels)}")

        lng = lat = None
        raw_lng, raw_lat = cells.get("lng"), cells.get("lat")
        if not (_blank(raw_lng) and _blank(raw_lat)):
            if _blank(raw_lng) or _blank(raw_lat):
                bad("lng" if _blank(raw_lng) else "lat", "经度和纬度须同时填写")
            else:
                try:
                    lng, lat = _number(raw_lng, "经度"), _number(raw_lat, "纬度")
                    if not (-180 <= lng <= 180 and -90 <= lat <= 90):
                        raise ValueError(f"坐标({lng}, {lat})超出范围(经度 -180～180，纬度 -90～90)")
                except ValueError as exc:
                    bad("lng", str(exc))
                    lng = lat = None

        raw = cells.get("deadline")
        key = (type(raw).__name__, raw)
        if key not in deadlines:
            try:
                day = parse_deadline(raw, today=today)
                if day is not None and day < today:
                    raise ValueError(f"整改时限 {day.isoformat()} 早于导入日期 {today.isoformat()}")
                if day is not None and not dt.date(2000, 1, 1) <= day <= dt.date(2100, 12, 31):
                    raise ValueError(f"整改时限 {day.isoformat()} 不在合理范围内")
                deadlines[key] = day
            except (ValueError, Invalid) as exc:
                deadlines[key] = ValueError(exc.message if isinstance(exc, Invalid) else str(exc))
        deadline = deadlines[key]
        if isinstance(deadline, ValueError):
            bad("deadline", str(deadline))
            deadline = None

        if row_errors:
            errors.extend(row_errors)
        else:
            valid.append(_Valid(number, title, description, address, source, priority, category_id,
                                unit_ids["unit"], unit_ids["lead_unit"], lng, lat, None, deadline))
        if progress and (i + 1) % 1000 == 0:
            progress("validate", i + 1, total)
    valid = _with_grids(valid)
    if progress:
        progress("validate", total, total)
    return valid, errors


def _with_grids(valid: list[_Valid]) -> list[_Valid]:
    """The grid of each row that has a point (one vectorised lookup); a row without a unit takes the
    grid's unit, as a reported case does."""
    from gongjian.org.models import Grid
    from gongjian.org.selectors import locate_grids

    located = [i for i, v in enumerate(valid) if v.lng is not None]
    if not located:
        return valid
    ids = locate_grids([valid[i].lng for i in located], [valid[i].lat for i in located])
    units = dict(Grid.objects.filter(pk__in={g for g in ids if g}).values_list("pk", "unit_id"))
    for i, grid in zip(located, ids, strict=True):
        if grid:
            valid[i] = valid[i]._replace(grid_id=grid, unit_id=valid[i].unit_id or units[grid])
    return valid


def import_cases(*, actor, campaign: Campaign, path, dry_run: bool, default_category: Category | None = None,
                 default_source: str = Source.DISTRICT_INSPECTION, allow_repeat: bool = False,
                 progress: Callable[[str, int, int], None] | None = None) -> ImportResult:
    """Import a ledger file into ``campaign``: every row or none (see the module docstring).

    Returns the result with every bad cell in ``errors`` (then nothing is written); a dry run only
    checks. File-level problems (unreadable file, no header row, no title column, the same file
    imported before) raise Invalid or Conflict. ``progress(stage, done, total)`` with stage
    "read", "validate" or "write".
    """
    require(actor is None or flows.is_dispatcher(actor), "导入台账")
    path = Path(path)
    if default_source not in Source.values:
        raise Invalid(f"默认来源“{default_source}”无效 / unknown source", field="source")
    if default_category is not None and default_category.campaign_id != campaign.pk:
        raise Invalid(f"类别“{default_category}”不属于专项行动“{campaign}”", field="category")
    if progress:
        progress("read", 0, 0)
    table = read_table(path)
    sha256 = _file_sha256(path)
    result = ImportResult(file=path.name, sheet=table.sheet, header_row=table.header_row,
                          columns={f: str(table.headers[c]).strip() for f, c in table.columns.items()},
                          ignored_columns=table.ignored_columns, rows=len(table.rows), skipped=table.skipped,
                          dry_run=dry_run)
    if progress:
        progress("read", len(table.rows), len(table.rows))
    if "title" not in table.columns:
        raise Invalid(f"第 {table.header_row} 行表头中没有问题描述列(问题描述 / 问题 / 存在问题 / 任务内容 / 标题) / "
                      "no title column", field="file")
    if "category" not in table.columns and default_category is None:
        only = list(campaign.categories.all()[:2])
        if len(only) != 1:
            raise Invalid("文件没有“问题类别”列：请加上这一列，或指定默认类别 / no category column: add one or "
                          "give a default category", field="category")
        default_category = only[0]
    if not allow_repeat:
        before = _previous_import(campaign, sha256)
        if before is not None:
            raise Conflict(f"这个文件已于 {timezone.localtime(before.created_at):%Y-%m-%d %H:%M} 导入到“{campaign}”"
                           f"(审计记录第 {before.seq} 条)，不再重复导入 / this file was imported before",
                           field="file")

    today = services.today()
    valid, errors = _validate(table, campaign, today=today, default_category=default_category,
                              default_source=default_source, progress=progress)
    result.errors = errors
    result.assigned = sum(1 for v in valid if v.deadline is not None and v.unit_id is not None)
    if errors:
        result.assigned = 0
        return result
    if not valid:
        raise Invalid(f"“{path.name}”中没有可导入的数据行 / no data rows", field="file")
    result.registered = len(valid) - result.assigned
    if dry_run:
        return result
    try:
        _write(actor=actor, campaign=campaign, valid=valid, result=result, sha256=sha256, today=today,
               progress=progress)
    except IntegrityError as exc:
        raise Conflict(f"导入失败，什么也没有写入：编号冲突(可能有另一个专项行动使用了相同的编号前缀“{campaign.serial_prefix}”) "
                       f"/ import failed, nothing written: {str(exc).splitlines()[0]}") from None
    return result


class CaseRows:
    """New cases as plain value lists in the case table's column order, inserted in one stream:
    COPY on PostgreSQL, one executemany elsewhere.

    ``Case.objects.bulk_create`` builds a model instance per row and prepares each of its ~40 values
    through the field API: about 4,600 rows/s on PostgreSQL here. This writes the same row (every
    field's own default, ``auto_now``/``auto_now_add`` fields at ``moment``) several times faster.
    The caller is inside a transaction and has validated the values; no signals are sent (none
    are used for cases, as with bulk_create).
    """

    def __init__(self, moment: dt.datetime):
        from django.db import connection

        self.connection = connection
        fields = [f for f in Case._meta.concrete_fields if not f.primary_key]
        self.index = {f.attname: i for i, f in enumerate(fields)}
        self.template = [moment if (getattr(f, "auto_now", False) or getattr(f, "auto_now_add", False))
                         else f.get_default() for f in fields]
        quote = connection.ops.quote_name
        self.table = quote(Case._meta.db_table)
        self.columns = ", ".join(quote(f.column) for f in fields)
        self.postgres = connection.vendor == "postgresql"
        # Other databases get dates and datetimes in the form Django's backend writes them.
        self.adapt = [] if self.postgres else [
            (i, connection.ops.adapt_datetimefield_value if f.get_internal_type() == "DateTimeField"
             else connection.ops.adapt_datefield_value)
            for i, f in enumerate(fields) if f.get_internal_type() in ("DateTimeField", "DateField")]

    def row(self, **values) -> list:
        row = self.template.copy()
        index = self.index
        for name, value in values.items():
            row[index[name]] = value
        return row

    def insert(self, rows: Iterable[list]) -> None:
        """Insert every row of ``rows`` (an iterable, consumed as it is written)."""
        with self.connection.cursor() as cursor:
            if self.postgres:
                # psycopg sends in blocks as they fill; the rows must not read the database meanwhile.
                with self.connection.wrap_database_errors, \
                        cursor.cursor.copy(f"COPY {self.table} ({self.columns}) FROM STDIN") as copy:
                    for row in rows:
                        copy.write_row(row)
                return
            adapt = self.adapt

            def adapted():
                for row in rows:
                    for i, fn in adapt:
                        row[i] = fn(row[i])
                    yield row

            marks = ", ".join(["%s"] * len(self.template))
            cursor.executemany(f"INSERT INTO {self.table} ({self.columns}) VALUES ({marks})", adapted())


@transaction.atomic
def _write(*, actor, campaign: Campaign, valid: list[_Valid], result: ImportResult, sha256: str,
           today: dt.date, progress) -> None:
    Campaign.objects.select_for_update().filter(pk=campaign.pk).first()  # serialises numbering
    moment = timezone.now()
    year = timezone.localtime(moment).year
    top = Case.objects.filter(campaign=campaign, year=year).aggregate(m=Max("number"))["m"] or 0
    units = {u.pk: u for u in Unit.objects.filter(pk__in={v.unit_id for v in valid if v.unit_id})}
    leaders: dict[int | None, int | None] = {None: None}
    warn: dict[dt.date, dt.date] = {}
    reporter_unit = getattr(actor, "unit_id", None)
    actor_id = getattr(actor, "pk", None)
    prefix = f"{campaign.serial_prefix}〔{year}〕"
    table = CaseRows(moment)
    total = len(valid)
    assigned = 0

    # Everything that reads the database first: the rows are streamed while the connection is busy.
    for v in valid:
        if v.unit_id not in leaders:
            leaders[v.unit_id] = responsible_leader_id(units[v.unit_id])
        if v.unit_id is not None and v.deadline is not None and v.deadline not in warn:
            warn[v.deadline] = services.warn_date(today, v.deadline)

    # The columns every row shares are set once; each row is a copy with its own columns put in.
    base = table.row(campaign_id=campaign.pk, year=year, reported_by_id=actor_id, reporter_unit_id=reporter_unit,
                     reported_at=moment)
    names = ("number", "serial", "kind", "source", "category_id", "title", "description", "address", "lng", "lat",
             "grid_id", "unit_id", "lead_unit_id", "leader_id", "priority", "status", "assigned_on", "deadline",
             "warn_on")
    positions = [table.index[name] for name in names]
    task, problem, plan = CaseKind.TASK.value, CaseKind.PROBLEM.value, Source.PLAN.value
    status_assigned, status_registered = Status.ASSIGNED.value, Status.REGISTERED.value

    def rows():
        nonlocal assigned
        for i, v in enumerate(valid):
            unit_id = v.unit_id
            number = top + i + 1
            description = v.description
            if unit_id is not None and v.deadline is not None:
                status, assigned_on, deadline, warn_on = status_assigned, today, v.deadline, warn[v.deadline]
                assigned += 1
            else:
                status, assigned_on, deadline, warn_on = status_registered, None, None, None
                if v.deadline is not None:  # kept for the command post, who sets it when assigning
                    description = "\n".join(p for p in (description, f"原表整改时限：{v.deadline:%Y-%m-%d}") if p)
            row = base.copy()
            for position, value in zip(positions, (
                    number, f"{prefix}{number:04d}", task if v.source == plan else problem, v.source,
                    v.category_id, v.title, description, v.address, v.lng, v.lat, v.grid_id, unit_id,
                    v.lead_unit_id, leaders[unit_id], v.priority, status, assigned_on, deadline, warn_on), strict=True):
                row[position] = value
            yield row
            if progress and (i + 1) % IMPORT_BATCH == 0:
                progress("write", i + 1, total)

    table.insert(rows())
    if progress:
        progress("write", total, total)
    ids = list(Case.objects.filter(campaign=campaign, year=year, number__gt=top).order_by("number")
               .values_list("pk", flat=True))
    if len(ids) != total:
        raise RuntimeError(f"wrote {total} cases but found {len(ids)}")
    result.created = total
    result.assigned, result.registered = assigned, total - assigned
    result.case_ids = ids
    result.first_serial = f"{prefix}{top + 1:04d}"
    result.last_serial = f"{prefix}{top + total:04d}"
    audit.record(actor=actor, action="case.import", obj=campaign, after={
        "file": result.file, "sha256": sha256, "rows": total, "sheet": result.sheet,
        "first_serial": result.first_serial, "last_serial": result.last_serial,
        "case_ids": [min(ids), max(ids)], "assigned": assigned, "registered": total - assigned,
    })
