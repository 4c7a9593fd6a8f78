"""Daily figures, documents and inspections in a real browser: a street's handler on a phone pastes the
text the street already writes, presses 识别, corrects one figure and saves; the commander on a desktop
sees the street in the overview, generates the daily three and downloads the brief as a docx."""

from __future__ import annotations

import datetime as dt
import importlib

import pytest
from django.utils import timezone
from docx import Document as Docx

from gongjian.inspection import services as inspection_services
from gongjian.reporting import services
from gongjian.reporting.models import DailyFigure, DailyReport, Document, DocumentKind
from gongjian.standards import gbt9704
from tests.ledger.conftest import TODAY, fixed_today, ledger  # noqa: F401  (fixtures: the campaign; today pinned)

pytestmark = pytest.mark.django_db(transaction=True)

TEXT = "今日出动120人次，车辆8台次，清运垃圾35立方米"


@pytest.fixture(autouse=True)
def metric_catalogue(installation_rows):
    """Put back the metric catalogue its migration installs (the live server's flush empties it)."""
    from django.apps import apps
    from django.db import connection

    from gongjian.reporting.models import Metric

    if not Metric.objects.exists():
        importlib.import_module("gongjian.reporting.migrations.0002_seed_metrics").seed(apps, connection.schema_editor())


@pytest.fixture(autouse=True)
def reporting_today(monkeypatch, fixed_today):  # noqa: F811
    monkeypatch.setattr(services, "today", lambda: TODAY)
    # As on a server without LibreOffice: docx only (the PDF copies are tested in tests/reporting).
    monkeypatch.setattr(gbt9704, "libreoffice", lambda: None)


def test_handler_pastes_checks_corrects_and_saves_on_a_phone(ledger, phone, login, shot):  # noqa: F811
    login(phone, "t_handler_a")
    phone.goto("/daily/")
    assert phone.get_by_role("heading", name="甲街道 · 2026年6月1日").is_visible()
    phone.get_by_label("工作情况").fill(TEXT)
    phone.get_by_role("button", name="识别").click()
    found = phone.get_by_test_id("found")
    found.wait_for()
    assert "出动120人次" in found.inner_text() and "清运垃圾35立方米" in found.inner_text()
    assert phone.get_by_label("出动人员", exact=True).input_value() == "120"
    assert phone.get_by_label("出动车辆", exact=True).input_value() == "8"
    assert phone.get_by_label("清运垃圾", exact=True).input_value() == "35"
    assert phone.get_by_label("建筑垃圾", exact=True).input_value() == ""
    # the street counted one vehicle twice: correct it before saving
    phone.get_by_label("出动车辆", exact=True).fill("7")
    # the whole form fits the phone: no sideways scrolling
    assert phone.evaluate("document.documentElement.scrollWidth") <= 360
    phone.get_by_role("button", name="保存").click()
    phone.wait_for_url("**/daily/?unit=*")
    assert "已保存甲街道 2026-06-01 的工作量" in phone.locator("main").inner_text()
    assert phone.get_by_label("出动车辆", exact=True).input_value() == "7"
    assert phone.get_by_label("工作情况").input_value() == TEXT
    assert "再次保存将替换" in phone.get_by_test_id("revision").inner_text()
    shot(phone, "daily")
    report = DailyReport.objects.get(unit=ledger.d.street_a, date=TODAY)
    assert dict(DailyFigure.objects.filter(report=report).values_list("metric__code", "value")) == {
        "personnel": 120, "vehicles": 7, "garbage": 35}


def test_commander_sees_the_overview_generates_and_downloads_the_brief(ledger, desktop, login, shot, tmp_path):  # noqa: F811
    d = ledger.d
    services.daily_report_submit(actor=d["handler_a"], unit=d.street_a, date=TODAY, text=TEXT, figures=[
        {"metric": "personnel", "value": 120}, {"metric": "vehicles", "value": 8}, {"metric": "garbage", "value": 35}])
    for back in range(1, 14):
        services.daily_report_submit(actor=d["commander"], unit=d.street_b, date=TODAY - dt.timedelta(days=back),
                                     figures=[{"metric": "personnel", "value": 40 + back * 5}])
    login(desktop, "t_commander")
    desktop.goto("/daily/overview/")
    table = desktop.get_by_test_id("overview-table")
    assert "甲街道" in table.inner_text() and "120" in table.inner_text()
    assert "乙街道" in desktop.get_by_test_id("missing").inner_text()
    desktop.wait_for_function("document.querySelector('#daily-chart canvas') !== null")
    shot(desktop, "daily-overview")

    desktop.goto("/documents/")
    desktop.get_by_role("button", name="生成日报三件套").click()
    desktop.wait_for_url("**/documents/")
    main = desktop.locator("main").inner_text()
    assert "已生成 2026-06-01 的工作简报、督查通报、问题台账" in main
    assert "未安装 LibreOffice" in main
    shot(desktop, "documents")
    brief = Document.objects.get(kind=DocumentKind.BRIEF)
    row = desktop.get_by_test_id("documents").locator("tr", has_text="整治攻坚工作简报")
    with desktop.expect_download() as info:
        row.get_by_role("link", name="docx").click()
    download = info.value
    assert download.suggested_filename.endswith(".docx")
    path = tmp_path / download.suggested_filename
    download.save_as(path)
    assert path.read_bytes()[:2] == b"PK"
    text = "\n".join(p.text for p in Docx(path).paragraphs)
    assert "整治攻坚工作简报" in text and brief.number in text


def test_inspections_list_and_page(ledger, desktop, login, shot):  # noqa: F811
    d = ledger.d
    tz = timezone.get_current_timezone()
    inspection = inspection_services.inspection_create(
        actor=d["inspector"], kind="night", campaign=ledger.campaign, title="城区夜查第一组",
        starts_at=dt.datetime.combine(TODAY, dt.time(21), tzinfo=tz),
        ends_at=dt.datetime.combine(TODAY, dt.time(23), tzinfo=tz), lead=d["inspector"], places=["丰收路工地"])
    finding = inspection_services.finding_add(actor=d["inspector"], inspection=inspection, category=ledger.dust,
                                              title="渣土车未密闭", place="丰收路工地", lng=113.205, lat=35.205)
    login(desktop, "t_inspector")
    desktop.goto("/inspections/")
    assert "城区夜查第一组" in desktop.get_by_test_id("inspections").inner_text()
    shot(desktop, "inspections")
    desktop.get_by_role("link", name="城区夜查第一组").click()
    assert desktop.get_by_label("问题类别").is_visible()  # the inspector may add findings here
    shot(desktop, "inspection-detail")
    desktop.get_by_role("link", name=finding.case.serial).click()
    desktop.wait_for_url(f"**/cases/{finding.case.pk}/")
    assert "渣土车未密闭" in desktop.locator("h1").inner_text()
