"""Benchmark: server time of the pages people open most, at district scale (100,000 cases).

What it measures
----------------
With ``--cases`` cases (default 100,000) built by benchmarks/ledger.py's data builder (the demo
district, four campaigns, every status and source, deadlines around today), each request through
Django's test ``Client`` as the command post's ``zhihui`` (and one as a street handler), warm (one
request first), p50/p95 over ``--runs`` runs (default 20):

* the ledger page's first render (``GET /ledger/``, the whole page);
* a filter change: the htmx request for one status and one unit (the table part only);
* more filter changes people make: a keyword, the red lights, page 20;
* the ledger page's first render for a street handler (scoped: counts capped, no tally);
* the export of a filtered view (``/ledger/export.xlsx`` with the same status and unit);
* the home page ``/`` (whatever it renders now).

Target: every ledger render (page or filter change) p95 under 300 ms. The export and the home
page are printed for reference.

It runs in a scratch database of its own like benchmarks/ledger.py (a temporary GONGJIAN_HOME with
SQLite, or a scratch database ``gongjian_bench_<pid>`` on the PostgreSQL server named by
GONGJIAN_DATABASE_URL, postgres://postgres@127.0.0.1:5432/postgres by default), dropped at the end:

    .venv/bin/python benchmarks/pages.py --cases 20000
    .venv/bin/python benchmarks/pages.py --db postgres
    GONGJIAN_DATABASE_URL=postgres://postgres@127.0.0.1:5432/postgres .venv/bin/python benchmarks/pages.py --db postgres

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

TARGET_MS = 300.0
DEFAULT_PG = "postgres://postgres@127.0.0.1:5432/postgres"


def _ledger_bench():
    """benchmarks/ledger.py, whose data builder this reuses."""
    spec = importlib.util.spec_from_file_location("bench_ledger", HERE / "ledger.py")
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module


def _get(client, url: str, headers: dict) -> tuple[int, int]:
    resp = client.get(url, headers=headers)
    body = b"".join(resp.streaming_content) if resp.streaming else resp.content
    return resp.status_code, len(body)


def measure(client, url: str, runs: int, headers: dict | None = None, percentile=None):
    headers = headers or {}
    status, size = _get(client, url, headers)  # warm
    if status != 200:
        raise SystemExit(f"{url} answered {status}")
    times = []
    for _ in range(runs):
        t = time.perf_counter()
        _get(client, url, headers)
        times.append((time.perf_counter() - t) * 1000)
    return percentile(times, 0.5), percentile(times, 0.95), size


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--db", choices=["sqlite", "postgres"], default="sqlite",
                        help="sqlite (a scratch file) or postgres (a scratch database on GONGJIAN_DATABASE_URL's "
                             f"server, {DEFAULT_PG} when unset)")
    parser.add_argument("--cases", type=int, default=100_000, help="cases to build (100000)")
    parser.add_argument("--runs", type=int, default=20, help="timed requests per page (20)")
    parser.add_argument("--seed", type=int, default=20260601, help="RNG seed")
    parser.add_argument("--keep", action="store_true", help="keep the scratch database and home")
    args = parser.parse_args(argv)

    if args.db == "postgres":
        url = os.environ.get("GONGJIAN_DATABASE_URL", "").strip()
        os.environ["GONGJIAN_DATABASE_URL"] = url if url.startswith(("postgres://", "postgresql://")) else DEFAULT_PG
    else:
        os.environ.pop("GONGJIAN_DATABASE_URL", None)
    os.environ["GONGJIAN_ALLOWED_HOSTS"] = "testserver,127.0.0.1,localhost"
    bench = _ledger_bench()
    scratch = bench.Scratch(args.keep)
    (scratch.home / "static").mkdir(exist_ok=True)  # whitenoise looks for it
    log = bench.log
    try:
        import django

        django.setup()
        from django.db import connection
        from django.test import Client

        from gongjian.org.models import Unit, User

        log(f"database: {scratch.where}")
        log("migrating and loading the demo district ...")
        campaigns = bench.setup_district()
        log(f"building {args.cases:,} cases with benchmarks/ledger.py's builder ...")
        bench.bulk_load(args.cases, campaigns, args.seed, min(20_000, args.cases))

        street = Unit.objects.get(name="百间房街道")
        commander, handler = Client(), Client()
        commander.force_login(User.objects.get(username="zhihui"))
        handler.force_login(User.objects.get(username="bjf_jingban"))
        htmx = {"HX-Request": "true", "HX-Current-URL": "http://testserver/ledger/"}
        filtered = f"status=rectifying&unit={street.pk}"
        pages = [
            ("ledger page, first render", commander, "/ledger/", {}, True),
            ("filter change: status + unit (htmx)", commander, f"/ledger/?{filtered}", htmx, True),
            ("filter change: keyword 油烟 (htmx)", commander, "/ledger/?q=油烟", htmx, True),
            ("filter change: light red (htmx)", commander, "/ledger/?light=red", htmx, True),
            ("page 20 (htmx)", commander, "/ledger/?page=20", htmx, True),
            ("ledger page, street handler", handler, "/ledger/", {}, True),
            ("export: status + unit (xlsx)", commander, f"/ledger/export.xlsx?{filtered}", {}, False),
            ("home page /", commander, "/", {}, False),
        ]
        results = []
        for name, client, url, headers, targeted in pages:
            p50, p95, size = measure(client, url, args.runs, headers, percentile=bench.percentile)
            results.append((name, url, p50, p95, size, targeted))
            log(f"  {name:<40} p50 {p50:7.1f} ms  p95 {p95:7.1f} ms  {size / 1024:7.1f} KB")
        from gongjian.ledger import selectors, services
        from gongjian.ledger.forms import LedgerFilterForm

        user = User.objects.get(username="zhihui")
        form = LedgerFilterForm({"status": "rectifying", "unit": street.pk}, user=user)
        exported = selectors.ledger(user, form.to_filter(), on=services.today()).count()

        print()
        print(f"database: {connection.vendor}, {args.cases:,} cases; {args.runs} warm runs per page; "
              f"server time through Django's test Client")
        print(f"{'page':<42} {'p50 ms':>8} {'p95 ms':>8} {'size':>9}  target p95 < {TARGET_MS:.0f} ms")
        for name, _url, p50, p95, size, targeted in results:
            verdict = ("PASS" if p95 < TARGET_MS else "FAIL") if targeted else "(no target)"
            print(f"  {name:<40} {p50:>8.1f} {p95:>8.1f} {size / 1024:>7.1f}KB  {verdict}")
        print(f"  (the export holds {exported:,} rows)")
        if args.cases != 100_000:
            print("(the target is for 100,000 cases: at this size the PASS/FAIL lines are indicative)")
    finally:
        scratch.close()
    return 0


if __name__ == "__main__":
    sys.exit(main())
