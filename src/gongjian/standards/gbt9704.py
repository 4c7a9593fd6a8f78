"""GB/T 9704-2012 official documents (党政机关公文格式) as .docx files.

The 整改通知书, the daily 工作简报 and 督查通报 and the ranking bulletin are all written through
``write_docx``: A4; margins 37 mm top, 35 bottom, 28 left, 26 right; a document grid of 22 lines × 28
characters; 3号 仿宋 body; the issuing organ's mark and the separator in red; the title in 2号 小标宋;
headings 一、 in 黑体, （一） in 楷体; the 版记 between full-width lines at the foot of the last page; page
numbers "— 1 —" in 4号 宋体, odd pages right and even pages left.

The file keeps the official font names (仿宋_GB2312 …) that Word and WPS on Windows have; ``pdf_copy``
renders it with LibreOffice when installed, mapping those names to free fonts through fontconfig.

Pure python-docx, no Django.
"""

from __future__ import annotations

import copy
import datetime as dt
import os
import re
import shutil
import subprocess
import tempfile
from collections.abc import Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import IO

from docx import Document
from docx.enum.section import WD_SECTION_START
from docx.enum.table import WD_ROW_HEIGHT_RULE, WD_TABLE_ALIGNMENT
from docx.enum.text import WD_ALIGN_PARAGRAPH
from docx.oxml import OxmlElement
from docx.oxml.ns import qn
from docx.shared import Mm, Pt, RGBColor, Twips

__all__ = [
    "FANGSONG", "HEITI", "KAITI", "SONGTI", "XIAOBIAOSONG",
    "Heading", "OfficialDocument", "Table", "doc_number", "format_date", "pdf_copy", "write_docx",
]

FANGSONG = "仿宋_GB2312"
KAITI = "楷体_GB2312"
HEITI = "黑体"
XIAOBIAOSONG = "方正小标宋简体"
SONGTI = "宋体"

RED = RGBColor(0xFF, 0x00, 0x00)
SIZE_3 = Pt(16)      # 三号
SIZE_2 = Pt(22)      # 二号
SIZE_4 = Pt(14)      # 四号
SIZE_SMALL_4 = Pt(12)  # 小四, for tables
LINE_PITCH = 579     # twips: 22 lines in the 225 mm text block
CHAR_SPACE = -841    # 28 characters of 16 pt in the 156 mm text block (Word's docGrid charSpace units)
TEXT_WIDTH_MM = 156
COLOPHON_ROW = 560   # twips: one 4号 line of the 版记 with its rules

# Free fonts a Linux renderer substitutes for the official names (fontconfig aliases), best first.
PDF_FONTS = {
    FANGSONG: ["FandolFang", "AR PL UKai CN", "Noto Serif CJK SC"],
    KAITI: ["FandolKai", "AR PL UKai CN", "Noto Serif CJK SC"],
    HEITI: ["FandolHei", "Noto Sans CJK SC"],
    XIAOBIAOSONG: ["FandolSong", "Noto Serif CJK SC"],
    SONGTI: ["FandolSong", "AR PL UMing CN", "Noto Serif CJK SC"],
}


@dataclass(frozen=True)
class Heading:
    """A heading in the body; the level follows the numbering: 1 一、 (黑体), 2 （一） (楷体), 3 1. and 4 （1） (仿宋)."""

    text: str
    level: int = 1


@dataclass(frozen=True)
class Table:
    """A table in the body (figures by unit …): 小四 仿宋, header row in 黑体, full text width."""

    headers: Sequence[str]
    rows: Sequence[Sequence[object]]
    caption: str = ""
    widths_mm: Sequence[float] = ()   # column widths; empty: equal columns


Block = str | Heading | Table


@dataclass
class OfficialDocument:
    organ: str                          # 发文机关标志, e.g. "山阳区整治攻坚指挥部文件"
    title: str
    body: Sequence[Block]
    number: str = ""                    # 发文字号, e.g. doc_number("山阳督办", 2026, 15)
    recipients: str = ""                # 主送机关 (the colon is added)
    attachments: Sequence[str] = ()
    signature: str = ""                 # 署名
    date: dt.date | None = None         # 成文日期
    copy_to: Sequence[str] = ()         # 版记: 抄送
    printed_by: str = ""                # 版记: 印发机关
    printed_on: dt.date | None = None   # 版记: 印发日期
    urgency: str = ""                   # 紧急程度: 特急 / 加急
    copy_number: str = ""               # 份号


def format_date(day: dt.date) -> str:
    """2026年11月5日: Arabic numerals, no leading zeros (7.3.5.1)."""
    return f"{day.year}年{day.month}月{day.day}日"


def doc_number(prefix: str, year: int, n: int) -> str:
    """山阳督办〔2026〕15号: the year in 〔〕, no 第, no leading zeros (7.2.4)."""
    if n < 1:
        raise ValueError("a document number starts at 1")
    if not prefix.strip() or re.search(r"[〔〕\[\]()（）第号]", prefix):
        raise ValueError(f"bad document-number prefix: {prefix!r}")
    return f"{prefix.strip()}〔{year}〕{n}号"


# ----------------------------------------------------------------- low-level helpers


def _set_fonts(run_or_style, name: str, size=None, *, bold: bool | None = None, color: RGBColor | None = None):
    """Set Latin and East-Asian fonts alike (python-docx's font.name sets only the Latin one)."""
    font = run_or_style.font
    font.name = name
    rpr = run_or_style.element.get_or_add_rPr()
    rfonts = rpr.find(qn("w:rFonts"))
    if rfonts is None:
        rfonts = OxmlElement("w:rFonts")
        rpr.insert(0, rfonts)
    for attr in ("w:ascii", "w:hAnsi", "w:eastAsia", "w:cs"):
        rfonts.set(qn(attr), name)
    if size is not None:
        font.size = size
    if bold is not None:
        font.bold = bold
    if color is not None:
        font.color.rgb = color


def _indent_chars(paragraph, first_line: int = 0, left: int = 0, right: int = 0, hanging: int = 0) -> None:
    """Indents in characters (w:firstLineChars …, hundredths of a character): 2 characters = 200."""
    ppr = paragraph._p.get_or_add_pPr()
    ind = ppr.find(qn("w:ind"))
    if ind is None:
        ind = OxmlElement("w:ind")
        ppr.append(ind)
    # Word and WPS read the *Chars attributes; LibreOffice reads the twips beside them (one 3号
    # character is 16 pt = 320 twips).
    for attr, chars in (("w:firstLine", first_line), ("w:left", left), ("w:right", right), ("w:hanging", hanging)):
        if chars:
            ind.set(qn(attr), str(chars * 320))
            ind.set(qn(attr + "Chars"), str(chars * 100))


def _border(paragraph, edge: str, *, size_eighths: int, color: str = "000000", space: int = 1) -> None:
    ppr = paragraph._p.get_or_add_pPr()
    bdr = ppr.find(qn("w:pBdr"))
    if bdr is None:
        bdr = OxmlElement("w:pBdr")
        ppr.append(bdr)
    line = OxmlElement(f"w:{edge}")
    line.set(qn("w:val"), "single")
    line.set(qn("w:sz"), str(size_eighths))
    line.set(qn("w:space"), str(space))
    line.set(qn("w:color"), color)
    bdr.append(line)


def _para(doc, text: str = "", *, font: str = FANGSONG, size=SIZE_3, align=None, bold=None, color=None):
    p = doc.add_paragraph()
    if align is not None:
        p.alignment = align
    if text:
        _set_fonts(p.add_run(text), font, size, bold=bold, color=color)
    return p


def _field(paragraph, instruction: str, font: str, size) -> None:
    """A field such as PAGE: begin, instruction, separate, a placeholder result, end."""
    def run_with(child):
        run = paragraph.add_run()
        _set_fonts(run, font, size)
        run._r.append(child)

    begin = OxmlElement("w:fldChar")
    begin.set(qn("w:fldCharType"), "begin")
    run_with(begin)
    instr = OxmlElement("w:instrText")
    instr.set(qn("xml:space"), "preserve")
    instr.text = f" {instruction} "
    run_with(instr)
    sep = OxmlElement("w:fldChar")
    sep.set(qn("w:fldCharType"), "separate")
    run_with(sep)
    _set_fonts(paragraph.add_run("1"), font, size)
    end = OxmlElement("w:fldChar")
    end.set(qn("w:fldCharType"), "end")
    run_with(end)


def _off_grid(paragraph) -> None:
    snap = OxmlElement("w:snapToGrid")
    snap.set(qn("w:val"), "0")
    paragraph._p.get_or_add_pPr().append(snap)


def _page_number(footer, *, odd: bool) -> None:
    p = footer.paragraphs[0] if footer.paragraphs else footer.add_paragraph()
    p.alignment = WD_ALIGN_PARAGRAPH.RIGHT if odd else WD_ALIGN_PARAGRAPH.LEFT
    _indent_chars(p, right=1 if odd else 0, left=0 if odd else 1)
    _set_fonts(p.add_run("— "), SONGTI, SIZE_4)
    _field(p, "PAGE", SONGTI, SIZE_4)
    _set_fonts(p.add_run(" —"), SONGTI, SIZE_4)


def _page_setup(doc) -> None:
    section = doc.sections[0]
    section.start_type = WD_SECTION_START.NEW_PAGE
    section.page_width, section.page_height = Mm(210), Mm(297)
    section.top_margin, section.bottom_margin = Mm(37), Mm(35)
    section.left_margin, section.right_margin = Mm(28), Mm(26)
    section.header_distance = Mm(15)
    # The page number's line sits 7 mm below the text block: 35 − 7 mm to its top, one 4号 line high.
    section.footer_distance = Mm(23)
    sect_pr = section._sectPr
    for old in sect_pr.findall(qn("w:docGrid")):
        sect_pr.remove(old)
    grid = OxmlElement("w:docGrid")
    grid.set(qn("w:type"), "linesAndChars")
    grid.set(qn("w:linePitch"), str(LINE_PITCH))
    grid.set(qn("w:charSpace"), str(CHAR_SPACE))
    sect_pr.append(grid)
    doc.settings.odd_and_even_pages_header_footer = True
    _page_number(section.footer, odd=True)
    _page_number(section.even_page_footer, odd=False)


def _normal_style(doc) -> None:
    # The character grid's pitch is counted from the document's default font size, so the defaults
    # must be 3号 as well, or every character would take two grid cells.
    defaults = doc.styles.element.find(qn("w:docDefaults"))
    rpr = defaults.find(qn("w:rPrDefault")).find(qn("w:rPr"))
    lang = rpr.find(qn("w:lang"))
    for tag in ("w:sz", "w:szCs"):
        for old in rpr.findall(qn(tag)):
            rpr.remove(old)
        el = OxmlElement(tag)
        el.set(qn("w:val"), str(int(SIZE_3.pt * 2)))
        if lang is not None:
            lang.addprevious(el)
        else:
            rpr.append(el)
    if lang is not None:
        lang.set(qn("w:val"), "zh-CN")
        lang.set(qn("w:eastAsia"), "zh-CN")
    spacing = defaults.find(qn("w:pPrDefault")).find(qn("w:pPr")).find(qn("w:spacing"))
    if spacing is not None:  # the template's 10 pt after and 1.15 lines would break the grid
        spacing.set(qn("w:after"), "0")
        spacing.set(qn("w:line"), "240")
    normal = doc.styles["Normal"]
    _set_fonts(normal, FANGSONG, SIZE_3)
    fmt = normal.paragraph_format
    fmt.space_before = fmt.space_after = Pt(0)
    fmt.line_spacing = None  # single, snapped to the document grid
    ppr = normal.element.get_or_add_pPr()
    snap = OxmlElement("w:snapToGrid")
    snap.set(qn("w:val"), "1")
    ppr.append(snap)
    # Text is justified (两端对齐), as the standard's samples are.
    fmt.alignment = WD_ALIGN_PARAGRAPH.JUSTIFY


_HEADING_FONT = {1: HEITI, 2: KAITI, 3: FANGSONG, 4: FANGSONG}


def _body(doc, blocks: Sequence[Block]) -> None:
    for block in blocks:
        if isinstance(block, Heading):
            p = _para(doc, block.text, font=_HEADING_FONT.get(block.level, FANGSONG))
            _indent_chars(p, first_line=2)
            p.paragraph_format.keep_with_next = True
        elif isinstance(block, Table):
            _table(doc, block)
        else:
            for line in str(block).split("\n"):
                p = _para(doc, line.strip())
                _indent_chars(p, first_line=2)


def _table(doc, table: Table) -> None:
    if table.caption:
        p = _para(doc, table.caption, font=HEITI, align=WD_ALIGN_PARAGRAPH.CENTER)
        p.paragraph_format.keep_with_next = True
    # The header and one formatted data row go through python-docx; the other rows are copies of that
    # row with their text replaced (python-docx's cell access is slow: a 300-row table took 1.7 s).
    t = doc.add_table(rows=2, cols=len(table.headers))
    t.style = doc.styles["Table Grid"]
    t.alignment = WD_TABLE_ALIGNMENT.CENTER
    if table.widths_mm:
        if len(table.widths_mm) != len(table.headers):
            raise ValueError("one width per column")
        t.autofit = False
        scale = TEXT_WIDTH_MM / sum(table.widths_mm)
        for column, width in zip(t.columns, table.widths_mm, strict=True):
            column.width = Mm(width * scale)   # the table grid, which LibreOffice reads
            for cell in column.cells:
                cell.width = Mm(width * scale)  # the cells, which Word reads
    header_row, proto_row = t.rows[0], t.rows[1]
    header_row._tr.get_or_add_trPr().append(OxmlElement("w:tblHeader"))  # repeat on every page
    for r, (row, font) in enumerate(((header_row, HEITI), (proto_row, FANGSONG))):
        for c, cell in enumerate(row.cells):
            p = cell.paragraphs[0]
            p.alignment = WD_ALIGN_PARAGRAPH.CENTER
            _off_grid(p)  # table rows take their text's height, not whole lines of the page grid
            _set_fonts(p.add_run(str(table.headers[c]) if r == 0 else "-"), font, SIZE_SMALL_4)
    proto = proto_row._tr
    t_tag = qn("w:t")
    for values in table.rows:
        tr = copy.deepcopy(proto)
        texts = [tc.find(".//" + t_tag) for tc in tr.iterchildren(qn("w:tc"))]
        if len(values) != len(texts):
            raise ValueError(f"a row of {len(values)} values in a table of {len(texts)} columns")
        for node, value in zip(texts, values, strict=True):
            node.text = "" if value is None else str(value)
            node.set(qn("xml:space"), "preserve")
        proto.addprevious(tr)
    proto.getparent().remove(proto)


def _closing(doc, d: OfficialDocument) -> None:
    if d.attachments:
        _para(doc)
        for i, name in enumerate(d.attachments, 1):
            label = "附件：" if i == 1 else ""
            numbered = f"{i}.{name}" if len(d.attachments) > 1 else name
            p = _para(doc, f"{label}{numbered}")
            if i == 1:
                _indent_chars(p, left=2)
            else:
                _indent_chars(p, left=5)  # aligned under the first attachment's name
    if d.signature or d.date:
        _para(doc)
        _para(doc)
        date_text = format_date(d.date) if d.date else ""
        if d.signature:
            p = _para(doc, d.signature, align=WD_ALIGN_PARAGRAPH.RIGHT)
            # 署名 centred over the 成文日期, which ends four characters from the right (7.3.5.1).
            shift = max(0, (len(date_text) - len(d.signature)) // 2) + 4 if date_text else 4
            _indent_chars(p, right=shift)
        if date_text:
            p = _para(doc, date_text, align=WD_ALIGN_PARAGRAPH.RIGHT)
            _indent_chars(p, right=4)


def _colophon(doc, d: OfficialDocument) -> None:
    """版记 at the foot of the last page: 抄送, then 印发机关 and 印发日期, between full-width lines
    (first and last 0.35 mm, between them 0.25 mm). A floating table positioned at the foot of the
    text block keeps it there whatever the body's length in Word and WPS; LibreOffice 7 ignores the
    position and sets it at the top of the page after the body (the PDF copy shows it there)."""
    if not (d.copy_to or d.printed_by):
        return
    lines = []
    if d.copy_to:
        lines.append(("抄送：" + "，".join(d.copy_to) + "。", ""))
    if d.printed_by or d.printed_on:
        lines.append((d.printed_by, f"{format_date(d.printed_on)}印发" if d.printed_on else ""))
    table = doc.add_table(rows=len(lines), cols=2)
    tbl_pr = table._tbl.tblPr
    float_pr = OxmlElement("w:tblpPr")
    # Its foot on the foot of the text block (an absolute offset: not every reader honours tblpYSpec).
    top = LINE_PITCH * 22 - COLOPHON_ROW * len(lines)
    for attr, value in (("w:leftFromText", "0"), ("w:rightFromText", "0"), ("w:vertAnchor", "margin"),
                        ("w:horzAnchor", "margin"), ("w:tblpY", str(top)), ("w:tblpX", "0")):
        float_pr.set(qn(attr), value)
    tbl_pr.insert(0, float_pr)
    width = OxmlElement("w:tblW")
    width.set(qn("w:w"), str(int(TEXT_WIDTH_MM / 25.4 * 1440)))
    width.set(qn("w:type"), "dxa")
    for old in tbl_pr.findall(qn("w:tblW")):
        tbl_pr.remove(old)
    tbl_pr.append(width)
    borders = OxmlElement("w:tblBorders")
    for edge, size in (("top", 8), ("bottom", 8), ("insideH", 6), ("left", 0), ("right", 0), ("insideV", 0)):
        line = OxmlElement(f"w:{edge}")
        line.set(qn("w:val"), "single" if size else "nil")
        if size:
            line.set(qn("w:sz"), str(size))   # eighths of a point: 1 pt ≈ 0.35 mm, 0.75 pt ≈ 0.25 mm
            line.set(qn("w:color"), "000000")
        borders.append(line)
    tbl_pr.append(borders)
    table.autofit = False
    for row, (left, right) in zip(table.rows, lines, strict=True):
        row.height = Twips(COLOPHON_ROW)
        row.height_rule = WD_ROW_HEIGHT_RULE.EXACTLY
        row.cells[0].width, row.cells[1].width = Mm(TEXT_WIDTH_MM - 62), Mm(62)
        for cell, text, align in ((row.cells[0], left, WD_ALIGN_PARAGRAPH.LEFT),
                                  (row.cells[1], right, WD_ALIGN_PARAGRAPH.RIGHT)):
            p = cell.paragraphs[0]
            p.alignment = align
            _indent_chars(p, left=1 if align == WD_ALIGN_PARAGRAPH.LEFT else 0,
                          right=1 if align == WD_ALIGN_PARAGRAPH.RIGHT else 0)
            if text:
                _set_fonts(p.add_run(text), FANGSONG, SIZE_4)
    if not lines[0][1]:  # 抄送 spans the whole width
        table.rows[0].cells[0].merge(table.rows[0].cells[1])
    # A document may not end with a table; the floating table is anchored to this paragraph.
    _para(doc)


def write_docx(d: OfficialDocument, out: str | os.PathLike | IO[bytes]) -> None:
    """Write ``d`` as a GB/T 9704 .docx to a path or a binary file object."""
    if not d.title.strip():
        raise ValueError("an official document needs a title")
    doc = Document()
    _normal_style(doc)
    _page_setup(doc)
    body = doc.element.body
    for p in list(body.findall(qn("w:p"))):  # the template's empty first paragraph
        body.remove(p)

    if d.copy_number or d.urgency:
        if d.copy_number:
            _para(doc, d.copy_number, font=FANGSONG)
        if d.urgency:
            _para(doc, d.urgency, font=HEITI)
    # 发文机关标志: red 小标宋, its top 35 mm below the top of the text block.
    mark = _para(doc, d.organ, font=XIAOBIAOSONG, size=Pt(36 if len(d.organ) <= 10 else 28), color=RED,
                 align=WD_ALIGN_PARAGRAPH.CENTER)
    mark.paragraph_format.space_before = Mm(35)
    _off_grid(mark)  # the mark's size is free: keep it off the grid
    _para(doc)
    # 发文字号 two lines below the mark, then the red separator 4 mm below it.
    number = _para(doc, d.number or "", align=WD_ALIGN_PARAGRAPH.CENTER)
    number.paragraph_format.space_before = Pt(0)
    _border(number, "bottom", size_eighths=12, color="FF0000", space=11)  # 11 pt ≈ 4 mm below the text
    _para(doc)
    title = _para(doc, d.title, font=XIAOBIAOSONG, size=SIZE_2, align=WD_ALIGN_PARAGRAPH.CENTER)
    title.paragraph_format.space_before = Pt(0)
    if d.recipients:
        _para(doc)
        _para(doc, d.recipients.rstrip("：:") + "：", align=WD_ALIGN_PARAGRAPH.LEFT)
    _body(doc, d.body)
    _closing(doc, d)
    _colophon(doc, d)
    doc.core_properties.title = d.title
    doc.core_properties.author = d.signature or d.organ
    doc.save(out)


# ----------------------------------------------------------------- PDF through LibreOffice


def libreoffice() -> str | None:
    for name in ("soffice", "libreoffice"):
        found = shutil.which(name)
        if found:
            return found
    return None


def _fontconfig(directory: Path) -> Path:
    aliases = "".join(
        f"<alias binding=\"same\"><family>{name}</family><prefer>"
        + "".join(f"<family>{f}</family>" for f in fallbacks) + "</prefer></alias>"
        for name, fallbacks in PDF_FONTS.items())
    conf = directory / "fonts.conf"
    conf.write_text('<?xml version="1.0"?><!DOCTYPE fontconfig SYSTEM "fonts.dtd"><fontconfig>'
                    "<include ignore_missing=\"yes\">/etc/fonts/fonts.conf</include>"
                    f"{aliases}</fontconfig>", encoding="utf-8")
    return conf


def _for_libreoffice(src: Path, dst: Path) -> None:
    """A copy LibreOffice lays out like Word: Word squeezes 28 characters of 16 pt into the 156 mm line
    through the character grid, LibreOffice instead gives each character two grid cells when it is
    wider than one. So the copy keeps the line grid and condenses the body by the same 0.2 pt."""
    doc = Document(str(src))
    for grid in doc.sections[0]._sectPr.findall(qn("w:docGrid")):
        grid.set(qn("w:type"), "lines")
        grid.attrib.pop(qn("w:charSpace"), None)
    rpr = doc.styles["Normal"].element.get_or_add_rPr()
    spacing = OxmlElement("w:spacing")
    spacing.set(qn("w:val"), str(round(CHAR_SPACE / 4096 * 20)))  # twentieths of a point
    size = rpr.find(qn("w:sz"))
    if size is not None:
        size.addprevious(spacing)
    else:
        rpr.append(spacing)
    doc.save(str(dst))


def pdf_copy(docx_path: str | os.PathLike, out_dir: str | os.PathLike, *, timeout: int = 120) -> Path | None:
    """A PDF beside the .docx, rendered by LibreOffice with the official fonts mapped to free ones;
    None when LibreOffice is not installed (the caller says so)."""
    soffice = libreoffice()
    if soffice is None:
        return None
    docx_path, out_dir = Path(docx_path), Path(out_dir)
    out_dir.mkdir(parents=True, exist_ok=True)
    with tempfile.TemporaryDirectory(prefix="gongjian-lo-") as tmp:
        env = dict(os.environ, FONTCONFIG_FILE=str(_fontconfig(Path(tmp))), HOME=tmp)
        source = Path(tmp) / docx_path.name
        _for_libreoffice(docx_path, source)
        result = subprocess.run(
            [soffice, "--headless", "--norestore", f"-env:UserInstallation=file://{tmp}/profile",
             "--convert-to", "pdf", "--outdir", str(out_dir), str(source)],
            env=env, capture_output=True, text=True, timeout=timeout)
    pdf = out_dir / (docx_path.stem + ".pdf")
    if result.returncode != 0 or not pdf.exists():
        raise RuntimeError(f"LibreOffice could not convert {docx_path.name}: {result.stderr.strip()[-300:]}")
    return pdf
