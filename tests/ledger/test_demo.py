"""The demo district's ledger: cases in every status, real timelines, a verifying chain."""

from __future__ import annotations

import pytest

from gongjian.core import audit
from gongjian.ledger import demo as ledger_demo
from gongjian.ledger.models import Case, Escalation, Evidence, Status
from gongjian.org import demo as org_demo

pytestmark = pytest.mark.django_db


def test_demo_ledger_has_every_status_and_verifies():
    org_demo.load(log=lambda *_: None)
    assert ledger_demo.load(log=lambda *_: None) is True
    assert ledger_demo.load(log=lambda *_: None) is False
    statuses = set(Case.objects.values_list("status", flat=True))
    assert statuses == set(Status.values)
    assert Case.objects.filter(rework_count__gt=0).exists()
    assert Case.objects.filter(extension_count__gt=0).exists()
    assert Escalation.objects.exists()  # the overdue ones have climbed the ladder
    closed = Case.objects.filter(status=Status.CLOSED).first()
    assert Evidence.objects.filter(case=closed, stage="after").exists()
    assert audit.verify().ok
