"""The inspection pages: the scoped list, recording an inspection, its page with the findings (each a
case on the ledger, linked to its case page) and the form that adds one."""

from __future__ import annotations

import datetime as dt

import pytest
from django.core.files.uploadedfile import SimpleUploadedFile
from django.test import Client
from django.urls import reverse
from django.utils import timezone

from gongjian.inspection import services
from gongjian.inspection.models import Finding, Inspection
from gongjian.ledger.models import Case, Evidence, Source
from tests.ledger.conftest import TODAY, jpeg

pytestmark = pytest.mark.django_db
TZ = timezone.get_current_timezone()
LIST = reverse("inspection:list")
NEW = reverse("inspection:new")


def client_for(user=None) -> Client:
    c = Client()
    if user is not None:
        c.force_login(user)
    return c


def night(ledger, actor=None, **kw):
    d = ledger.d
    fields = dict(actor=actor or d["inspector"], kind="night", campaign=ledger.campaign, title="城区夜查第一组",
                  starts_at=dt.datetime.combine(TODAY, dt.time(21), tzinfo=TZ),
                  ends_at=dt.datetime.combine(TODAY, dt.time(23), tzinfo=TZ), lead=d["inspector"],
                  places=["焦辉路渣土场", "丰收路工地"])
    fields.update(kw)
    return services.inspection_create(**fields)


def form(ledger, **kw):
    data = {"kind": "night", "campaign": ledger.campaign.pk, "title": "6月1日夜查", "starts_at": "2026-06-01T21:00",
            "ends_at": "2026-06-01T23:30", "inspectors": [ledger.d["commander"].pk],
            "other_inspectors": "市督导组", "places": "焦辉路渣土场\n\n丰收路工地\n", "summary": "重点检查渣土运输。"}
    data.update(kw)
    return data


# ----------------------------------------------------------------- permission matrix


@pytest.mark.parametrize("url", [LIST, NEW])
def test_anonymous_is_sent_to_login(ledger, url):
    resp = client_for().get(url)
    assert resp.status_code == 302 and resp.url.startswith("/login/")


def test_anonymous_cannot_open_an_inspection(ledger):
    inspection = night(ledger)
    assert client_for().get(reverse("inspection:detail", args=[inspection.pk])).status_code == 302


@pytest.mark.parametrize("who", ["handler_a", "grid_worker_a", "leader", "viewer_a"])
def test_only_inspectors_and_the_command_post_record(ledger, who):
    c = client_for(ledger.d[who])
    assert c.get(NEW).status_code == 403
    assert c.post(NEW, form(ledger)).status_code == 403
    assert "录入督查</a>" not in c.get(LIST).content.decode()
    assert not Inspection.objects.exists()


def test_the_list_is_scoped_and_another_units_inspection_is_not_found(ledger):
    d = ledger.d
    district_wide = night(ledger, title="区督查组夜查")
    own = night(ledger, title="甲街道自查", unit=d.street_a)
    a = client_for(d["handler_a"]).get(LIST).content.decode()
    assert "甲街道自查" in a and "区督查组夜查" not in a
    assert client_for(d["handler_a"]).get(reverse("inspection:detail", args=[district_wide.pk])).status_code == 404
    assert client_for(d["handler_b"]).get(reverse("inspection:detail", args=[own.pk])).status_code == 404
    assert client_for(d["handler_b"]).post(reverse("inspection:finding_new", args=[own.pk]),
                                           {"category": ledger.garbage.pk, "title": "x"}).status_code == 404
    leader = client_for(d["leader"]).get(LIST).content.decode()
    assert "甲街道自查" in leader and "区督查组夜查" in leader


def test_a_leader_reads_an_inspection_but_may_not_add_findings(ledger):
    inspection = night(ledger)
    c = client_for(ledger.d["leader"])
    page = c.get(reverse("inspection:detail", args=[inspection.pk])).content.decode()
    assert "城区夜查第一组" in page and "录入发现的问题" not in page
    resp = c.post(reverse("inspection:finding_new", args=[inspection.pk]),
                  {"category": ledger.garbage.pk, "title": "路边垃圾"})
    assert resp.status_code == 403
    assert not Case.objects.exists()


# ----------------------------------------------------------------- recording


def test_an_inspector_records_an_inspection(ledger):
    d = ledger.d
    resp = client_for(d["inspector"]).post(NEW, form(ledger))
    inspection = Inspection.objects.get()
    assert resp.status_code == 302 and resp.url == reverse("inspection:detail", args=[inspection.pk])
    assert inspection.kind == "night" and inspection.lead == d["inspector"]
    assert inspection.place_list() == ["焦辉路渣土场", "丰收路工地"]
    assert set(inspection.inspectors.all()) == {d["inspector"], d["commander"]}
    assert timezone.localtime(inspection.starts_at).hour == 21
    page = client_for(d["inspector"]).get(resp.url).content.decode()
    assert "6月1日夜查" in page and "焦辉路渣土场" in page and "市督导组" in page


@pytest.mark.parametrize(("change", "message"), [
    ({"title": "  "}, "督查名称不能为空"),
    ({"kind": "picnic"}, "督查类型“picnic”无效"),
    ({"starts_at": "昨晚"}, "开始时间“昨晚”无效"),
    ({"ends_at": ""}, "请填写结束时间"),
    ({"ends_at": "2026-06-01T20:00"}, "早于开始时间"),
    ({"campaign": "999999"}, "请选择专项行动"),
    ({"inspectors": ["999999"]}, "督查人员中有不存在或已停用的账号"),
])
def test_bad_input_is_explained_and_nothing_is_stored(ledger, change, message):
    resp = client_for(ledger.d["inspector"]).post(NEW, form(ledger, **change))
    assert resp.status_code == 400
    assert message in resp.content.decode()
    assert not Inspection.objects.exists()


def test_every_field_of_the_form_is_labelled(ledger):
    html = client_for(ledger.d["inspector"]).get(NEW).content.decode()
    for field_id in ("n-kind", "n-campaign", "n-title", "n-starts", "n-ends", "n-inspectors", "n-others",
                     "n-places", "n-summary"):
        assert f'<label for="{field_id}">' in html and f'id="{field_id}"' in html


# ----------------------------------------------------------------- findings


def test_a_finding_becomes_a_case_linked_from_the_inspection_page(ledger):
    d = ledger.d
    inspection = night(ledger)
    c = client_for(d["inspector"])
    resp = c.post(reverse("inspection:finding_new", args=[inspection.pk]), {
        "category": ledger.dust.pk, "title": "渣土车未密闭", "description": "车厢未覆盖", "place": "丰收路工地",
        "lng": "113.205", "lat": "35.205", "photos": [jpeg("a.jpg"), jpeg("b.jpg")]})
    assert resp.status_code == 302
    finding = Finding.objects.get()
    case = finding.case
    assert case.source == Source.NIGHT and case.unit == d.community_a and case.title == "渣土车未密闭"
    assert Evidence.objects.filter(case=case, stage="before").count() == 2
    page = c.get(reverse("inspection:detail", args=[inspection.pk])).content.decode()
    assert f'<a href="{reverse("ledger:case", args=[case.pk])}">{case.serial}</a>' in page
    assert "丰收路工地" in page


@pytest.mark.parametrize(("change", "message"), [
    ({"category": ""}, "请选择问题类别"),
    ({"title": ""}, "标题"),
    ({"lng": "东经113"}, "经度“东经113”不是数字"),
    ({"lng": "113.2", "lat": ""}, "经度和纬度要同时填写"),
    ({"lat": "91"}, "纬度应在"),
])
def test_a_bad_finding_is_explained_and_no_case_is_made(ledger, change, message):
    inspection = night(ledger)
    data = {"category": ledger.garbage.pk, "title": "路边垃圾", "lng": "113.205", "lat": "35.205"}
    data.update(change)
    resp = client_for(ledger.d["inspector"]).post(reverse("inspection:finding_new", args=[inspection.pk]), data)
    assert resp.status_code == 400
    assert message in resp.content.decode()
    assert not Case.objects.exists() and not Finding.objects.exists()


def test_a_bad_photo_leaves_no_case_and_no_file(ledger, settings, tmp_path):
    settings.MEDIA_ROOT = tmp_path
    inspection = night(ledger)
    fake = SimpleUploadedFile("fake.jpg", b"not a picture", content_type="image/jpeg")
    resp = client_for(ledger.d["inspector"]).post(reverse("inspection:finding_new", args=[inspection.pk]), {
        "category": ledger.garbage.pk, "title": "路边垃圾", "photos": [jpeg("good.jpg"), fake]})
    assert resp.status_code == 400
    assert "fake.jpg" in resp.content.decode()
    assert not Case.objects.exists() and not Evidence.objects.exists()
    assert [p for p in tmp_path.rglob("*") if p.is_file()] == []


def test_the_list_filters_by_kind_and_names_an_unknown_one(ledger):
    night(ledger, title="夜查渣土运输")
    night(ledger, title="扬尘专项督查", kind="daily")
    c = client_for(ledger.d["inspector"])
    html = c.get(LIST, {"kind": "night"}).content.decode()
    assert "夜查渣土运输" in html and "扬尘专项督查" not in html
    html = c.get(LIST, {"kind": "picnic"}).content.decode()
    assert "类型“picnic”无效，已显示全部督查" in html and "扬尘专项督查" in html
