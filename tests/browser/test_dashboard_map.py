"""工作台 and 挂图作战 in a real browser: the chart draws, markers appear, a popup opens the case page."""

from __future__ import annotations

import datetime as dt

import pytest
from django.utils import timezone

from gongjian.ledger import services
from gongjian.ledger.models import Case
from tests.ledger.conftest import TODAY, fixed_today, jpeg, ledger  # noqa: F401 (fixtures)

pytestmark = pytest.mark.django_db(transaction=True)


def _at(day: dt.date, hour: int = 10) -> dt.datetime:
    return timezone.make_aware(dt.datetime.combine(day, dt.time(hour)))


@pytest.fixture
def cases(ledger):  # noqa: F811
    """Five cases at distinct points in 甲一社区's grid over the last two weeks: one overdue, one
    closed, one waiting for verification, three to accept."""
    d = ledger.d
    made = []
    for i, (title, days_ago) in enumerate([("河堤垃圾堆放", 12), ("工地裸土未覆盖", 8), ("废品站占道", 5),
                                           ("饭店油烟直排", 3), ("建筑垃圾乱倒", 0)]):
        c = ledger.report(title=title, lng=113.202 + 0.0015 * i, lat=35.203 + 0.001 * i,
                          reported_at=_at(TODAY - dt.timedelta(days=days_ago)))
        c = services.transition(actor=d["commander"], case=c, action="register")
        made.append(services.transition(actor=d["commander"], case=c, action="assign", workdays=3))
    Case.objects.filter(pk=made[0].pk).update(deadline=TODAY - dt.timedelta(days=2),
                                              warn_on=TODAY - dt.timedelta(days=4))
    for c in made[1:3]:
        c = services.transition(actor=d["handler_a"], case=c, action="accept")
        services.evidence_add(actor=d["handler_a"], case=c, stage="after", upload=jpeg())
        services.transition(actor=d["handler_a"], case=c, action="submit")
    services.transition(actor=d["inspector"], case=made[1], action="close")
    Case.objects.filter(pk=made[1].pk).update(closed_at=_at(TODAY - dt.timedelta(days=1)))
    return made


def _no_horizontal_scroll(page) -> bool:
    return page.evaluate("document.documentElement.scrollWidth <= window.innerWidth + 1")


def _chart_drawn(page) -> bool:
    """The ECharts canvas exists, has a size, and has non-blank pixels."""
    return page.evaluate("""() => {
        const c = document.querySelector('#dash-trend canvas');
        if (!c || c.width < 100 || c.height < 100) return false;
        const data = c.getContext('2d').getImageData(0, 0, c.width, c.height).data;
        let inked = 0;
        for (let i = 3; i < data.length; i += 4) if (data[i] > 0) inked++;
        return inked > 500;
    }""")


def test_dashboard_desktop_and_phone(cases, desktop, phone, login, shot):
    login(desktop, "t_commander")
    desktop.goto("/")
    desktop.wait_for_selector("#dash-trend canvas")
    assert _chart_drawn(desktop)
    assert desktop.locator('[data-light="red"] b').inner_text() == "1"
    assert "红灯 · 已超期" in desktop.locator('[data-light="red"]').inner_text()
    assert desktop.locator('[data-todo="close"] .count').inner_text() == "1"
    shot(desktop, "dashboard")

    login(phone, "t_handler_a")
    phone.goto("/")
    phone.wait_for_selector("#dash-trend canvas")
    assert _chart_drawn(phone)
    assert phone.locator('[data-todo="accept"] li').count() == 3
    assert _no_horizontal_scroll(phone)
    shot(phone, "dashboard")
    # a to-do opens its case page
    phone.locator('[data-todo="accept"] li a').first.click()
    phone.wait_for_url("**/cases/*/")
    assert "测试整治〔2026〕" in phone.locator("h1").inner_text()


def test_map_markers_filters_and_popup_link(cases, desktop, phone, new_page, login, shot):
    login(desktop, "t_commander")
    desktop.goto("/map/")
    markers = desktop.locator("path.gj-case")
    markers.first.wait_for()
    assert markers.count() == 5
    assert desktop.locator("path.gj-light-red").count() == 1
    assert desktop.locator(".leaflet-overlay-pane path").count() == 5 + 2   # and the two grid polygons
    assert "共 5 个点位" in desktop.locator("#map-status-line").inner_text()
    shot(desktop, "map")

    # the same points as keyboard-reachable links
    desktop.locator(".map-list summary").focus()
    desktop.keyboard.press("Enter")
    assert desktop.locator("#map-list li a").count() == 5

    desktop.get_by_label("亮灯").select_option("red")
    desktop.wait_for_function("document.querySelectorAll('path.gj-case').length === 1")
    assert "light=red" in desktop.url
    assert desktop.locator("#map-list li").all_inner_texts() == [f"{cases[0].serial} 河堤垃圾堆放 · 已交办 · 红灯 · 甲一社区"]
    desktop.locator("path.gj-light-red").click()
    link = desktop.locator(".leaflet-popup a.gj-case-link")
    link.wait_for()
    assert "河堤垃圾堆放" in desktop.locator(".leaflet-popup").inner_text()
    link.click()
    desktop.wait_for_url(f"**/cases/{cases[0].pk}/")
    assert "河堤垃圾堆放" in desktop.locator("h1").inner_text()

    login(phone, "t_handler_b")   # another street: no markers of 甲's
    phone.goto("/map/")
    phone.wait_for_function("document.getElementById('map-status-line').textContent.includes('共')")
    assert phone.locator("path.gj-case").count() == 0
    mine = login(new_page(phone=True), "t_handler_a")
    mine.goto("/map/")
    mine.locator("path.gj-case").first.wait_for()
    assert mine.locator("path.gj-case").count() == 5
    assert _no_horizontal_scroll(mine)
    shot(mine, "map")
