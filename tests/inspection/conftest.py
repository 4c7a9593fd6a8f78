"""Daily figures and documents build on the ledger's fixtures (a small district, a campaign)."""

from __future__ import annotations

import pytest

from gongjian.reporting import services
from tests.ledger.conftest import TODAY, fixed_today, jpeg, ledger  # noqa: F401  (fixtures)


@pytest.fixture(autouse=True)
def reporting_today(monkeypatch, fixed_today):  # noqa: F811
    monkeypatch.setattr(services, "today", lambda: TODAY)
    return TODAY
