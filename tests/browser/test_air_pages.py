"""Air pages in a real browser: the ranking chart and the station's AQI chart draw, the calendar is coloured,
and nothing scrolls sideways on a 360 px phone."""

from __future__ import annotations

import pytest

from gongjian.air import services
from gongjian.air.models import StationKind
from tests.air.test_exceedances_and_ranking import A, B, month_of

pytestmark = pytest.mark.django_db(transaction=True)


@pytest.fixture
def stations(district):
    a = services.station_create(actor=None, mn="TOWN00000A", password="x", name="甲街道空气站",
                                kind=StationKind.TOWNSHIP, unit=district.street_a)
    b = services.station_create(actor=None, mn="TOWN00000B", password="x", name="乙街道空气站",
                                kind=StationKind.TOWNSHIP, unit=district.street_b)
    month_of(a, A)
    month_of(b, B)
    return a, b


def test_ranking_chart_and_table(stations, desktop, login, shot):
    login(desktop, "t_commander")
    desktop.goto("/air/?period=2026-06")
    desktop.wait_for_selector("#rank-chart canvas")
    rows = desktop.locator("table.air-table").first.locator("tbody tr")
    assert rows.count() == 2
    assert rows.nth(0).locator("th").inner_text().startswith("乙街道")
    desktop.get_by_label("排名方法").select_option("good_days")
    desktop.get_by_role("button", name="查看").click()
    desktop.wait_for_url("**method=good_days**")
    assert desktop.locator("table.air-table").first.locator("tbody tr").nth(0).locator("th").inner_text().startswith("甲街道")
    shot(desktop, "air-ranking")


def test_station_page_draws_the_aqi_chart_with_its_band(stations, desktop, login, shot):
    _a, b = stations
    login(desktop, "t_commander")
    desktop.goto(f"/air/stations/{b.pk}/?end=2026-06-30&hours=72")
    desktop.wait_for_selector("#aqi-chart canvas")
    desktop.wait_for_selector("#conc-chart canvas")
    assert "AQI 90" in desktop.locator(".air-latest").inner_text()
    shot(desktop, "air-station")
    desktop.get_by_role("link", name="日历(每日 AQI)").click()
    desktop.wait_for_url("**/calendar/**")
    assert desktop.locator("td.aqi-day").count() == 30
    shot(desktop, "air-calendar")


def test_air_pages_fit_a_360px_phone(stations, phone, login, shot):
    _a, b = stations
    login(phone, "t_commander")
    for url, name in (("/air/?period=2026-06", "air-ranking"), (f"/air/stations/{b.pk}/?end=2026-06-30", "air-station"),
                      (f"/air/stations/{b.pk}/calendar/?year=2026", "air-calendar"),
                      (f"/air/stations/{b.pk}/import/", "air-import")):
        phone.goto(url)
        width = phone.evaluate("document.documentElement.scrollWidth")
        assert width <= 360, f"{url} is {width}px wide"
        shot(phone, name)
