"""Permission matrix: for every resource, anonymous, wrong role, right role, and another unit's object.

API: anonymous 401, wrong role 403, out of scope 404 (never 403: it must not reveal the record exists).
Pages: anonymous is sent to the login page, out of scope is 404.
"""

from __future__ import annotations

import json
from collections.abc import Callable
from dataclasses import dataclass

import pytest
from django.test import Client

from gongjian.core.models import AuditEvent
from gongjian.org import services
from gongjian.org.models import UnitKind
from tests.factories import District, square

pytestmark = pytest.mark.django_db


@dataclass
class Case:
    name: str
    method: str
    url: Callable[[District], str]
    body: Callable[[District], dict] | None = None
    right: str = "admin"            # a role that may do it
    wrong: str | None = None        # a role in scope that may not (403)
    outsider: str | None = None     # a role for whom the object is out of scope (404)
    ok: int = 200


def _grid_body(d):
    return {"code": "API-G1", "name": "接口网格", "unit_id": d.community_b.pk,
            "geometry": square(113.5, 35.5)}


CASES = [
    # units
    Case("units list", "get", lambda d: "/api/org/units", right="handler_a"),
    Case("unit detail", "get", lambda d: f"/api/org/units/{d.street_a.pk}", right="handler_a",
         outsider="handler_b"),
    Case("unit create", "post", lambda d: "/api/org/units",
         lambda d: {"name": "新社区", "kind": UnitKind.COMMUNITY, "parent_id": d.street_a.pk},
         wrong="handler_a", ok=201),
    Case("unit update", "patch", lambda d: f"/api/org/units/{d.street_a.pk}", lambda d: {"order": 5},
         wrong="handler_a", outsider="handler_b"),
    Case("unit move", "post", lambda d: f"/api/org/units/{d.community_a.pk}/move",
         lambda d: {"parent_id": d.street_b.pk}, wrong="handler_a", outsider="handler_b"),
    # people
    Case("me", "get", lambda d: "/api/org/me", right="grid_worker_a"),
    Case("users list", "get", lambda d: "/api/org/users", right="viewer_a"),
    Case("user detail", "get", lambda d: f"/api/org/users/{d['handler_a'].pk}", right="viewer_a",
         outsider="handler_b"),
    Case("user create", "post", lambda d: "/api/org/users",
         lambda d: {"username": "newbie", "password": "Strong-pass-2026", "unit_id": d.street_a.pk,
                    "roles": ["handler"], "name": "新人"}, wrong="handler_a", ok=201),
    Case("user update", "patch", lambda d: f"/api/org/users/{d['grid_worker_a'].pk}",
         lambda d: {"title": "组长"}, wrong="handler_a", outsider="handler_b"),
    # 分包
    Case("leader assignments list", "get", lambda d: "/api/org/leader-assignments", right="viewer_a"),
    Case("leader assign", "post", lambda d: "/api/org/leader-assignments",
         lambda d: {"leader_id": d["leader"].pk, "unit_id": d.street_a.pk}, wrong="commander", ok=201),
    Case("leader unassign", "delete",
         lambda d: f"/api/org/leader-assignments/{d['bureau_leader'].leader_assignments.get().pk}",
         wrong="commander", outsider="handler_a", ok=204),
    # grids
    Case("grids list", "get", lambda d: "/api/org/grids", right="grid_worker_a"),
    Case("grid detail", "get", lambda d: f"/api/org/grids/{d.grid_a.pk}", right="grid_worker_a",
         outsider="handler_b"),
    Case("grid locate", "get", lambda d: "/api/org/grids/locate?lng=113.205&lat=35.205", right="handler_a"),
    Case("grid create", "post", lambda d: "/api/org/grids", _grid_body, right="commander",
         wrong="handler_b", ok=201),
    Case("grid update", "patch", lambda d: f"/api/org/grids/{d.grid_a.pk}", lambda d: {"name": "改名"},
         right="commander", wrong="handler_a", outsider="handler_b"),
    Case("grid delete", "delete", lambda d: f"/api/org/grids/{d.grid_a.pk}", right="commander",
         wrong="handler_a", outsider="handler_b", ok=204),
    # tokens: everyone manages their own; another person's token is out of scope
    Case("tokens list", "get", lambda d: "/api/tokens", right="grid_worker_a"),
    Case("token create", "post", lambda d: "/api/tokens", lambda d: {"name": "手机"}, right="grid_worker_a",
         ok=201),
    # audit
    Case("audit events", "get", lambda d: "/api/audit/events", right="commander", wrong="handler_a"),
    Case("audit verify", "get", lambda d: "/api/audit/verify", right="admin", wrong="viewer_a"),
]


def _call(client: Client, case: Case, d: District):
    kwargs = {}
    if case.body:
        kwargs = {"data": json.dumps(case.body(d)), "content_type": "application/json"}
    return getattr(client, case.method)(case.url(d), **kwargs)


def _as(user) -> Client:
    c = Client()
    c.force_login(user)
    return c


@pytest.mark.parametrize("case", CASES, ids=lambda c: c.name)
def test_anonymous_is_401(district, case):
    resp = _call(Client(), case, district)
    assert resp.status_code == 401, resp.content
    assert resp.json()["error"]["code"] == "unauthenticated"


@pytest.mark.parametrize("case", CASES, ids=lambda c: c.name)
def test_right_role_succeeds(district, case):
    resp = _call(_as(district[case.right]), case, district)
    assert resp.status_code == case.ok, resp.content


@pytest.mark.parametrize("case", [c for c in CASES if c.wrong], ids=lambda c: c.name)
def test_wrong_role_is_403_and_writes_nothing(district, case):
    client = _as(district[case.wrong])  # signing in is itself audited, so count after it
    events = AuditEvent.objects.count()
    resp = _call(client, case, district)
    assert resp.status_code == 403, resp.content
    assert resp.json()["error"]["code"] == "forbidden"
    assert AuditEvent.objects.count() == events


@pytest.mark.parametrize("case", [c for c in CASES if c.outsider], ids=lambda c: c.name)
def test_other_units_object_is_404(district, case):
    client = _as(district[case.outsider])
    events = AuditEvent.objects.count()
    resp = _call(client, case, district)
    assert resp.status_code == 404, resp.content
    assert resp.json()["error"]["code"] == "not_found"
    assert AuditEvent.objects.count() == events


def test_out_of_scope_and_nonexistent_look_the_same(district):
    c = _as(district["handler_b"])
    hidden = c.get(f"/api/org/units/{district.street_a.pk}")
    missing = c.get("/api/org/units/999999")
    assert hidden.status_code == missing.status_code == 404
    assert hidden.json() == missing.json()


def test_someone_elses_token_is_404(district):
    token, _ = services.token_create(actor=None, user=district["handler_a"], name="甲的令牌")
    resp = _as(district["admin"]).delete(f"/api/tokens/{token.pk}")
    assert resp.status_code == 404
    resp = _as(district["handler_a"]).delete(f"/api/tokens/{token.pk}")
    assert resp.status_code == 200 and resp.json()["revoked_at"]


def test_lists_hold_only_what_is_in_scope(district):
    names = {u["name"] for u in _as(district["handler_b"]).get("/api/org/units").json()}
    assert names == {"乙街道", "乙一社区"}
    grids = _as(district["handler_a"]).get("/api/org/grids").json()
    assert [g["code"] for g in grids] == [district.grid_a.code]
    locate = _as(district["handler_b"]).get("/api/org/grids/locate?lng=113.205&lat=35.205").json()
    assert locate == {"found": False, "grid": None}  # a grid out of scope is not revealed


def test_writes_cannot_reach_out_of_scope_units(district):
    # Street B's handler, even as an admin of nothing, cannot name street A's unit in a body.
    resp = _as(district["commander"]).post(
        "/api/org/grids", data=json.dumps(_grid_body(district) | {"unit_id": 999999}),
        content_type="application/json")
    assert resp.status_code == 400
    assert resp.json()["error"]["field"] == "unit_id"


# ------------------------------------------------------------------ bearer tokens and CSRF


def test_bearer_token_authenticates_api_calls(district):
    _token, plain = services.token_create(actor=None, user=district["handler_a"], name="设备")
    c = Client()
    resp = c.get("/api/org/me", HTTP_AUTHORIZATION=f"Bearer {plain}")
    assert resp.status_code == 200 and resp.json()["username"] == "t_handler_a"
    assert c.get("/api/org/me", HTTP_AUTHORIZATION="Bearer gj_wrong").status_code == 401


def test_session_writes_need_csrf(district):
    c = Client(enforce_csrf_checks=True)
    c.force_login(district["handler_a"])
    resp = c.post("/api/tokens", data=json.dumps({"name": "x"}), content_type="application/json")
    assert resp.status_code == 403
    # With the token from the cookie it goes through.
    c.get("/login/")
    page = c.get("/account/tokens/")
    csrf = page.cookies.get("csrftoken") or c.cookies.get("csrftoken")
    resp = c.post("/api/tokens", data=json.dumps({"name": "x"}), content_type="application/json",
                  HTTP_X_CSRFTOKEN=csrf.value)
    assert resp.status_code == 201


# ------------------------------------------------------------------ pages

PAGES = [
    ("home", lambda d: "/", None),
    ("units", lambda d: "/org/units/", None),
    ("unit", lambda d: f"/org/units/{d.street_a.pk}/", "handler_b"),
    ("grids", lambda d: "/org/grids/", None),
    ("locate", lambda d: "/org/grids/locate/?lng=113.205&lat=35.205", None),
    ("tokens", lambda d: "/account/tokens/", None),
    ("audit", lambda d: "/audit/", "handler_a"),
    ("inbox", lambda d: "/inbox/", None),
    ("deliveries", lambda d: "/notify/deliveries/", None),
]


@pytest.mark.parametrize(("name", "url", "outsider"), PAGES, ids=[p[0] for p in PAGES])
def test_pages(district, name, url, outsider):
    anon = Client().get(url(district))
    assert anon.status_code == 302 and anon["Location"].startswith("/login/")
    ok = _as(district["admin"]).get(url(district))
    assert ok.status_code == 200
    if outsider:
        resp = _as(district[outsider]).get(url(district))
        assert resp.status_code == 404
        assert "不存在" in resp.content.decode()


def test_unit_page_shows_members_and_grids(district):
    html = _as(district["handler_a"]).get(f"/org/units/{district.community_a.pk}/").content.decode()
    assert "甲一社区" in html and district.grid_a.code in html and "<svg" in html
    assert "乙街道" not in html


def test_unit_tree_page_is_scoped(district):
    html = _as(district["handler_a"]).get("/org/units/").content.decode()
    assert "甲街道" in html and "甲一社区" in html
    assert "乙街道" not in html and "测试区" not in html


def test_admin_site_is_for_admins_only(district):
    assert _as(district["admin"]).get("/admin/org/unit/").status_code == 200
    resp = _as(district["commander"]).get("/admin/org/unit/")
    assert resp.status_code == 302 and "/admin/login/" in resp["Location"]


def test_audit_events_cannot_be_changed_through_the_admin(district):
    admin = _as(district["admin"])
    event = AuditEvent.objects.first()
    assert admin.get(f"/admin/core/auditevent/{event.pk}/change/").status_code == 200  # viewable
    resp = admin.post(f"/admin/core/auditevent/{event.pk}/change/", {"reason": "改"})
    assert resp.status_code == 403
    resp = admin.post(f"/admin/core/auditevent/{event.pk}/delete/", {"post": "yes"})
    assert resp.status_code == 403
    assert admin.get("/admin/core/auditevent/add/").status_code == 403
    event.refresh_from_db()
    assert event.reason == ""
    # And the API has no write route for events at all.
    assert admin.post("/api/audit/events", data="{}", content_type="application/json").status_code == 405
