"""The worker: runs queued tasks one at a time, beats a heartbeat, and optionally runs the scheduler.

Built on django-tasks-db's worker (claiming with ``SELECT … FOR UPDATE SKIP LOCKED`` on PostgreSQL, an
exclusive transaction on SQLite, so several workers never take the same task). What it adds:

* a heartbeat row (:class:`WorkerBeat`) written from a thread every lease/6 seconds, so a task left
  运行中 by a killed worker can be recognised and queued again (``scheduler.reclaim``);
* ``with_scheduler``: the scheduler's tick (and the reclaim) every few seconds between tasks, so the
  embedded deployment needs one extra process, not two.
"""

from __future__ import annotations

import logging
import os
import socket
import threading
import time

from django.db import OperationalError, connection, connections
from django.utils import timezone
from django.utils.crypto import get_random_string
from django_tasks_db.management.commands.db_worker import Worker as DatabaseWorker
from django_tasks_db.models import DBTaskResult
from django_tasks_db.utils import exclusive_transaction, is_locked_database_exception

from gongjian.jobs import scheduler
from gongjian.jobs.models import WorkerBeat

log = logging.getLogger("gongjian.jobs")

TICK_EVERY = 5.0


def _refresh_connections() -> None:
    """Drop a connection that broke (the database restarted, a network blip) between tasks; keep a healthy
    one, even on SQLite where Django closes connections after every request (reopening costs more than a
    no-op task). Never inside a caller's transaction (run_pending called from a test or a command)."""
    if connection.in_atomic_block:
        return
    for conn in connections.all(initialized_only=True):
        if conn.connection is not None and conn.errors_occurred and not conn.is_usable():
            conn.close()


def _custom_plans(sender, connection, **kwargs) -> None:
    """PostgreSQL: plan the claim for its actual values. Prepared statements (settings: prepare_threshold)
    switch to a generic plan after a few runs, and a generic plan for ``status = $1`` cannot use the queue's
    partial index on READY rows: every claim would scan the whole task table."""
    if connection.vendor == "postgresql":
        with connection.cursor() as cursor:
            cursor.execute("SET plan_cache_mode = force_custom_plan")


class Worker(DatabaseWorker):
    def __init__(self, *, queues: list[str] | None = None, interval: float = 1.0, batch: bool = False,
                 max_tasks: int | None = None, with_scheduler: bool = False, tick_every: float = TICK_EVERY,
                 worker_id: str | None = None, backend_name: str = "default", on_started=None):
        super().__init__(queue_names=queues or ["*"], interval=interval, batch=batch, backend_name=backend_name,
                         startup_delay=False, max_tasks=max_tasks,
                         worker_id=worker_id or f"{socket.gethostname()[:40]}-{os.getpid()}-{get_random_string(6)}",
                         excluded_queue_names=[])
        self.with_scheduler = with_scheduler
        self.tick_every = tick_every
        self.on_started = on_started  # called once the heartbeat row exists
        self._stop_beat = threading.Event()
        self._beat: threading.Thread | None = None

    # ------------------------------------------------------------- heartbeat
    def _beat_every(self) -> float:
        return max(0.2, scheduler.lease().total_seconds() / 6)

    def _beat_loop(self) -> None:
        try:
            while not self._stop_beat.wait(self._beat_every()):
                try:
                    WorkerBeat.objects.filter(pk=self.worker_id).update(seen_at=timezone.now(),
                                                                        tasks_done=self._run_tasks)
                except Exception:  # the next beat tries again; the lease allows several misses
                    log.exception("heartbeat failed")
        finally:
            connection.close()

    def _beat_start(self) -> None:
        now = timezone.now()
        WorkerBeat.objects.update_or_create(
            worker_id=self.worker_id,
            defaults={"hostname": socket.gethostname()[:100], "pid": os.getpid(), "started_at": now,
                      "seen_at": now, "with_scheduler": self.with_scheduler, "stopped_at": None})
        self._beat = threading.Thread(target=self._beat_loop, name="gongjian-heartbeat", daemon=True)
        self._beat.start()

    def _beat_stop(self) -> None:
        self._stop_beat.set()
        if self._beat is not None:
            self._beat.join(5)
        try:
            _refresh_connections()
            WorkerBeat.objects.filter(pk=self.worker_id).update(stopped_at=timezone.now(),
                                                                tasks_done=self._run_tasks)
        except Exception:
            log.exception("could not record the worker's stop")

    # ------------------------------------------------------------- the loop
    def _tick(self) -> None:
        try:
            scheduler.reclaim()
            scheduler.tick()
        except OperationalError as exc:
            if not is_locked_database_exception(exc):
                log.exception("scheduler tick failed")
        except Exception:  # a broken job definition must not stop the tasks
            log.exception("scheduler tick failed")

    def _claim(self) -> tuple[DBTaskResult | None, bool]:
        tasks = DBTaskResult.objects.ready().filter(backend_name=self.backend_name)
        if not self.process_all_queues:
            tasks = tasks.filter(queue_name__in=self.queue_names)
        try:
            with exclusive_transaction(tasks.db):
                task = tasks.get_locked()
                if task is not None:
                    task.claim(self.worker_id)
            return task, True
        except OperationalError as exc:
            if is_locked_database_exception(exc):
                return None, False
            raise

    def run(self) -> None:
        log.info("worker %s starting (queues %s%s)", self.worker_id, ",".join(self.queue_names),
                 ", with scheduler" if self.with_scheduler else "")
        from django.db.backends.signals import connection_created

        connection_created.connect(_custom_plans, dispatch_uid="gongjian-worker-custom-plans")
        if connection.connection is not None:
            _custom_plans(None, connection)
        self._beat_start()
        if self.on_started is not None:
            self.on_started()
        next_tick = 0.0
        try:
            while self.running:
                _refresh_connections()
                if self.with_scheduler and time.monotonic() >= next_tick:
                    self._tick()
                    next_tick = time.monotonic() + self.tick_every
                task, looked = self._claim()
                if task is not None:
                    self.run_task(task)
                elif self.batch and looked:
                    return
                if self.max_tasks is not None and self._run_tasks >= self.max_tasks:
                    return
                _refresh_connections()
                if self.running and task is None:
                    wait = self.interval
                    if self.with_scheduler:
                        wait = max(0.0, min(wait, next_tick - time.monotonic()))
                    time.sleep(wait)
        finally:
            self._beat_stop()


def run_pending(*, max_tasks: int | None = None, with_scheduler: bool = False) -> int:
    """Run every task that is ready now in this process, then return how many ran (tests, `--batch`)."""
    worker = Worker(batch=True, interval=0, max_tasks=max_tasks, with_scheduler=with_scheduler)
    worker.run()
    return worker._run_tasks
