"""A hand-built week: ledger facts set directly on cases, so every count below can be worked out by hand.

Period 2026-W22 is Monday 25 May to Sunday 31 May 2026; "today" is Monday 1 June (the week has ended).
"""

from __future__ import annotations

import datetime as dt
import itertools
from dataclasses import dataclass

import pytest
from django.utils import timezone

from gongjian.assessment import services as assessment_services
from gongjian.ledger.models import Case, EscalationLevel, Status
from gongjian.reporting.models import DailyReport
from tests.ledger.conftest import Ledger, fixed_today, jpeg, ledger  # noqa: F401  (fixtures)

TODAY = dt.date(2026, 6, 1)
WEEK = "2026-W22"
_n = itertools.count(1)


def at(day: int, hour: int = 10, month: int = 5) -> dt.datetime:
    return timezone.make_aware(dt.datetime(2026, month, day, hour, 0))


def make_case(lg: Ledger, unit, *, reported=None, deadline=None, status=Status.RECTIFYING, source="city",
              **facts) -> Case:
    n = next(_n)
    return Case.objects.create(
        campaign=lg.campaign, year=2026, number=n, serial=f"考核〔2026〕{n:04d}", source=source,
        category=lg.garbage, title=f"问题{n}", unit=unit, status=status, reported_at=reported or at(20),
        assigned_on=dt.date(2026, 5, 20) if deadline else None, deadline=deadline, **facts)


@dataclass
class Week:
    ledger: Ledger
    cases: dict[str, Case]


SCHEME = {
    "title": "周考核", "base": 100,
    "rules": [
        {"code": "higher", "label": "上级发现问题", "type": "case", "set": "found", "sources": ["city", "province"],
         "points": -1, "cap": 3},
        {"code": "false", "label": "虚假整改", "type": "case", "set": "reworked", "points": -2},
        {"code": "ontime", "label": "按期结案", "type": "case", "set": "closed_on_time", "points": 0.5, "cap": 5},
        {"code": "overdue", "label": "超期待处置率", "type": "indicator", "indicator": "overdue_pending_rate",
         "points": -10},
        {"code": "daily", "label": "日报缺报", "type": "daily_missing", "points": -1, "cap": 2},
    ],
    "grades": {"A": 90, "B": 75, "C": 60, "D": 40},
    "red_flags": 1, "black_flags": 1,
}


@pytest.fixture(autouse=True)
def assessment_today(monkeypatch, fixed_today):  # noqa: F811
    # ledger/conftest pins the ledger's today to 2026-06-01; the assessment reads the same clock.
    assert fixed_today == TODAY
    return TODAY


@pytest.fixture
def week(ledger) -> Week:  # noqa: F811
    d = ledger.d
    a, ca, b = d.street_a, d.community_a, d.street_b
    c = {}
    # Street A (with its community): four cases due in the week, two more that are not.
    c["c1"] = make_case(ledger, ca, reported=at(20), deadline=dt.date(2026, 5, 27), status=Status.CLOSED,
                        submitted_at=at(26), submitted_on_time=True, closed_at=at(27), closed_on_time=True)
    c["c2"] = make_case(ledger, a, reported=at(25), deadline=dt.date(2026, 5, 28), status=Status.CLOSED,
                        source="district_inspection", submitted_at=at(29), submitted_on_time=False,
                        closed_at=at(30), closed_on_time=False, rework_count=1)
    c["c3"] = make_case(ledger, a, reported=at(26), deadline=dt.date(2026, 5, 29), extension_count=1,
                        escalation_level=EscalationLevel.LISTED)
    c["c4"] = make_case(ledger, a, reported=at(31, 23), deadline=dt.date(2026, 5, 31), status=Status.SUBMITTED,
                        source="province", submitted_at=at(1, 9, month=6), submitted_on_time=False)
    c["c5"] = make_case(ledger, a, reported=at(26), deadline=dt.date(2026, 6, 3))
    c["c6"] = make_case(ledger, a, reported=at(27), deadline=dt.date(2026, 5, 27), status=Status.RETURNED)
    c["c7"] = make_case(ledger, a, reported=at(27), status=Status.REJECTED)
    # Street B: one problem found by the city, due next week.
    c["b1"] = make_case(ledger, b, reported=at(28), deadline=dt.date(2026, 6, 5))
    # The bureau: one case closed on time.
    c["u1"] = make_case(ledger, d.bureau, reported=at(22), deadline=dt.date(2026, 5, 26), status=Status.CLOSED,
                        source="self_check", submitted_at=at(25), submitted_on_time=True, closed_at=at(26),
                        closed_on_time=True)
    # Daily figures: street B every day of the week, the bureau six days, street A none.
    for day in range(25, 32):
        DailyReport.objects.create(unit=b, date=dt.date(2026, 5, day), submitted_at=at(day, 20))
        if day != 28:
            DailyReport.objects.create(unit=d.bureau, date=dt.date(2026, 5, day), submitted_at=at(day, 20))
    return Week(ledger, c)


@pytest.fixture
def scheme(db):
    return assessment_services.scheme_save(actor=None, name="weekly", definition=SCHEME)
