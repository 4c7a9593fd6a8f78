"""The site shell in a real browser: the phone menu by keyboard, no sideways scrolling at 360 px on the
main pages, the language switch, and screenshots of home, admin and the organisation page."""

from __future__ import annotations

import datetime as dt

import pytest
from django.conf import settings
from django.urls import reverse

from gongjian.ledger import services as ledger_services
from gongjian.ledger.models import Source

pytestmark = pytest.mark.django_db(transaction=True)

# (URL name, argument, who) for the phone-width check: every main page.
CANDIDATES = [
    ("login", None, None),
    ("home", None, "t_commander"),
    ("org:units", None, "t_commander"),
    ("org:unit", "unit", "t_commander"),
    ("org:grids", None, "t_commander"),
    ("tokens", None, "t_handler_a"),
    ("audit", None, "t_admin"),
    ("ledger:case", "case", "t_commander"),
    ("ledger:list", None, "t_commander"),
    ("ledger:report", None, "t_grid_a"),
    ("ledger:map", None, "t_commander"),
    ("reporting:daily", None, "t_handler_a"),
    ("reporting:overview", None, "t_commander"),
    ("reporting:documents", None, "t_commander"),
    ("inspection:list", None, "t_inspector"),
    ("inspection:new", None, "t_inspector"),
    ("assessment:ranking", None, "t_commander"),
    ("air:ranking", None, "t_commander"),
    ("gateway:status", None, "t_commander"),
    ("jobs:status", None, "t_commander"),
    ("notify:inbox", None, "t_handler_a"),
    ("notify:deliveries", None, "t_commander"),
]


PAGES = CANDIDATES


def _case(district):
    campaign = ledger_services.campaign_create(
        actor=None, name="版式检查专项", serial_prefix="版式", command_unit=district.command,
        starts_on=dt.date(2026, 5, 1), categories=[{"name": "垃圾围城", "default_workdays": 3}])
    case = ledger_services.case_report(
        actor=district["grid_worker_a"], campaign=campaign, category=campaign.categories.get(),
        title="路边垃圾堆放，占用人行道约二十米，附近居民多次反映", source=Source.DISTRICT_INSPECTION,
        lng=113.205, lat=35.205, description="现场有建筑垃圾和生活垃圾混堆。" * 10)
    return case


def test_phone_menu_opens_and_closes_with_the_keyboard(district, phone, login, shot):
    login(phone, "t_commander")
    phone.goto("/")
    toggle = phone.locator("button.menu-toggle")
    nav_link = phone.get_by_role("navigation").get_by_role("link", name="组织机构")
    assert toggle.is_visible() and not nav_link.is_visible()
    shot(phone, "home")
    # Tab from the top of the page: the skip link, the site name, then the menu button.
    phone.keyboard.press("Tab")
    assert phone.evaluate("document.activeElement.className") == "skip-link"
    phone.keyboard.press("Tab")
    phone.keyboard.press("Tab")
    assert phone.evaluate("document.activeElement.classList.contains('menu-toggle')")
    phone.keyboard.press("Enter")
    assert toggle.get_attribute("aria-expanded") == "true"
    assert nav_link.is_visible()
    shot(phone, "home-menu")
    # The next Tab goes into the menu; Escape closes it and gives the focus back to the button.
    phone.keyboard.press("Tab")
    assert phone.evaluate("document.activeElement.closest('#site-menu') !== null")
    phone.keyboard.press("Escape")
    assert toggle.get_attribute("aria-expanded") == "false" and not nav_link.is_visible()
    assert phone.evaluate("document.activeElement.classList.contains('menu-toggle')")
    # And the menu works by touch too: tapping a link in it navigates.
    toggle.tap()
    nav_link.tap()
    phone.wait_for_url("**/org/units/")


def test_the_skip_link_moves_the_focus_to_the_content(district, desktop, login):
    login(desktop, "t_commander")
    desktop.goto("/")
    desktop.keyboard.press("Tab")
    assert desktop.locator(".skip-link").is_visible()
    desktop.keyboard.press("Enter")
    assert desktop.evaluate("document.activeElement.id") == "main"


def test_desktop_shows_the_nav_without_a_menu_button(district, desktop, login, shot):
    login(desktop, "t_commander")
    desktop.goto("/")
    assert not desktop.locator("button.menu-toggle").is_visible()
    assert desktop.get_by_role("navigation").get_by_role("link", name="组织机构").is_visible()
    shot(desktop, "home")


@pytest.mark.parametrize("lang", ["zh-hans", "en"])
def test_no_page_scrolls_sideways_on_a_360px_phone(district, new_page, login, shot, monkeypatch, live_server, lang):
    """Chinese (the default) and English, whose longer words must still fit the phone."""
    monkeypatch.setattr(ledger_services, "today", lambda: dt.date(2026, 6, 1))
    case = _case(district)
    args = {"unit": district.street_a.pk, "case": case.pk}
    too_wide = {}
    pages = {}
    for name, arg, who in PAGES:
        page = pages.get(who)
        if page is None:
            page = pages[who] = new_page(phone=True)
            if who:
                login(page, who)
            if lang != "zh-hans":  # the header's language switch sets this cookie
                page.context.add_cookies([{"name": settings.LANGUAGE_COOKIE_NAME, "value": lang,
                                           "url": live_server.url}])
        url = reverse(name, args=[args[arg]] if arg else [])
        resp = page.goto(url)
        assert resp.status == 200, url
        assert page.locator("html").get_attribute("lang") == lang, url
        width = page.evaluate("document.documentElement.scrollWidth")
        if width > 360:
            too_wide[url] = width
        prefix = "layout-" if lang == "zh-hans" else f"layout-{lang}-"
        if name == "org:units" and lang == "zh-hans":
            shot(page, "org")
        else:
            shot(page, prefix + name.replace(":", "-"))
    assert too_wide == {}


def test_language_switch_turns_the_header_english_and_back(district, desktop, login, shot):
    login(desktop, "t_commander")
    desktop.goto("/org/units/")
    header = desktop.locator("header.top")
    assert "工作台" in header.inner_text()
    desktop.get_by_role("button", name="English").click()
    desktop.wait_for_url("**/org/units/")
    assert desktop.locator("html").get_attribute("lang") == "en"
    text = header.inner_text()
    assert "Home" in text and "Organisation" in text and "Sign out" in text and "工作台" not in text
    assert desktop.get_by_role("heading", level=1).inner_text() == "Organisation"
    shot(desktop, "org-english")
    desktop.get_by_role("button", name="中文").click()
    desktop.wait_for_url("**/org/units/")
    assert desktop.locator("html").get_attribute("lang") == "zh-hans"
    assert "工作台" in header.inner_text() and "退出" in header.inner_text()


def test_admin_in_chinese(district, desktop, login, shot):
    login(desktop, "t_admin")
    desktop.goto("/admin/")
    assert desktop.locator("#site-name").inner_text() == "攻坚指挥平台 后台管理"
    assert desktop.get_by_role("link", name="专项行动").first.is_visible()
    shot(desktop, "admin")


def test_print_leaves_out_the_header_and_buttons(district, desktop, login):
    login(desktop, "t_commander")
    desktop.goto("/account/tokens/")
    desktop.emulate_media(media="print")
    assert not desktop.locator("header.top").is_visible()
    assert not desktop.get_by_role("button", name="签发新令牌").is_visible()
    assert desktop.get_by_role("heading", name="API 令牌").is_visible()
    desktop.emulate_media(media="screen")
    assert desktop.locator("header.top").is_visible()


def test_favicon_is_served(district, desktop):
    desktop.goto("/login/")
    href = desktop.locator("link[rel=icon][type='image/svg+xml']").get_attribute("href")
    resp = desktop.request.get(href)
    assert resp.status == 200 and "<svg" in resp.text()
