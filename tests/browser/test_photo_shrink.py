"""Evidence photos are shrunk in the browser before upload (static/gongjian/photos.js), on a 360 px phone:
a camera-sized JPEG arrives with its longest side at GONGJIAN_PHOTO_MAX_SIDE (2560), smaller than it left
the camera, upright, with its EXIF capture time and GPS; a small JPEG and a PNG arrive byte for byte."""

from __future__ import annotations

import hashlib
import io
import re

import pytest
from PIL import ExifTags, Image, ImageOps

from gongjian.ledger import services
from gongjian.ledger.evidence import read_exif
from gongjian.ledger.models import Case, Evidence
from tests.ledger.conftest import fixed_today, ledger  # noqa: F401  (fixtures: the campaign; today pinned)

pytestmark = pytest.mark.django_db(transaction=True)

IN_GRID_A = {"longitude": 113.205, "latitude": 35.205}
TAKEN = "2026:05:30 09:15:42"


def camera_jpeg(size=(4032, 3024), *, orientation: int | None = 1, upright: Image.Image | None = None) -> bytes:
    """A phone camera's JPEG: textured noise (a few MB at 12 megapixels), EXIF capture time, GPS and
    orientation. ``upright`` is stored turned so that Orientation 6 shows it upright."""
    if upright is not None:
        img = upright.transpose(Image.Transpose.ROTATE_90)  # turned left; Orientation 6 turns it right
    else:
        w, h = size
        low = Image.merge("RGB", [Image.effect_noise((w // 16, h // 16), 64) for _ in range(3)])
        img = Image.blend(low.resize(size, Image.Resampling.BICUBIC),
                          Image.effect_noise(size, 30).convert("RGB"), 0.2)
    exif = Image.Exif()
    exif[ExifTags.Base.Make] = "Camera"
    if orientation is not None:
        exif[ExifTags.Base.Orientation] = orientation
    sub = exif.get_ifd(ExifTags.IFD.Exif)
    sub[ExifTags.Base.DateTimeOriginal] = TAKEN
    sub[ExifTags.Base.ExifImageWidth], sub[ExifTags.Base.ExifImageHeight] = img.size
    gps = exif.get_ifd(ExifTags.IFD.GPSInfo)
    gps[ExifTags.GPS.GPSLatitudeRef], gps[ExifTags.GPS.GPSLatitude] = "N", (35.0, 12.0, 18.36)
    gps[ExifTags.GPS.GPSLongitudeRef], gps[ExifTags.GPS.GPSLongitude] = "E", (113.0, 12.0, 25.5)
    buf = io.BytesIO()
    img.save(buf, "JPEG", quality=90, exif=exif)
    return buf.getvalue()


def portrait() -> Image.Image:
    """3024x4032 as seen: red at the top, blue at the bottom, texture between."""
    img = Image.merge("RGB", [Image.effect_noise((189, 252), 50) for _ in range(3)]).resize((3024, 4032))
    img.paste((220, 20, 20), (0, 0, 3024, 600))
    img.paste((20, 20, 220), (0, 3432, 3024, 4032))
    return img


def upload(name: str, data: bytes, mime: str = "image/jpeg") -> dict:
    return {"name": name, "mimeType": mime, "buffer": data}


def plain(size, fmt: str) -> bytes:
    buf = io.BytesIO()
    Image.new("RGB", size, (90, 140, 200)).save(buf, fmt)
    return buf.getvalue()


def sha(data: bytes) -> str:
    return hashlib.sha256(data).hexdigest()


def stored(evidence: Evidence) -> bytes:
    with evidence.file.open("rb") as fh:
        return fh.read()


def exif_of(data: bytes) -> tuple:
    with Image.open(io.BytesIO(data)) as img:
        return read_exif(img)


# Records the submit button's state and the status text at each change of the form, from before the
# photos are chosen, so a processing step too quick to catch by polling is still seen.
WATCH = """form => {
  window.seen = [];
  const button = form.querySelector('button[type=submit], button:not([type])');
  const note = () => window.seen.push([button.disabled, (form.querySelector('.photo-status') || {}).textContent]);
  new MutationObserver(note).observe(form, {subtree: true, childList: true, characterData: true,
                                           attributes: true, attributeFilter: ['disabled', 'aria-busy']});
}"""


def wait_done(page, form) -> list:
    page.wait_for_function("form => !form.hasAttribute('aria-busy')", arg=form.element_handle())
    return page.evaluate("window.seen")


def assert_shrunk(evidence: Evidence, original: bytes, size=(2560, 1920)):
    data = stored(evidence)
    assert evidence.sha256 == sha(data) != sha(original)
    assert len(data) < len(original)
    assert data[:2] == b"\xff\xd8" and data[2:4] == b"\xff\xe1" and data[6:12] == b"Exif\0\0"  # EXIF first
    with Image.open(io.BytesIO(data)) as img:
        assert img.format == "JPEG" and img.size == size
        exif = img.getexif()
        assert exif.get(ExifTags.Base.Orientation, 1) == 1
        sub = exif.get_ifd(ExifTags.IFD.Exif)
        assert (sub[ExifTags.Base.ExifImageWidth], sub[ExifTags.Base.ExifImageHeight]) == size
    assert (evidence.width, evidence.height) == size
    taken_at, lng, lat = exif_of(original)
    assert taken_at is not None and lng == pytest.approx(113.2070833) and lat == pytest.approx(35.2051)
    assert (evidence.taken_at, evidence.lng, evidence.lat) == (taken_at, lng, lat)
    assert exif_of(data) == (taken_at, lng, lat)
    return data


def test_case_submit_sends_a_camera_photo_reduced_with_its_time_and_place(ledger, phone, login, shot):  # noqa: F811
    case = ledger.assigned()
    services.transition(actor=ledger.d["handler_a"], case=case, action="accept")
    big = camera_jpeg()
    assert len(big) > 3_000_000

    login(phone, ledger.d["handler_a"].username)
    phone.goto(f"/cases/{case.pk}/")
    form = phone.get_by_test_id("move-submit")
    photos = phone.get_by_label("整改后照片")
    assert photos.get_attribute("data-shrink") == "2560"
    phone.evaluate(WATCH, form.element_handle())
    photos.set_input_files([upload("after.jpg", big)])
    shot(phone, "case-compressing")
    seen = wait_done(phone, form)
    assert [True, "正在压缩照片…"] in seen  # the button was off while it worked, and it said so
    assert seen[-1] == [False, ""]
    assert form.get_by_role("status").inner_text() == ""
    assert phone.evaluate("input => input.files[0].size", photos.element_handle()) < len(big)
    phone.get_by_label("整改情况说明").fill("已清运并覆盖")
    phone.get_by_role("button", name="提交整改", exact=True).click()
    phone.wait_for_load_state()
    assert phone.get_by_test_id("case-status").inner_text() == "待核查"

    (after,) = Evidence.objects.filter(case=case, stage="after")
    assert after.original_name == "after.jpg" and after.content_type == "image/jpeg"
    assert_shrunk(after, big)
    assert phone.evaluate("document.documentElement.scrollWidth") <= 360


def test_report_shrinks_only_big_jpegs_and_turns_them_upright(ledger, phone, login, shot):  # noqa: F811
    big = camera_jpeg()
    small = plain((800, 600), "JPEG")
    png = plain((3000, 2800), "PNG")  # above the limit, but not a JPEG
    upright = portrait()
    sideways = camera_jpeg(orientation=6, upright=upright)
    with Image.open(io.BytesIO(sideways)) as img:  # the photo as made: stored turned, shown upright
        assert img.size == (4032, 3024)
        assert ImageOps.exif_transpose(img).getpixel((1512, 100))[0] > 150

    phone.context.set_geolocation(IN_GRID_A)
    login(phone, ledger.d["grid_worker_a"].username)
    phone.goto("/report/")
    phone.wait_for_function("document.getElementById('r-lng').value !== ''")
    phone.get_by_label("问题类别").select_option(label="建筑垃圾")
    phone.get_by_label("问题描述").fill("路口东侧建筑垃圾约5立方米，未覆盖")
    form = phone.locator("form.report-form")
    phone.evaluate(WATCH, form.element_handle())
    phone.locator("#r-photos").set_input_files(
        [upload("scene.jpg", big), upload("small.jpg", small), upload("plan.png", png, "image/png")])
    shot(phone, "report-compressing")
    seen = wait_done(phone, form)
    assert [True, "正在压缩照片…"] in seen and seen[-1] == [False, ""]
    assert phone.locator("#r-previews img").count() == 3
    # the second input "再拍一张" adds is shrunk too
    with phone.expect_file_chooser() as chooser:
        phone.get_by_role("button", name="再拍一张").click()
    extra = phone.locator("input.extra-photo")
    assert extra.get_attribute("data-shrink") == "2560"
    phone.evaluate(WATCH, form.element_handle())
    chooser.value.set_files([upload("portrait.jpg", sideways)])
    assert [True, "正在压缩照片…"] in wait_done(phone, form)
    assert phone.locator("#r-previews img").count() == 4
    phone.get_by_role("button", name="上报", exact=True).click()
    phone.wait_for_url(re.compile(r"/cases/\d+/$"))

    case = Case.objects.get()
    by_name = {e.original_name: e for e in case.evidence.filter(stage="before")}
    assert sorted(by_name) == ["plan.png", "portrait.jpg", "scene.jpg", "small.jpg"]
    assert_shrunk(by_name["scene.jpg"], big)
    # within the limit, or not a JPEG: the very same bytes
    assert by_name["small.jpg"].sha256 == sha(stored(by_name["small.jpg"])) == sha(small)
    assert by_name["plan.png"].sha256 == sha(stored(by_name["plan.png"])) == sha(png)
    assert (by_name["plan.png"].width, by_name["plan.png"].height) == (3000, 2800)
    # the sideways photo is stored upright, marked so: red at the top, blue at the bottom
    data = assert_shrunk(by_name["portrait.jpg"], sideways, size=(1920, 2560))
    with Image.open(io.BytesIO(data)) as img:
        top, bottom = img.convert("RGB").getpixel((960, 100)), img.convert("RGB").getpixel((960, 2500))
    assert top[0] > 150 and top[2] < 100 and bottom[2] > 150 and bottom[0] < 100


def test_an_inspection_finding_sends_a_camera_photo_reduced(ledger, desktop, login):  # noqa: F811
    import datetime as dt

    from django.utils import timezone

    from gongjian.inspection import services as inspections
    from gongjian.inspection.models import Finding
    from tests.ledger.conftest import TODAY

    d = ledger.d
    tz = timezone.get_current_timezone()
    inspection = inspections.inspection_create(
        actor=d["inspector"], kind="night", campaign=ledger.campaign, title="城区夜查第一组",
        starts_at=dt.datetime.combine(TODAY, dt.time(21), tzinfo=tz),
        ends_at=dt.datetime.combine(TODAY, dt.time(23), tzinfo=tz), lead=d["inspector"], places=["丰收路工地"])
    big = camera_jpeg()
    login(desktop, d["inspector"].username)
    desktop.goto(f"/inspections/{inspection.pk}/")
    form = desktop.locator("#add-finding form")
    desktop.get_by_label("问题类别").select_option(value=str(ledger.dust.pk))
    desktop.get_by_label("问题标题").fill("渣土车未密闭")
    desktop.get_by_label("经度(可不填)").fill("113.205")
    desktop.get_by_label("纬度(可不填)").fill("35.205")
    desktop.evaluate(WATCH, form.element_handle())
    desktop.locator("#f-photos").set_input_files([upload("night.jpg", big)])
    seen = wait_done(desktop, form)
    assert [True, "正在压缩照片…"] in seen and seen[-1] == [False, ""]
    desktop.get_by_role("button", name="录入问题").click()
    desktop.wait_for_load_state()

    (evidence,) = Evidence.objects.filter(case=Finding.objects.get().case, stage="before")
    assert_shrunk(evidence, big)
