import pytest
from django.test import Client

from gongjian.assessment import selectors
from gongjian.assessment.periods import parse
from tests.assessment.conftest import WEEK


def client_for(user=None) -> Client:
    c = Client()
    if user is not None:
        c.force_login(user)
    return c


def test_anonymous_gets_401(week, scheme):
    assert client_for().get(f"/api/assessment/rankings?period={WEEK}").status_code == 401


def test_every_unit_sees_the_published_table(week, scheme):
    r = client_for(week.ledger.d["handler_a"]).get(f"/api/assessment/rankings?period={WEEK}")
    assert r.status_code == 200
    body = r.json()
    assert (body["period"], body["scheme"], body["version"], body["frozen"]) == (WEEK, "weekly", 1, True)
    assert [(x["rank"], x["score"], x["grade"], x["flag"]) for x in body["rows"]] == [
        (1, "99.50", "A", "red"), (2, "99.00", "A", ""), (3, "88.50", "B", "black")]


def test_breakdown_down_to_the_cases(week, scheme):
    d, c = week.ledger.d, week.cases
    api = client_for(d["handler_a"])
    body = api.get(f"/api/assessment/rankings/units/{d.street_a.pk}?period={WEEK}").json()
    lines = {x["code"]: x for x in body["lines"]}
    assert lines["higher"]["value"] == "-3.00" and lines["higher"]["capped"] is True
    assert body["rates"]["超期待处置率"] == 0.5
    cases = api.get(lines["higher"]["cases"]).json()["cases"]
    # in deadline order: c6 (27 May), c3 (29), c4 (31), c5 (3 June)
    assert [x["id"] for x in cases] == [c["c6"].pk, c["c3"].pk, c["c4"].pk, c["c5"].pk]
    assert cases[0]["url"] == f"/cases/{c['c6'].pk}/"
    false = api.get(lines["false"]["cases"]).json()["cases"]
    assert [x["serial"] for x in false] == [c["c2"].serial]
    assert lines["daily"]["cases"] is None  # a missing-days rule has no case list


@pytest.mark.parametrize("who,unit,status", [
    ("handler_a", "street_a", 200), ("handler_a", "street_b", 404), ("handler_a", "bureau", 404),
    ("viewer_a", "street_a", 200), ("bureau_leader", "street_b", 200), ("bureau_leader", "street_a", 404),
    ("commander", "street_a", 200), ("leader", "bureau", 200)])
def test_breakdown_scope(week, scheme, who, unit, status):
    d = week.ledger.d
    unit_id = getattr(d, unit).pk
    api = client_for(d[who])
    assert api.get(f"/api/assessment/rankings/units/{unit_id}?period={WEEK}").status_code == status
    assert api.get(f"/api/assessment/rankings/units/{unit_id}/rules/higher/cases?period={WEEK}").status_code \
        == status


def test_bad_input_is_400_or_404_never_500(week, scheme):
    api = client_for(week.ledger.d["commander"])
    r = api.get("/api/assessment/rankings?period=2026-W99")
    assert r.status_code == 400 and r.json()["error"]["field"] == "period"
    assert "没有第 99 周" in r.json()["error"]["message"]
    assert api.get(f"/api/assessment/rankings?period={WEEK}&scheme=nope").status_code == 404
    assert api.get(f"/api/assessment/rankings/units/999999?period={WEEK}").status_code == 404
    assert api.get(f"/api/assessment/rankings/units/{week.ledger.d.street_a.pk}/rules/zzz/cases"
                   f"?period={WEEK}").status_code == 404
    # the district itself is visible but not ranked
    assert api.get(f"/api/assessment/rankings/units/{week.ledger.d.root.pk}?period={WEEK}").status_code == 404


def test_leader_ranks_lists_the_units_a_leader_answers_for(week, scheme):
    d = week.ledger.d
    assert selectors.leader_ranks(d["bureau_leader"], parse(WEEK)) == [
        {"unit_id": d.street_b.pk, "unit": d.street_b.name, "rank": 2, "of": 3, "score": "99.00", "grade": "A",
         "flag": "", "rolling_red_flag": False, "period": WEEK}]
    assert selectors.leader_ranks(d["handler_a"], parse(WEEK)) == []  # no 分包


def test_an_indicator_rule_lists_the_cases_of_its_rate(week, scheme):
    """−5 from 超期待处置率 (2 of 4 due cases overdue): the two overdue cases, c3 and c4."""
    d, c = week.ledger.d, week.cases
    api = client_for(d["handler_a"])
    body = api.get(f"/api/assessment/rankings/units/{d.street_a.pk}?period={WEEK}").json()
    overdue = next(x for x in body["lines"] if x["code"] == "overdue")
    assert overdue["value"] == "-5.00"
    assert [x["id"] for x in api.get(overdue["cases"]).json()["cases"]] == [c["c3"].pk, c["c4"].pk]
    daily = next(x for x in body["lines"] if x["code"] == "daily")
    assert daily["cases"] is None and daily["has_cases"] is False  # no cases behind missing days


def test_trend_over_eight_weeks(week, scheme):
    """Weeks 15–20 hold no case and no daily figures: 100 − 2 (missing days, cap 2) = 98 for all. W21: street A's
    c1 was reported by the city on 20 May (−1): 97. W22 as in the ranking."""
    d = week.ledger.d
    weeks, series = selectors.trend(d["commander"], scheme.scheme, parse(WEEK))
    assert weeks == [f"2026-W{n}" for n in range(15, 23)]
    assert series[d.street_a.name] == [98.0] * 6 + [97.0, 88.5]
    assert series[d.street_b.name] == [98.0] * 7 + [99.0]
    assert series[d.bureau.name] == [98.0] * 7 + [99.5]


def test_a_leader_sees_the_ranks_of_their_units_on_the_dashboard(week, scheme):
    d = week.ledger.d
    html = client_for(d["bureau_leader"]).get("/").content.decode()
    section = html.split("分包单位考核排名")[1].split("</section>")[0]
    assert WEEK in section and d.street_b.name in section and "2 / 3" in section
    assert d.street_a.name not in section  # not a unit this leader answers for
    assert "分包单位考核排名" not in client_for(d["handler_a"]).get("/").content.decode()
