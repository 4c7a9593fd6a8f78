"""Fixtures: a small district with one user per role, built through the services."""

from __future__ import annotations

import pytest

from tests.factories import District, make_district


@pytest.fixture
def district(db) -> District:
    return make_district()
