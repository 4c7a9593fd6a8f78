"""挂图作战: the JSON feeds are scoped, filtered, capped, converted for GCJ-02, and refuse bad filters."""

from __future__ import annotations

import datetime as dt

import pytest
from django.test import Client

from gongjian.ledger import services
from gongjian.ledger.models import Case
from gongjian.org.models import Grid
from gongjian.standards.coords import wgs84_to_gcj02
from tests.ledger.conftest import TODAY

pytestmark = pytest.mark.django_db

IN_A = {"lng": 113.205, "lat": 35.205}
IN_B = {"lng": 113.215, "lat": 35.205}


def _client(user) -> Client:
    c = Client()
    c.force_login(user)
    return c


@pytest.fixture
def cases(ledger):
    d = ledger.d
    red = ledger.assigned(title="甲 超期")
    Case.objects.filter(pk=red.pk).update(deadline=TODAY - dt.timedelta(days=2), warn_on=TODAY - dt.timedelta(days=4))
    green = ledger.assigned(title="甲 期限内")
    reported = ledger.report(title="甲 建筑垃圾", category=ledger.garbage.children.get(), **IN_A)
    dust = ledger.report(title="甲 扬尘", category=ledger.dust, **IN_A)
    no_point = ledger.report(title="甲 无坐标", unit=d.community_a)
    b = ledger.report(actor=d["inspector"], title="乙 垃圾", **IN_B)
    return {"red": red, "green": green, "reported": reported, "dust": dust, "no_point": no_point, "b": b}


def _titles(resp) -> set[str]:
    assert resp.status_code == 200, resp.content
    return {c["title"] for c in resp.json()["cases"]}


def test_points_are_scoped_to_the_reader(ledger, cases):
    d = ledger.d
    assert _titles(_client(d["commander"]).get("/map/cases.json")) == {
        "甲 超期", "甲 期限内", "甲 建筑垃圾", "甲 扬尘", "乙 垃圾"}   # no point, no marker
    assert _titles(_client(d["handler_a"]).get("/map/cases.json")) == {"甲 超期", "甲 期限内", "甲 建筑垃圾", "甲 扬尘"}
    assert _titles(_client(d["handler_b"]).get("/map/cases.json")) == {"乙 垃圾"}
    grids = _client(d["handler_b"]).get("/map/grids.json").json()
    assert [f["properties"]["code"] for f in grids["features"]] == [d.grid_b.code]
    stored = Grid.objects.get(pk=d.grid_b.pk).geometry
    assert grids["features"][0]["geometry"] == stored   # blank base: WGS-84 as stored


def test_each_point_carries_light_status_and_the_case_page(ledger, cases):
    body = _client(ledger.d["commander"]).get("/map/cases.json").json()
    assert body["base"] == "blank" and body["capped"] is False and body["count"] == 5
    by_title = {c["title"]: c for c in body["cases"]}
    red = by_title["甲 超期"]
    assert (red["light"], red["light_label"], red["status_label"]) == ("red", "红灯", "已交办")
    assert red["url"] == f"/cases/{cases['red'].pk}/"
    assert (red["lng"], red["lat"]) == (113.205, 35.205)
    assert by_title["甲 期限内"]["light"] == "green"
    assert by_title["甲 扬尘"]["light"] is None and by_title["甲 扬尘"]["light_label"] == "无"
    assert _client(ledger.d["commander"]).get(red["url"]).status_code == 200


def test_filters_status_light_category_campaign(ledger, cases):
    client = _client(ledger.d["commander"])
    assert _titles(client.get("/map/cases.json", {"light": "red"})) == {"甲 超期"}
    assert _titles(client.get("/map/cases.json", {"light": "green"})) == {"甲 期限内"}
    assert _titles(client.get("/map/cases.json", {"status": "reported"})) == {"甲 建筑垃圾", "甲 扬尘", "乙 垃圾"}
    assert _titles(client.get("/map/cases.json", {"status": ["reported", "assigned"], "light": "red"})) == {"甲 超期"}
    # a parent category takes its children
    assert "甲 建筑垃圾" in _titles(client.get("/map/cases.json", {"category": ledger.garbage.pk}))
    assert _titles(client.get("/map/cases.json", {"category": ledger.dust.pk})) == {"甲 扬尘"}
    assert len(_titles(client.get("/map/cases.json", {"campaign": ledger.campaign.pk}))) == 5


@pytest.mark.parametrize("params,field,text", [
    ({"light": "purple"}, "light", "亮灯“purple”无效"),
    ({"status": "done"}, "status", "状态“done”无效"),
    ({"campaign": "abc"}, "campaign", "专项行动参数“abc”应为编号"),
    ({"campaign": "99999"}, "campaign", "找不到专项行动 99999"),
    ({"category": "-1"}, "category", "类别参数“-1”应为编号"),
    ({"category": "99999"}, "category", "找不到类别 99999"),
])
def test_bad_filter_is_400_with_a_chinese_message(ledger, cases, params, field, text):
    resp = _client(ledger.d["commander"]).get("/map/cases.json", params)
    assert resp.status_code == 400
    error = resp.json()["error"]
    assert error["field"] == field and text in error["message"]


def test_category_of_another_campaign_is_refused(ledger, cases):
    other = services.campaign_create(actor=None, name="另一行动", serial_prefix="另一", command_unit=ledger.d.command,
                                     starts_on=TODAY, categories=[{"name": "油烟"}])
    resp = _client(ledger.d["commander"]).get("/map/cases.json", {"campaign": ledger.campaign.pk,
                                                                 "category": other.categories.get().pk})
    assert resp.status_code == 400 and resp.json()["error"]["field"] == "category"


def test_points_are_capped_and_the_answer_says_so(ledger, cases, settings):
    settings.GONGJIAN_MAP_MAX_POINTS = 2
    body = _client(ledger.d["commander"]).get("/map/cases.json").json()
    assert body["capped"] is True and body["count"] == 2 and len(body["cases"]) == 2
    assert "只显示前 2 个" in body["message"]
    settings.GONGJIAN_MAP_MAX_POINTS = 5
    body = _client(ledger.d["commander"]).get("/map/cases.json").json()
    assert body["capped"] is False and body["count"] == 5


def test_gaode_base_gets_gcj02_positions(ledger, cases, settings):
    settings.GONGJIAN_MAP_BASE = "gaode"
    client = _client(ledger.d["commander"])
    body = client.get("/map/cases.json", {"light": "red"}).json()
    point = body["cases"][0]
    lng, lat = wgs84_to_gcj02(113.205, 35.205)
    assert body["base"] == "gaode"
    assert point["lng"] == pytest.approx(lng, abs=1e-7) and point["lat"] == pytest.approx(lat, abs=1e-7)
    assert point["lng"] - 113.205 > 0.004   # hundreds of metres east: really converted
    grid = client.get("/map/grids.json").json()["features"][0]["geometry"]["coordinates"][0][0]
    corner = wgs84_to_gcj02(113.20, 35.20)
    assert grid == [pytest.approx(corner[0], abs=1e-7), pytest.approx(corner[1], abs=1e-7)]
    assert Case.objects.get(pk=cases["red"].pk).lng == 113.205   # stored WGS-84 untouched


def test_map_page_has_labelled_filters_and_a_text_legend(ledger, cases):
    resp = _client(ledger.d["handler_a"]).get("/map/")
    html = resp.content.decode()
    assert resp.status_code == 200
    for field in ("map-campaign", "map-status", "map-light", "map-category"):
        assert f'<label for="{field}">' in html and f'id="{field}"' in html
    for text in ("红灯 · 已超期", "黄灯 · 临近期限", "绿灯 · 期限内", "空白底图"):
        assert text in html
    assert 'data-base="blank"' in html and "tianditu.gov.cn" not in html


def test_anonymous_is_sent_to_login(ledger, cases):
    for url in ("/map/", "/map/cases.json", "/map/grids.json"):
        resp = Client().get(url)
        assert resp.status_code == 302 and "/login/" in resp["Location"]


@pytest.mark.parametrize("env,message", [
    ({"GONGJIAN_MAP_BASE": "google"}, "GONGJIAN_MAP_BASE 应为 blank、tianditu 或 gaode"),
    ({"GONGJIAN_MAP_BASE": "tianditu"}, "需要设置 GONGJIAN_TIANDITU_KEY"),
    ({"GONGJIAN_MAP_MAX_POINTS": "lots"}, "GONGJIAN_MAP_MAX_POINTS 应为正整数"),
    ({"GONGJIAN_MAP_MAX_POINTS": "0"}, "GONGJIAN_MAP_MAX_POINTS 应为正整数"),
    # the other whole-number settings share the check (env.whole_number)
    ({"GONGJIAN_PHOTO_MAX_SIDE": "-1"}, "GONGJIAN_PHOTO_MAX_SIDE 应为非负整数，而不是“-1”"),
    ({"GONGJIAN_EMAIL_PORT": "smtp"}, "GONGJIAN_EMAIL_PORT 应为正整数，而不是“smtp”"),
    ({"GONGJIAN_NOTIFY_MAX_ATTEMPTS": "0"}, "GONGJIAN_NOTIFY_MAX_ATTEMPTS 应为正整数"),
])
def test_map_settings_refuse_bad_values_naming_the_variable(tmp_path, env, message):
    import os
    import subprocess
    import sys

    clean = {k: v for k, v in os.environ.items() if not k.startswith("GONGJIAN_MAP") and k != "GONGJIAN_TIANDITU_KEY"}
    result = subprocess.run([sys.executable, "-c", "import gongjian.config.settings"], capture_output=True, text=True,
                            env={**clean, "GONGJIAN_HOME": str(tmp_path), **env}, timeout=60)
    assert result.returncode != 0 and message in result.stderr


def test_map_settings_accept_tianditu_with_a_key(tmp_path):
    import os
    import subprocess
    import sys

    code = ("from gongjian.config import settings as s; "
            "print(s.GONGJIAN_MAP_BASE, s.GONGJIAN_TIANDITU_KEY, s.GONGJIAN_MAP_MAX_POINTS)")
    result = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, timeout=60,
                            env={**os.environ, "GONGJIAN_HOME": str(tmp_path), "GONGJIAN_MAP_BASE": "TianDiTu",
                                 "GONGJIAN_TIANDITU_KEY": "abc123", "GONGJIAN_MAP_MAX_POINTS": "800"})
    assert result.stdout.split() == ["tianditu", "abc123", "800"], result.stderr


def test_tianditu_base_hands_the_key_to_the_page_and_leaves_positions_alone(ledger, cases, settings):
    settings.GONGJIAN_MAP_BASE, settings.GONGJIAN_TIANDITU_KEY = "tianditu", "tk-123"
    client = _client(ledger.d["commander"])
    html = client.get("/map/").content.decode()
    assert 'data-base="tianditu"' in html and 'data-tianditu-key="tk-123"' in html and "天地图" in html
    point = client.get("/map/cases.json", {"light": "red"}).json()["cases"][0]
    assert (point["lng"], point["lat"]) == (113.205, 35.205)   # CGCS2000 is WGS-84 for display
