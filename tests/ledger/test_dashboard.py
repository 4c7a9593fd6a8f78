"""The 工作台 dashboard: figures per role from hand-built cases, scoping, links, constant queries."""

from __future__ import annotations

import datetime as dt
from urllib.parse import parse_qs, urlsplit

import pytest
from django.db import connection
from django.test import Client
from django.test.utils import CaptureQueriesContext
from django.utils import timezone

from gongjian.ledger import dashboard, services
from gongjian.ledger.models import Case, Status
from gongjian.org import services as org_services
from tests.ledger.conftest import TODAY, jpeg

pytestmark = pytest.mark.django_db

IN_A = {"lng": 113.205, "lat": 35.205}   # grid of 甲一社区 (甲街道)
IN_B = {"lng": 113.215, "lat": 35.205}   # grid of 乙一社区 (乙街道)


def _client(user) -> Client:
    c = Client()
    c.force_login(user)
    return c


def _at(day: dt.date, hour: int = 9) -> dt.datetime:
    return timezone.make_aware(dt.datetime.combine(day, dt.time(hour)))


def _assigned_b(ledger, **kw):
    d = ledger.d
    case = ledger.report(actor=d["inspector"], **IN_B, **kw)
    case = services.transition(actor=d["commander"], case=case, action="register")
    return services.transition(actor=d["commander"], case=case, action="assign", workdays=3)


def _set_light(case, light: str) -> None:
    """Move the deadline so the case shows ``light`` on TODAY (2026-06-01)."""
    if light == "red":
        Case.objects.filter(pk=case.pk).update(deadline=TODAY - dt.timedelta(days=3),
                                               warn_on=TODAY - dt.timedelta(days=5))
    elif light == "yellow":
        Case.objects.filter(pk=case.pk).update(deadline=TODAY + dt.timedelta(days=2), warn_on=TODAY)


def _close(ledger, case, on_time: bool = True, day: dt.date = TODAY):
    case = services.transition(actor=ledger.d["inspector"], case=case, action="close")
    Case.objects.filter(pk=case.pk).update(closed_at=_at(day, 15), closed_on_time=on_time)
    return case


def _figures(figures) -> dict[str, int]:
    return {f.key: f.n for f in figures}


@pytest.fixture
def world(ledger):
    """甲街道: reported, registered, green, yellow, red, rectifying, submitted, two closed (one late).
    乙街道: one red assigned, one closed. Reported dates spread over the last days."""
    d = ledger.d
    w = {}
    w["reported"] = ledger.report(title="甲 待立案", reported_at=_at(TODAY, 8), **IN_A)
    reg = ledger.report(title="甲 已立案", reported_at=_at(TODAY - dt.timedelta(days=1)), **IN_A)
    w["registered"] = services.transition(actor=d["commander"], case=reg, action="register")
    w["green"] = ledger.assigned(title="甲 绿灯", reported_at=_at(TODAY - dt.timedelta(days=2)))
    w["yellow"] = ledger.assigned(title="甲 黄灯", reported_at=_at(TODAY - dt.timedelta(days=2)))
    _set_light(w["yellow"], "yellow")
    w["red"] = ledger.assigned(title="甲 红灯", reported_at=_at(TODAY - dt.timedelta(days=10)))
    _set_light(w["red"], "red")
    rect = ledger.assigned(title="甲 整改中", reported_at=_at(TODAY - dt.timedelta(days=3)))
    w["rectifying"] = services.transition(actor=d["handler_a"], case=rect, action="accept")
    w["submitted"] = ledger.submitted(title="甲 待核查", reported_at=_at(TODAY - dt.timedelta(days=4)))
    w["closed_a"] = _close(ledger, ledger.submitted(title="甲 已销号", reported_at=_at(TODAY - dt.timedelta(days=5))))
    w["closed_late_a"] = _close(ledger, ledger.submitted(title="甲 逾期销号",
                                                         reported_at=_at(TODAY - dt.timedelta(days=40))),
                                on_time=False, day=TODAY - dt.timedelta(days=1))
    w["red_b"] = _assigned_b(ledger, title="乙 红灯", reported_at=_at(TODAY - dt.timedelta(days=12)))
    _set_light(w["red_b"], "red")
    closed_b = _assigned_b(ledger, title="乙 已销号", reported_at=_at(TODAY))
    closed_b = services.transition(actor=d["handler_b"], case=closed_b, action="accept")
    services.evidence_add(actor=d["handler_b"], case=closed_b, stage="after", upload=jpeg())
    closed_b = services.transition(actor=d["handler_b"], case=closed_b, action="submit")
    w["closed_b"] = _close(ledger, closed_b)
    return w


def test_commander_counts_by_status_and_lights(ledger, world):
    ctx = dashboard.dashboard_context(ledger.d["commander"], TODAY)
    by_status = _figures(ctx["by_status"])
    assert by_status[Status.REPORTED] == 1
    assert by_status[Status.REGISTERED] == 1
    assert by_status[Status.ASSIGNED] == 4          # green, yellow, red in 甲; red in 乙
    assert by_status[Status.RECTIFYING] == 1
    assert by_status[Status.SUBMITTED] == 1
    assert by_status[Status.CLOSED] == 3
    assert ctx["total"].n == 11
    assert ctx["open_count"] == 8
    assert _figures(ctx["lights"]) == {"red": 2, "yellow": 1, "green": 2}  # rectifying is green too


def test_lights_are_named_in_text_not_only_colour(ledger, world):
    html = _client(ledger.d["commander"]).get("/").content.decode()
    for text in ("红灯 · 已超期", "黄灯 · 临近期限", "绿灯 · 期限内"):
        assert text in html


def test_today_new_and_closed_and_the_30_day_trend(ledger, world):
    ctx = dashboard.dashboard_context(ledger.d["commander"], TODAY)
    today = _figures(ctx["today"])
    assert today == {"new": 2, "closed": 2}   # 甲 待立案 and 乙 已销号 reported today; 甲 已销号 and 乙 closed
    trend = ctx["trend"]
    assert len(trend["days"]) == 30 and trend["days"][-1] == "06-01" and trend["days"][0] == "05-03"
    assert trend["reported"][-1] == 2 and trend["reported"][-2] == 1 and trend["reported"][-3] == 2
    assert trend["closed"][-2] == 1             # the late close-out, yesterday
    # reported 40 days ago: outside the window
    assert sum(trend["reported"]) == 10 and sum(trend["closed"]) == 3


def test_progress_table_per_unit(ledger, world):
    rows = {r.label: r for r in dashboard.dashboard_context(ledger.d["commander"], TODAY)["unit_rows"]}
    a, b = rows["甲街道"], rows["乙街道"]
    assert (a.total, a.closed, a.on_time, a.overdue) == (9, 2, 1, 1)
    assert a.on_time_rate == pytest.approx(100 * 1 / 3, abs=0.1)   # 1 on time of 2 closed + 1 overdue
    assert (b.total, b.closed, b.on_time, b.overdue) == (2, 1, 1, 1)
    assert b.on_time_rate == 50.0
    assert "指挥部" not in rows   # holds no cases
    assert rows["城管局"].total == 0 and rows["城管局"].on_time_rate is None


def test_street_handler_sees_only_their_street(ledger, world):
    handler = ledger.d["handler_a"]
    ctx = dashboard.dashboard_context(handler, TODAY)
    assert ctx["total"].n == 9
    assert _figures(ctx["lights"]) == {"red": 1, "yellow": 1, "green": 2}
    assert [r.label for r in ctx["unit_rows"]] == ["甲一社区"]
    html = _client(handler).get("/").content.decode()
    assert "乙 红灯" not in html and "乙街道" not in html
    other = dashboard.dashboard_context(ledger.d["handler_b"], TODAY)
    assert other["total"].n == 2 and _figures(other["lights"])["red"] == 1


def _todo(ctx, key):
    return next(t for t in ctx["todos"] if t.key == key)


def test_todos_follow_the_loop_for_each_role(ledger, world):
    d = ledger.d
    cmd = dashboard.dashboard_context(d["commander"], TODAY)
    assert [c.title for c in _todo(cmd, "register").cases] == ["甲 待立案"]
    assert [c.title for c in _todo(cmd, "assign").cases] == ["甲 已立案"]
    assert _todo(cmd, "close").count == 1

    handler = dashboard.dashboard_context(d["handler_a"], TODAY)
    assert {t.key for t in handler["todos"]} == {"accept", "submit"}
    assert sorted(c.title for c in _todo(handler, "accept").cases) == ["甲 红灯", "甲 绿灯", "甲 黄灯"]
    assert _todo(handler, "accept").cases[0].title == "甲 红灯"   # most urgent first
    assert [c.title for c in _todo(handler, "submit").cases] == ["甲 整改中"]

    other = dashboard.dashboard_context(d["handler_b"], TODAY)
    assert [c.title for c in _todo(other, "accept").cases] == ["乙 红灯"]

    inspector = dashboard.dashboard_context(d["inspector"], TODAY)
    assert [c.title for c in _todo(inspector, "close").cases] == ["甲 待核查"]
    assert {t.key for t in inspector["todos"]} == {"close"}

    grid = dashboard.dashboard_context(d["grid_worker_a"], TODAY)
    assert {t.key for t in grid["todos"]} == {"my_reports"}
    assert _todo(grid, "my_reports").count == 7   # reported by the grid worker and not closed

    viewer = dashboard.dashboard_context(d["viewer_a"], TODAY)
    assert viewer["todos"] == []
    assert "暂无待办" in _client(d["viewer_a"]).get("/").content.decode()


def test_handler_does_not_verify_their_own_units_case(ledger, world):
    # The submitted case is 甲's: 甲's handler has nothing to verify, and an inspector in 甲 neither.
    inspector_a = org_services.user_create(actor=None, username="t_inspector_a", password="x", unit=ledger.d.street_a,
                                           roles=["inspector"], name="甲督查", check_password=False)
    ctx = dashboard.dashboard_context(inspector_a, TODAY)
    assert _todo(ctx, "close").count == 0


def test_leader_sees_their_assigned_units_first(ledger, world):
    d = ledger.d
    # 城管局's leader 分包 乙街道 (factory): a scoped reader, 乙街道 first.
    ctx = dashboard.dashboard_context(d["bureau_leader"], TODAY)
    labels = [r.label for r in ctx["unit_rows"]]
    assert labels[0] == "乙街道" and ctx["unit_rows"][0].is_assigned
    assert "城管局" in labels and "甲街道" not in labels
    assert [c.title for c in _todo(ctx, "leader_overdue").cases] == ["乙 红灯"]
    # A district leader sees every street, the one they 分包 first.
    org_services.leader_assign(actor=None, leader=d["leader"], unit=d.street_b)
    ctx = dashboard.dashboard_context(d["leader"], TODAY)
    assert ctx["unit_rows"][0].label == "乙街道" and ctx["unit_rows"][0].is_assigned
    assert not any(r.is_assigned for r in ctx["unit_rows"][1:])
    html = _client(d["leader"]).get("/").content.decode()
    assert "分包单位排在前面" in html


def _ledger_api_count(client, href: str) -> int:
    query = parse_qs(urlsplit(href).query)
    assert urlsplit(href).path == "/ledger/"
    resp = client.get("/api/ledger/cases", query)
    assert resp.status_code == 200, resp.content
    return resp.json()["count"]


def test_every_count_links_to_the_ledger_filter_that_lists_those_cases(ledger, world):
    for who in ("commander", "handler_a"):
        user = ledger.d[who]
        client = _client(user)
        ctx = dashboard.dashboard_context(user, TODAY)
        for f in [ctx["total"], *ctx["by_status"], *ctx["lights"], *ctx["today"]]:
            assert _ledger_api_count(client, f.href) == f.n, (who, f.key, f.href)
        for r in ctx["unit_rows"]:
            assert _ledger_api_count(client, r.href) == r.total, r.label
            assert _ledger_api_count(client, r.closed_href) == r.closed, r.label
            assert _ledger_api_count(client, r.overdue_href) == r.overdue, r.label
        for t in ctx["todos"]:
            if t.key in ("register", "assign", "accept", "submit", "close"):
                assert _ledger_api_count(client, t.href) >= t.count, t.key


def test_closed_today_links_to_the_cases_closed_today_only(ledger, world):
    ctx = dashboard.dashboard_context(ledger.d["commander"], TODAY)
    closed_today = ctx["today"][1]
    assert closed_today.n == 2  # 甲 已销号 and 乙 已销号; 甲 逾期销号 was closed yesterday
    client = _client(ledger.d["commander"])
    titles = {c["title"] for c in client.get("/api/ledger/cases", parse_qs(urlsplit(closed_today.href).query))
              .json()["results"]}
    assert titles == {"甲 已销号", "乙 已销号"}
    bad = client.get("/api/ledger/cases", {"closed_from": "2026-06-02", "closed_to": "2026-06-01"})
    assert bad.status_code == 400 and bad.json()["error"]["field"] == "closed_to"
    assert "销号日期的结束日期不能早于开始日期" in bad.json()["error"]["message"]


def test_campaign_filter_and_a_bad_campaign_parameter(ledger, world):
    client = _client(ledger.d["commander"])
    resp = client.get("/", {"campaign": ledger.campaign.pk})
    assert resp.status_code == 200 and f"campaign={ledger.campaign.pk}" in resp.content.decode()
    resp = client.get("/", {"campaign": "abc<script>"})
    html = resp.content.decode()
    assert resp.status_code == 200
    assert "专项行动参数“abc&lt;script&gt;”无效" in html and "<script>" not in html.split("</header>")[1].split(
        "<script src")[0]


def test_dashboard_page_renders_for_every_role(ledger, world):
    for who in ("admin", "commander", "inspector", "leader", "bureau_leader", "handler_a", "handler_b",
                "grid_worker_a", "viewer_a"):
        resp = _client(ledger.d[who]).get("/")
        assert resp.status_code == 200, who
        html = resp.content.decode()
        assert "工作台" in html and 'id="dash-trend"' in html and "各单位进度" in html


def test_before_any_campaign_home_shows_who_the_user_is(district):
    html = _client(district["handler_a"]).get("/").content.decode()
    assert "我的信息" in html and "甲街道" in html


def _bulk(ledger, n: int) -> None:
    """n more cases in mixed statuses, written in bulk (the triggers keep the tally)."""
    template = ledger.assigned()
    statuses = [Status.REPORTED, Status.ASSIGNED, Status.RECTIFYING, Status.SUBMITTED, Status.CLOSED]
    rows = []
    top = Case.objects.order_by("-number").first().number
    for i in range(n - 1):
        c = Case.objects.get(pk=template.pk)
        c.pk = None
        c.number = top + i + 1
        c.serial = f"测试整治〔2026〕{c.number:05d}"
        c.status = statuses[i % len(statuses)]
        c.unit = [ledger.d.community_a, ledger.d.community_b][i % 2]
        c.reported_at = _at(TODAY - dt.timedelta(days=i % 20))
        c.closed_at = _at(TODAY - dt.timedelta(days=i % 7)) if c.status == Status.CLOSED else None
        c.closed_on_time = (i % 3 != 0) if c.status == Status.CLOSED else None
        if i % 4 == 0:
            c.deadline, c.warn_on = TODAY - dt.timedelta(days=1), TODAY - dt.timedelta(days=3)
        rows.append(c)
    Case.objects.bulk_create(rows)


def _queries(user) -> int:
    client = _client(user)
    client.get("/")  # warm up (session, content types)
    with CaptureQueriesContext(connection) as ctx:
        assert client.get("/").status_code == 200
    return len(ctx.captured_queries)


@pytest.mark.parametrize("who", ["commander", "handler_a", "bureau_leader", "inspector"])
def test_query_count_does_not_grow_with_cases(ledger, who):
    user = ledger.d[who]
    _bulk(ledger, 5)
    few = _queries(user)
    _bulk(ledger, 60)
    many = _queries(user)
    assert Case.objects.count() == 65
    assert few == many, (few, many)


def test_street_cases_held_by_the_street_itself_get_a_row_of_their_own(ledger, world):
    d = ledger.d
    case = ledger.report(actor=d["inspector"], title="甲街道本级", unit=d.street_a)
    services.transition(actor=d["commander"], case=case, action="register")
    rows = {r.label: r for r in dashboard.dashboard_context(d["handler_a"], TODAY)["unit_rows"]}
    assert rows["甲街道(本级)"].total == 1 and rows["甲一社区"].total == 9
    assert rows["甲街道(本级)"].href == ""   # the ledger's unit filter would list the whole street


def test_to_do_counts_are_capped(ledger, world, monkeypatch):
    monkeypatch.setattr(dashboard, "PENDING_COUNT_CAP", 2)
    ctx = dashboard.dashboard_context(ledger.d["handler_a"], TODAY)
    accept = _todo(ctx, "accept")
    assert accept.capped and accept.shown_count == "2+" and len(accept.cases) == 3
    assert not _todo(ctx, "submit").capped and _todo(ctx, "submit").shown_count == "1"
    assert "2+" in _client(ledger.d["handler_a"]).get("/").content.decode()
