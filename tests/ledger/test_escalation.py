"""The escalation ladder: each rung once, idempotent, from working days overdue."""

from __future__ import annotations

import datetime as dt

import pytest

from gongjian.core import audit
from gongjian.core.models import AuditEvent
from gongjian.ledger import services
from gongjian.ledger.models import Case, Escalation, EscalationLevel

pytestmark = pytest.mark.django_db


def test_ladder_climbs_once_per_rung(ledger):
    case = ledger.assigned()  # deadline Thursday 2026-06-04
    assert services.escalate(on=dt.date(2026, 6, 4)) == []  # due today: not overdue
    found = services.escalate(on=dt.date(2026, 6, 5))  # one working day overdue
    assert [(c.pk, level, days) for c, level, days in found] == [(case.pk, EscalationLevel.WARNING, 1)]
    assert services.escalate(on=dt.date(2026, 6, 5)) == []  # a second run changes nothing
    # Over the weekend nothing more: Monday 8 June is 2 working days overdue.
    assert services.escalate(on=dt.date(2026, 6, 7)) == []
    services.escalate(on=dt.date(2026, 6, 9))  # 3 working days: listed for supervision (挂牌督办)
    case.refresh_from_db()
    assert case.escalation_level == EscalationLevel.LISTED
    # Jumping far ahead records every rung passed, each once.
    services.escalate(on=dt.date(2026, 6, 30))
    levels = sorted(Escalation.objects.filter(case=case).values_list("level", flat=True))
    assert levels == [1, 2, 3, 4]
    assert Escalation.objects.get(case=case, level=EscalationLevel.LISTED).leader_id == case.leader_id
    assert audit.verify().ok


def test_dry_run_writes_nothing(ledger):
    ledger.assigned()
    events = AuditEvent.objects.count()
    found = services.escalate(on=dt.date(2026, 6, 12), dry_run=True)
    assert len(found) == 1
    assert AuditEvent.objects.count() == events and not Escalation.objects.exists()


def test_closed_and_submitted_cases_do_not_escalate(ledger):
    ledger.submitted()
    assert services.escalate(on=dt.date(2026, 7, 1)) == []


def test_case_without_ladder_rules_is_ignored(ledger):
    case = ledger.assigned()
    ledger.campaign.escalation_rules.all().delete()
    assert services.escalate(on=dt.date(2026, 7, 1)) == []
    assert Case.objects.get(pk=case.pk).escalation_level == EscalationLevel.NONE
