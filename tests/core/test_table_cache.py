"""The per-process copies of the holiday calendar, the grid index and the 分包 leaders (core.cache):
a write in this process is seen at once, a rolled-back one never, one made elsewhere within the
recheck window."""

from __future__ import annotations

import datetime as dt
import importlib

import pytest
from django.db import connection, transaction
from django.utils import timezone

from gongjian.core import cache
from gongjian.core.calendar import Day, holidays_import, work_calendar
from gongjian.core.models import CalendarDay, HolidayYear
from gongjian.org import selectors, services
from gongjian.org.models import Grid, Role, UnitKind
from gongjian.standards.workdays import MissingYear
from tests.factories import make_district, make_grid, make_unit, make_user, square

D = dt.date
SPRING_2027 = [Day(D(2027, 2, 8), False, "春节"), Day(D(2027, 2, 7), True, "春节调休")]


@pytest.fixture
def frozen(monkeypatch):
    """The cache's clock, moved on only by the test (no recheck happens by itself)."""
    now = [1000.0]
    monkeypatch.setattr(cache, "clock", lambda: now[0])
    return now


@pytest.fixture
def installation_rows(transactional_db):
    """The rows migrations install, which a transactional test's flush empties."""
    from django.apps import apps

    for module in ("0003_chain_head_row", "0005_seed_holidays"):
        migration = importlib.import_module(f"gongjian.core.migrations.{module}")
        (migration.create_head if hasattr(migration, "create_head") else migration.seed)(apps, connection.schema_editor())


def _community(name="缓存社区", street=None):
    street = street or make_unit("缓存街道", UnitKind.STREET, make_unit("缓存区", UnitKind.DISTRICT))
    return make_unit(name, parent=street)


def _no_2027() -> bool:
    try:
        work_calendar().is_workday(D(2027, 2, 8))
    except MissingYear:
        return True
    return False


@pytest.mark.django_db(transaction=True)
def test_holiday_import_is_seen_at_once_and_then_kept(installation_rows, frozen, django_assert_num_queries):
    assert _no_2027()  # the copy now holds the seeded years
    with django_assert_num_queries(0):  # within the window: no query at all
        assert work_calendar().is_workday(D(2026, 6, 1))

    holidays_import(actor=None, year=2027, days=SPRING_2027, source="国办发明电")

    cal = work_calendar()  # committed: rebuilt at once, no waiting for the window
    assert not cal.is_workday(D(2027, 2, 8)) and cal.is_workday(D(2027, 2, 7))
    with django_assert_num_queries(0):
        assert work_calendar() is cal


@pytest.mark.django_db(transaction=True)
def test_grid_edit_is_seen_at_once(installation_rows, frozen):
    unit = _community()
    grid = make_grid(unit, 113.30, 35.30)
    assert selectors.locate_grid_unit(113.305, 35.305) == (grid.pk, unit.pk)
    other = _community("另一社区", unit.parent)

    services.grid_update(actor=None, grid=grid, geometry=square(113.40, 35.40), unit=other)

    assert selectors.locate_grid_unit(113.305, 35.305) == (None, None)
    assert selectors.locate_grid_unit(113.405, 35.405) == (grid.pk, other.pk)
    services.grid_delete(actor=None, grid=grid)
    assert selectors.locate_grid(113.405, 35.405) is None


@pytest.mark.django_db(transaction=True)
def test_leader_assignment_is_seen_at_once(installation_rows, frozen):
    community = _community()
    street = community.parent
    assert selectors.responsible_leader_id(community) is None
    leader = make_user(street, Role.LEADER, username="cache_leader")

    la = services.leader_assign(actor=None, leader=leader, unit=street)
    assert selectors.responsible_leader_id(community) == leader.pk  # from the nearest ancestor

    services.leader_unassign(actor=None, assignment=la)
    assert selectors.responsible_leader_id(community) is None


@pytest.mark.django_db(transaction=True)
def test_a_rolled_back_import_leaves_no_copy_behind(installation_rows, frozen):
    assert _no_2027()
    with pytest.raises(RuntimeError), transaction.atomic():
        holidays_import(actor=None, year=2027, days=SPRING_2027, source="国办发明电")
        assert not work_calendar().is_workday(D(2027, 2, 8))  # the writer sees its own write
        raise RuntimeError("changed my mind")
    assert _no_2027()  # and after the rollback nobody sees it, though the clock has not moved


@pytest.mark.django_db
def test_inside_the_writing_transaction_the_value_is_fresh(frozen):
    """(The test's own transaction never commits: the writer still reads its writes at once.)"""
    make_district()
    assert _no_2027()
    holidays_import(actor=None, year=2027, days=SPRING_2027, source="国办发明电")
    assert not work_calendar().is_workday(D(2027, 2, 8))
    HolidayYear.objects.get(year=2027).delete()
    assert _no_2027()


@pytest.mark.django_db(transaction=True)
def test_another_process_write_is_seen_after_the_recheck_window(installation_rows, frozen, settings):
    """A write this process cannot hear (another process; here a bare UPDATE, which sends no signal)."""
    settings.CACHE_RECHECK_SECONDS = 2
    unit = _community()
    grid = make_grid(unit, 113.30, 35.30)
    assert selectors.locate_grid_unit(113.305, 35.305) == (grid.pk, unit.pk)
    assert work_calendar().is_workday(D(2026, 6, 1))

    Grid.objects.filter(pk=grid.pk).update(geometry=square(113.40, 35.40), updated_at=timezone.now())
    year = HolidayYear.objects.get(year=2026)
    CalendarDay.objects.bulk_create([CalendarDay(year=year, date=D(2026, 6, 1), is_workday=False, name="测试")])

    frozen[0] += 1.9  # within the window: the old copies
    assert selectors.locate_grid_unit(113.305, 35.305) == (grid.pk, unit.pk)
    assert work_calendar().is_workday(D(2026, 6, 1))

    frozen[0] += 0.2  # past it: the signatures are re-read and the copies rebuilt
    assert selectors.locate_grid_unit(113.305, 35.305) == (None, None)
    assert selectors.locate_grid_unit(113.405, 35.405) == (grid.pk, unit.pk)
    assert not work_calendar().is_workday(D(2026, 6, 1))


@pytest.mark.django_db(transaction=True)
def test_recheck_zero_reads_the_signature_every_time(installation_rows, frozen, settings,
                                                     django_assert_num_queries):
    settings.CACHE_RECHECK_SECONDS = 0
    work_calendar()
    with django_assert_num_queries(1):  # the signature only; the copy is unchanged
        work_calendar()
