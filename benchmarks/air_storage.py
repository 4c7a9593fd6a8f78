"""Benchmark: how to store a year of hourly readings from 1,000 stations — the measurement behind
air/models.py's choice of one row per station-hour ("wide") over one row per station-hour-pollutant ("long").

What it measures, for ``--stations`` stations × 8,760 hours × six pollutants (a flag per value):
* load time (COPY on PostgreSQL, executemany on SQLite) in station-hours/s;
* size on disk with the unique index (PostgreSQL: pg_total_relation_size; SQLite: dbstat), and that size
  scaled to 1,000 stations;
* reading one station-month (720 hours, six pollutants), p50 over ``--runs`` runs, as the station page and
  the ranking read it.

It creates the two tables in a scratch database (``gongjian_storage_<pid>`` on the PostgreSQL server named
by GONGJIAN_DATABASE_URL, dropped at the end; else a temporary SQLite file) and never touches real data.

    GONGJIAN_DATABASE_URL=postgres://postgres@127.0.0.1:5432/postgres .venv/bin/python benchmarks/air_storage.py
    .venv/bin/python benchmarks/air_storage.py --stations 20

It is a measurement, not a test: it always exits 0.
"""

from __future__ import annotations

import argparse
import datetime as dt
import io
import os
import sqlite3
import statistics
import sys
import tempfile
import time
import urllib.parse
from pathlib import Path

import numpy as np

HOURS = 8760
POLS = ("pm25", "pm10", "so2", "no2", "co", "o3")
START = dt.datetime(2025, 1, 1, tzinfo=dt.UTC)

WIDE = """CREATE TABLE wide (id bigserial PRIMARY KEY, station_id integer NOT NULL, time timestamptz NOT NULL,
 pm25 double precision, pm10 double precision, so2 double precision, no2 double precision, co double precision,
 o3 double precision, flags varchar(6) NOT NULL, UNIQUE (station_id, time))"""
LONG = """CREATE TABLE long (id bigserial PRIMARY KEY, station_id integer NOT NULL, time timestamptz NOT NULL,
 pollutant smallint NOT NULL, value double precision NOT NULL, flag char(1) NOT NULL,
 UNIQUE (station_id, time, pollutant))"""


def data(stations: int) -> np.ndarray:
    rng = np.random.default_rng(1)
    return np.round(rng.gamma(4, 12, (stations, HOURS, 6)), 1)


def pg(url: str, stations: int, runs: int) -> None:
    import psycopg

    parts = urllib.parse.urlparse(url)
    name = f"gongjian_storage_{os.getpid()}"
    admin = urllib.parse.urlunparse(parts._replace(path="/postgres"))
    scratch = urllib.parse.urlunparse(parts._replace(path=f"/{name}"))
    with psycopg.connect(admin, autocommit=True) as c:
        c.execute(f"CREATE DATABASE {name}")
    try:
        with psycopg.connect(scratch, autocommit=True) as conn:
            values = data(stations)
            times = [START + dt.timedelta(hours=h) for h in range(HOURS)]
            results = {}
            for table, ddl in (("wide", WIDE), ("long", LONG)):
                conn.execute(ddl)
                t0 = time.perf_counter()
                with conn.cursor() as cur:
                    if table == "wide":
                        cols = "station_id, time, pm25, pm10, so2, no2, co, o3, flags"
                    else:
                        cols = "station_id, time, pollutant, value, flag"
                    with cur.copy(f"COPY {table} ({cols}) FROM STDIN") as cp:
                        for s in range(stations):
                            buf = io.StringIO()
                            for h in range(HOURS):
                                v = values[s, h]
                                t = times[h].isoformat()
                                if table == "wide":
                                    buf.write(f"{s}\t{t}\t" + "\t".join(map(str, v)) + "\tNNNNNN\n")
                                else:
                                    for j in range(6):
                                        buf.write(f"{s}\t{t}\t{j}\t{v[j]}\tN\n")
                            cp.write(buf.getvalue())
                load = time.perf_counter() - t0
                conn.execute(f"VACUUM ANALYZE {table}")
                size = conn.execute(f"SELECT pg_total_relation_size('{table}')").fetchone()[0]
                rows = conn.execute(f"SELECT count(*) FROM {table}").fetchone()[0]
                q = []
                for r in range(runs):
                    s = r % stations
                    t0 = time.perf_counter()
                    conn.execute(f"SELECT * FROM {table} WHERE station_id = %s AND time >= %s AND time < %s",
                                 (s, times[24 * 30], times[24 * 60])).fetchall()
                    q.append(time.perf_counter() - t0)
                results[table] = (load, size, rows, statistics.median(q))
            report("PostgreSQL", stations, results)
    finally:
        with psycopg.connect(admin, autocommit=True) as c:
            c.execute(f"DROP DATABASE IF EXISTS {name}")


def sqlite(stations: int, runs: int) -> None:
    with tempfile.TemporaryDirectory() as tmp:
        conn = sqlite3.connect(Path(tmp) / "s.sqlite3")
        values = data(stations)
        times = [(START + dt.timedelta(hours=h)).isoformat() for h in range(HOURS)]
        results = {}
        for table, ddl in (("wide", WIDE), ("long", LONG)):
            pages_before = conn.execute("PRAGMA page_count").fetchone()[0]
            conn.execute(ddl.replace("bigserial", "integer").replace("timestamptz", "text")
                         .replace("double precision", "real"))
            t0 = time.perf_counter()
            if table == "wide":
                conn.executemany("INSERT INTO wide (station_id, time, pm25, pm10, so2, no2, co, o3, flags) "
                                 "VALUES (?,?,?,?,?,?,?,?,'NNNNNN')",
                                 ((s, times[h], *values[s, h].tolist()) for s in range(stations) for h in range(HOURS)))
            else:
                conn.executemany("INSERT INTO long (station_id, time, pollutant, value, flag) VALUES (?,?,?,?,'N')",
                                 ((s, times[h], j, float(values[s, h, j])) for s in range(stations)
                                  for h in range(HOURS) for j in range(6)))
            conn.commit()
            load = time.perf_counter() - t0
            page_size = conn.execute("PRAGMA page_size").fetchone()[0]
            size = (conn.execute("PRAGMA page_count").fetchone()[0] - pages_before) * page_size
            rows = conn.execute(f"SELECT count(*) FROM {table}").fetchone()[0]
            q = []
            for r in range(runs):
                t0 = time.perf_counter()
                conn.execute(f"SELECT * FROM {table} WHERE station_id = ? AND time >= ? AND time < ?",
                             (r % stations, times[720], times[1440])).fetchall()
                q.append(time.perf_counter() - t0)
            results[table] = (load, size, rows, statistics.median(q))
        report("SQLite", stations, results)


def report(db: str, stations: int, results: dict) -> None:
    hours = stations * HOURS
    print(f"{db}: {stations} stations × {HOURS} hours = {hours:,} station-hours × 6 pollutants")
    for table, (load, size, rows, q) in results.items():
        per = size / hours if size else 0
        print(f"  {table:5}: {rows:>11,} rows, load {load:6.1f} s ({hours / load:,.0f} station-hours/s), "
              f"{size / 2**20:8.1f} MiB ({per:.0f} B/station-hour) → 1,000 stations: "
              f"{per * HOURS * 1000 / 2**30:.1f} GiB, {rows * 1000 / stations / 1e6:.1f} M rows; "
              f"one station-month p50 {q * 1000:.1f} ms")
    w, lg = results["wide"], results["long"]
    if w[1] and lg[1]:
        print(f"  long/wide: size {lg[1] / w[1]:.1f}×, load time {lg[0] / w[0]:.1f}×, read {lg[3] / w[3]:.1f}×")


def main() -> int:
    ap = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    ap.add_argument("--stations", type=int, default=50)
    ap.add_argument("--runs", type=int, default=50)
    args = ap.parse_args()
    url = os.environ.get("GONGJIAN_DATABASE_URL", "")
    if url.startswith(("postgres://", "postgresql://")):
        pg(url, args.stations, args.runs)
    else:
        sqlite(args.stations, args.runs)
    return 0


if __name__ == "__main__":
    sys.exit(main())
