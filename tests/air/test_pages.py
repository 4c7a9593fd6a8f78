"""The air pages: ranking, station, calendar, import — scoped (another unit's station is 404), bad input clear."""

from __future__ import annotations

import datetime as dt

import pytest
from django.core.files.uploadedfile import SimpleUploadedFile
from django.test import Client

from gongjian.air.models import HourlyReading
from tests.air.test_exceedances_and_ranking import townships  # noqa: F401  (fixture)


def _client(user) -> Client:
    c = Client()
    c.force_login(user)
    return c


@pytest.fixture
def data(townships):  # noqa: F811
    return townships


def test_anonymous_is_sent_to_login(district, data):
    a, _b = data
    for url in ("/air/", f"/air/stations/{a.pk}/", f"/air/stations/{a.pk}/calendar/"):
        resp = Client().get(url)
        assert resp.status_code == 302 and "/login/" in resp["Location"]


def test_ranking_page_lists_the_townships_in_order_with_chart_data(district, data):
    html = _client(district["admin"]).get("/air/?period=2026-06").content.decode()
    assert "2026年6月" in html
    assert html.index("乙街道") < html.index("甲街道")
    assert "3.06" in html and "6.00" in html
    assert 'id="rank-data"' in html and 'id="rank-chart"' in html
    assert '<label for="air-period">' in html and '<label for="air-method">' in html


def test_ranking_page_is_scoped(district, data):
    html = _client(district["handler_b"]).get("/air/?period=2026-06").content.decode()
    assert "乙街道空气站" in html and "甲街道空气站" not in html


@pytest.mark.parametrize("query", ["period=2026-13", "period=abc", "period=1999", "method=loudest", "period=%00"])
def test_bad_ranking_query_falls_back_with_a_message(district, data, query):
    resp = _client(district["admin"]).get(f"/air/?{query}")
    assert resp.status_code == 200
    assert "无效" in resp.content.decode()


def test_station_page_shows_latest_aqi_and_chart(district, data):
    _a, b = data
    html = _client(district["admin"]).get(f"/air/stations/{b.pk}/?end=2026-06-30&hours=24").content.decode()
    # 2026 hourly: O3 1h 192 → 90; PM2.5 21 → 30 …: AQI 90 良, primary O3_1h
    assert "AQI 90" in html and "良" in html and "O3_1h" in html
    assert 'id="station-data"' in html and 'id="aqi-chart"' in html


def test_station_of_another_unit_is_404(district, data):
    a, _b = data
    c = _client(district["handler_b"])
    for url in (f"/air/stations/{a.pk}/", f"/air/stations/{a.pk}/calendar/", f"/air/stations/{a.pk}/import/"):
        assert c.get(url).status_code == 404


@pytest.mark.parametrize("query", ["hours=5", "end=2026-02-30", "end=abc", "end=2099-01-01"])
def test_bad_station_query_falls_back_with_a_message(district, data, query):
    a, _b = data
    resp = _client(district["admin"]).get(f"/air/stations/{a.pk}/?{query}")
    html = resp.content.decode()
    assert resp.status_code == 200 and ("无效" in html or "超出范围" in html)


def test_calendar_colours_each_day_by_level(district, data):
    _a, b = data
    html = _client(district["admin"]).get(f"/air/stations/{b.pk}/calendar/?year=2026").content.decode()
    # every June day has AQI 130 (轻度污染, #FF7E00)
    assert html.count("AQI 130 轻度污染") == 30
    assert "--aqi:#FF7E00" in html
    assert "轻度污染 <strong>30</strong> 天" in html
    resp = _client(district["admin"]).get(f"/air/stations/{b.pk}/calendar/?year=20x6")
    assert resp.status_code == 200 and "无效" in resp.content.decode()


def test_import_page_for_the_command_post_only(district, data):
    a, _b = data
    assert _client(district["handler_a"]).get(f"/air/stations/{a.pk}/import/").status_code == 403
    c = _client(district["commander"])
    assert c.get(f"/air/stations/{a.pk}/import/").status_code == 200
    f = SimpleUploadedFile("x.csv", "时间,PM2.5(μg/m³)\n2026-07-01 01:00,30\n".encode(), content_type="text/csv")
    resp = c.post(f"/air/stations/{a.pk}/import/", {"file": f, "interval": "hour"})
    assert resp.status_code == 302
    assert HourlyReading.objects.filter(station=a, time__date=dt.date(2026, 6, 30)).exists()  # 01:00 CST = UTC day before
    bad = SimpleUploadedFile("x.csv", "时间,PM2.5\n2026-07-01 02:00,-1\n".encode(), content_type="text/csv")
    resp = c.post(f"/air/stations/{a.pk}/import/", {"file": bad})
    html = resp.content.decode()
    assert resp.status_code == 400 and "第 2 行" in html and "不能为负数" in html
    resp = c.post(f"/air/stations/{a.pk}/import/", {})
    assert resp.status_code == 400 and "请选择" in resp.content.decode()
