"""The closed loop walked in a real browser by real people, each in their own browser context:
a grid worker reports from a phone with a photo and GPS, the commander registers and assigns, the
street's handler accepts and submits with an after-photo, an inspector closes it, and a handler of
another street gets 404 on the case's address."""

from __future__ import annotations

import io
import re

import pytest
from PIL import Image

from gongjian.ledger.models import Case, Status
from tests.ledger.conftest import fixed_today, ledger  # noqa: F401  (fixtures: the campaign; today pinned)

pytestmark = pytest.mark.django_db(transaction=True)

IN_GRID_A = {"longitude": 113.205, "latitude": 35.205}


def photo(name: str, colour=(150, 120, 90)) -> dict:
    buf = io.BytesIO()
    Image.new("RGB", (640, 480), colour).save(buf, "JPEG")
    return {"name": name, "mimeType": "image/jpeg", "buffer": buf.getvalue()}


def status_of(page) -> str:
    return page.get_by_test_id("case-status").inner_text()


def unlabelled(page) -> list[str]:
    """Form fields without a label (every field must have one)."""
    return page.evaluate("""() => Array.from(document.querySelectorAll(
        'input:not([type=hidden]), select, textarea'))
        .filter(e => !(e.labels && e.labels.length) && !e.getAttribute('aria-label'))
        .map(e => e.name || e.id)""")


def timeline_of(page) -> list[str]:
    return page.locator("[data-testid=timeline] li .what").all_inner_texts()


def test_report_assign_rectify_verify_close(ledger, phone, new_page, login, shot):  # noqa: F811
    # 1. 上报: the grid worker on a phone, GPS inside grid A, a photo from the camera input.
    phone.context.set_geolocation(IN_GRID_A)
    login(phone, "t_grid_a")
    phone.goto("/report/")
    # the page asks for the position itself; the point fills the form and shows on the map
    phone.wait_for_function("document.getElementById('r-lng').value !== ''")
    assert phone.locator("#r-lng").input_value() == "113.205000"
    assert phone.locator("#r-lat").input_value() == "35.205000"
    assert phone.locator("#r-map .leaflet-interactive").count() >= 2  # the grid polygons and the point
    phone.get_by_label("问题类别").select_option(label="建筑垃圾")
    phone.get_by_label("问题描述").fill("甲一社区东门外建筑垃圾约5立方米，未覆盖")
    phone.get_by_label("地址").fill("甲一社区东门")
    phone.locator("#r-photos").set_input_files([photo("scene.jpg")])
    assert phone.locator("#r-previews img").count() == 1
    # the camera gives one photo at a time: a second one through "再拍一张"
    with phone.expect_file_chooser() as chooser:
        phone.get_by_role("button", name="再拍一张").click()
    chooser.value.set_files([photo("scene-2.jpg", (110, 110, 110))])
    assert phone.locator("#r-previews img").count() == 2
    assert unlabelled(phone) == []
    # large touch targets on a 360 px screen, and nothing wider than the screen
    for name in ("上报", "使用当前位置(GPS)"):
        box = phone.get_by_role("button", name=name, exact=True).bounding_box()
        assert box["height"] >= 44 and box["width"] >= 44, name
    assert phone.evaluate("document.documentElement.scrollWidth") <= 360
    shot(phone, "report")
    phone.get_by_role("button", name="上报", exact=True).click()
    phone.wait_for_url(re.compile(r"/cases/\d+/$"))
    case = Case.objects.get()
    assert case.unit == ledger.d.community_a and case.grid == ledger.d.grid_a
    assert sorted(case.evidence.filter(stage="before").values_list("original_name", flat=True)) == [
        "scene-2.jpg", "scene.jpg"]
    assert status_of(phone) == "已上报"
    assert phone.get_by_role("status").first.inner_text().startswith(f"已上报 {case.serial}")
    assert timeline_of(phone) == ["上报", "上传材料", "上传材料"]
    before_img = phone.locator("[data-testid=photos-before] img").first
    before_img.wait_for()
    # The photos load lazily: bring it into view and wait for the browser to finish decoding it.
    before_img.scroll_into_view_if_needed()
    phone.wait_for_function("img => img.complete && img.naturalWidth > 0", arg=before_img.element_handle())
    assert phone.evaluate("img => img.naturalWidth", before_img.element_handle()) == 640
    phone.goto("/report/mine/")
    assert phone.get_by_test_id("my-reports").get_by_text("已上报").is_visible()
    shot(phone, "my-reports")
    case_url = f"/cases/{case.pk}/"

    # 2. 立案 and 交办: the commander on a desktop, to the community the grid belongs to, with a deadline.
    commander = new_page()
    login(commander, "t_commander")
    commander.goto(case_url)
    commander.get_by_role("button", name="立案", exact=True).click()
    commander.wait_for_load_state()
    assert status_of(commander) == "已立案"
    assert commander.get_by_label("责任单位").input_value() == str(ledger.d.community_a.pk)
    assert unlabelled(commander) == []
    commander.get_by_label("或 整改期限").fill("2026-06-05")
    shot(commander, "case-assign")
    commander.get_by_role("button", name="交办", exact=True).click()
    commander.wait_for_load_state()
    assert status_of(commander) == "已交办"
    assert commander.get_by_test_id("case-light").inner_text() == "绿灯"
    assert commander.get_by_test_id("workdays-left").inner_text() == "剩余 4 个工作日"
    assert timeline_of(commander)[-2:] == ["立案", "交办"]

    # 3. 签收 and 提交: the street's handler, with an after-photo.
    handler = new_page()
    login(handler, "t_handler_a")
    handler.goto(case_url)
    handler.get_by_role("button", name="签收整改", exact=True).click()
    handler.wait_for_load_state()
    assert status_of(handler) == "整改中"
    handler.get_by_label("整改后照片").set_input_files([photo("after.jpg", (90, 160, 90))])
    handler.get_by_label("整改情况说明").fill("已清运并覆盖")
    assert unlabelled(handler) == []
    shot(handler, "case-rectifying")
    handler.get_by_role("button", name="提交整改", exact=True).click()
    handler.wait_for_load_state()
    assert status_of(handler) == "待核查"
    assert handler.locator("[data-testid=photos-after] img").count() == 1
    assert timeline_of(handler)[-3:] == ["签收整改", "上传材料", "提交整改"]
    # the unit never closes its own case
    assert handler.get_by_role("button", name="核查销号").count() == 0

    # 4. 核查销号: an inspector of the command post.
    inspector = new_page()
    login(inspector, "t_inspector")
    inspector.goto(case_url)
    # by keyboard alone: type the note, Tab to the button, Enter
    inspector.get_by_label("核查意见").fill("现场已核实")
    inspector.keyboard.press("Tab")
    focused = inspector.evaluate("document.activeElement.textContent")
    assert focused == "核查销号"
    with inspector.expect_navigation():
        inspector.keyboard.press("Enter")
    assert status_of(inspector) == "已销号"
    assert timeline_of(inspector)[-1] == "核查销号"
    assert inspector.get_by_text("核查意见：现场已核实").is_visible()
    assert inspector.get_by_test_id("no-moves").is_visible()
    shot(inspector, "case")
    assert Case.objects.get().status == Status.CLOSED

    # The reporter follows it to the end on the phone.
    phone.goto(case_url)
    assert status_of(phone) == "已销号"
    assert phone.evaluate("document.documentElement.scrollWidth") <= 360
    shot(phone, "case")

    # 5. A handler of another street: the case does not exist for them, nor its photos.
    other = new_page()
    login(other, "t_handler_b")
    assert other.goto(case_url).status == 404
    photo_url = phone.locator("[data-testid=photos-before] img").first.get_attribute("src")
    assert other.goto(photo_url).status == 404
