"""The ranking page in a real browser: the table, the trend chart, −3 opening its three cases, the phone width."""

from __future__ import annotations

import pytest

from tests.assessment.conftest import (  # noqa: F401  (fixtures)
    WEEK,
    assessment_today,
    fixed_today,
    ledger,
    scheme,
    week,
)

pytestmark = pytest.mark.django_db(transaction=True)


def test_ranking_trend_and_the_cases_behind_a_deduction(week, scheme, desktop, login, shot):  # noqa: F811
    d, c = week.ledger.d, week.cases
    login(desktop, "t_handler_a")
    desktop.goto(f"/ranking/?period={WEEK}")
    rows = desktop.locator("table.rank-table tbody tr")
    assert rows.count() == 3
    assert rows.nth(0).inner_text().split()[:4] == ["1", d.bureau.name, "99.50", "A"]
    assert "黑旗" in rows.nth(2).inner_text()
    desktop.locator("#rank-trend canvas").first.wait_for()  # ECharts drew the trend
    shot(desktop, "ranking-desktop")
    desktop.get_by_role("link", name=d.street_a.name).click()
    desktop.wait_for_url(f"**/ranking/units/{d.street_a.pk}/**")
    desktop.get_by_role("link", name="-3.00 分：查看“上级发现问题”涉及的案件").click()
    items = desktop.locator("#cases li")
    items.first.wait_for()
    assert items.count() == 4  # capped at −3, but all four cases behind it are listed
    assert "rule=higher" in desktop.url  # the address follows, so Back and sharing work
    shot(desktop, "ranking-unit-cases")
    desktop.get_by_role("link", name=c["c6"].serial).click()
    desktop.wait_for_url(f"**/cases/{c['c6'].pk}/")


def test_ranking_fits_a_phone(week, scheme, phone, login, shot):  # noqa: F811
    login(phone, "t_commander")
    phone.goto(f"/ranking/?period={WEEK}")
    phone.locator("#rank-trend canvas").first.wait_for()
    assert phone.evaluate("document.documentElement.scrollWidth") <= 360
    shot(phone, "ranking-phone")
    phone.goto(f"/ranking/units/{week.ledger.d.street_a.pk}/?period={WEEK}&rule=higher")
    assert phone.locator("#cases li").count() == 4
    assert phone.evaluate("document.documentElement.scrollWidth") <= 360
    shot(phone, "ranking-unit")
    phone.goto(f"/ranking/?period={WEEK}")
    phone.get_by_label("考核期").fill("2026-W99")
    phone.get_by_role("button", name="查看").click()
    assert phone.locator("#rank-period-error").inner_text().startswith("2026 年只有 53 周")
