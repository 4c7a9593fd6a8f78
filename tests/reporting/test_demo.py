"""The demo district's figures, inspections and documents."""

from __future__ import annotations

import datetime as dt

import pytest

from gongjian.core import audit
from gongjian.inspection.models import Finding, Inspection, InspectionKind
from gongjian.ledger import demo as ledger_demo
from gongjian.org import demo as org_demo
from gongjian.org.models import User
from gongjian.reporting import demo, selectors, services
from gongjian.reporting.models import DailyReport, Document, DocumentKind

pytestmark = pytest.mark.django_db


def test_demo_has_figures_inspections_and_yesterdays_documents():
    quiet = lambda *_: None  # noqa: E731
    assert demo.load(log=quiet) is False  # nothing to hang it on before the ledger's campaign
    org_demo.load(log=quiet)
    ledger_demo.load(log=quiet)
    assert demo.load(log=quiet) is True
    assert demo.load(log=quiet) is False

    today = services.today()
    days = set(DailyReport.objects.values_list("date", flat=True))
    assert min(days) == today - dt.timedelta(days=29) and max(days) == today
    commander = User.objects.get(username="zhihui")
    missing_today = selectors.missing_units(commander, today)
    reported_today = DailyReport.objects.filter(date=today).count()
    assert 3 <= len(missing_today) < reported_today  # most have reported, a few have not

    assert Inspection.objects.count() == 10
    assert Inspection.objects.filter(starts_at__date__gte=today - dt.timedelta(days=14)).count() == 10
    night = Inspection.objects.filter(kind=InspectionKind.NIGHT)
    assert night.count() >= 3 and Finding.objects.filter(inspection__in=night).count() >= 3

    yesterday = today - dt.timedelta(days=1)
    kinds = set(Document.objects.filter(date=yesterday).values_list("kind", flat=True))
    assert kinds == {DocumentKind.BRIEF, DocumentKind.BULLETIN, DocumentKind.LEDGER, DocumentKind.NIGHT}
    assert not Document.objects.exclude(pdf="").exists()  # docx only: init stays fast
    assert audit.verify().ok
