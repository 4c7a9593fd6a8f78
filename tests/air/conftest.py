from __future__ import annotations

import datetime as dt

import pytest
from django.utils import timezone

from gongjian.air import services
from gongjian.air.models import StationKind
from tests.ledger.conftest import Ledger, fixed_today, ledger  # noqa: F401  (fixtures reused)


def at(day: dt.date, hour: int = 0) -> dt.datetime:
    return timezone.make_aware(dt.datetime(day.year, day.month, day.day, hour), timezone.get_current_timezone())


@pytest.fixture
def dust_station(district):
    return services.station_create(actor=None, mn="DUST000001", password="pw-123456", name="甲街道工地扬尘",
                                   kind=StationKind.DUST, unit=district.street_a, lng=113.205, lat=35.205)


@pytest.fixture
def dust_rule(ledger: Ledger):  # noqa: F811
    return services.rule_create(actor=None, name="扬尘PM10连续2小时超150", station_kind=StationKind.DUST,
                                pollutant="PM10", threshold=150, hours=2, campaign=ledger.campaign,
                                category=ledger.dust)
