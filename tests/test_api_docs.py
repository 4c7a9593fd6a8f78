"""The API documents itself: /api/docs renders and the OpenAPI schema names every router's routes."""

import pytest
from django.test import Client

pytestmark = pytest.mark.django_db


def test_openapi_schema_lists_the_routes():
    schema = Client().get("/api/openapi.json").json()
    paths = schema["paths"]
    for path in ("/api/org/units", "/api/org/grids/locate", "/api/tokens", "/api/audit/verify",
                 "/api/ledger/cases", "/api/ledger/cases/{case_id}/transitions/{action}",
                 "/api/ledger/cases/{case_id}/evidence"):
        assert path in paths, path
    schemes = schema["components"]["securitySchemes"]
    assert schemes["TokenAuth"]["scheme"] == "bearer" and "SessionAuth" in schemes


def test_docs_page_renders():
    resp = Client().get("/api/docs")
    assert resp.status_code == 200 and b"openapi.json" in resp.content


def test_bad_json_body_is_a_400_in_the_one_error_format(district):
    c = Client()
    c.force_login(district["admin"])
    resp = c.post("/api/org/units", data="{not json", content_type="application/json")
    assert resp.status_code == 400
    assert set(resp.json()["error"]) >= {"code", "message"}
    resp = c.post("/api/org/units", data='{"name": "x"}', content_type="application/json")
    assert resp.status_code == 400 and resp.json()["error"]["field"] == "kind"
