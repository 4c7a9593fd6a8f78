import copy
from decimal import Decimal

import pytest

from gongjian.assessment import periods, scoring, services
from gongjian.assessment.models import Ranking, SchemeVersion
from gongjian.core.errors import Forbidden, Invalid
from gongjian.core.models import AuditEvent
from tests.assessment.conftest import SCHEME, WEEK


def _unit(counts=None, rules=None, missing=0):
    base = dict.fromkeys(scoring.COUNTS, 0)
    base.update(counts or {})
    return {"counts": base, "rules": rules or {}, "missing_days": missing}


def _defn(*rules, base=100):
    return scoring.validate({"base": base, "rules": list(rules)})


@pytest.mark.parametrize("n,value,capped", [(0, "0.00", False), (9, "-9.00", False), (10, "-10.00", False),
                                            (11, "-10.00", True), (40, "-10.00", True)])
def test_per_case_deduction_with_cap(n, value, capped):
    d = _defn({"code": "city", "type": "case", "set": "found", "sources": ["city"], "points": -1, "cap": 10})
    total, [line] = scoring.score_unit(d, _unit(rules={"city": n}))
    assert (line.value, line.capped) == (Decimal(value), capped)
    assert total == 100 + Decimal(value)


@pytest.mark.parametrize("n,value", [(1, "0.50"), (10, "5.00"), (11, "5.00")])
def test_per_case_bonus_with_cap(n, value):
    d = _defn({"code": "ok", "type": "case", "set": "closed_on_time", "points": 0.5, "cap": 5})
    assert scoring.score_unit(d, _unit(rules={"ok": n}))[1][0].value == Decimal(value)


def test_weighted_formula_of_the_standard():
    """处置率×30 + 按期处置率×20 + (1−返工率)×20 + (1−超期待处置率)×20 + (1−延期率)×10, base 0.
    due 8, handled 6, on time 4, reworked 1, overdue 2, extended 3:
    0.75×30 + 0.5×20 + 0.875×20 + 0.75×20 + 0.625×10 = 22.5 + 10 + 17.5 + 15 + 6.25 = 71.25."""
    d = _defn({"code": "a", "type": "indicator", "indicator": "disposal_rate", "points": 30},
              {"code": "b", "type": "indicator", "indicator": "disposal_on_time_rate", "points": 20},
              {"code": "c", "type": "indicator", "indicator": "rework_rate", "points": 20, "complement": True},
              {"code": "d", "type": "indicator", "indicator": "overdue_pending_rate", "points": 20,
               "complement": True},
              {"code": "e", "type": "indicator", "indicator": "extension_rate", "points": 10, "complement": True},
              base=0)
    counts = {"due": 8, "handled": 6, "handled_on_time": 4, "reworked": 1, "overdue_pending": 2, "extended": 3}
    total, lines = scoring.score_unit(d, _unit(counts))
    assert [str(line.value) for line in lines] == ["22.50", "10.00", "17.50", "15.00", "6.25"]
    assert total == Decimal("71.25")
    # nothing due: every rate at its good value, full marks
    assert scoring.score_unit(d, _unit())[0] == Decimal("100.00")


def test_rounding_is_per_rule_half_up():
    d = _defn({"code": "a", "type": "indicator", "indicator": "disposal_rate", "points": 10}, base=0)
    # 1/3 × 10 = 3.333… -> 3.33; 2/3 × 10 = 6.666… -> 6.67; 0.125 × 10 = 1.25 exactly
    assert scoring.score_unit(d, _unit({"due": 3, "handled": 1}))[0] == Decimal("3.33")
    assert scoring.score_unit(d, _unit({"due": 3, "handled": 2}))[0] == Decimal("6.67")
    d = _defn({"code": "a", "type": "case", "set": "due", "points": 0.005}, base=0)
    assert scoring.score_unit(d, _unit(rules={"a": 1}))[0] == Decimal("0.01")  # 0.005 half up


@pytest.mark.parametrize("score,grade", [("100", "A"), ("90", "A"), ("89.99", "B"), ("75", "B"), ("74.99", "C"),
                                         ("60", "C"), ("40", "D"), ("39.99", "E"), ("-5", "E")])
def test_grades_at_the_thresholds(score, grade):
    d = _defn({"code": "a", "type": "case", "set": "due", "points": 1})
    assert scoring.grade_of(d, Decimal(score)) == grade


def test_ties_share_a_rank_and_skip_the_next():
    scores = [("a", Decimal(95)), ("b", Decimal(95)), ("c", Decimal(90)), ("d", Decimal(80)), ("e", Decimal(80))]
    out = scoring.rank_scores(scores, red=1, black=1)
    assert out == {"a": (1, "red"), "b": (1, "red"), "c": (3, ""), "d": (4, "black"), "e": (4, "black")}
    out = scoring.rank_scores(scores, red=2, black=3)
    # c has 2 above it (not < 2): no red; it has 2 below it (< 3): black
    assert out["c"] == (3, "black") and out["a"] == (1, "red")
    assert scoring.rank_scores([("x", Decimal(1))], red=0, black=1) == {"x": (1, "")}


def test_rolling_red_flag():
    assert scoring.rolling_flag(["a"], ["b"]) == ["a"]
    assert scoring.rolling_flag(["a", "b"], ["b"]) == ["b"]  # the holder keeps it when tied for first
    assert scoring.rolling_flag(["a", "b"], ["c"]) == ["a", "b"]


@pytest.mark.parametrize("change,where", [
    ({"rules": []}, "rules"),
    ({"rules": [{"code": "x", "type": "case", "set": "nope", "points": 1}]}, "rules[0].set"),
    ({"rules": [{"code": "x", "type": "case", "set": "found", "points": "many"}]}, "rules[0].points"),
    ({"rules": [{"code": "x", "type": "case", "set": "found", "points": 1, "cap": -1}]}, "rules[0].cap"),
    ({"rules": [{"code": "x", "type": "case", "set": "found", "sources": ["mars"], "points": 1}]},
     "rules[0].sources"),
    ({"rules": [{"code": "x", "type": "indicator", "indicator": "speed", "points": 1}]}, "rules[0].indicator"),
    ({"grades": {"A": 60, "B": 75, "C": 50, "D": 40}}, "grades"),
    ({"red_flags": -1}, "red_flags"),
    ({"colour": "red"}, ""),
])
def test_bad_schemes_name_the_place(change, where):
    bad = copy.deepcopy(SCHEME) | change
    with pytest.raises(scoring.SchemeError) as info:
        scoring.validate(bad)
    assert info.value.where == where
    assert "：" in str(info.value) or not where


def test_ranking_of_the_hand_built_week(week, scheme):
    """street A: 100 − 3 (4 higher-level finds, cap 3) − 2 (c2 reworked) + 0.5 (c1) − 5 (overdue 2/4 × 10)
    − 2 (7 days missing, cap 2) = 88.5; street B: 100 − 1 (one city find) = 99;
    the bureau: 100 + 0.5 − 1 (one day missing) = 99.5."""
    d = week.ledger.d
    ranking = services.ranking_run(actor=None, period=periods.parse(WEEK))
    rows = {r["unit"]: r for r in ranking.results}
    assert [(r["unit"], r["rank"], r["score"], r["grade"], r["flag"]) for r in ranking.results] == [
        (d.bureau.name, 1, "99.50", "A", "red"),
        (d.street_b.name, 2, "99.00", "A", ""),
        (d.street_a.name, 3, "88.50", "B", "black"),
    ]
    a = {line["code"]: line for line in rows[d.street_a.name]["lines"]}
    assert (a["higher"]["count"], a["higher"]["value"], a["higher"]["capped"]) == ("4", "-3.00", True)
    assert a["overdue"]["value"] == "-5.00"
    assert rows[d.bureau.name]["rolling_red_flag"] and not rows[d.street_b.name]["rolling_red_flag"]
    assert ranking.inputs["units"][str(d.street_a.pk)]["cases"]["false"] == [week.cases["c2"].pk]
    # every breakdown adds up to its score
    for r in ranking.results:
        assert services.total_of(r["lines"], str(SCHEME["base"])) == Decimal(r["score"])


def test_a_past_week_is_frozen_and_recomputes_the_same(week, scheme):
    period = periods.parse(WEEK)
    first = services.ranking_run(actor=None, period=period)
    assert first.pk and first.version == scheme
    # the ledger moves on: c3 is closed and a new city case lands in the week for street B
    c3 = week.cases["c3"]
    c3.status, c3.closed_at, c3.submitted_at, c3.closed_on_time = "closed", first.computed_at, first.computed_at, True
    c3.save()
    again = services.ranking_run(actor=None, period=period)
    assert again.pk == first.pk and again.results == first.results
    assert services.recompute(again) == first.results
    assert Ranking.objects.count() == 1
    assert AuditEvent.objects.filter(action="ranking.freeze").count() == 1


def test_the_running_week_is_not_stored(week, scheme):
    ranking = services.ranking_run(actor=None, period=periods.parse("2026-W23"))
    assert ranking.pk is None and Ranking.objects.count() == 0


def test_editing_a_scheme_adds_a_version_and_keeps_history(week, scheme):
    period = periods.parse(WEEK)
    old = services.ranking_run(actor=None, period=period)
    harsher = copy.deepcopy(SCHEME)
    harsher["rules"][1]["points"] = -5
    v2 = services.scheme_save(actor=None, name="weekly", definition=harsher, note="虚假整改加重")
    assert v2.number == 2 and SchemeVersion.objects.filter(scheme=v2.scheme).count() == 2
    scheme.refresh_from_db()
    assert scheme.definition["rules"][1]["points"] == "-2"  # version 1 untouched
    new = services.ranking_run(actor=None, period=period)
    assert new.version == v2 and new.pk != old.pk
    street_a = week.ledger.d.street_a.name
    assert next(r["score"] for r in new.results if r["unit"] == street_a) == "85.50"
    old.refresh_from_db()
    assert next(r["score"] for r in old.results if r["unit"] == street_a) == "88.50"
    # saving the same definition again adds nothing
    assert services.scheme_save(actor=None, name="weekly", definition=harsher).number == 2


def test_only_the_command_post_edits_schemes(district):
    with pytest.raises(Forbidden, match="没有权限"):
        services.scheme_save(actor=district["handler_a"], name="weekly", definition=SCHEME)
    with pytest.raises(Invalid, match=r"rules\[0\]\.points"):
        bad = copy.deepcopy(SCHEME)
        bad["rules"][0]["points"] = None
        services.scheme_save(actor=district["commander"], name="weekly", definition=bad)
    assert not SchemeVersion.objects.exists()
