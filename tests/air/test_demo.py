"""The demo district's stations: every kind, hourly readings, and the dust rule's 监测预警 cases."""

from __future__ import annotations

import pytest

from gongjian.air import demo as air_demo
from gongjian.air.models import Exceedance, HourlyReading, Station, StationKind
from gongjian.core import audit
from gongjian.ledger import demo as ledger_demo
from gongjian.ledger.models import Case, Source
from gongjian.org import demo as org_demo

pytestmark = pytest.mark.django_db


def test_demo_stations_readings_and_monitoring_cases():
    quiet = lambda *_: None  # noqa: E731
    org_demo.load(log=quiet)
    ledger_demo.load(log=quiet)
    assert air_demo.load(log=quiet, days=20) is True
    assert air_demo.load(log=quiet, days=20) is False
    assert set(Station.objects.values_list("kind", flat=True)) == set(StationKind.values) - {StationKind.PROVINCIAL}
    assert HourlyReading.objects.count() == len(air_demo.STATIONS) * 20 * 24
    cases = Case.objects.filter(pk__in=Exceedance.objects.values("case"))
    assert {c.source for c in cases} == {Source.MONITORING}
    assert {c.unit.name for c in cases} == {"百间房街道", "东方红街道"}  # the two sites' streets
    assert Exceedance.objects.count() == 4  # two episodes per dust monitor, the second on the open case
    assert audit.verify().ok
