"""core.rows.insert: the same row as ``save()`` would write, or a refusal where it could not be."""

from __future__ import annotations

import pytest
from django.forms.models import model_to_dict

from gongjian.core import rows
from gongjian.core.models import AuditEvent, HolidayYear
from gongjian.org.models import Unit, UnitKind

pytestmark = pytest.mark.django_db


def test_insert_writes_what_save_writes():
    by_save = Unit(name="保存街道", kind=UnitKind.STREET, path="/x/")
    by_save.save(force_insert=True)
    by_insert = Unit(name="插入街道", kind=UnitKind.STREET, path="/y/")
    rows.insert(by_insert)
    assert by_insert.pk and by_insert.pk != by_save.pk
    assert not by_insert._state.adding
    stored = Unit.objects.get(pk=by_insert.pk)
    assert stored.created_at == by_insert.created_at and stored.updated_at == by_insert.updated_at  # auto_now(_add)
    assert stored.created_at is not None
    expected = model_to_dict(by_save, exclude=["id", "name", "path"])
    assert model_to_dict(stored, exclude=["id", "name", "path"]) == expected  # the same defaults
    assert (stored.name, stored.path) == ("插入街道", "/y/")


def test_insert_refuses_a_model_that_signals_listen_to():
    # The holiday tables have receivers (the per-process calendar copy): skipping them would leave it stale.
    with pytest.raises(TypeError, match="signal"):
        rows.insert(HolidayYear(year=2031, source="test"))
    assert not HolidayYear.objects.filter(year=2031).exists()


def test_insert_of_a_bad_row_fails_and_writes_nothing():
    from django.db import IntegrityError, transaction

    with pytest.raises(IntegrityError), transaction.atomic():
        rows.insert(AuditEvent(seq=1, prev_hash="0" * 64, hash=None))  # hash is NOT NULL
    assert not AuditEvent.objects.filter(seq=1).exists()
