"""Benchmark: notifications — publish, flush and deliver_due.

What it measures
----------------
* ``publish``: notice items recorded per second (``--keys`` facts, each for 5 people and 2 units), and
  the same facts published again (every one skipped by the unique constraints);
* ``flush``: items batched per second into inbox messages (one per person and topic) and robot deliveries;
* ``deliver_due``: deliveries sent per second to a local HTTP endpoint (a thread on 127.0.0.1 answering
  at once), by one sender and by two senders racing (threads with their own connections); it checks that
  the endpoint received each delivery exactly once.

It runs in a scratch home (SQLite) or a scratch PostgreSQL database dropped at the end:

    .venv/bin/python benchmarks/notify.py
    GONGJIAN_DATABASE_URL=postgres://postgres@127.0.0.1:5432/postgres .venv/bin/python benchmarks/notify.py

It is a benchmark, not a test: it always exits 0.
"""

from __future__ import annotations

import argparse
import importlib.util
import sys
import threading
import time
from collections import Counter
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path

HERE = Path(__file__).resolve().parent
sys.path.insert(0, str(HERE.parent / "src"))


def _ledger_bench():
    spec = importlib.util.spec_from_file_location("ledger_bench", HERE / "ledger.py")
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module


def endpoint():
    seen: Counter = Counter()
    lock = threading.Lock()

    class Handler(BaseHTTPRequestHandler):
        def do_POST(self):
            self.rfile.read(int(self.headers.get("Content-Length") or 0))
            with lock:
                seen[self.headers.get("X-Gongjian-Delivery")] += 1
            self.send_response(200)
            self.send_header("Content-Length", "0")
            self.end_headers()

        def log_message(self, *args):
            pass

    server = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
    threading.Thread(target=server.serve_forever, daemon=True).start()
    return server, seen


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--keys", type=int, default=2000, help="facts to publish (2000), each for 5 people and 2 units")
    parser.add_argument("--deliveries", type=int, default=2000, help="deliveries to send (2000)")
    parser.add_argument("--keep", action="store_true", help="keep the scratch database and home")
    args = parser.parse_args(argv)
    lb = _ledger_bench()
    scratch = lb.Scratch(args.keep)
    try:
        import django

        django.setup()
        from django.core.management import call_command
        from django.db import connections

        call_command("migrate", interactive=False, verbosity=0)
        from gongjian.notify import services
        from gongjian.notify.models import Channel, Delivery, Message, NoticeItem, Subscription
        from gongjian.org import services as org
        from gongjian.org.models import Role, UnitKind, User

        print(f"database: {scratch.where}")
        root = org.unit_create(actor=None, name="基准区", kind=UnitKind.DISTRICT)
        streets = [org.unit_create(actor=None, name=f"街道{i}", kind=UnitKind.STREET, parent=root) for i in range(2)]
        people = [User.objects.create(username=f"p{i}", unit=streets[i % 2]) for i in range(5)]
        for p in people:
            p.role_assignments.create(role=Role.HANDLER)
        server, seen = endpoint()
        url = f"http://127.0.0.1:{server.server_address[1]}/hook"
        for s in streets:
            ch = services.channel_save(actor=None, channel=Channel(name=f"{s.name}hook", kind="webhook", url=url,
                                                                  unit=s, rate_limit=0))
            services.subscription_save(actor=None, subscription=Subscription(unit=s, channel=ch))

        def publish_all():
            for i in range(args.keys):
                services.publish(topic="reminder", key=f"r:{i}", title="到期提醒", line=f"案件 {i} 明天到期",
                                 link=f"/cases/{i}/", users=people, units=streets)

        t0 = time.perf_counter()
        publish_all()
        t_pub = time.perf_counter() - t0
        items = NoticeItem.objects.count()
        t0 = time.perf_counter()
        publish_all()
        t_again = time.perf_counter() - t0
        assert NoticeItem.objects.count() == items
        t0 = time.perf_counter()
        made = 0
        while n := services.flush(limit=5000):
            made += n
        t_flush = time.perf_counter() - t0
        print(f"publish:      {items:,} items in {t_pub:.2f} s = {items / t_pub:,.0f} items/s "
              f"({args.keys:,} calls, {args.keys / t_pub:,.0f} calls/s)")
        print(f"publish again (all skipped): {args.keys:,} calls in {t_again:.2f} s = {args.keys / t_again:,.0f} calls/s")
        print(f"flush:        {items:,} items -> {Message.objects.count()} messages + {Delivery.objects.count()} "
              f"deliveries in {t_flush:.2f} s = {items / t_flush:,.0f} items/s")

        # Deliveries: many small ones (one item each), sent by one sender, then by two racing.
        Delivery.objects.all().delete()
        hook = Channel.objects.first()
        half = args.deliveries // 2
        from django.utils import timezone

        now = timezone.now()
        rows = [Delivery(channel=hook, kind="webhook", unit=hook.unit, topic="case", title="案件动态",
                         lines=[{"text": f"案件 {i}", "link": ""}], next_attempt_at=now, created_at=now)
                for i in range(args.deliveries)]
        Delivery.objects.bulk_create(rows[:half])
        t0 = time.perf_counter()
        sent = 0
        while (r := services.deliver_due(limit=100))["sent"]:
            sent += r["sent"]
        t_one = time.perf_counter() - t0
        print(f"deliver_due, one sender:  {sent:,} in {t_one:.2f} s = {sent / t_one:,.0f} deliveries/s")
        Delivery.objects.bulk_create(rows[half:])
        totals: Counter = Counter()

        def sender():
            try:
                while (r := services.deliver_due(limit=100))["sent"]:
                    totals[threading.get_ident()] += r["sent"]
            finally:
                connections.close_all()

        threads = [threading.Thread(target=sender) for _ in range(2)]
        t0 = time.perf_counter()
        for t in threads:
            t.start()
        for t in threads:
            t.join()
        t_two = time.perf_counter() - t0
        two = sum(totals.values())
        print(f"deliver_due, two senders: {two:,} in {t_two:.2f} s = {two / t_two:,.0f} deliveries/s "
              f"(split {sorted(totals.values())})")
        dup = sum(1 for v in seen.values() if v > 1)
        print(f"endpoint: {sum(seen.values()):,} requests for {len(seen):,} deliveries; duplicates: {dup}; "
              f"not sent: {Delivery.objects.exclude(status='sent').count()}")
        server.shutdown()
    finally:
        scratch.close()
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
