"""Benchmark: the 工作台 dashboard and the map's points at district scale.

What it measures
----------------
* ``ledger.dashboard.dashboard_context`` (every figure of the dashboard: counts by status, lights,
  the 30-day trend, the per-unit table, the to-dos) and the whole page through Django's test client,
  p50/p95 over ``--runs`` runs, for a district commander (counts from the trigger-kept tally), a
  street handler (scoped counting) and a leader with 分包 units, all campaigns and one campaign;
  the number of SQL queries of each;
* the same with the dashboard's indexes (migration 0004) dropped, as the baseline: the ratio is
  what they save;
* ``/map/cases.json`` for the commander: the first GONGJIAN_MAP_MAX_POINTS (5000) points.

Data: the cases of ``benchmarks/ledger.py``'s bulk load (1,000,000 on PostgreSQL, 200,000 on SQLite
by default; ``--cases N``), in a scratch home or scratch PostgreSQL database dropped at the end.
Target: every dashboard page p95 under 1 s at 1,000,000 cases on PostgreSQL on the 2-core machine.

    .venv/bin/python benchmarks/dashboard.py --cases 50000
    GONGJIAN_DATABASE_URL=postgres://postgres@127.0.0.1:5432/postgres .venv/bin/python benchmarks/dashboard.py
    # again on the data of a --keep run, without loading it again:
    GONGJIAN_DATABASE_URL=postgres://postgres@127.0.0.1:5432/postgres .venv/bin/python benchmarks/dashboard.py \
        --existing gongjian_bench_12345

It is a benchmark, not a test: it always exits 0 and prints PASS/FAIL against the target.
"""

from __future__ import annotations

import argparse
import importlib.util
import os
import sys
import time
from pathlib import Path

HERE = Path(__file__).resolve().parent
sys.path.insert(0, str(HERE.parent / "src"))

TARGET_PAGE_P95_MS = 1000.0
DASHBOARD_INDEXES = ["case_closed_at_idx", "case_on_time_idx", "case_waiting_idx"]


def _ledger_bench():
    spec = importlib.util.spec_from_file_location("ledger_bench", HERE / "ledger.py")
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module


def timed(fn, runs: int) -> tuple[float, float]:
    fn()  # warm
    times = []
    for _ in range(runs):
        t0 = time.perf_counter()
        fn()
        times.append((time.perf_counter() - t0) * 1000)
    lb = _LB
    return lb.percentile(times, 0.5), lb.percentile(times, 0.95)


def suite(campaigns, runs: int) -> list[tuple[str, int, float, float, float, float]]:
    from django.db import connection
    from django.test import Client
    from django.test.utils import CaptureQueriesContext

    from gongjian.ledger import dashboard, services
    from gongjian.org.models import User

    on = services.today()
    readers = [("commander (district)", "zhihui"), ("street handler", "bjf_jingban"),
               ("leader with 分包", "juzhang")]
    out = []
    for label, username in readers:
        user = User.objects.get(username=username)
        client = Client(HTTP_HOST="127.0.0.1")
        client.force_login(user)
        for campaign in (None, campaigns[0]):
            name = f"{label}, {'all campaigns' if campaign is None else 'one campaign'}"

            def ctx(user=user, campaign=campaign):
                fresh = User.objects.get(pk=user.pk)  # no cached scope between runs
                return dashboard.dashboard_context(fresh, on, campaign)

            url = "/" if campaign is None else f"/?campaign={campaign.pk}"
            with CaptureQueriesContext(connection) as q:
                assert client.get(url).status_code == 200
            n_queries = len(q.captured_queries)  # now: each request clears the log (reset_queries)
            c50, c95 = timed(ctx, runs)
            p50, p95 = timed(lambda url=url, client=client: client.get(url), runs)
            out.append((name, n_queries, c50, c95, p50, p95))
    return out


def map_points(runs: int) -> tuple[int, float, float]:
    from django.test import Client

    from gongjian.org.models import User

    client = Client(HTTP_HOST="127.0.0.1")
    client.force_login(User.objects.get(username="zhihui"))
    count = client.get("/map/cases.json").json()["count"]
    p50, p95 = timed(lambda: client.get("/map/cases.json"), runs)
    return count, p50, p95


def give_points(n: int) -> None:
    """Positions for a share of the bulk-loaded cases (the bulk load leaves them without)."""
    from django.db import connection

    with connection.cursor() as cur:
        if connection.vendor == "postgresql":
            cur.execute("UPDATE ledger_case SET lng = 113.2 + (id %% 997) / 10000.0, lat = 35.2 + (id %% 991) / 10000.0 "
                        "WHERE id %% 20 = 0 AND id <= %s", [n])
            cur.execute("VACUUM ANALYZE ledger_case")
        else:
            cur.execute("UPDATE ledger_case SET lng = 113.2 + (id % 997) / 10000.0, lat = 35.2 + (id % 991) / 10000.0 "
                        "WHERE id % 20 = 0 AND id <= ?", [n])


def drop_indexes() -> list[str]:
    """Drop the dashboard's indexes; their definitions, to put them back."""
    from django.db import connection

    with connection.cursor() as cur:
        if connection.vendor == "postgresql":
            cur.execute("SELECT indexdef FROM pg_indexes WHERE indexname = ANY(%s)", [DASHBOARD_INDEXES])
        else:
            cur.execute(f"SELECT sql FROM sqlite_master WHERE type = 'index' AND name IN "
                        f"({', '.join('?' for _ in DASHBOARD_INDEXES)})", DASHBOARD_INDEXES)
        definitions = [r[0] for r in cur.fetchall()]
        for name in DASHBOARD_INDEXES:
            cur.execute(f"DROP INDEX IF EXISTS {name}")
        cur.execute("ANALYZE")
    return definitions


def restore_indexes(definitions: list[str]) -> None:
    from django.db import connection

    with connection.cursor() as cur:
        for sql in definitions:
            cur.execute(sql)
        cur.execute("ANALYZE")


def main(argv: list[str] | None = None) -> int:
    global _LB
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--cases", type=int, help="cases to bulk-load (1000000 on PostgreSQL, 200000 on SQLite)")
    parser.add_argument("--runs", type=int, default=10, help="timed runs per measurement (10)")
    parser.add_argument("--seed", type=int, default=20260601, help="RNG seed")
    parser.add_argument("--keep", action="store_true", help="keep the scratch database and home")
    parser.add_argument("--existing", metavar="DBNAME",
                        help="measure a database an earlier --keep run left on the server GONGJIAN_DATABASE_URL names "
                             "(no load; its dashboard indexes are dropped for the baseline and then put back)")
    args = parser.parse_args(argv)

    _LB = lb = _ledger_bench()
    scratch = None if args.existing else lb.Scratch(args.keep)
    try:
        if args.existing:
            import tempfile
            import urllib.parse

            parts = urllib.parse.urlsplit(os.environ["GONGJIAN_DATABASE_URL"])
            os.environ["GONGJIAN_DATABASE_URL"] = urllib.parse.urlunsplit(parts._replace(path=f"/{args.existing}"))
            os.environ["GONGJIAN_HOME"] = tempfile.mkdtemp(prefix="gongjian-bench-")
            os.environ["DJANGO_SETTINGS_MODULE"] = "gongjian.config.settings"
            os.environ.setdefault("GONGJIAN_SECRET_KEY", "benchmark-only-" + os.urandom(8).hex())
        import django

        django.setup()
        from django.db import connection

        from gongjian.ledger.models import Campaign, Case

        if args.existing:
            lb.log(f"database: existing {args.existing}")
            campaigns = list(Campaign.objects.order_by("pk"))
            n = Case.objects.count()
        else:
            n = args.cases or (1_000_000 if scratch.postgres else 200_000)
            lb.log(f"database: {scratch.where}")
            lb.log("migrating and loading the demo district ...")
            campaigns = lb.setup_district()
            lb.log(f"bulk-loading {n:,} cases ...")
            lb.bulk_load(n, campaigns, args.seed, 20_000)
            give_points(n)
        # The test client's requests would close the connection after each page (and with it the
        # query log): keep one connection, as a server with persistent connections does.
        from django.core.signals import request_finished, request_started
        from django.db import close_old_connections

        request_started.disconnect(close_old_connections)
        request_finished.disconnect(close_old_connections)
        from django.conf import settings

        Path(settings.STATIC_ROOT).mkdir(parents=True, exist_ok=True)
        lb.log(f"dashboard ({args.runs} runs each) ...")
        with_idx = suite(campaigns, args.runs)
        points = map_points(args.runs)
        lb.log("again without the dashboard's indexes ...")
        dropped = drop_indexes()
        without = suite(campaigns, args.runs)
        restore_indexes(dropped)

        verdict = lambda ok: "PASS" if ok else "FAIL"  # noqa: E731
        print()
        print(f"database: {connection.vendor}, {n:,} cases")
        print(f"{'dashboard for':<42} {'SQL':>4} {'ctx p50':>8} {'ctx p95':>8} {'page p50':>9} {'page p95':>9} "
              f"{'no-idx p95':>10} {'ratio':>6}  target page p95 < {TARGET_PAGE_P95_MS:.0f} ms")
        for (name, nq, c50, c95, p50, p95), (_, _, _, _, _, b95) in zip(with_idx, without, strict=True):
            print(f"  {name:<40} {nq:>4} {c50:>8.1f} {c95:>8.1f} {p50:>9.1f} {p95:>9.1f} {b95:>10.1f} "
                  f"{p95 / b95:>5.2f}x  {verdict(p95 < TARGET_PAGE_P95_MS)}")
        count, m50, m95 = points
        print(f"map points (commander, all): {count:,} points, p50 {m50:.1f} ms, p95 {m95:.1f} ms")
        if connection.vendor != "postgresql" or n != 1_000_000:
            print("(indicative: the target is for 1,000,000 cases on PostgreSQL)")
    finally:
        if scratch is not None:
            scratch.close()
        else:
            import shutil

            shutil.rmtree(os.environ["GONGJIAN_HOME"], ignore_errors=True)
    return 0


_LB = None

if __name__ == "__main__":
    sys.exit(main())
