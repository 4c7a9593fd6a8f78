"""GB/T 9704-2012 layout, read back from the written .docx with python-docx."""

from __future__ import annotations

import datetime as dt
import io

import pytest
from docx import Document
from docx.enum.text import WD_ALIGN_PARAGRAPH
from docx.oxml.ns import qn

from gongjian.standards import gbt9704
from gongjian.standards.gbt9704 import Heading, OfficialDocument, Table, doc_number, format_date, write_docx


def notice(**kw) -> OfficialDocument:
    fields = dict(
        organ="山阳区整治攻坚指挥部", number=doc_number("山阳督办", 2026, 15),
        title="关于百间房街道污染围城问题限期整改的通知", recipients="百间房街道办事处",
        body=["9月5日，区督查组在你街道督查时发现以下问题。", Heading("一、存在问题", 1), Heading("（一）垃圾围城", 2),
              "焦辉路与丰收路交叉口积存生活垃圾约30立方米。", Heading("1.限期清运", 3),
              Table(["序号", "问题", "责任单位"], [[1, "积存垃圾", "百间房街道"]], caption="问题清单")],
        attachments=["问题照片", "整改回执"], signature="山阳区整治攻坚指挥部", date=dt.date(2026, 9, 5),
        copy_to=["区委办公室", "区政府办公室"], printed_by="山阳区整治攻坚指挥部办公室", printed_on=dt.date(2026, 9, 5))
    fields.update(kw)
    return OfficialDocument(**fields)


@pytest.fixture
def docx():
    buf = io.BytesIO()
    write_docx(notice(), buf)
    buf.seek(0)
    return Document(buf)


def mm(length) -> float:
    return round(length / 36000, 1)  # EMU → mm


def east_asia(run_or_style) -> str:
    rpr = run_or_style.element.rPr
    return rpr.find(qn("w:rFonts")).get(qn("w:eastAsia"))


def paragraph(doc, text):
    return next(p for p in doc.paragraphs if p.text == text)


def test_a4_with_the_standard_margins(docx):
    s = docx.sections[0]
    assert (mm(s.page_width), mm(s.page_height)) == (210.0, 297.0)
    assert (mm(s.top_margin), mm(s.bottom_margin), mm(s.left_margin), mm(s.right_margin)) == (37.0, 35.0, 28.0, 26.0)
    # the text block: 156 × 225 mm
    assert mm(s.page_width - s.left_margin - s.right_margin) == 156.0
    assert mm(s.page_height - s.top_margin - s.bottom_margin) == 225.0


def test_document_grid_of_22_lines_by_28_characters(docx):
    (grid,) = docx.sections[0]._sectPr.findall(qn("w:docGrid"))
    assert grid.get(qn("w:type")) == "linesAndChars"
    assert grid.get(qn("w:linePitch")) == "579"
    assert 22 * 579 / 20 / 72 * 25.4 == pytest.approx(225, abs=0.5)  # 22 lines fill the 225 mm block
    # 28 characters of 16 pt in 156 mm: the pitch is 16 pt + charSpace/4096 pt
    pitch_pt = 16 + int(grid.get(qn("w:charSpace"))) / 4096
    assert 28 * pitch_pt / 72 * 25.4 == pytest.approx(156, abs=0.5)


def test_body_is_3hao_fangsong_with_the_east_asian_font_set(docx):
    normal = docx.styles["Normal"]
    assert normal.font.size.pt == 16
    assert normal.font.name == "仿宋_GB2312" and east_asia(normal) == "仿宋_GB2312"
    body = paragraph(docx, "9月5日，区督查组在你街道督查时发现以下问题。")
    ind = body._p.pPr.find(qn("w:ind"))
    assert ind.get(qn("w:firstLineChars")) == "200"  # two characters
    defaults = docx.styles.element.find(qn("w:docDefaults")).find(qn("w:rPrDefault")).find(qn("w:rPr"))
    assert defaults.find(qn("w:sz")).get(qn("w:val")) == "32"  # the grid's pitch counts from this size


def test_mark_red_number_separator_and_title(docx):
    mark = paragraph(docx, "山阳区整治攻坚指挥部")
    assert str(mark.runs[0].font.color.rgb) == "FF0000" and east_asia(mark.runs[0]) == "方正小标宋简体"
    assert mark.alignment == WD_ALIGN_PARAGRAPH.CENTER
    assert mm(mark.paragraph_format.space_before) == 35.0
    number = paragraph(docx, "山阳督办〔2026〕15号")
    assert number.alignment == WD_ALIGN_PARAGRAPH.CENTER
    bottom = number._p.pPr.find(qn("w:pBdr")).find(qn("w:bottom"))
    assert bottom.get(qn("w:color")) == "FF0000"
    title = paragraph(docx, "关于百间房街道污染围城问题限期整改的通知")
    assert title.runs[0].font.size.pt == 22 and east_asia(title.runs[0]) == "方正小标宋简体"
    assert title.alignment == WD_ALIGN_PARAGRAPH.CENTER
    texts = [p.text for p in docx.paragraphs]
    # two blank lines between mark and number, one between separator and title (7.2)
    assert texts[texts.index(number.text) - 1] == "" and texts[texts.index(title.text) - 1] == ""
    assert "百间房街道办事处：" in texts


def test_headings_by_level(docx):
    assert east_asia(paragraph(docx, "一、存在问题").runs[0]) == "黑体"
    assert east_asia(paragraph(docx, "（一）垃圾围城").runs[0]) == "楷体_GB2312"
    assert east_asia(paragraph(docx, "1.限期清运").runs[0]) == "仿宋_GB2312"


def test_attachments_signature_and_date(docx):
    texts = [p.text for p in docx.paragraphs]
    assert "附件：1.问题照片" in texts and "2.整改回执" in texts
    date = paragraph(docx, "2026年9月5日")
    assert date.alignment == WD_ALIGN_PARAGRAPH.RIGHT
    assert date._p.pPr.find(qn("w:ind")).get(qn("w:rightChars")) == "400"  # 右空四字


def test_page_numbers_odd_right_even_left(docx):
    assert docx.settings.odd_and_even_pages_header_footer
    section = docx.sections[0]
    for footer, align in ((section.footer, WD_ALIGN_PARAGRAPH.RIGHT), (section.even_page_footer, WD_ALIGN_PARAGRAPH.LEFT)):
        (p,) = footer.paragraphs
        assert p.text.startswith("— ") and p.text.endswith(" —")
        assert p.alignment == align
        assert " PAGE " in [t.text for t in p._p.iter(qn("w:instrText"))]
        assert all(r.font.size.pt == 14 and east_asia(r) == "宋体" for r in p.runs)


def test_colophon_between_rules_at_the_foot(docx):
    colophon = docx.tables[-1]
    cells = [c.text for row in colophon.rows for c in row.cells]
    assert "抄送：区委办公室，区政府办公室。" in cells
    assert "山阳区整治攻坚指挥部办公室" in cells and "2026年9月5日印发" in cells
    tbl_pr = colophon._tbl.tblPr
    assert tbl_pr.find(qn("w:tblpPr")) is not None  # floats at the foot of the text block
    borders = tbl_pr.find(qn("w:tblBorders"))
    assert borders.find(qn("w:top")).get(qn("w:sz")) == "8" and borders.find(qn("w:bottom")).get(qn("w:sz")) == "8"
    assert borders.find(qn("w:insideH")).get(qn("w:sz")) == "6"
    assert all(r.font.size.pt == 14 for row in colophon.rows for c in row.cells for p in c.paragraphs
               for r in p.runs)


def test_body_table_repeats_its_header_row(docx):
    table = docx.tables[0]
    assert [c.text for c in table.rows[0].cells] == ["序号", "问题", "责任单位"]
    assert table.rows[0]._tr.trPr.find(qn("w:tblHeader")) is not None


@pytest.mark.parametrize("prefix, year, n, expected", [
    ("山阳督办", 2026, 15, "山阳督办〔2026〕15号"), ("山阳整治", 2026, 1, "山阳整治〔2026〕1号"),
])
def test_document_numbers(prefix, year, n, expected):
    assert doc_number(prefix, year, n) == expected


@pytest.mark.parametrize("prefix, n", [("山阳督办", 0), ("", 3), ("第山阳", 3), ("山阳〔督办〕", 3)])
def test_bad_document_numbers(prefix, n):
    with pytest.raises(ValueError):
        doc_number(prefix, 2026, n)


def test_dates_without_padding():
    assert format_date(dt.date(2026, 1, 5)) == "2026年1月5日"
    assert format_date(dt.date(2026, 11, 25)) == "2026年11月25日"


def test_a_document_needs_a_title():
    with pytest.raises(ValueError):
        write_docx(notice(title="  "), io.BytesIO())


def test_no_pdf_without_libreoffice(tmp_path, monkeypatch):
    monkeypatch.setattr(gbt9704.shutil, "which", lambda name: None)
    path = tmp_path / "n.docx"
    write_docx(notice(), path)
    assert gbt9704.pdf_copy(path, tmp_path) is None
