"""The ledger over HTTP: report, every move (409 when illegal), uploads, filters, scoping."""

from __future__ import annotations

import datetime as dt
import json

import pytest
from django.core.files.uploadedfile import SimpleUploadedFile
from django.test import Client

from gongjian.core import audit
from gongjian.ledger import services
from gongjian.ledger.models import Case, Status
from tests.ledger.conftest import TODAY, jpeg

pytestmark = pytest.mark.django_db


def _as(user) -> Client:
    c = Client()
    c.force_login(user)
    return c


def _post(client, url, body=None):
    return client.post(url, data=json.dumps(body or {}), content_type="application/json")


def test_the_loop_over_http(ledger):
    d = ledger.d
    worker, commander, handler, inspector = (_as(d[k]) for k in ("grid_worker_a", "commander", "handler_a",
                                                                 "inspector"))
    resp = _post(worker, "/api/ledger/cases", {"campaign_id": ledger.campaign.pk, "category_id": ledger.garbage.pk,
                                               "title": "小区门口建筑垃圾", "source": "district_inspection",
                                               "lng": 113.205, "lat": 35.205, "address": "甲一社区东门"})
    assert resp.status_code == 201, resp.content
    case_id = resp.json()["id"]
    assert resp.json()["unit_id"] == d.community_a.pk
    url = f"/api/ledger/cases/{case_id}"
    assert _post(commander, f"{url}/transitions/register").status_code == 200
    resp = _post(commander, f"{url}/transitions/assign", {"workdays": 3})
    assert resp.status_code == 200 and resp.json()["deadline"] == "2026-06-04"
    assert resp.json()["light"] == "green" and resp.json()["workdays_left"] == 3
    # The handler's page offers exactly the moves the handler may make.
    moves = {m["action"] for m in handler.get(url).json()["moves"]}
    assert moves == {"accept", "return"}
    assert _post(handler, f"{url}/transitions/accept").status_code == 200
    # Submitting without an after-photo: a clear 400.
    resp = _post(handler, f"{url}/transitions/submit")
    assert resp.status_code == 400 and resp.json()["error"]["field"] == "evidence"
    resp = handler.post(f"{url}/evidence", {"stage": "after", "file": jpeg("after.jpg")})
    assert resp.status_code == 201, resp.content
    assert handler.get(resp.json()["url"]).status_code == 200
    assert _post(handler, f"{url}/transitions/submit").status_code == 200
    resp = _post(inspector, f"{url}/transitions/close")
    assert resp.status_code == 200 and resp.json()["status"] == Status.CLOSED
    assert [t["action"] for t in resp.json()["timeline"]][-1] == "case.close"
    assert audit.verify().ok


def test_illegal_move_is_409_and_changes_nothing(ledger):
    case = ledger.assigned()
    resp = _post(_as(ledger.d["inspector"]), f"/api/ledger/cases/{case.pk}/transitions/close")
    assert resp.status_code == 409
    assert resp.json()["error"]["code"] == "conflict" and "已交办" in resp.json()["error"]["message"]
    assert Case.objects.get(pk=case.pk).status == Status.ASSIGNED


def test_wrong_role_is_403_other_street_is_404(ledger):
    case = ledger.assigned()
    resp = _post(_as(ledger.d["viewer_a"]), f"/api/ledger/cases/{case.pk}/transitions/accept")
    assert resp.status_code == 403
    other = _as(ledger.d["handler_b"])
    assert other.get(f"/api/ledger/cases/{case.pk}").status_code == 404
    assert _post(other, f"/api/ledger/cases/{case.pk}/transitions/accept").status_code == 404
    assert Case.objects.get(pk=case.pk).status == Status.ASSIGNED


def test_a_photo_that_is_not_an_image_is_refused(ledger):
    case = services.transition(actor=ledger.d["handler_a"], case=ledger.assigned(), action="accept")
    fake = SimpleUploadedFile("after.jpg", b"MZ\x90\x00 this is an exe", content_type="image/jpeg")
    resp = _as(ledger.d["handler_a"]).post(f"/api/ledger/cases/{case.pk}/evidence", {"stage": "after", "file": fake})
    assert resp.status_code == 400 and "不是可识别的图片" in resp.json()["error"]["message"]
    assert not case.evidence.exists()


def test_an_oversized_upload_is_refused(ledger, monkeypatch):
    from gongjian.ledger import evidence

    monkeypatch.setattr(evidence, "MAX_BYTES", 1000)
    case = services.transition(actor=ledger.d["handler_a"], case=ledger.assigned(), action="accept")
    resp = _as(ledger.d["handler_a"]).post(f"/api/ledger/cases/{case.pk}/evidence",
                                           {"stage": "after", "file": jpeg(size=(800, 600))})
    assert resp.status_code == 400 and "过大" in resp.json()["error"]["message"]


def test_exif_time_and_gps_are_kept(ledger):
    from PIL import Image

    exif = Image.Exif()
    exif[0x0132] = "2026:05:30 09:15:00"
    gps = {1: "N", 2: (35.0, 12.0, 18.0), 3: "E", 4: (113.0, 12.0, 36.0)}
    exif[0x8825] = gps
    case = services.transition(actor=ledger.d["handler_a"], case=ledger.assigned(), action="accept")
    ev = services.evidence_add(actor=ledger.d["handler_a"], case=case, stage="before", upload=jpeg(exif=exif))
    assert ev.is_image and ev.width == 64
    assert ev.taken_at is not None and ev.taken_at.year == 2026 and ev.taken_at.hour == 9
    assert ev.lat == pytest.approx(35.205, abs=1e-6) and ev.lng == pytest.approx(113.21, abs=1e-6)


def test_ledger_filters_counts_and_light(ledger, fixed_today):
    d = ledger.d
    a = ledger.assigned(title="甲：绿灯")
    b = ledger.assigned(title="乙：红灯")
    Case.objects.filter(pk=b.pk).update(deadline=TODAY - dt.timedelta(days=3))
    c = ledger.assigned(title="丙：黄灯")
    Case.objects.filter(pk=c.pk).update(warn_on=TODAY)
    ledger.report(title="丁：未立案")
    client = _as(d["commander"])
    page = client.get("/api/ledger/cases", {"campaign": ledger.campaign.pk}).json()
    assert page["count"] == 4 and page["counts"]["assigned"] == 3 and page["counts"]["reported"] == 1
    lights = {r["title"]: r["light"] for r in page["results"]}
    assert lights == {"甲：绿灯": "green", "乙：红灯": "red", "丙：黄灯": "yellow", "丁：未立案": None}
    for light, title in (("red", "乙：红灯"), ("yellow", "丙：黄灯"), ("green", "甲：绿灯")):
        rows = client.get("/api/ledger/cases", {"light": light}).json()["results"]
        assert [r["title"] for r in rows] == [title]
    assert client.get("/api/ledger/cases", {"q": "黄灯"}).json()["count"] == 1
    assert client.get("/api/ledger/cases", {"status": ["reported"]}).json()["count"] == 1
    assert client.get("/api/ledger/cases", {"unit": d.street_b.pk}).json()["count"] == 0
    assert client.get("/api/ledger/cases", {"deadline_to": str(TODAY)}).json()["count"] == 1
    page2 = client.get("/api/ledger/cases", {"page_size": 2, "page": 2, "order": "serial"}).json()
    assert [r["serial"] for r in page2["results"]] == sorted(r["serial"] for r in page["results"])[2:4]
    assert client.get("/api/ledger/cases", {"light": "purple"}).status_code == 400
    # Red case: deadline Friday 29 May, today Monday 1 June: one working day overdue.
    assert client.get(f"/api/ledger/cases/{b.pk}").json()["workdays_left"] == -1
    # Another street's handler sees none of street A's cases.
    assert _as(d["handler_b"]).get("/api/ledger/cases").json()["count"] == 0
    assert {r["id"] for r in _as(d["handler_a"]).get("/api/ledger/cases").json()["results"]} >= {a.pk, b.pk, c.pk}


def test_extension_over_http(ledger):
    case = ledger.assigned()
    resp = _post(_as(ledger.d["handler_a"]), f"/api/ledger/cases/{case.pk}/extensions",
                 {"requested_deadline": "2026-06-10", "reason": "设备检修"})
    assert resp.status_code == 201
    ext = resp.json()["id"]
    assert _post(_as(ledger.d["handler_a"]), f"/api/ledger/extensions/{ext}/decide", {"approve": True}).status_code == 403
    resp = _post(_as(ledger.d["commander"]), f"/api/ledger/extensions/{ext}/decide", {"approve": True})
    assert resp.status_code == 200 and resp.json()["status"] == "approved"
    assert Case.objects.get(pk=case.pk).deadline == dt.date(2026, 6, 10)


def test_campaign_creation_is_for_the_command_post(ledger):
    body = {"name": "扬尘治理", "serial_prefix": "扬尘", "command_unit_id": ledger.d.command.pk,
            "starts_on": "2026-06-01", "categories": [{"name": "工地扬尘", "default_workdays": 2}],
            "escalation": [{"level": 1, "overdue_workdays": 0}]}
    assert _post(_as(ledger.d["handler_a"]), "/api/ledger/campaigns", body).status_code == 403
    resp = _post(_as(ledger.d["commander"]), "/api/ledger/campaigns", body)
    assert resp.status_code == 201 and resp.json()["categories"][0]["default_workdays"] == 2


# Each move through HTTP: (action, a status it starts from, who makes it, body)
API_MOVES = [
    ("register", Status.REPORTED, "commander", {}),
    ("reject", Status.REPORTED, "commander", {"reason": "重复上报"}),
    ("assign", Status.REGISTERED, "commander", {"workdays": 2}),
    ("accept", Status.ASSIGNED, "handler_a", {}),
    ("return", Status.ASSIGNED, "handler_a", {"reason": "不属于本单位"}),
    ("submit", Status.RECTIFYING, "handler_a", {}),
    ("close", Status.SUBMITTED, "inspector", {}),
    ("rework", Status.SUBMITTED, "inspector", {"reason": "未整改到位"}),
    ("hang", Status.RECTIFYING, "commander", {"plan": "分期拆除", "review_on": "2026-08-01"}),
    ("resume", Status.LONG_TERM, "commander", {}),
]


def _case_at(ledger, status):
    case = ledger.report(lng=113.205, lat=35.205)
    Case.objects.filter(pk=case.pk).update(status=status, assigned_on=TODAY, deadline=dt.date(2026, 6, 5),
                                           warn_on=dt.date(2026, 6, 4))
    case = Case.objects.get(pk=case.pk)
    services.evidence_add(actor=None, case=case, stage="after", upload=jpeg())
    return case


@pytest.mark.parametrize(("action", "status", "who", "body"), API_MOVES, ids=[m[0] for m in API_MOVES])
def test_each_move_over_http_allowed_then_refused(ledger, action, status, who, body):
    from gongjian.ledger.flows import MOVES

    case = _case_at(ledger, status)
    client = _as(ledger.d[who])
    resp = _post(client, f"/api/ledger/cases/{case.pk}/transitions/{action}", body)
    assert resp.status_code == 200, resp.content
    assert Case.objects.get(pk=case.pk).status == MOVES[action].target
    # The same move again, now from the status it led to, is refused unless the table allows it.
    after = Case.objects.get(pk=case.pk).status
    again = _post(client, f"/api/ledger/cases/{case.pk}/transitions/{action}", body)
    if after in MOVES[action].sources:
        pytest.fail(f"{action} is repeatable from {after}")
    assert again.status_code == 409, again.content
    assert Case.objects.get(pk=case.pk).status == after


def test_a_200_mb_upload_is_refused_before_it_is_read(ledger):
    case = services.transition(actor=ledger.d["handler_a"], case=ledger.assigned(), action="accept")
    resp = _as(ledger.d["handler_a"]).post(f"/api/ledger/cases/{case.pk}/evidence",
                                           {"stage": "after", "file": jpeg()}, CONTENT_LENGTH=str(200 * 1024 * 1024))
    assert resp.status_code == 413
    assert "过大" in resp.json()["error"]["message"]
    assert not case.evidence.filter(stage="after").exists()


def test_serial_order_is_numeric_not_textual(ledger):
    first = ledger.report(title="第一件")
    Case.objects.filter(pk=first.pk).update(number=9999, serial=f"测试整治〔{first.year}〕9999")
    second = ledger.report(title="第二件")
    Case.objects.filter(pk=second.pk).update(number=10000, serial=f"测试整治〔{first.year}〕10000")
    rows = _as(ledger.d["commander"]).get("/api/ledger/cases", {"order": "serial"}).json()["results"]
    assert [r["title"] for r in rows] == ["第一件", "第二件"]
