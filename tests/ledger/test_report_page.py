"""The phone 上报 page and "my reports": a report with photos and a point lands in the grid's unit;
bad input gets Chinese messages naming the field and stores nothing."""

from __future__ import annotations

import re

import pytest
from django.core.files.uploadedfile import SimpleUploadedFile
from django.test import Client

from gongjian.core.models import AuditEvent
from gongjian.ledger import services
from gongjian.ledger.models import Case, Evidence, Source, Status
from tests.ledger.conftest import jpeg

pytestmark = pytest.mark.django_db


def _client(user) -> Client:
    c = Client()
    c.force_login(user)
    return c


def _form(ledger, **kw) -> dict:
    data = {"campaign": ledger.campaign.pk, "category": ledger.garbage.pk,
            "description": "甲一社区东门外建筑垃圾约5立方米\n未覆盖防尘网", "title": "",
            "lng": "113.205", "lat": "35.205", "address": "甲一社区东门"}
    data.update(kw)
    return {k: v for k, v in data.items() if v is not None}


def _case_events() -> int:
    return AuditEvent.objects.filter(action__startswith="case.").count()


def test_page_has_labelled_fields_camera_input_and_grouped_categories(ledger):
    html = _client(ledger.d["grid_worker_a"]).get("/report/").content.decode()
    for field in ("r-category", "r-description", "r-title", "r-photos", "r-lng", "r-lat", "r-address"):
        assert f'<label for="{field}"' in html, field
    assert re.search(r'<input id="r-photos" name="photos" type="file" accept="image/\*" capture="environment" '
                     r'multiple', html)
    # categories grouped under their parent, the campaign chosen already (the only active one)
    assert '<optgroup label="垃圾围城">' in html and ">建筑垃圾</option>" in html
    assert f'<input type="hidden" name="campaign" value="{ledger.campaign.pk}">' in html
    assert "vendor/leaflet-1.9.4/leaflet.js" in html
    assert 'name="source"' not in html  # grid workers report from their own patrol


def test_report_with_photo_and_point_lands_in_the_grids_unit(ledger):
    worker = ledger.d["grid_worker_a"]
    client = _client(worker)
    resp = client.post("/report/", _form(ledger, photos=[jpeg("scene.jpg"), jpeg("scene2.jpg")]))
    assert resp.status_code == 302
    case = Case.objects.get()
    assert resp["Location"] == f"/cases/{case.pk}/"
    assert case.unit == ledger.d.community_a and case.grid == ledger.d.grid_a
    assert (case.lng, case.lat) == (113.205, 35.205)
    assert case.status == Status.REPORTED and case.reported_by == worker and case.source == Source.SELF_CHECK
    assert case.title == "甲一社区东门外建筑垃圾约5立方米"  # derived from the first line of the description
    assert case.address == "甲一社区东门"
    assert sorted(case.evidence.values_list("stage", "original_name")) == [("before", "scene.jpg"),
                                                                            ("before", "scene2.jpg")]
    page = client.get(resp["Location"]).content.decode()
    assert "已上报" in page and "责任单位：甲一社区" in page


def test_title_given_is_kept_and_long_descriptions_are_cut_for_the_title(ledger):
    client = _client(ledger.d["grid_worker_a"])
    assert client.post("/report/", _form(ledger, title="东门垃圾")).status_code == 302
    assert client.post("/report/", _form(ledger, description="长" * 50)).status_code == 302
    titles = list(Case.objects.order_by("id").values_list("title", flat=True))
    assert titles == ["东门垃圾", "长" * 30 + "…"]


def test_too_long_title_is_named_and_photos_must_be_chosen_again(ledger):
    resp = _client(ledger.d["grid_worker_a"]).post("/report/", _form(ledger, title="长" * 201,
                                                                       photos=[jpeg("scene.jpg")]))
    assert resp.status_code == 400
    html = resp.content.decode()
    assert '<p class="field-error" id="e-title">标题不能超过200字</p>' in html
    assert "请重新选择照片" in html
    assert Case.objects.count() == 0 and Evidence.objects.count() == 0


def test_inspector_says_how_the_problem_was_found(ledger):
    client = _client(ledger.d["inspector"])
    assert 'name="source"' in client.get("/report/").content.decode()
    assert client.post("/report/", _form(ledger, source="night")).status_code == 302
    assert Case.objects.get().source == Source.NIGHT
    resp = client.post("/report/", _form(ledger, source="plan"))
    assert resp.status_code == 400 and "请选择发现方式" in resp.content.decode()


def test_missing_category_and_description_get_chinese_messages(ledger):
    resp = _client(ledger.d["grid_worker_a"]).post("/report/", _form(ledger, category="", description="  "))
    assert resp.status_code == 400
    html = resp.content.decode()
    assert '<p class="field-error" id="e-category">请选择问题类别</p>' in html
    assert '<p class="field-error" id="e-description">请描述发现的问题' in html
    assert 'id="r-category" name="category" required aria-invalid="true"' in html
    assert Case.objects.count() == 0
    # what was typed is kept
    assert 'value="甲一社区东门"' in html


def test_category_of_another_campaign_and_bad_numbers_are_named(ledger):
    other = services.campaign_create(actor=None, name="另一个行动", serial_prefix="另", command_unit=ledger.d.command,
                                     starts_on=ledger.campaign.starts_on, categories=[{"name": "油烟"}])
    client = _client(ledger.d["grid_worker_a"])
    resp = client.post("/report/", _form(ledger, category=other.categories.get().pk))
    assert resp.status_code == 400 and "所选类别不属于专项行动“污染围城集中整治”" in resp.content.decode()
    resp = client.post("/report/", _form(ledger, lng="东经113", lat="35.2"))
    assert resp.status_code == 400 and "经度“东经113”不是数字" in resp.content.decode()
    resp = client.post("/report/", _form(ledger, lng="113.2", lat=""))
    assert resp.status_code == 400 and "经度和纬度必须同时填写" in resp.content.decode()
    resp = client.post("/report/", _form(ledger, lng="213.2", lat="35.2"))
    assert resp.status_code == 400 and "坐标超出范围" in resp.content.decode()
    assert Case.objects.count() == 0


def test_several_campaigns_need_one_chosen(ledger):
    services.campaign_create(actor=None, name="另一个行动", serial_prefix="另", command_unit=ledger.d.command,
                             starts_on=ledger.campaign.starts_on, categories=[{"name": "油烟"}])
    client = _client(ledger.d["grid_worker_a"])
    html = client.get("/report/").content.decode()
    assert '<label for="r-campaign">专项行动</label>' in html and "另一个行动 · 油烟" in html
    resp = client.post("/report/", _form(ledger, campaign=""))
    assert resp.status_code == 400 and "请选择专项行动" in resp.content.decode()
    assert client.post("/report/", _form(ledger)).status_code == 302


def test_bad_image_stores_nothing(ledger):
    bad = SimpleUploadedFile("scene.jpg", b"GIF89a but not really", content_type="image/jpeg")
    events = _case_events()
    resp = _client(ledger.d["grid_worker_a"]).post("/report/", _form(ledger, photos=[jpeg("good.jpg"), bad]))
    assert resp.status_code == 400
    assert '<p class="field-error" id="e-photos">“scene.jpg”不是可识别的图片' in resp.content.decode()
    assert Case.objects.count() == 0 and Evidence.objects.count() == 0 and _case_events() == events


def test_too_many_photos_are_refused(ledger):
    photos = [jpeg(f"p{i}.jpg") for i in range(services.MAX_PHOTOS + 1)]
    resp = _client(ledger.d["grid_worker_a"]).post("/report/", _form(ledger, photos=photos))
    assert resp.status_code == 400 and "一次最多上传 9 张照片" in resp.content.decode()
    assert Case.objects.count() == 0


def test_read_only_account_has_no_report_page(ledger):
    client = _client(ledger.d["viewer_a"])
    assert client.get("/report/").status_code == 404
    assert client.post("/report/", _form(ledger)).status_code == 404
    assert Case.objects.count() == 0


def test_anonymous_is_sent_to_login(ledger):
    for url in ("/report/", "/report/mine/"):
        resp = Client().get(url)
        assert resp.status_code == 302 and "/login/" in resp["Location"]


def test_my_reports_newest_first_only_mine_with_status(ledger):
    worker = ledger.d["grid_worker_a"]
    first = ledger.report(title="第一件")
    second = ledger.assigned(title="第二件")
    ledger.report(actor=ledger.d["inspector"], title="督查员报的", lng=113.205, lat=35.205)
    html = _client(worker).get("/report/mine/").content.decode()
    assert "督查员报的" not in html
    assert html.index("第二件") < html.index("第一件")
    assert f'href="/cases/{second.pk}/"' in html and f'href="/cases/{first.pk}/"' in html
    assert "我的上报（2）" in html
    second_item = html.split(f'href="/cases/{second.pk}/"')[1].split("</li>")[0]
    assert "已交办" in second_item and "绿灯" in second_item


def test_my_reports_empty(ledger):
    html = _client(ledger.d["handler_b"]).get("/report/mine/").content.decode()
    assert "还没有上报过问题" in html
