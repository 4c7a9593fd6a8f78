"""The 台账 page in a real browser: filters update the table in place, headers sort, Back works."""

from __future__ import annotations

import re

import pytest

from gongjian.ledger import services
from tests.ledger.conftest import fixed_today, ledger  # noqa: F401  (fixtures: the pinned today, a campaign)

pytestmark = pytest.mark.django_db(transaction=True)


def _cases(ledger):  # noqa: F811
    d = ledger.d
    assigned = [ledger.assigned(title=f"河道垃圾{i}") for i in range(3)]
    registered = []
    for i in range(2):
        case = ledger.report(actor=d["commander"], title=f"工地扬尘{i}", category=ledger.dust, unit=d.community_a)
        registered.append(services.transition(actor=d["commander"], case=case, action="register"))
    return assigned, registered


def _serials(page) -> list[str]:
    return page.locator("table.ledger tbody td.serial a").all_inner_texts()


def test_desktop_filter_by_status_updates_the_table_without_a_reload_and_sorts(ledger, desktop, login, shot):  # noqa: F811
    assigned, _registered = _cases(ledger)
    page = login(desktop, "t_commander")
    page.goto("/ledger/")
    assert len(_serials(page)) == 5
    page.evaluate("window.__sameDocument = true")

    page.get_by_label("状态", exact=True).select_option("assigned")
    page.wait_for_url(re.compile(r"status=assigned"))
    page.wait_for_function("document.querySelectorAll('table.ledger tbody td.serial').length === 3")
    assert page.evaluate("window.__sameDocument") is True  # htmx swapped the table; no full page load
    assert sorted(_serials(page)) == sorted(c.serial for c in assigned)
    assert page.locator("span.light-green").first.inner_text() == "绿灯"

    page.get_by_role("link", name=re.compile("^编号")).click()
    page.wait_for_url(re.compile(r"order=serial"))
    page.wait_for_function("document.querySelector('th[aria-sort=ascending]') !== null")
    assert _serials(page) == sorted(c.serial for c in assigned)
    page.get_by_role("link", name=re.compile("^编号")).click()
    page.wait_for_url(re.compile(r"order=-serial"))
    page.wait_for_function("document.querySelector('th[aria-sort=descending]') !== null")
    assert _serials(page) == sorted((c.serial for c in assigned), reverse=True)
    assert page.evaluate("window.__sameDocument") is True
    # The filter survives the sort, and the export link follows both.
    href = page.locator("#export-link").get_attribute("href")
    assert "status=assigned" in href and "order=-serial" in href
    shot(page, "ledger")

    page.go_back()
    page.wait_for_url(re.compile(r"order=serial$"))
    page.wait_for_function("document.querySelector('th[aria-sort=ascending]') !== null")
    assert _serials(page) == sorted(c.serial for c in assigned)


def test_desktop_bad_date_shows_a_message_next_to_the_field(ledger, desktop, login):  # noqa: F811
    _cases(ledger)
    page = login(desktop, "t_commander")
    page.goto("/ledger/?deadline_from=2026-13-01")
    assert page.locator("#err-deadline_from").inner_text().startswith("日期无效")
    assert len(_serials(page)) == 5


def test_phone_filter_by_status_on_a_narrow_screen(ledger, phone, login, shot):  # noqa: F811
    _assigned, registered = _cases(ledger)
    page = login(phone, "t_handler_a")
    page.goto("/ledger/")
    assert len(_serials(page)) == 5
    page.evaluate("window.__sameDocument = true")
    page.get_by_label("状态", exact=True).select_option("registered")
    page.wait_for_url(re.compile(r"status=registered"))
    page.wait_for_function("document.querySelectorAll('table.ledger tbody td.serial').length === 2")
    assert page.evaluate("window.__sameDocument") is True
    assert sorted(_serials(page)) == sorted(c.serial for c in registered)
    # Nothing wider than the screen: the table turns into cards.
    assert page.evaluate("document.documentElement.scrollWidth") <= 360
    page.get_by_label("状态", exact=True).select_option("")
    page.wait_for_function("document.querySelectorAll('table.ledger tbody td.serial').length === 5")
    shot(page, "ledger")


def test_desktop_bulk_assign_reports_each_case_and_reloads_the_table(ledger, desktop, login):  # noqa: F811
    _assigned, registered = _cases(ledger)
    page = login(desktop, "t_commander")
    page.goto("/ledger/?status=registered")
    page.evaluate("window.__sameDocument = true")
    for case in registered:
        page.get_by_label(f"选择 {case.serial}").check()
    assert page.locator(".js-selected").inner_text() == "(2 件)"
    page.get_by_label("交办给(责任单位)").select_option(label="\u3000\u3000甲一社区")
    page.get_by_label("整改时限(工作日)").fill("4")
    page.get_by_role("button", name=re.compile("交办选中案件")).click()
    result = page.locator("#bulk-result")
    result.get_by_text("批量交办：成功 2 件").wait_for()
    for case in registered:
        assert f"{case.serial}：已交办给甲一社区，整改期限 2026-06-05" in result.inner_text()
    # The table reloads in place: the assigned cases are no longer 已立案.
    page.wait_for_function("document.querySelectorAll('table.ledger tbody td.serial').length === 0")
    assert page.evaluate("window.__sameDocument") is True


def test_desktop_import_check_lists_bad_cells_then_confirm_imports(ledger, desktop, login, shot, tmp_path):  # noqa: F811
    bad = tmp_path / "台账.csv"
    bad.write_text("序号,问题描述,责任单位,问题类别,整改时限\n1,河道垃圾,甲一社区,垃圾围城,2026-06-30\n"
                   "2,工地扬尘,没有这个单位,扬尘,2026-13-01\n", encoding="utf-8")
    page = login(desktop, "t_commander")
    page.goto("/ledger/")
    page.get_by_role("link", name="导入台账").click()
    page.get_by_label("导入到专项行动").select_option(label=ledger.campaign.name)
    page.get_by_label("台账文件(xlsx、xls、ods、csv)").set_input_files(str(bad))
    page.get_by_role("button", name="上传并检查").click()
    errors = page.locator("table.import-errors tbody tr")
    errors.first.wait_for()
    assert errors.count() == 2 and "第 3 行" in errors.first.inner_text()
    assert page.get_by_role("button", name=re.compile("确认导入")).count() == 0
    shot(page, "ledger-import")

    good = tmp_path / "台账2.csv"
    good.write_text("序号,问题描述,责任单位,问题类别,整改时限\n1,河道垃圾,甲一社区,垃圾围城,2026-06-30\n", encoding="utf-8")
    page.get_by_label("导入到专项行动").select_option(label=ledger.campaign.name)
    page.get_by_label("台账文件(xlsx、xls、ods、csv)").set_input_files(str(good))
    page.get_by_role("button", name="上传并检查").click()
    page.get_by_role("button", name=re.compile("确认导入")).click()
    page.wait_for_url(re.compile(r"/ledger/\?campaign="))
    assert "已导入 1 件" in page.locator(".notice").inner_text()
    serials = _serials(page)
    assert len(serials) == 1 and serials[0].startswith(ledger.campaign.serial_prefix)
