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


@pytest.fixture
def installation_rows(transactional_db):
    """Put back the rows migrations install (audit chain head, holiday schedules) for tests on a
    transactional database (live server, worker processes): its flush between tests empties every table."""
    import importlib

    from django.apps import apps
    from django.db import connection

    for module in ("0003_chain_head_row", "0005_seed_holidays"):
        migration = importlib.import_module(f"gongjian.core.migrations.{module}")
        (migration.create_head if hasattr(migration, "create_head") else migration.seed)(apps, connection.schema_editor())
