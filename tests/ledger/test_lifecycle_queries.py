"""How many SQL statements one case costs on its way round the closed loop, pinned per step, so a
change that adds round trips to the busiest write path shows up here (benchmarks/ledger.py times it)."""

from __future__ import annotations

import importlib

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext

from gongjian.core import audit, cache
from gongjian.ledger import services
from tests.ledger.conftest import jpeg

pytestmark = pytest.mark.django_db(transaction=True)

# Statements per step once the per-process copies are warm, BEGIN and COMMIT included. PostgreSQL
# appends an audit event in one statement (the head moves from the (seq, hash) this connection wrote
# last, and the event goes in only if it did), SQLite in three (lock the head, insert, move it). A
# report reads its grid's unit in the statement that locks the campaign for numbering.
EXPECTED = {
    "postgresql": {"report": 6, "register": 5, "assign": 5, "accept": 5, "photo": 5, "submit": 5, "close": 5},
    "sqlite": {"report": 8, "register": 7, "assign": 7, "accept": 7, "photo": 7, "submit": 7, "close": 7},
}


@pytest.fixture(autouse=True)
def installation_rows(transactional_db):
    """The rows migrations install (chain head, holiday schedules), which a transactional test's flush empties."""
    from django.apps import apps

    for module in ("0003_chain_head_row", "0005_seed_holidays"):
        migration = importlib.import_module(f"gongjian.core.migrations.{module}")
        (migration.create_head if hasattr(migration, "create_head") else migration.seed)(apps, connection.schema_editor())


def _round(ledger, n: int) -> dict[str, int]:
    d = ledger.d
    counts = {}

    def step(name, fn):
        with CaptureQueriesContext(connection) as ctx:
            result = fn()
        counts[name] = len(ctx.captured_queries)
        return result

    case = step("report", lambda: ledger.report(lng=113.205, lat=35.205, title=f"循环{n}"))
    case = step("register", lambda: services.transition(actor=d["commander"], case=case, action="register"))
    case = step("assign", lambda: services.transition(actor=d["commander"], case=case, action="assign", workdays=3))
    case = step("accept", lambda: services.transition(actor=d["handler_a"], case=case, action="accept"))
    step("photo", lambda: services.evidence_add(actor=d["handler_a"], case=case, stage="after",
                                                upload=jpeg(f"after{n}.jpg")))
    case = step("submit", lambda: services.transition(actor=d["handler_a"], case=case, action="submit"))
    case = step("close", lambda: services.transition(actor=d["inspector"], case=case, action="close"))
    assert case.status == "closed" and case.closed_by == d["inspector"]
    assert case.unit == d.community_a
    return counts


def test_statements_per_step_of_the_loop(ledger, monkeypatch):
    monkeypatch.setattr(cache, "clock", lambda: 1000.0)  # no recheck falls inside the measured round
    _round(ledger, 1)  # warms the copies and the actors' roles
    counts = _round(ledger, 2)
    assert counts == EXPECTED[connection.vendor], counts
    assert sum(counts.values()) == sum(EXPECTED[connection.vendor].values())
    assert audit.verify().ok
