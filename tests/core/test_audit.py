"""The audit chain: intact after real writes; any direct edit, delete, insert or reorder is named."""

from __future__ import annotations

import itertools
import json
import threading

import pytest
from django.db import connection, connections, transaction

from gongjian.core import audit
from gongjian.core.models import AuditEvent, ChainHead
from gongjian.org import services
from gongjian.org.models import UnitKind
from tests.factories import make_unit


def _sql(statement: str, params=()):
    with connection.cursor() as cur:
        cur.execute(statement, params)


@pytest.fixture
def chain(db):
    """Five events from real service calls."""
    root = make_unit("审计区", UnitKind.DISTRICT)
    street = make_unit("审计街道", UnitKind.STREET, root)
    services.unit_update(actor=None, unit=street, name="审计街道(新)")
    make_unit("甲社区", UnitKind.COMMUNITY, street)
    make_unit("乙社区", UnitKind.COMMUNITY, street)
    events = list(AuditEvent.objects.order_by("seq"))
    assert len(events) == 5
    return events


def test_intact_chain_verifies(chain):
    result = audit.verify()
    assert result.ok, result.message
    assert result.checked == 5
    assert [e.seq for e in chain] == [1, 2, 3, 4, 5]
    assert chain[0].prev_hash == "0" * 64
    assert all(b.prev_hash == a.hash for a, b in itertools.pairwise(chain))


def test_event_records_before_after_and_actor(chain):
    update = chain[2]
    assert update.action == "unit.update"
    assert '"name":"审计街道"' in update.before
    assert '"name":"审计街道(新)"' in update.after
    assert update.actor_id is None and update.actor_name == "system"


def test_edited_row_is_named(chain):
    _sql("UPDATE core_auditevent SET reason = %s WHERE seq = 3", ["悄悄改了"])
    result = audit.verify()
    assert not result.ok
    assert result.bad_seq == 3
    assert "第 3 条" in result.message and "修改" in result.message


def test_edited_after_value_is_named(chain):
    _sql("UPDATE core_auditevent SET after = REPLACE(after, '审计街道(新)', '别的名字') WHERE seq = 3")
    result = audit.verify()
    assert (result.ok, result.bad_seq) == (False, 3)


def test_deleted_row_is_named(chain):
    _sql("DELETE FROM core_auditevent WHERE seq = 2")
    result = audit.verify()
    assert not result.ok
    assert result.bad_seq == 3  # the first row that no longer fits
    assert "删除" in result.message


def test_deleted_last_row_is_caught_by_the_head(chain):
    _sql("DELETE FROM core_auditevent WHERE seq = 5")
    result = audit.verify()
    assert not result.ok
    assert "链头" in result.message


def test_swapped_rows_are_named(chain):
    # Rows 2 and 3 exchange their contents (hashes included) while the sequence numbers stay.
    a, b = chain[1], chain[2]
    fields = ["created_at", "action", "object_type", "object_id", "object_repr", "before", "after",
              "prev_hash"]
    with transaction.atomic():
        AuditEvent.objects.filter(pk=a.pk).update(hash="tmp", **{f: getattr(b, f) for f in fields})
        AuditEvent.objects.filter(pk=b.pk).update(hash=a.hash, **{f: getattr(a, f) for f in fields})
        AuditEvent.objects.filter(pk=a.pk).update(hash=b.hash)
    assert AuditEvent.objects.get(seq=2).action == b.action  # the swap happened
    result = audit.verify()
    assert not result.ok
    assert result.bad_seq == 2


def test_swapped_sequence_numbers_are_named(chain):
    with transaction.atomic():
        _sql("UPDATE core_auditevent SET seq = -4 WHERE seq = 4")
        _sql("UPDATE core_auditevent SET seq = 4 WHERE seq = 3")
        _sql("UPDATE core_auditevent SET seq = 3 WHERE seq = -4")
    result = audit.verify()
    assert not result.ok
    assert result.bad_seq == 3


def test_inserted_row_is_named(chain):
    # A forged row slipped in between 3 and 4 (sequence numbers after it pushed up by one).
    with transaction.atomic():
        for seq in (5, 4):
            _sql("UPDATE core_auditevent SET seq = seq + 1 WHERE seq = %s", [seq])
        forged = AuditEvent(seq=4, created_at=chain[3].created_at, actor_name="system", action="unit.create",
                            object_type="org.unit", object_id="999", object_repr="伪造",
                            prev_hash=chain[2].hash)
        forged.hash = audit.event_hash(forged)  # even a correctly hashed forgery breaks the next link
        forged.save()
        ChainHead.objects.filter(pk=1).update(last_seq=6)
    result = audit.verify()
    assert not result.ok
    assert result.bad_seq == 5


def test_rolled_back_write_leaves_no_event(db):
    root = make_unit("回滚区", UnitKind.DISTRICT)
    before = AuditEvent.objects.count()
    with pytest.raises(RuntimeError), transaction.atomic():
        services.unit_update(actor=None, unit=root, name="会回滚")
        raise RuntimeError("boom")
    assert AuditEvent.objects.count() == before
    assert audit.verify().ok


def test_timeline_lists_events_of_one_object(chain):
    from gongjian.org.models import Unit

    street = Unit.objects.get(name="审计街道(新)")
    assert [e.action for e in audit.timeline(street)] == ["unit.create", "unit.update"]


@pytest.mark.django_db(transaction=True)
def test_concurrent_writers_do_not_fork_the_chain():
    """Parallel transactions (threads with their own connections) append one linear chain."""
    root = make_unit("并发区", UnitKind.DISTRICT)
    writers, per_writer = 6, 8
    barrier = threading.Barrier(writers)
    errors: list[BaseException] = []

    def work(i: int):
        try:
            barrier.wait()
            for j in range(per_writer):
                services.unit_create(actor=None, name=f"并发{i}-{j}", kind=UnitKind.STREET, parent=root)
        except BaseException as exc:  # reported below
            errors.append(exc)
        finally:
            connections.close_all()

    threads = [threading.Thread(target=work, args=(i,)) for i in range(writers)]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    assert not errors, errors
    result = audit.verify()
    assert result.ok, result.message
    assert result.checked == 1 + writers * per_writer
    seqs = list(AuditEvent.objects.order_by("seq").values_list("seq", flat=True))
    assert seqs == list(range(1, 2 + writers * per_writer))


@pytest.mark.django_db
def test_missing_head_row_is_rebuilt_from_the_last_event():
    """A flushed head row (e.g. after `manage.py flush`) must not stop writes nor fork the chain."""
    root = make_unit("链头区", UnitKind.DISTRICT)
    make_unit("链头街道", UnitKind.STREET, parent=root)
    last = AuditEvent.objects.order_by("-seq").first()
    ChainHead.objects.all().delete()
    make_unit("链头之后", UnitKind.STREET, parent=root)
    newest = AuditEvent.objects.order_by("-seq").first()
    assert newest.seq == last.seq + 1
    assert newest.prev_hash == last.hash
    assert audit.verify().ok


@pytest.mark.django_db(transaction=True)
def test_a_write_from_another_connection_between_two_of_ours_is_linked():
    """This connection remembers the head it wrote last; another connection's event in between must
    be found (the remembered head no longer matches) and the next event linked to it, not forked."""
    root = make_unit("交替区", UnitKind.DISTRICT)
    services.unit_update(actor=None, unit=root, name="交替区一")  # this connection now knows the head

    def elsewhere():
        try:
            services.unit_update(actor=None, unit=root, name="交替区二")
        finally:
            connections.close_all()

    thread = threading.Thread(target=elsewhere)
    thread.start()
    thread.join()
    services.unit_update(actor=None, unit=root, name="交替区三")
    events = list(AuditEvent.objects.order_by("seq"))
    assert [json.loads(e.after)["name"] for e in events[-3:]] == ["交替区一", "交替区二", "交替区三"]
    assert [e.seq for e in events] == list(range(1, len(events) + 1))
    assert events[-1].prev_hash == events[-2].hash
    result = audit.verify()
    assert result.ok, result.message


@pytest.mark.django_db(transaction=True)
def test_a_rolled_back_event_is_not_the_parent_of_the_next():
    root = make_unit("撤销区", UnitKind.DISTRICT)
    kept = AuditEvent.objects.order_by("-seq").first()
    with pytest.raises(RuntimeError), transaction.atomic():
        services.unit_update(actor=None, unit=root, name="会撤销")
        raise RuntimeError("boom")
    services.unit_update(actor=None, unit=root, name="留下")
    newest = AuditEvent.objects.order_by("-seq").first()
    assert (newest.seq, newest.prev_hash) == (kept.seq + 1, kept.hash)
    assert audit.verify().ok
