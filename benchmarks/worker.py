"""Benchmark: background work — the queue's own speed, and the deadline-reminder scan at district scale.

What it measures
----------------
* no-op tasks: ``--tasks`` (10,000) ``jobs.tasks.noop`` tasks enqueued (enqueue rate, one INSERT each, as
  a scan's pump_soon or a page's PDF request does), then run by
  - one gongjian worker in this process (``Worker(batch=True)``: claim with SKIP LOCKED / an exclusive
    transaction on SQLite, run, record the result, heartbeat thread running), tasks/s;
  - two ``gongjian worker --batch`` processes at once, tasks/s (wall, process start included);
  - baseline: django-tasks-db's own worker loop (``db_worker``'s ``Worker.run`` in this process, the same
    claim and record without our heartbeat and scheduler), tasks/s. The ratio ours / baseline near 1 says the
    heartbeat and the scheduler hooks cost nothing measurable per task.
* reminder scan: ``--cases`` cases bulk-loaded as benchmarks/ledger.py does (1,000,000 on PostgreSQL, 200,000
  on SQLite; deadlines spread around today, every status), then ``ledger.reminders.deadline_reminders`` for
  the next working day: the window query, the 经办人 lookup and one notice per person and case, in chunks of
  500, each chunk one transaction; seconds for the first run, for a second run (nothing new to tell: every
  key already recorded), and the bare COUNT of the same window as the baseline. Then ``notify.flush`` of the
  recorded notices into messages (one per person and topic), seconds.

No target is named for these in the issue; the figures are printed to watch them over time.

It never touches a developer's data: a scratch GONGJIAN_HOME (SQLite there), or a scratch database
``gongjian_bench_<pid>`` next to GONGJIAN_DATABASE_URL's, dropped at the end. Run from the repository root:

    .venv/bin/python benchmarks/worker.py --cases 50000
    GONGJIAN_DATABASE_URL=postgres://postgres@127.0.0.1:5432/postgres .venv/bin/python benchmarks/worker.py

It is a benchmark, not a test: it always exits 0.
"""

from __future__ import annotations

import argparse
import datetime as dt
import os
import subprocess
import sys
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT / "src"))
sys.path.insert(0, str(ROOT / "benchmarks"))

from ledger import Scratch, bulk_load, log, setup_district  # noqa: E402  (benchmarks/ledger.py)


def enqueue_noops(n: int) -> float:
    from gongjian.jobs.tasks import noop

    t0 = time.perf_counter()
    for _ in range(n):
        noop.enqueue()
    return n / (time.perf_counter() - t0)


def run_ours(n: int) -> float:
    from gongjian.jobs.worker import Worker

    enqueue_noops(n)
    worker = Worker(batch=True, interval=0)
    t0 = time.perf_counter()
    worker.run()
    elapsed = time.perf_counter() - t0
    assert worker._run_tasks == n, worker._run_tasks
    return n / elapsed


def run_upstream(n: int) -> float:
    from django_tasks_db.management.commands.db_worker import Worker

    enqueue_noops(n)
    worker = Worker(queue_names=["*"], interval=0, batch=True, backend_name="default", startup_delay=False,
                    max_tasks=None, worker_id="bench-upstream", excluded_queue_names=[])
    t0 = time.perf_counter()
    worker.run()
    elapsed = time.perf_counter() - t0
    assert worker._run_tasks == n, worker._run_tasks
    return n / elapsed


def run_two_processes(n: int) -> float:
    enqueue_noops(n)
    env = dict(os.environ, PYTHONPATH=str(ROOT / "src"))
    t0 = time.perf_counter()
    procs = [subprocess.Popen([sys.executable, "-m", "gongjian.cli", "worker", "--batch", "--interval", "0"],
                              env=env, stdout=subprocess.DEVNULL, stderr=subprocess.PIPE) for _ in range(2)]
    for p in procs:
        _, err = p.communicate(timeout=3600)
        if p.returncode:
            raise RuntimeError(err.decode()[-500:])
    return n / (time.perf_counter() - t0)


def reminder_scan() -> dict:
    from django.db import connection

    from gongjian.core.calendar import work_calendar
    from gongjian.ledger import reminders
    from gongjian.ledger.models import DEADLINE_STATUSES, Case
    from gongjian.ledger.services import today
    from gongjian.notify import services as notify

    calendar = work_calendar()
    on = today()
    while not calendar.is_workday(on):
        on += dt.timedelta(days=1)
    (_, after, through), = reminders._windows(on, calendar)
    t0 = time.perf_counter()
    window = Case.objects.filter(status__in=sorted(DEADLINE_STATUSES), deadline__gt=after, deadline__lte=through)
    bare = window.count()
    count_s = time.perf_counter() - t0
    t0 = time.perf_counter()
    first = reminders.deadline_reminders(on=on)
    first_s = time.perf_counter() - t0
    t0 = time.perf_counter()
    second = reminders.deadline_reminders(on=on)
    second_s = time.perf_counter() - t0
    t0 = time.perf_counter()
    made = notify.flush()
    flush_s = time.perf_counter() - t0
    return {"on": on, "cases": first["cases"], "bare": bare, "notices": first["notices"], "again": second["notices"],
            "count_s": count_s, "first_s": first_s, "second_s": second_s, "flush_s": flush_s, "made": made,
            "vendor": connection.vendor}


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--tasks", type=int, default=10_000, help="no-op tasks per run (10000)")
    parser.add_argument("--cases", type=int, help="cases for the reminder scan (1000000 on PostgreSQL, 200000 on SQLite)")
    parser.add_argument("--seed", type=int, default=20260601, help="RNG seed")
    parser.add_argument("--keep", action="store_true", help="keep the scratch database and home")
    args = parser.parse_args(argv)

    scratch = Scratch(args.keep)
    try:
        import django

        django.setup()
        n = args.cases or (1_000_000 if scratch.postgres else 200_000)
        log(f"database: {scratch.where}")
        log("migrating and loading the demo district ...")
        campaigns = setup_district()
        log(f"no-op tasks: {args.tasks:,} per run ...")
        enqueue_rate = enqueue_noops(args.tasks)
        from gongjian.jobs.worker import run_pending

        run_pending()  # drain the enqueue measurement's tasks
        ours = run_ours(args.tasks)
        upstream = run_upstream(args.tasks)
        two = run_two_processes(args.tasks)
        log(f"bulk-loading {n:,} cases ...")
        bulk_load(n, campaigns, args.seed, 20_000)
        log("reminder scan ...")
        r = reminder_scan()

        print()
        print(f"database:            {r['vendor']}; python {sys.version.split()[0]}; load {os.getloadavg()[0]:.1f}")
        print(f"enqueue:             {enqueue_rate:,.0f} tasks/s")
        print(f"no-op tasks:         one worker {ours:,.0f} tasks/s; two worker processes {two:,.0f} tasks/s "
              f"(start-up included); baseline django-tasks-db worker loop {upstream:,.0f} tasks/s, "
              f"ratio {ours / upstream:.2f}")
        print(f"reminder scan:       {n:,} cases; {r['cases']:,} due by the next working day after {r['on']} "
              f"(bare COUNT {r['bare']:,} in {r['count_s'] * 1000:.0f} ms); first run {r['first_s']:.2f} s "
              f"({r['notices']:,} notices, {r['cases'] / max(r['first_s'], 1e-9):,.0f} cases/s); second run "
              f"{r['second_s']:.2f} s ({r['again']} new)")
        print(f"batching:            notify.flush {r['flush_s']:.2f} s → {r['made']:,} messages and deliveries")
    finally:
        scratch.close()
    return 0


if __name__ == "__main__":
    sys.exit(main())
