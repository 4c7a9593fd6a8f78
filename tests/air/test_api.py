"""The air REST API: scoped like the pages (another unit's station is 404), one error format."""

from __future__ import annotations

import pytest
from django.test import Client

from tests.air.test_exceedances_and_ranking import townships  # noqa: F401  (fixture)


def _client(user) -> Client:
    c = Client()
    c.force_login(user)
    return c


def test_stations_are_scoped(district, townships):  # noqa: F811
    a, b = townships
    got = _client(district["handler_b"]).get("/api/air/stations").json()
    assert [s["id"] for s in got] == [b.pk]
    assert _client(district["handler_b"]).get(f"/api/air/stations/{a.pk}/hourly").status_code == 404
    assert Client().get("/api/air/stations").status_code == 401


def test_hourly_values_and_aqi(district, townships):  # noqa: F811
    _a, b = townships
    got = _client(district["admin"]).get(f"/api/air/stations/{b.pk}/hourly?end=2026-06-30&hours=2").json()
    assert len(got) == 2 and got[-1]["aqi"] == 90 and got[-1]["primary"] == ["O3_1h"]
    assert got[-1]["values"]["PM2.5"] == 21
    resp = _client(district["admin"]).get(f"/api/air/stations/{b.pk}/hourly?hours=0")
    assert resp.status_code == 400 and resp.json()["error"]["field"] == "hours"


def test_ranking(district, townships):  # noqa: F811
    got = _client(district["admin"]).get("/api/air/ranking?year=2026&month=6").json()
    assert [(r["unit_name"], r["rank"], r["composite"]) for r in got] == [("乙街道", 1, 3.06), ("甲街道", 2, 6.0)]
    assert got[0]["yoy"] is None
    assert _client(district["admin"]).get("/api/air/ranking?year=2026&method=x").status_code == 400


@pytest.mark.parametrize(("body", "field"), [
    ({"values": {"PM2.5_24h": -1}}, "PM2.5_24h"),
    ({"values": {"PM25": 1}}, "PM25"),
    ({"values": {"PM2.5_24h": 1}, "standard": "HJ633-1999"}, "values"),
])
def test_aqi_bad_input_is_400_naming_the_field(district, body, field):
    resp = _client(district["admin"]).post("/api/air/aqi", body, content_type="application/json")
    assert resp.status_code == 400 and resp.json()["error"]["field"] == field


def test_aqi_endpoint_matches_the_engine(district):
    resp = _client(district["admin"]).post(
        "/api/air/aqi", {"values": {"SO2_1h": 801, "SO2_24h": 100}, "standard": "HJ633-2012", "report": "hourly"},
        content_type="application/json")
    got = resp.json()
    assert resp.status_code == 200 and got["iaqi"] == {"SO2_1h": None, "SO2_24h": 75} and got["aqi"] == 75
    resp = _client(district["admin"]).post("/api/air/aqi", {"values": {"PM2.5_24h": 75}, "date": "2026-02-28"},
                                           content_type="application/json")
    assert resp.json()["aqi"] == 100 and resp.json()["standard"] == "HJ633-2012"
