"""The air-quality ranking as a scheme rule: points per place behind the first in the HJ 663 township ranking
of the month holding the period's end."""

from __future__ import annotations

from decimal import Decimal

import pytest

from gongjian.assessment import scoring
from gongjian.assessment import services as assessment_services
from gongjian.assessment.periods import parse
from tests.air.test_exceedances_and_ranking import townships  # noqa: F401  (fixture: June 2026, B first, A second)

pytestmark = pytest.mark.django_db

SCHEME = {"title": "空气质量考核", "base": 100,
          "rules": [{"code": "air", "type": "air_rank", "method": "composite", "points": -0.5, "cap": 5}],
          "grades": {"A": 99.5, "B": 99, "C": 60, "D": 40}, "red_flags": 1, "black_flags": 1}


def test_points_per_place_behind_the_first_with_the_cap():
    definition = scoring.validate(SCHEME)
    assert definition["rules"][0]["label"] == "空气质量排名(综合指数)"
    total, (line,) = scoring.score_unit(definition, {"counts": {}, "rules": {}, "air_ranks": {"composite": 4}})
    assert (total, line.value, line.count) == (Decimal("98.50"), Decimal("-1.50"), "4")
    total, (line,) = scoring.score_unit(definition, {"counts": {}, "rules": {}, "air_ranks": {"composite": 30}})
    assert (total, line.value, line.capped) == (Decimal("95.00"), Decimal("-5.00"), True)  # −14.5, capped at −5
    total, (line,) = scoring.score_unit(definition, {"counts": {}, "rules": {}})  # no township station
    assert (total, line.value, line.count) == (Decimal("100.00"), Decimal("0.00"), "—")


def test_a_bad_method_is_named():
    bad = dict(SCHEME, rules=[dict(SCHEME["rules"][0], method="best")])
    with pytest.raises(scoring.SchemeError) as err:
        scoring.validate(bad)
    assert err.value.where == "rules[0].method"


def test_the_township_ranking_feeds_a_scheme(townships, district):  # noqa: F811
    scheme = assessment_services.scheme_save(actor=None, name="air", definition=SCHEME)
    ranking = assessment_services.ranking_run(actor=None, period=parse("2026-06"), scheme=scheme.scheme)
    rows = {r["unit"]: (r["score"], r["rank"]) for r in ranking.results}
    assert rows["乙街道"] == ("100.00", 1)   # composite index 3.06: first
    assert rows["甲街道"] == ("99.50", 3)    # 6.00: second place, −0.5 (ranked below every unit without a station)
    assert rows["城管局"][0] == "100.00"      # no township station: the rule gives nothing
    assert ranking.inputs["units"][str(district.street_b.pk)]["air_ranks"] == {"composite": 1}
