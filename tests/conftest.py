"""Fixtures: a small district with one user per role, built through the services."""

from __future__ import annotations

import pytest

from tests.factories import District, make_district


@pytest.fixture
def district(db) -> District:
    return make_district()


@pytest.fixture(autouse=True)
def _fresh_table_caches():
    """Each test starts as a fresh process would: no per-process copies of the small tables."""
    from gongjian.core.cache import clear_all

    clear_all()
    yield
    clear_all()
