import datetime as dt

from django.utils import timezone

from gongjian.assessment import indicators, periods, services
from gongjian.ledger import services as ledger_services
from gongjian.ledger.models import Status
from tests.assessment.conftest import SCHEME, at, make_case


def _flat_scheme(**over):
    return services.scheme_save(actor=None, name="weekly", definition=dict(SCHEME, **over))


def test_rolling_red_flag_moves_and_stays_with_a_tied_holder(ledger):
    """W21: street B alone on top (street A and the bureau lose a point each): B takes the flag.
    W22: B, A and the bureau tie: B keeps it. W22 with A alone on top (new scheme version): A takes it."""
    d = ledger.d
    _flat_scheme(rules=[{"code": "higher", "type": "case", "set": "found", "sources": ["city"], "points": -1}])
    make_case(ledger, d.street_a, reported=at(19), deadline=dt.date(2026, 6, 9))
    make_case(ledger, d.bureau, reported=at(19), deadline=dt.date(2026, 6, 9))
    w21 = services.ranking_run(actor=None, period=periods.parse("2026-W21"))
    assert [r["unit"] for r in w21.results if r["rolling_red_flag"]] == [d.street_b.name]
    w22 = services.ranking_run(actor=None, period=periods.parse("2026-W22"))
    assert {r["rank"] for r in w22.results} == {1}
    assert [r["unit"] for r in w22.results if r["rolling_red_flag"]] == [d.street_b.name]
    # a new version that rewards street A's closed case: A alone on top, so the flag moves
    make_case(ledger, d.street_a, reported=at(20), deadline=dt.date(2026, 5, 27), status=Status.CLOSED,
              submitted_at=at(26), submitted_on_time=True, closed_at=at(26), closed_on_time=True)
    _flat_scheme(rules=[{"code": "ok", "type": "case", "set": "closed_on_time", "points": 1}])
    w22b = services.ranking_run(actor=None, period=periods.parse("2026-W22"))
    assert next((r["unit"], r["rank"], r["rolling_red_flag"]) for r in w22b.results) == (d.street_a.name, 1, True)
    assert sum(r["rolling_red_flag"] for r in w22b.results) == 1


def test_month_and_range_periods(week, scheme):
    """May 2026 holds the whole hand-built week plus the bureau's case due 26 May: same counts for street A."""
    month = indicators.collect(periods.parse("2026-05"))
    assert month[week.ledger.d.street_a.pk]["counts"]["due"] == 4
    rng = indicators.collect(periods.parse("2026-05-28..2026-05-29"))
    # only c2 (due 28th) and c3 (due 29th)
    assert rng[week.ledger.d.street_a.pk]["counts"]["due"] == 2
    ranking = services.ranking_run(actor=None, period=periods.parse("2026-05"))
    assert ranking.pk and ranking.kind == "month" and ranking.results[0]["rank"] == 1


def test_a_returned_and_reassigned_case_counts_for_the_new_unit_only(ledger):
    """Assigned to community A (street A), returned as not theirs, reassigned to street B: it is due, and found,
    for street B alone."""
    d = ledger.d
    case = ledger.assigned(source="city")
    ledger_services.transition(actor=d["handler_a"], case=case, action="return", reason="不属于本单位")
    ledger_services.transition(actor=d["commander"], case=case, action="assign", unit=d.street_b, workdays=3)
    data = indicators.collect(periods.parse("2026-W23"))
    assert data[d.street_a.pk]["counts"]["due"] == 0 and data[d.street_a.pk]["sources"] == {}
    assert data[d.street_b.pk]["counts"]["due"] == 1
    # found in the week it was reported (the services stamp the real time, not the pinned day)
    found = indicators.collect(periods.week_of(timezone.localdate(case.reported_at)))
    assert found[d.street_a.pk]["sources"] == {} and found[d.street_b.pk]["sources"] == {"city": 1}
    # while it waits after the return, it counts for nobody's due cases
    case2 = ledger.assigned()
    ledger_services.transition(actor=d["handler_a"], case=case2, action="return", reason="不属于本单位")
    data = indicators.collect(periods.parse("2026-W23"))
    assert data[d.street_a.pk]["counts"]["due"] == 0
