"""Daily figures over HTTP: submit, replace, list, missing units, extraction; errors in the one format."""

from __future__ import annotations

import json

import pytest
from django.test import Client

from tests.ledger.conftest import TODAY

pytestmark = pytest.mark.django_db


def _as(user) -> Client:
    c = Client()
    c.force_login(user)
    return c


def _post(client, url, body):
    return client.post(url, data=json.dumps(body), content_type="application/json")


def test_submit_list_and_missing(ledger):
    d = ledger.d
    client = _as(d["handler_a"])
    body = {"unit_id": d.street_a.pk, "date": str(TODAY), "text": "出动120人次",
            "figures": [{"metric": "personnel", "value": 120}, {"metric": "garbage", "value": 35.5, "approx": True}]}
    r = _post(client, "/api/daily/reports", body)
    assert r.status_code == 201, r.content
    assert {f["metric"]: f["value"] for f in r.json()["figures"]} == {"personnel": "120.00", "garbage": "35.50"}
    body["figures"] = [{"metric": "personnel", "value": 130}]
    assert _post(client, "/api/daily/reports", body).json()["revision"] == 1
    listed = _as(d["commander"]).get("/api/daily/reports", {"date": str(TODAY)}).json()
    assert [(x["unit_name"], len(x["figures"])) for x in listed] == [("甲街道", 1)]
    assert _as(d["handler_b"]).get("/api/daily/reports", {"date": str(TODAY)}).json() == []
    missing = {u["name"] for u in _as(d["commander"]).get("/api/daily/missing", {"date": str(TODAY)}).json()}
    assert "乙街道" in missing and "甲街道" not in missing


def test_errors_name_the_field(ledger):
    d = ledger.d
    client = _as(d["handler_a"])
    r = _post(client, "/api/daily/reports", {"unit_id": d.street_a.pk, "date": str(TODAY),
                                             "figures": [{"metric": "garbage", "value": 1e9}]})
    assert r.status_code == 400
    assert r.json()["error"]["field"] == "figures[0].value" and "单日上限" in r.json()["error"]["message"]
    r = _post(client, "/api/daily/reports", {"unit_id": d.street_b.pk, "date": str(TODAY),
                                             "figures": [{"metric": "garbage", "value": 1}]})
    assert r.status_code == 400 and r.json()["error"]["field"] == "unit_id"  # not in scope: as if unknown
    r = _post(client, "/api/daily/reports", {"unit_id": d.street_a.pk, "date": "2026-02-30", "figures": []})
    assert r.status_code == 400 and r.json()["error"]["field"] == "date"
    assert Client().get("/api/daily/metrics").status_code == 401


def test_extract_over_http(ledger):
    r = _post(_as(ledger.d["handler_a"]), "/api/daily/extract", {"text": "累计出动500余人次,车辆40余车次"})
    assert [(x["metric"], x["value"], x["approx"]) for x in r.json()] == [("personnel", 500, True),
                                                                          ("vehicles", 40, True)]
