"""Per-process copies of small tables the write paths read on every call: the holiday calendar, the
grid index, the 分包 leaders. Without them each report or assignment re-reads or re-checks them.

How a copy stays right:

* In this process a save or delete of a watched model (its ``post_save`` / ``post_delete``) drops the
  copy at once, and again when that transaction commits. While the writing transaction is open, its
  own connection gets the value built fresh (it sees its own uncommitted write) and nothing is kept,
  so a rollback cannot leave a copy of data that never existed.
* Writes this process cannot hear (another process or server, ``QuerySet.update``, ``bulk_create``,
  raw SQL) are found by the table's signature (counts, newest ids and change times), re-read at most
  every ``settings.CACHE_RECHECK_SECONDS`` (``GONGJIAN_CACHE_RECHECK_SECONDS``, default 2): a change
  there is seen within that window. 0 re-reads it on every use.
"""

from __future__ import annotations

import threading
import time
from collections.abc import Callable
from typing import Any

from django.conf import settings
from django.db import DEFAULT_DB_ALIAS, connections, transaction
from django.db.models.signals import post_delete, post_save

_caches: list[TableCache] = []
clock = time.monotonic  # tests move it on


def recheck_seconds() -> float:
    return float(getattr(settings, "CACHE_RECHECK_SECONDS", 2.0))


class TableCache:
    def __init__(self, name: str, *, build: Callable[[], Any], signature: Callable[[], Any], models: list):
        self.name = name
        self.build = build
        self.signature = signature
        self._lock = threading.Lock()
        self._value: Any = None
        self._signature: Any = None
        self._checked_at = float("-inf")
        self._generation = 0
        self._pending: dict[int, Callable] = {}  # id(connection) -> its on_commit callback
        for model in models:
            post_save.connect(self._changed, sender=model, weak=False, dispatch_uid=f"{name}:{model}:save")
            post_delete.connect(self._changed, sender=model, weak=False, dispatch_uid=f"{name}:{model}:delete")
        _caches.append(self)

    def clear(self) -> None:
        with self._lock:
            self._value = None
            self._signature = None
            self._checked_at = float("-inf")
            self._generation += 1

    def _changed(self, sender=None, using=None, **kwargs) -> None:
        self.clear()
        conn = connections[using or DEFAULT_DB_ALIAS]
        if conn.in_atomic_block and not self._writing(conn):
            key = id(conn)

            def committed() -> None:
                self._pending.pop(key, None)
                self.clear()

            self._pending[key] = committed
            transaction.on_commit(committed, using=conn.alias)

    def _writing(self, conn) -> bool:
        """True while ``conn``'s open transaction has changed a watched table (its on_commit is queued;
        a rollback discards the queue, and so ends this)."""
        callback = self._pending.get(id(conn))
        if callback is None:
            return False
        if conn.in_atomic_block and any(entry[1] is callback for entry in conn.run_on_commit):
            return True
        self._pending.pop(id(conn), None)
        return False

    def get(self) -> Any:
        if self._pending and self._writing(connections[DEFAULT_DB_ALIAS]):
            return self.build()
        now = clock()
        value = self._value
        if value is not None and now - self._checked_at < recheck_seconds():
            return value
        signature = self.signature()
        with self._lock:
            if self._value is not None and self._signature == signature:
                self._checked_at = now
                return self._value
            generation = self._generation
        value = self.build()
        with self._lock:
            if generation == self._generation:  # no write was heard while building
                self._value, self._signature, self._checked_at = value, signature, now
        return value


def clear_all() -> None:
    """Drop every copy (a fresh process's state)."""
    for cache in _caches:
        cache.clear()
