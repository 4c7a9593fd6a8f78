"""Writing and verifying the audit chain (责任倒查).

``record`` is called by every service inside its transaction, preferably last, because it takes the
chain lock and holds it until the transaction commits.
"""

from __future__ import annotations

import contextvars
import datetime as dt
import hashlib
import json
from collections.abc import Iterator
from dataclasses import dataclass
from typing import Any

from django.core.serializers.json import DjangoJSONEncoder
from django.db import connections, router, transaction
from django.utils import timezone

from gongjian.core.models import GENESIS_HASH, AuditEvent, ChainHead


@dataclass
class RequestContext:
    client_ip: str = ""


_request_context: contextvars.ContextVar[RequestContext | None] = contextvars.ContextVar(
    "gongjian_audit_request", default=None
)


def set_request_context(ctx: RequestContext | None) -> contextvars.Token:
    return _request_context.set(ctx)


def reset_request_context(token: contextvars.Token) -> None:
    _request_context.reset(token)


def canonical_json(value: Any) -> str:
    """Stable JSON text: sorted keys, no spaces, UTF-8 kept, dates and decimals as strings."""
    if value is None:
        return ""
    return json.dumps(value, cls=DjangoJSONEncoder, ensure_ascii=False, sort_keys=True,
                      separators=(",", ":"))


def _timestamp(moment: dt.datetime) -> str:
    return moment.astimezone(dt.UTC).strftime("%Y-%m-%dT%H:%M:%S.%fZ")


def compute_hash(*, seq: int, created_at: dt.datetime, actor_id: int | None, actor_name: str,
                 action: str, object_type: str, object_id: str, object_repr: str, before: str,
                 after: str, reason: str, client_ip: str, prev_hash: str) -> str:
    content = json.dumps(
        [seq, _timestamp(created_at), actor_id, actor_name, action, object_type, object_id,
         object_repr, before, after, reason, client_ip, prev_hash],
        ensure_ascii=False, separators=(",", ":"),
    )
    return hashlib.sha256(content.encode("utf-8")).hexdigest()


def event_hash(event: AuditEvent) -> str:
    return compute_hash(
        seq=event.seq, created_at=event.created_at, actor_id=event.actor_id,
        actor_name=event.actor_name, action=event.action, object_type=event.object_type,
        object_id=event.object_id, object_repr=event.object_repr, before=event.before,
        after=event.after, reason=event.reason, client_ip=event.client_ip,
        prev_hash=event.prev_hash,
    )


def _locked_head() -> ChainHead:
    """The chain head row, locked; re-created from the last event when the row is missing.

    Migrations create the row, but a table flush (``manage.py flush``, a test database reset) empties
    it while keeping nothing else either; rebuilding it from the newest event keeps the chain linear
    instead of failing every write. ON CONFLICT DO NOTHING lets concurrent writers race safely.
    """
    connection = connections[router.db_for_write(ChainHead)]
    quote = connection.ops.quote_name
    lock = " FOR UPDATE" if connection.features.has_select_for_update else ""
    with connection.cursor() as cursor:  # (the ORM's .get() costs more to build than to run here)
        cursor.execute(f"SELECT {quote('last_seq')}, {quote('last_hash')} FROM {quote(ChainHead._meta.db_table)} "
                       f"WHERE {quote(ChainHead._meta.pk.column)} = 1{lock}")
        row = cursor.fetchone()
    if row is not None:
        return ChainHead.from_db(connection.alias, ["id", "last_seq", "last_hash"], (1, *row))
    last = AuditEvent.objects.order_by("-seq").only("seq", "hash").first()
    seed = ChainHead(pk=1, last_seq=last.seq if last else 0, last_hash=last.hash if last else GENESIS_HASH)
    ChainHead.objects.bulk_create([seed], ignore_conflicts=True)
    return ChainHead.objects.select_for_update().get(pk=1)


def record(*, actor, action: str, obj=None, object_type: str | None = None,
           object_id: Any = None, object_repr: str | None = None, before: Any = None,
           after: Any = None, reason: str = "") -> AuditEvent:
    """Append one event to the chain in the caller's transaction.

    ``obj`` may be a model instance (type, id and repr are taken from it) or omitted in favour
    of the explicit ``object_*`` arguments. ``before``/``after`` are JSON-able dicts.
    """
    if obj is not None:
        object_type = object_type or obj._meta.label_lower
        object_id = obj.pk if object_id is None else object_id
        object_repr = str(obj) if object_repr is None else object_repr
    if not object_type:
        raise ValueError("audit.record needs obj or object_type")
    ctx = _request_context.get()
    actor_id = getattr(actor, "pk", None) if actor is not None else None
    actor_name = getattr(actor, "username", "") if actor is not None else "system"
    fields = dict(actor_id=actor_id, actor_name=actor_name or "", action=action, object_type=object_type,
                  object_id="" if object_id is None else str(object_id), object_repr=(object_repr or "")[:200],
                  before=canonical_json(before), after=canonical_json(after), reason=reason or "",
                  client_ip=ctx.client_ip if ctx else "")
    connection = connections[router.db_for_write(AuditEvent)]
    # savepoint=False: inside a service's transaction a failure here must roll the whole write
    # back anyway, so a savepoint would only cost two more round trips per event.
    with transaction.atomic(savepoint=False, using=connection.alias):
        if connection.vendor == "postgresql":
            # The head this connection wrote last: when it is still the head, the event goes in with
            # one statement that moves the head only from exactly that (seq, hash) and inserts only
            # if it did; the head row's lock is taken by that UPDATE, so writers still queue.
            known = getattr(connection, "_gongjian_chain_head", None)
            if known is not None:
                event = _new_event(fields, *known)
                if _append_postgresql(connection, event, expect=known):
                    connection._gongjian_chain_head = (event.seq, event.hash)
                    return event
        # The lock: every writer queues here until the previous one commits (PostgreSQL row
        # lock; on SQLite the IMMEDIATE transaction already holds the database's write lock).
        head = _locked_head()
        event = _new_event(fields, head.last_seq, head.last_hash)
        if connection.vendor == "postgresql":
            _append_postgresql(connection, event)
            connection._gongjian_chain_head = (event.seq, event.hash)
        else:
            event.save(force_insert=True)
            head.last_seq, head.last_hash = event.seq, event.hash
            head.save(update_fields=["last_seq", "last_hash"])
    return event


def _new_event(fields: dict, last_seq: int, last_hash: str) -> AuditEvent:
    event = AuditEvent(seq=last_seq + 1, created_at=timezone.now(), prev_hash=last_hash, **fields)
    event.hash = event_hash(event)
    return event


_APPEND_SQL: dict[str, tuple[list[str], str, str]] = {}  # vendor -> (attnames, locked SQL, expecting SQL)


def _append_sql(connection) -> tuple[list[str], str, str]:
    """The two forms of the append statement, built once per process."""
    built = _APPEND_SQL.get(connection.vendor)
    if built is not None:
        return built
    fields = [f for f in AuditEvent._meta.concrete_fields if not f.primary_key]
    quote = connection.ops.quote_name
    table, pk = quote(AuditEvent._meta.db_table), quote(AuditEvent._meta.pk.column)
    head, head_pk = quote(ChainHead._meta.db_table), quote(ChainHead._meta.pk.column)
    columns = ", ".join(quote(f.column) for f in fields)
    marks = ", ".join(["%s"] * len(fields))
    locked = (f"WITH ev AS (INSERT INTO {table} ({columns}) VALUES ({marks}) RETURNING {pk}) "
              f"UPDATE {head} SET {quote('last_seq')} = %s, {quote('last_hash')} = %s "
              f"WHERE {head_pk} = 1 RETURNING (SELECT * FROM ev)")
    # (a SELECT list gives its parameters no column types to infer, so each is cast: text ones to
    # text, whose assignment to a varchar(n) column still refuses an over-long value)
    typed = ", ".join("CAST(%s AS {})".format("text" if f.get_internal_type() in ("CharField", "TextField")
                                              else f.db_type(connection)) for f in fields)
    expecting = (f"WITH moved AS (UPDATE {head} SET {quote('last_seq')} = %s, {quote('last_hash')} = %s "
                 f"WHERE {head_pk} = 1 AND {quote('last_seq')} = %s AND {quote('last_hash')} = %s RETURNING 1) "
                 f"INSERT INTO {table} ({columns}) SELECT {typed} FROM moved RETURNING {pk}")
    built = _APPEND_SQL[connection.vendor] = ([f.attname for f in fields], locked, expecting)
    return built


def _append_postgresql(connection, event: AuditEvent, *, expect: tuple[int, str] | None = None) -> bool:
    """The event's INSERT and the head's UPDATE as one statement (one round trip instead of two).

    Without ``expect`` the caller holds the head's lock. With ``expect=(seq, hash)`` the head moves
    (and the event is inserted) only if the head is exactly that, checked under the row lock the
    UPDATE takes: after another writer's commit it no longer matches, nothing is written and the
    result is False (the caller then locks the head and starts again)."""
    attnames, locked, expecting = _append_sql(connection)
    # (every column is an integer, text or an aware datetime, which psycopg takes as they are)
    values = [getattr(event, name) for name in attnames]
    if expect is None:
        sql, params = locked, [*values, event.seq, event.hash]
    else:
        sql, params = expecting, [event.seq, event.hash, *expect, *values]
    with connection.cursor() as cursor:
        cursor.execute(sql, params)
        row = cursor.fetchone()
    if row is None:
        if expect is not None:
            return False
        raise RuntimeError("audit chain head row vanished")  # it was locked above, so it exists
    event.pk = row[0]
    event._state.adding = False
    event._state.db = connection.alias
    return True


@dataclass
class VerifyResult:
    ok: bool
    checked: int
    message: str
    bad_seq: int | None = None
    bad_id: int | None = None


def _rows() -> Iterator[AuditEvent]:
    return AuditEvent.objects.order_by("seq", "id").iterator(chunk_size=5000)


def verify() -> VerifyResult:
    """Recompute the whole chain; report the first row that does not fit."""
    expected_seq = 1
    prev = GENESIS_HASH
    checked = 0
    for row in _rows():
        where = f"第 {row.seq} 条 (id={row.id}) / row seq={row.seq} id={row.id}"
        if row.seq != expected_seq:
            what = "缺少前面的记录(被删除)" if row.seq > expected_seq else "序号重复或被重排"
            return VerifyResult(False, checked,
                                f"{where}: 序号应为 {expected_seq}，{what} / sequence gap or reorder",
                                row.seq, row.id)
        if row.prev_hash != prev:
            return VerifyResult(False, checked,
                                f"{where}: 与上一条的链接断开(记录被删除、插入或调换) / "
                                "link to previous row broken", row.seq, row.id)
        if event_hash(row) != row.hash:
            return VerifyResult(False, checked,
                                f"{where}: 内容与哈希不符(记录被修改) / content does not match its hash",
                                row.seq, row.id)
        prev = row.hash
        expected_seq += 1
        checked += 1
    head = ChainHead.objects.filter(pk=1).first()
    if head is None:
        return VerifyResult(False, checked, "审计链头缺失 / chain head row is missing")
    if head.last_seq != checked or head.last_hash != prev:
        return VerifyResult(
            False, checked,
            f"链尾不符: 链头记录到第 {head.last_seq} 条，表中只有 {checked} 条(末尾记录被删除或链头被改) / "
            "chain head does not match the last row",
            head.last_seq, None,
        )
    return VerifyResult(True, checked, f"审计链完整，共 {checked} 条 / audit chain intact, {checked} events")


def timeline(obj) -> list[AuditEvent]:
    """Events about one object, oldest first (the case timeline reads this)."""
    return list(
        AuditEvent.objects.filter(object_type=obj._meta.label_lower, object_id=str(obj.pk))
        .select_related("actor").order_by("seq")
    )
