"""Browser tests: Playwright's Python package driving Debian's chromium against a live server.

The README's test command installs chromium when it is missing (scripts/test); these tests fail, never
skip, when it cannot be found, so a machine without a browser cannot pass CI by accident.

Fixtures:
* ``desktop`` / ``phone``: a fresh page (own cookies) at 1366x900 or 360x740 (touch, GPS allowed);
* ``login(page, username)``: signs in through the login form;
* ``shot(page, name)``: writes a screenshot to test-artifacts/screenshots/ (not committed).
"""

from __future__ import annotations

import os
import shutil
from pathlib import Path

import pytest

from tests.factories import PASSWORD

# Playwright's sync API runs an event loop in the test thread; the ORM calls the tests make between
# browser steps are still plain synchronous code.
os.environ.setdefault("DJANGO_ALLOW_ASYNC_UNSAFE", "true")

SHOTS = Path(__file__).resolve().parents[2] / "test-artifacts" / "screenshots"
DESKTOP = {"width": 1366, "height": 900}
PHONE = {"width": 360, "height": 740}
# Near 百间房街道 in the demo district; tests that need a point inside a grid set their own.
DEFAULT_GEO = {"longitude": 113.20, "latitude": 35.20}


def chromium_path() -> str:
    for candidate in (os.environ.get("GONGJIAN_CHROMIUM"), shutil.which("chromium"),
                      shutil.which("chromium-browser"), "/usr/bin/chromium"):
        if candidate and Path(candidate).exists():
            return candidate
    pytest.fail("没有找到 chromium：浏览器测试需要 Debian 的 chromium 包（scripts/test 会自动安装；"
                "或设置 GONGJIAN_CHROMIUM 指向浏览器可执行文件）", pytrace=False)


@pytest.fixture(autouse=True)
def _browser_installation_rows(installation_rows):
    """The live server needs a transactional database, whose flush between tests empties every table."""


@pytest.fixture(scope="session")
def browser():
    from playwright.sync_api import sync_playwright

    with sync_playwright() as pw:
        b = pw.chromium.launch(executable_path=chromium_path(), args=["--no-sandbox", "--disable-dev-shm-usage"])
        yield b
        b.close()


def _context(browser, live_server, **kw):
    ctx = browser.new_context(base_url=live_server.url, locale="zh-CN", timezone_id="Asia/Shanghai", **kw)
    ctx.set_default_timeout(15_000)
    return ctx


@pytest.fixture
def desktop(browser, live_server):
    ctx = _context(browser, live_server, viewport=DESKTOP)
    yield ctx.new_page()
    ctx.close()


@pytest.fixture
def phone(browser, live_server):
    ctx = _context(browser, live_server, viewport=PHONE, is_mobile=True, has_touch=True, device_scale_factor=2,
                   geolocation=DEFAULT_GEO, permissions=["geolocation"])
    yield ctx.new_page()
    ctx.close()


@pytest.fixture
def new_page(browser, live_server):
    """Factory for more pages, each its own signed-in person: new_page(phone=False)."""
    contexts = []

    def make(phone: bool = False, geolocation: dict | None = None):
        kw = ({"viewport": PHONE, "is_mobile": True, "has_touch": True, "permissions": ["geolocation"],
               "geolocation": geolocation or DEFAULT_GEO} if phone else {"viewport": DESKTOP})
        ctx = _context(browser, live_server, **kw)
        contexts.append(ctx)
        return ctx.new_page()

    yield make
    for ctx in contexts:
        ctx.close()


@pytest.fixture
def login():
    def do(page, username: str, password: str = PASSWORD):
        page.goto("/login/")
        page.get_by_label("账号").fill(username)
        page.get_by_label("密码").fill(password)
        page.get_by_role("button", name="登录").click()
        page.wait_for_url(lambda url: "/login/" not in url)
        return page

    return do


@pytest.fixture
def shot():
    SHOTS.mkdir(parents=True, exist_ok=True)

    def take(page, name: str):
        width = page.viewport_size["width"] if page.viewport_size else 0
        suffix = "phone" if width and width < 600 else "desktop"
        path = SHOTS / f"{name}-{suffix}.png"
        page.screenshot(path=str(path), full_page=True)
        return path

    return take
