"""The daily three written from the ledger and the figures, opened and read back."""

from __future__ import annotations

import datetime as dt

import openpyxl
import pytest
from django.utils import timezone
from docx import Document as Docx
from docx.oxml.ns import qn

from gongjian.cli import main
from gongjian.ledger import services as ledger_services
from gongjian.ledger.models import Case
from gongjian.reporting import services
from gongjian.reporting.documents import daily_facts, generate_daily
from gongjian.reporting.models import Document, DocumentKind
from tests.ledger.conftest import TODAY, jpeg

pytestmark = pytest.mark.django_db


def all_text(doc) -> str:
    parts = [p.text for p in doc.paragraphs]
    parts += [c.text for t in doc.tables for row in t.rows for c in row.cells]
    return "\n".join(parts)


def assert_gbt9704(doc) -> None:
    s = doc.sections[0]
    assert (round(s.page_width / 36000), round(s.page_height / 36000)) == (210, 297)
    assert [round(x / 36000) for x in (s.top_margin, s.bottom_margin, s.left_margin, s.right_margin)] == [37, 35, 28, 26]
    grid = s._sectPr.find(qn("w:docGrid"))
    assert (grid.get(qn("w:type")), grid.get(qn("w:linePitch"))) == ("linesAndChars", "579")
    assert doc.styles["Normal"].font.size.pt == 16
    assert doc.settings.odd_and_even_pages_header_footer


@pytest.fixture
def day_of_work(ledger, monkeypatch):
    """Street A: three cases assigned ten days ago (overdue now), one closed today, figures sent."""
    d = ledger.d
    monkeypatch.setattr(ledger_services, "today", lambda: TODAY - dt.timedelta(days=14))
    overdue = [ledger.assigned(title=f"超期问题{i}") for i in range(3)]
    monkeypatch.setattr(ledger_services, "today", lambda: TODAY)
    done = ledger.assigned(title="当日销号问题")
    done = ledger_services.transition(actor=d["handler_a"], case=done, action="accept")
    ledger_services.evidence_add(actor=d["handler_a"], case=done, stage="after", upload=jpeg())
    done = ledger_services.transition(actor=d["handler_a"], case=done, action="submit")
    ledger_services.transition(actor=d["inspector"], case=done, action="close")
    # The services stamp the real time; the documents are for the pinned day.
    noon = dt.datetime.combine(TODAY, dt.time(12), tzinfo=timezone.get_current_timezone())
    Case.objects.filter(pk=done.pk).update(reported_at=noon, closed_at=noon)
    Case.objects.filter(pk__in=[c.pk for c in overdue]).update(reported_at=noon - dt.timedelta(days=14))
    services.daily_report_submit(actor=d["handler_a"], unit=d.street_a, date=TODAY, text="今日出动120人次，清运垃圾35立方米。",
                                 figures=[{"metric": "personnel", "value": 120}, {"metric": "garbage", "value": 35}])
    return overdue


def test_facts_of_the_day(day_of_work, ledger):
    facts = daily_facts(TODAY)
    street_a = next(line for line in facts.units if line.unit == ledger.d.street_a)
    assert (street_a.overdue, street_a.closed, street_a.reported) == (3, 1, True)
    assert facts.overdue == 3 and facts.closed_today == 1 and facts.new_today == 1
    assert ledger.d.street_b in facts.missing and ledger.d.street_a not in facts.missing
    assert [c["serial"] for c in facts.overdue_cases] == [c.serial for c in day_of_work]


def test_the_daily_three(day_of_work, ledger, tmp_path):
    result = generate_daily(day=TODAY, out_dir=tmp_path, pdf=False)
    names = sorted(p.name for p in result.files)
    assert names == ["20260601-工作简报.docx", "20260601-督查通报.docx", "20260601-问题台账.xlsx"]

    brief = Docx(tmp_path / "20260601-工作简报.docx")
    assert_gbt9704(brief)
    text = all_text(brief)
    assert "第1期" in text and "出动人员120人次" in text and "清运垃圾35立方米" in text
    assert "当日销号1件" in text and "超期未整改3件" in text
    assert "乙街道" in text.split("五、未报送单位")[1]  # listed as not reported
    unit_table = next(t for t in brief.tables if t.rows[0].cells[0].text == "单位" and "出动人员(人次)"
                      in [c.text for c in t.rows[0].cells])
    assert [c.text for c in unit_table.rows[1].cells][:2] == ["甲街道", "120"]

    bulletin = Docx(tmp_path / "20260601-督查通报.docx")
    assert_gbt9704(bulletin)
    text = all_text(bulletin)
    assert "测试督查〔2026〕1号" in text and "各街道(乡镇、办事处)，区直有关部门：" in text
    assert all(c.serial in text for c in day_of_work)
    assert "甲街道(3件)" in text  # criticised by name

    ws = openpyxl.load_workbook(tmp_path / "20260601-问题台账.xlsx", read_only=True).active
    serials = [row[1] for row in ws.iter_rows(min_row=3, values_only=True) if row[1]]
    assert sorted(serials) == sorted(c.serial for c in day_of_work)  # the closed one is not open

    assert sorted(Document.objects.values_list("kind", flat=True)) == sorted(DocumentKind.values[:3])


def test_generating_again_keeps_the_numbers(day_of_work, tmp_path):
    generate_daily(day=TODAY, out_dir=tmp_path / "a", pdf=False)
    generate_daily(day=TODAY, out_dir=tmp_path / "b", pdf=False)
    assert Document.objects.count() == 3
    assert Document.objects.get(kind=DocumentKind.BULLETIN).number == "测试督查〔2026〕1号"
    assert "第1期" in all_text(Docx(tmp_path / "b" / "20260601-工作简报.docx"))
    generate_daily(day=TODAY - dt.timedelta(days=1), out_dir=tmp_path / "c", pdf=False)
    assert Document.objects.get(kind=DocumentKind.BULLETIN, date=TODAY - dt.timedelta(days=1)).number == \
        "测试督查〔2026〕2号"


def test_cli_docs_daily(day_of_work, tmp_path, capsys):
    assert main(["docs", "daily", "--date", "2026-06-01", "--out", str(tmp_path), "--no-pdf"]) == 0
    out = capsys.readouterr().out.splitlines()
    assert [p.rsplit("-", 1)[1] for p in out] == ["工作简报.docx", "督查通报.docx", "问题台账.xlsx"]
    assert main(["docs", "daily", "--date", "2026-13-01", "--out", str(tmp_path)]) == 2
    assert "日期“2026-13-01”无效" in capsys.readouterr().err
    assert main(["docs", "daily", "--date", "2026-06-02", "--out", str(tmp_path)]) == 2
    assert "未来" in capsys.readouterr().err
