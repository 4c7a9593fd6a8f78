"""The ledger as spreadsheets: reading what people keep in Excel/WPS, importing it all or nothing,
exporting a printable 台账, and the `gongjian ledger` commands."""

from __future__ import annotations

import argparse
import csv
import datetime as dt
import json
from pathlib import Path

import openpyxl
import pytest
import xlsxwriter
from django.utils import timezone

from gongjian.core import audit
from gongjian.core.errors import Conflict, Forbidden, Invalid
from gongjian.core.models import AuditEvent
from gongjian.ledger import selectors, services, spreadsheets
from gongjian.ledger.commands import add_commands
from gongjian.ledger.models import Case, CaseKind, Priority, Source, Status
from gongjian.ledger.spreadsheets import import_cases, parse_deadline, read_rows, read_table
from tests.factories import make_unit
from tests.ledger.conftest import TODAY

pytestmark = pytest.mark.django_db

EXCEL_EPOCH = dt.date(1899, 12, 30)


def serial_of(day: dt.date) -> int:
    return (day - EXCEL_EPOCH).days


def write_xlsx(path: Path, rows: list[list], *, merges: list[tuple[int, int, int, int, str]] = (),
               start_row: int = 0) -> Path:
    """rows[i] goes to spreadsheet row start_row + i (0-based); dates are written as real date cells."""
    wb = xlsxwriter.Workbook(str(path))
    ws = wb.add_worksheet("问题清单")
    date_fmt = wb.add_format({"num_format": "yyyy-mm-dd"})
    for r, row in enumerate(rows, start=start_row):
        for c, value in enumerate(row):
            if value is None or value == "":
                continue
            if isinstance(value, dt.date):
                ws.write_datetime(r, c, value, date_fmt)
            else:
                ws.write(r, c, value)
    for r1, c1, r2, c2, text in merges:
        ws.merge_range(r1, c1, r2, c2, text)
    wb.close()
    return path


HEADER = ["序号", "问题描述", "责任单位", "问题类别", "截止日期", "地址", "问题来源", "紧急程度（必填）"]


def messy_rows():
    """A realistic sheet: merged title, a 填报 line, the header, blank rows, a merged group heading."""
    return [
        ["污染围城问题整改台账"],                                    # row 1 (merged title)
        ["填报单位：测试区指挥部        填报时间：2026年6月1日"],        # row 2
        HEADER,                                                     # row 3
        [1, "路边垃圾堆放", "甲一社区", "垃圾围城", dt.date(2026, 6, 30), "甲街道1号", "区级督查", "一般"],  # 4
        [],                                                         # row 5 blank
        ["一、扬尘"],                                                # row 6 merged group heading
        [2, "工地裸土未覆盖", "乙街道", "扬尘", serial_of(dt.date(2026, 7, 1)), "", "夜查", "紧急"],  # 7
        [3, "渣土车未密闭", "甲街道", "扬尘", "2026/6/15", "", "12345热线", ""],  # row 8
        [4, "拆迁工地扬尘", "甲街道", "扬尘", "2026年6月20日", "", "", ""],  # row 9
        [5, "建筑垃圾乱倒", "甲一社区", "垃圾围城/建筑垃圾", "3个工作日", "", "", ""],  # row 10
        [6, "道路积尘", "", "扬尘", "", "", "", ""],                 # row 11: no unit -> registered
        [7, "河道漂浮垃圾", "乙一社区", "垃圾围城", "5日内", "", "", ""],  # row 12
        [8, "", "", "", "", "", "", ""],                            # row 13: only 序号 -> blank
        ["合计", "7个问题"],                                         # row 14: total row
    ]


def messy_xlsx(tmp_path: Path) -> Path:
    return write_xlsx(tmp_path / "台账.xlsx", messy_rows(),
                      merges=[(0, 0, 0, 7, "污染围城问题整改台账"), (1, 0, 1, 7, "填报单位：测试区指挥部        填报时间：2026年6月1日"),
                              (5, 0, 5, 7, "一、扬尘")])


# ------------------------------------------------------------------ reading


def test_read_rows_finds_the_header_below_a_merged_title_and_skips_blank_rows(tmp_path):
    headers, rows = read_rows(messy_xlsx(tmp_path))
    assert headers == HEADER
    assert [r.number for r in rows] == [4, 7, 8, 9, 10, 11, 12]
    assert rows[0].values[1] == "路边垃圾堆放"
    table = read_table(tmp_path / "台账.xlsx")
    assert table.header_row == 3 and table.sheet == "问题清单"
    assert table.columns == {"title": 1, "unit": 2, "category": 3, "deadline": 4, "address": 5, "source": 6,
                             "priority": 7, "serial": 0}
    assert [s["row"] for s in table.skipped] == [6, 14]


def test_header_names_people_use_and_a_two_row_merged_header(tmp_path):
    rows = [
        ["序号", "存在问题", "责任单位", "", "整改期限（工作日或日期）", "具体位置", "问题类型", "整改措施"],
        ["", "", "责任单位", "牵头单位", "", "", "", ""],
        [1, "油烟直排", "甲一社区", "城管局", "2026-06-30", "甲街道2号", "扬尘", "安装油烟净化器"],
        [2, "", "", "", "", "", "", ""],  # only a number: blank
        [3, "沿街堆放", "", "城管局", "2026.7.1", "", "扬尘", ""],
    ]
    path = write_xlsx(tmp_path / "two-row.xlsx", rows,
                      merges=[(0, 0, 1, 0, "序号"), (0, 1, 1, 1, "存在问题"), (0, 2, 0, 3, "责任单位"),
                              (0, 4, 1, 4, "整改期限（工作日或日期）"), (0, 5, 1, 5, "具体位置"),
                              (0, 6, 1, 6, "问题类型"), (0, 7, 1, 7, "整改措施"),
                              (2, 2, 4, 2, "甲一社区")])  # the unit merged down over three rows
    table = read_table(path)
    assert table.header_row == 2
    assert table.columns["unit"] == 2 and table.columns["lead_unit"] == 3 and table.columns["deadline"] == 4
    assert table.ignored_columns == ["整改措施"]
    assert [r.number for r in table.rows] == [3, 5]
    assert table.rows[1].values[2] == "甲一社区"  # the merged cell holds for every row it covers


def write_ods(path: Path, rows: list[list], *, merges: list[tuple[int, int, int, int, str]] = ()) -> Path:
    """An OpenDocument spreadsheet as LibreOffice and WPS save it: merged cells as a spanning cell
    plus covered cells, runs of empty cells and the padding rows at the end run-length encoded."""
    import zipfile
    from xml.sax.saxutils import escape

    width = max(len(r) for r in rows)
    grid = [[("" if v is None else str(v)) for v in r] + [""] * (width - len(r)) for r in rows]
    span, covered = {}, set()
    for r1, c1, r2, c2, text in merges:
        grid[r1][c1] = text
        span[(r1, c1)] = (r2 - r1 + 1, c2 - c1 + 1)
        covered |= {(r, c) for r in range(r1, r2 + 1) for c in range(c1, c2 + 1)} - {(r1, c1)}
    xml_rows = []
    for r, row in enumerate(grid):
        cells, c = [], 0
        while c < width:
            if (r, c) in covered:
                cells.append("<table:covered-table-cell/>")
            elif not row[c] and (r, c) not in span:
                run = 1
                while c + run < width and not row[c + run] and (r, c + run) not in covered | set(span):
                    run += 1
                cells.append(f'<table:table-cell table:number-columns-repeated="{run}"/>')
                c += run
                continue
            else:
                attrs = ""
                if (r, c) in span:
                    attrs = (f' table:number-rows-spanned="{span[r, c][0]}"'
                             f' table:number-columns-spanned="{span[r, c][1]}"')
                cells.append(f'<table:table-cell office:value-type="string"{attrs}>'
                             f"<text:p>{escape(row[c])}</text:p></table:table-cell>")
            c += 1
        xml_rows.append("<table:table-row>" + "".join(cells) + "</table:table-row>")
    xml_rows.append('<table:table-row table:number-rows-repeated="1048000">'
                    '<table:table-cell table:number-columns-repeated="1024"/></table:table-row>')
    ns = ('xmlns:office="urn:oasis:names:tc:opendocument:xmlns:office:1.0" '
          'xmlns:table="urn:oasis:names:tc:opendocument:xmlns:table:1.0" '
          'xmlns:text="urn:oasis:names:tc:opendocument:xmlns:text:1.0"')
    content = (f'<?xml version="1.0" encoding="UTF-8"?><office:document-content {ns} office:version="1.2">'
               '<office:body><office:spreadsheet><table:table table:name="问题清单">'
               + "".join(xml_rows) + "</table:table></office:spreadsheet></office:body></office:document-content>")
    manifest = ('<?xml version="1.0" encoding="UTF-8"?><manifest:manifest '
                'xmlns:manifest="urn:oasis:names:tc:opendocument:xmlns:manifest:1.0" manifest:version="1.2">'
                '<manifest:file-entry manifest:full-path="/" '
                'manifest:media-type="application/vnd.oasis.opendocument.spreadsheet"/>'
                '<manifest:file-entry manifest:full-path="content.xml" manifest:media-type="text/xml"/>'
                "</manifest:manifest>")
    with zipfile.ZipFile(path, "w") as z:
        z.writestr("mimetype", "application/vnd.oasis.opendocument.spreadsheet")
        z.writestr("content.xml", content, compress_type=zipfile.ZIP_DEFLATED)
        z.writestr("META-INF/manifest.xml", manifest, compress_type=zipfile.ZIP_DEFLATED)
    return path


def test_ods_merged_cells_are_followed_like_xlsx(tmp_path):
    """calamine reports no merges for .ods: a unit merged down three rows must still hold for each."""
    rows = [
        ["污染围城问题整改台账"],
        ["序号", "存在问题", "责任单位", "", "整改期限", "问题类型"],
        ["", "", "责任单位", "牵头单位", "", ""],
        [1, "油烟直排", "甲一社区", "城管局", "2026-06-30", "扬尘"],
        [2, "沿街堆放", "", "", "2026.7.1", "扬尘"],
        [3, "工地未覆盖", "", "", "2026.7.2", "扬尘"],
        [4, "道路遗撒", "乙一社区", "", "2026.7.3", "扬尘"],
    ]
    path = write_ods(tmp_path / "merged.ods", rows,
                     merges=[(0, 0, 0, 5, "污染围城问题整改台账"), (1, 0, 2, 0, "序号"), (1, 1, 2, 1, "存在问题"),
                             (1, 2, 1, 3, "责任单位"), (1, 4, 2, 4, "整改期限"), (1, 5, 2, 5, "问题类型"),
                             (3, 2, 5, 2, "甲一社区")])
    table = read_table(path)
    assert table.header_row == 3
    assert table.columns["unit"] == 2 and table.columns["lead_unit"] == 3
    assert [r.values[2] for r in table.rows] == ["甲一社区", "甲一社区", "甲一社区", "乙一社区"]
    assert [r.number for r in table.rows] == [4, 5, 6, 7]


def test_an_ods_file_without_content_is_refused_with_a_reason(tmp_path):
    import zipfile

    path = tmp_path / "broken.ods"
    with zipfile.ZipFile(path, "w") as z:
        z.writestr("mimetype", "application/vnd.oasis.opendocument.spreadsheet")
    with pytest.raises(Invalid) as err:
        read_table(path)
    assert "broken.ods" in err.value.message


def test_a_group_heading_typed_into_one_cell_is_skipped(tmp_path):
    rows = [HEADER, ["", "一、垃圾围城"], [1, "路边垃圾", "甲街道", "垃圾围城"], ["", "（二）扬尘"],
            [2, "一、二号楼之间堆土", "甲街道", "扬尘"]]
    table = read_table(write_xlsx(tmp_path / "groups.xlsx", rows))
    assert [r.number for r in table.rows] == [3, 5]
    assert [s["row"] for s in table.skipped] == [2, 4]


@pytest.mark.parametrize("value, expected", [
    (dt.date(2026, 6, 30), dt.date(2026, 6, 30)),
    (dt.datetime(2026, 6, 30, 17, 30), dt.date(2026, 6, 30)),
    (float(serial_of(dt.date(2026, 6, 30))), dt.date(2026, 6, 30)),
    (serial_of(dt.date(2026, 6, 30)), dt.date(2026, 6, 30)),
    (str(serial_of(dt.date(2026, 6, 30))), dt.date(2026, 6, 30)),
    ("2026-06-30", dt.date(2026, 6, 30)),
    ("2026-06-30 00:00:00", dt.date(2026, 6, 30)),
    ("2026/6/30", dt.date(2026, 6, 30)),
    ("2026.6.30", dt.date(2026, 6, 30)),
    ("20260630", dt.date(2026, 6, 30)),
    ("2026年6月30日", dt.date(2026, 6, 30)),
    (" 2026 年 6 月 30 日 ", dt.date(2026, 6, 30)),
    ("6月30日", dt.date(2026, 6, 30)),
    ("3个工作日", dt.date(2026, 6, 4)),          # TODAY is Monday 1 June 2026
    ("5日内", dt.date(2026, 6, 8)),
    ("限期三个工作日内完成", dt.date(2026, 6, 4)),
    ("十个工作日", dt.date(2026, 6, 15)),
    ("立行立改", TODAY),
    ("", None),
    (None, None),
])
def test_parse_deadline(value, expected, ledger):
    assert parse_deadline(value, today=TODAY) == expected


@pytest.mark.parametrize("value, words", [
    ("下周", "无法识别"), ("5", "无法识别"), (5.0, "不是日期"), ("2026-02-30", "没有这一天"),
    ("长期坚持", "长期整改的问题请留空"), (True, "不是日期"), (123456, "不是日期"),
])
def test_parse_deadline_refuses(value, words, ledger):
    with pytest.raises(ValueError, match=words):
        parse_deadline(value, today=TODAY)


# ------------------------------------------------------------------ import: bad rows


def bad_rows(ledger):
    make_unit("新华社区", parent=ledger.d.street_a)
    make_unit("新华社区", parent=ledger.d.street_b)
    return [
        ["污染围城问题台账"],
        HEADER,
        [1, "好的一行", "甲一社区", "垃圾围城", "2026-06-30", "", "", ""],         # row 3: fine
        [2, "单位不存在", "丙街道", "垃圾围城", "2026-06-30", "", "", ""],          # row 4
        [3, "单位有重名", "新华社区", "垃圾围城", "2026-06-30", "", "", ""],         # row 5
        [],                                                                        # row 6 blank
        [4, "类别不存在", "甲街道", "噪声", "2026-06-30", "", "", ""],              # row 7
        [5, "", "甲街道", "扬尘", "2026-06-30", "", "", ""],                       # row 8: no title
        [6, "日期写错", "甲街道", "扬尘", "下周一", "", "", ""],                    # row 9
        [7, "日期已过", "甲街道", "扬尘", dt.date(2026, 5, 20), "", "", ""],        # row 10
        [8, "来源和紧急程度都不对", "新华", "扬尘", "2026-06-30", "", "路人", "很急"],  # row 11: three errors
        [9, "重名写全了就行", "甲街道/新华社区", "扬尘", "2026-06-30", "", "", ""],   # row 12: fine
    ]


@pytest.mark.parametrize("text, unit", [
    ("甲一社区", "community_a"), ("甲街道办事处", "street_a"), ("甲一社区居委会", "community_a"),
    ("测试区甲街道", "street_a"), ("甲街道/甲一社区", "community_a"), ("甲一", "community_a"), ("城管", "bureau"),
])
def test_units_as_people_write_them(text, unit, ledger):
    assert spreadsheets.UnitResolver().resolve(text) == getattr(ledger.d, unit)


@pytest.mark.parametrize("text, words", [
    ("丙街道", "没有名为"), ("甲", "没有名为"), ("甲街道、乙街道", "只能有一个责任单位"), ("乙街道/甲一社区", "没有名为"),
    ("街道", "对应多个单位"),
])
def test_units_refused(text, words, ledger):
    with pytest.raises(ValueError, match=words):
        spreadsheets.UnitResolver().resolve(text)


def test_dry_run_lists_every_bad_row_and_imports_nothing(ledger, tmp_path):
    path = write_xlsx(tmp_path / "bad.xlsx", bad_rows(ledger), merges=[(0, 0, 0, 7, "污染围城问题台账")])
    cases, events = Case.objects.count(), AuditEvent.objects.count()
    result = import_cases(actor=None, campaign=ledger.campaign, path=path, dry_run=True)
    assert not result.ok and result.created == 0
    got = [(e["row"], e["column"]) for e in result.errors]
    assert got == [(4, "责任单位"), (5, "责任单位"), (7, "问题类别"), (8, "问题描述"), (9, "截止日期"),
                   (10, "截止日期"), (11, "责任单位"), (11, "问题来源"), (11, "紧急程度（必填）")]
    messages = {(e["row"], e["column"]): e["message"] for e in result.errors}
    assert "没有名为“丙街道”的单位" in messages[4, "责任单位"]
    assert "甲街道/新华社区" in messages[5, "责任单位"] and "乙街道/新华社区" in messages[5, "责任单位"]
    assert "没有问题类别“噪声”" in messages[7, "问题类别"] and "扬尘" in messages[7, "问题类别"]
    assert "不能为空" in messages[8, "问题描述"]
    assert "下周一" in messages[9, "截止日期"]
    assert "早于导入日期 2026-06-01" in messages[10, "截止日期"]
    assert "对应多个单位" in messages[11, "责任单位"]
    assert Case.objects.count() == cases and AuditEvent.objects.count() == events


def test_a_real_import_with_any_bad_row_imports_nothing(ledger, tmp_path):
    path = write_xlsx(tmp_path / "bad.xlsx", bad_rows(ledger))
    events = AuditEvent.objects.count()
    result = import_cases(actor=None, campaign=ledger.campaign, path=path, dry_run=False)
    assert len({e["row"] for e in result.errors}) == 7
    assert result.created == 0 and result.case_ids == []
    assert not Case.objects.exists() and AuditEvent.objects.count() == events


# ------------------------------------------------------------------ import: good files


def test_a_good_file_imports_every_row_continuing_the_numbering(ledger, tmp_path):
    first = ledger.report()  # number 1 of the year
    path = messy_xlsx(tmp_path)
    dry = import_cases(actor=ledger.d["commander"], campaign=ledger.campaign, path=path, dry_run=True)
    assert dry.ok and dry.rows == 7 and dry.assigned == 6 and dry.registered == 1 and dry.created == 0
    assert Case.objects.count() == 1

    result = import_cases(actor=ledger.d["commander"], campaign=ledger.campaign, path=path, dry_run=False)
    assert result.ok and result.created == 7 and len(result.case_ids) == 7
    cases = list(Case.objects.filter(pk__in=result.case_ids).order_by("number"))
    prefix = f"测试整治〔{first.year}〕"
    assert [c.serial for c in cases] == [f"{prefix}{n:04d}" for n in range(2, 9)]
    assert (result.first_serial, result.last_serial) == (f"{prefix}0002", f"{prefix}0008")
    by_title = {c.title: c for c in cases}
    d = ledger.d
    expect = {
        "路边垃圾堆放": (d.community_a, dt.date(2026, 6, 30), "垃圾围城", Source.DISTRICT_INSPECTION),
        "工地裸土未覆盖": (d.street_b, dt.date(2026, 7, 1), "扬尘", Source.NIGHT),
        "渣土车未密闭": (d.street_a, dt.date(2026, 6, 15), "扬尘", Source.HOTLINE),
        "拆迁工地扬尘": (d.street_a, dt.date(2026, 6, 20), "扬尘", Source.DISTRICT_INSPECTION),
        "建筑垃圾乱倒": (d.community_a, dt.date(2026, 6, 4), "建筑垃圾", Source.DISTRICT_INSPECTION),
        "河道漂浮垃圾": (d.community_b, dt.date(2026, 6, 8), "垃圾围城", Source.DISTRICT_INSPECTION),
    }
    for title, (unit, deadline, category, source) in expect.items():
        case = by_title[title]
        assert (case.unit, case.deadline, case.category.name, case.source) == (unit, deadline, category, source), title
        assert case.status == Status.ASSIGNED and case.assigned_on == TODAY
        assert case.warn_on == services.warn_date(TODAY, deadline)
        assert case.reported_by == d["commander"] and case.reporter_unit == d.command
    assert by_title["工地裸土未覆盖"].priority == Priority.URGENT
    assert by_title["工地裸土未覆盖"].leader == d["bureau_leader"]  # 分包 of 乙街道
    assert by_title["路边垃圾堆放"].address == "甲街道1号"
    registered = by_title["道路积尘"]
    assert registered.status == Status.REGISTERED and registered.unit is None and registered.deadline is None
    # The imported cases are on the ledger like any other, with their lights.
    on_ledger = selectors.ledger(d["commander"], selectors.LedgerFilter(campaign=ledger.campaign.pk,
                                                                         status=[Status.ASSIGNED]), on=TODAY)
    assert on_ledger.count() == 6

    event = AuditEvent.objects.get(action="case.import")
    assert event.object_id == str(ledger.campaign.pk) and event.actor == d["commander"]
    after = json.loads(event.after)
    assert after["file"] == "台账.xlsx" and after["rows"] == 7 and len(after["sha256"]) == 64
    assert (after["first_serial"], after["last_serial"]) == (f"{prefix}0002", f"{prefix}0008")
    assert after["case_ids"] == [min(result.case_ids), max(result.case_ids)]
    assert audit.verify().ok
    # The imported cases go round the loop like reported ones.
    case = services.transition(actor=d["handler_a"], case=by_title["渣土车未密闭"], action="accept")
    assert case.status == Status.RECTIFYING
    # And numbering goes on after them.
    assert ledger.report().serial == f"{prefix}0009"


def test_written_rows_read_back_like_the_orm_writes_them(ledger, tmp_path):
    rows = [["问题描述", "责任单位", "问题类别", "整改时限", "来源", "紧急程度"],
            ["年度计划任务", "甲街道", "扬尘", "2026-06-30", "计划任务", "特急"]]
    result = import_cases(actor=None, campaign=ledger.campaign, path=write_xlsx(tmp_path / "p.xlsx", rows),
                          dry_run=False)
    case = Case.objects.get(pk=result.case_ids[0])
    assert case.kind == CaseKind.TASK and case.source == Source.PLAN and case.priority == Priority.URGENT
    assert case.reported_by is None and case.reporter_unit is None and case.handler is None
    assert case.reported_at == case.created_at == case.updated_at and case.reported_at.tzinfo is not None
    assert abs((timezone.now() - case.reported_at).total_seconds()) < 60
    assert (case.rework_count, case.return_count, case.extension_count, case.escalation_level) == (0, 0, 0, 0)
    assert case.rejection_reason == "" and case.submitted_on_time is None


def test_campaigns_cannot_share_a_serial_prefix(ledger):
    """Serials (前缀〔年〕序号) are unique across campaigns, so a prefix belongs to one campaign."""
    with pytest.raises(Conflict, match="编号前缀"):
        services.campaign_create(actor=None, name="同前缀的行动", serial_prefix="测试整治",
                                 command_unit=ledger.d.command, starts_on=TODAY, categories=[{"name": "扬尘"}])


def test_the_same_file_is_not_imported_twice(ledger, tmp_path):
    path = messy_xlsx(tmp_path)
    import_cases(actor=None, campaign=ledger.campaign, path=path, dry_run=False)
    with pytest.raises(Conflict, match="已于"):
        import_cases(actor=None, campaign=ledger.campaign, path=path, dry_run=True)
    again = import_cases(actor=None, campaign=ledger.campaign, path=path, dry_run=False, allow_repeat=True)
    assert again.created == 7 and Case.objects.count() == 14


def test_only_the_command_post_imports(ledger, tmp_path):
    path = messy_xlsx(tmp_path)
    for who in ("handler_a", "inspector", "grid_worker_a", "viewer_a"):
        with pytest.raises(Forbidden):
            import_cases(actor=ledger.d[who], campaign=ledger.campaign, path=path, dry_run=True)
    assert import_cases(actor=ledger.d["admin"], campaign=ledger.campaign, path=path, dry_run=True).ok


def test_gbk_csv_with_points_titles_on_two_lines_and_a_long_title(ledger, tmp_path):
    long_title = "长" * 250
    rows = [
        ["编号", "问题", "详细描述", "属地", "类别", "整改时限", "经度", "纬度", "备注"],
        ["A-1", "垃圾堆放\n位于甲一社区南门", "", "", "垃圾围城", "2026年6月30日", "113.205", "35.205", "群众多次反映"],
        ["A-2", long_title, "补充说明", "乙街道", "扬尘", "6月30日", "", "", ""],
        ["", "", "", "", "", "", "", "", ""],
        ["A-3", "油烟扰民", "", "甲街道", "扬尘", "", "", "", ""],
    ]
    path = tmp_path / "wps.csv"
    with open(path, "w", encoding="gbk", newline="") as fh:
        csv.writer(fh).writerows(rows)
    result = import_cases(actor=None, campaign=ledger.campaign, path=path, dry_run=False)
    assert result.ok, result.errors
    assert result.created == 3 and result.assigned == 2 and result.registered == 1
    a1, a2, a3 = Case.objects.filter(pk__in=result.case_ids).order_by("number")
    # No unit given: the point's grid decides, as for a reported case.
    assert a1.title == "垃圾堆放" and a1.grid == ledger.d.grid_a and a1.unit == ledger.d.community_a
    assert a1.description == "位于甲一社区南门\n备注：群众多次反映" and a1.lng == 113.205
    assert a1.status == Status.ASSIGNED and a1.deadline == dt.date(2026, 6, 30)
    assert len(a2.title) == 200 and a2.title.endswith("…") and a2.description == f"{long_title}\n补充说明"
    assert a3.status == Status.REGISTERED and a3.unit == ledger.d.street_a and a3.deadline is None
    # UTF-8 with a BOM (Excel's "CSV UTF-8") reads the same.
    utf8 = tmp_path / "excel.csv"
    utf8.write_bytes(b"\xef\xbb\xbf" + path.read_bytes().decode("gbk").encode("utf-8"))
    assert read_rows(utf8) == read_rows(path)


def test_file_level_problems_are_refused_clearly(ledger, tmp_path):
    no_header = write_xlsx(tmp_path / "no-header.xlsx", [["随便写的"], ["一些", "数据"]])
    with pytest.raises(Invalid, match="找不到表头行"):
        import_cases(actor=None, campaign=ledger.campaign, path=no_header, dry_run=True)
    broken = tmp_path / "broken.xls"
    broken.write_text("<html><table><tr><td>问题</td></tr></table></html>")
    with pytest.raises(Invalid, match="无法读取"):
        import_cases(actor=None, campaign=ledger.campaign, path=broken, dry_run=True)
    docx = tmp_path / "x.docx"
    docx.write_text("x")
    with pytest.raises(Invalid, match="不支持的文件类型"):
        import_cases(actor=None, campaign=ledger.campaign, path=docx, dry_run=True)
    no_category = write_xlsx(tmp_path / "no-category.xlsx", [["问题描述", "责任单位"], ["垃圾", "甲街道"]])
    with pytest.raises(Invalid, match="没有“问题类别”列"):
        import_cases(actor=None, campaign=ledger.campaign, path=no_category, dry_run=True)
    result = import_cases(actor=None, campaign=ledger.campaign, path=no_category, dry_run=False,
                          default_category=ledger.dust)
    assert result.created == 1 and Case.objects.get().category == ledger.dust
    only_blank = write_xlsx(tmp_path / "empty.xlsx", [HEADER, [], [1]])
    with pytest.raises(Invalid, match="没有可导入的数据行"):
        import_cases(actor=None, campaign=ledger.campaign, path=only_blank, dry_run=True)


# ------------------------------------------------------------------ export


def make_cases(ledger):
    d = ledger.d
    a = ledger.assigned(title="甲一社区垃圾", description="堆了三天")
    b = ledger.submitted(title="甲一社区扬尘", category=ledger.dust)
    c = ledger.report(title="未立案的问题")
    e = services.transition(actor=d["commander"], case=ledger.report(title="交给乙街道", unit=d.street_b),
                            action="register")
    e = services.transition(actor=d["commander"], case=e, action="assign", deadline=dt.date(2026, 6, 2))
    return a, b, c, e


def test_export_is_laid_out_like_a_government_ledger(ledger, tmp_path):
    a, b, _c, e = make_cases(ledger)
    commander = ledger.d["commander"]
    f = selectors.LedgerFilter(campaign=ledger.campaign.pk, status=[Status.ASSIGNED, Status.SUBMITTED],
                               order="deadline")
    on = dt.date(2026, 6, 3)
    qs = selectors.ledger(commander, f, on=on)
    expected = list(qs)
    assert {x.pk for x in expected} == {a.pk, b.pk, e.pk}
    seen = []
    out = tmp_path / "台账.xlsx"
    n = spreadsheets.export_xlsx(qs, out, title="污染围城集中整治问题台账（截至2026年6月3日）", on=on,
                                 progress=seen.append, chunk_size=2)
    assert n == 3 and seen == [2, 3]

    wb = openpyxl.load_workbook(out)
    ws = wb.active
    assert ws.title == "台账"
    assert [str(r) for r in ws.merged_cells.ranges] == ["A1:O1"]
    assert ws["A1"].value == "污染围城集中整治问题台账（截至2026年6月3日）"
    assert [cell.value for cell in ws[2]] == [name for name, _ in spreadsheets.EXPORT_COLUMNS]
    assert ws.freeze_panes == "A3"
    assert ws.auto_filter.ref == "A2:O5"
    assert ws.page_setup.orientation == "landscape" and int(ws.page_setup.paperSize) == 9
    assert ws.sheet_properties.pageSetUpPr.fitToPage and int(ws.page_setup.fitToWidth or 1) == 1  # 1 is the default
    assert int(ws.page_setup.fitToHeight) == 0
    assert ws.print_title_rows == "$2:$2"
    assert ws.column_dimensions["D"].width > ws.column_dimensions["A"].width
    assert ws["D3"].alignment.wrap_text
    rows = [[cell.value for cell in row] for row in ws.iter_rows(min_row=3)]
    assert len(rows) == 3
    assert [r[0] for r in rows] == [1, 2, 3]
    assert [r[1] for r in rows] == [x.serial for x in expected]
    by_serial = {r[1]: r for r in rows}
    ra = by_serial[a.serial]
    row_of_a = 3 + [r[1] for r in rows].index(a.serial)
    assert ws.row_dimensions[row_of_a].height == 2 * 13.5 + 3  # title and description: two lines, shown whole
    assert ra[2] == "垃圾围城" and ra[3] == "甲一社区垃圾\n堆了三天" and ra[5] == "区级督查"
    assert ra[6] == "甲一社区" and ra[8].date() == TODAY and ra[9].date() == a.deadline
    assert ra[10] == "已交办" and ra[12] == 0 and ra[13] is None
    assert by_serial[e.serial][11] == "红灯" and by_serial[e.serial][7] == "测试"  # bureau_leader 分包 乙街道
    assert by_serial[b.serial][10] == "待核查" and by_serial[b.serial][11] is None
    assert ra[11] == ("黄灯" if a.warn_on <= on else "绿灯")


def test_export_of_nothing_and_to_a_file_object(ledger, tmp_path):
    qs = Case.objects.none()
    out = tmp_path / "empty.xlsx"
    assert spreadsheets.export_xlsx(qs, out, title="空台账", on=TODAY) == 0
    ws = openpyxl.load_workbook(out).active
    assert ws.max_row == 2 and ws.auto_filter.ref == "A2:O2"
    with open(tmp_path / "fh.xlsx", "wb") as fh:
        spreadsheets.export_xlsx(Case.objects.all(), fh, title="t", on=TODAY)
    assert openpyxl.load_workbook(tmp_path / "fh.xlsx").active["A1"].value == "t"


def test_round_trip_export_then_import_into_another_campaign(ledger, tmp_path):
    a, b, c, e = make_cases(ledger)
    child = ledger.report(title="建筑垃圾 & <乱倒>", category=ledger.campaign.categories.get(name="建筑垃圾"),
                          unit=ledger.d.community_a)
    make_unit("新华社区", parent=ledger.d.street_a)
    twin = make_unit("新华社区", parent=ledger.d.street_b)
    same_name = ledger.report(title="重名社区的问题", unit=twin)
    out = tmp_path / "export.xlsx"
    qs = selectors.ledger(ledger.d["commander"], selectors.LedgerFilter(campaign=ledger.campaign.pk, order="serial"),
                          on=TODAY)
    assert spreadsheets.export_xlsx(qs, out, title="导出", on=TODAY) == 6
    assert "乙街道/新华社区" in [r[6] for r in openpyxl.load_workbook(out).active.iter_rows(values_only=True)]
    other = services.campaign_create(
        actor=None, name="第二轮整治", serial_prefix="二轮", command_unit=ledger.d.command, starts_on=TODAY,
        categories=[{"name": "垃圾围城", "children": [{"name": "建筑垃圾"}]}, {"name": "扬尘"}])
    result = import_cases(actor=None, campaign=other, path=out, dry_run=False)
    assert result.ok, result.errors
    assert result.created == 6 and "状态" in result.ignored_columns
    new = {x.title: x for x in Case.objects.filter(campaign=other)}
    for old in (a, b, c, e, child, same_name):
        copy = new[old.title]
        assert copy.category.name == old.category.name and copy.unit_id == old.unit_id
        assert copy.description == old.description and copy.source == old.source
        if old.deadline and old.unit_id:
            assert copy.deadline == old.deadline and copy.status == Status.ASSIGNED
        else:
            assert copy.status == Status.REGISTERED
    assert new["建筑垃圾 & <乱倒>"].category.parent.name == "垃圾围城"


# ------------------------------------------------------------------ the command


def run_cli(argv: list[str], capsys) -> tuple[int, str, str]:
    parser = argparse.ArgumentParser(prog="gongjian")
    add_commands(parser.add_subparsers(dest="command"))
    args = parser.parse_args(argv)
    code = args.func(args)
    out = capsys.readouterr()
    return code, out.out, out.err


def test_cli_import_reports_bad_rows_then_imports(ledger, tmp_path, capsys):
    bad = write_xlsx(tmp_path / "bad.xlsx", bad_rows(ledger))
    code, out, err = run_cli(["ledger", "import", str(bad), "--campaign", ledger.campaign.name, "--dry-run"], capsys)
    assert code == 1
    assert "第 9 行 截止日期：无法识别的日期“下周一”" in err
    assert "第 4 行 责任单位：没有名为“丙街道”的单位" in err
    assert "共 7 行有错误" in err and not Case.objects.exists()

    good = messy_xlsx(tmp_path)
    code, out, err = run_cli(["ledger", "import", str(good), "--campaign", str(ledger.campaign.pk), "--dry-run"],
                             capsys)
    assert code == 0 and "检查通过：7 行" in out and "跳过第 6 行" in out and not Case.objects.exists()
    code, out, err = run_cli(["ledger", "import", str(good), "--campaign", ledger.campaign.name], capsys)
    assert code == 0 and "已导入 7 件" in out and Case.objects.count() == 7
    code, out, err = run_cli(["ledger", "import", str(good), "--campaign", ledger.campaign.name], capsys)
    assert code == 1 and "不再重复导入" in err

    code, out, err = run_cli(["ledger", "import", str(good), "--campaign", "不存在的行动"], capsys)
    assert code == 2 and "没有专项行动" in err
    code, out, err = run_cli(["ledger", "import", str(good), "--campaign", ledger.campaign.name,
                              "--as", "t_handler_a"], capsys)
    assert code == 1 and "没有权限" in err


def test_cli_export_with_filters(ledger, tmp_path, capsys):
    make_cases(ledger)
    out = tmp_path / "out.xlsx"
    code, stdout, err = run_cli(["ledger", "export", "--campaign", ledger.campaign.name, "--out", str(out),
                                 "--status", "已交办,submitted", "--unit", "甲街道", "--on", "2026-06-01"], capsys)
    assert code == 0 and "已导出 2 行" in stdout
    ws = openpyxl.load_workbook(out).active
    assert ws["A1"].value == "污染围城集中整治问题台账（截至2026年6月1日）"
    assert sorted(r[10] for r in ws.iter_rows(min_row=3, values_only=True)) == ["已交办", "待核查"]
    code, stdout, err = run_cli(["ledger", "export", "--out", str(out), "--status", "没有这个"], capsys)
    assert code == 2 and "状态“没有这个”无效" in err
    code, stdout, err = run_cli(["ledger", "export", "--out", str(tmp_path / "x.csv")], capsys)
    assert code == 2
    # As a person: only what that person sees (street B's handler sees nothing of street A).
    code, stdout, err = run_cli(["ledger", "export", "--out", str(out), "--as", "t_handler_b",
                                 "--campaign", ledger.campaign.name], capsys)
    assert code == 0 and "已导出 1 行" in stdout
