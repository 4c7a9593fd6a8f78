"""Benchmark: the HJ 212 device gateway — the decode half.

What it measures
----------------
* decode: ``hj212.decode`` (lenient, as the gateway receives) of ``--packets`` distinct realistic
  minute-data packets (CN=2051, Flag=5, ack wanted): construction-site dust monitors (ST=39: TSP, PM10,
  PM2.5, noise, wind, temperature, humidity, pressure, each with Avg/Min/Max/Flag, 600-750 bytes) and
  ambient air stations (ST=22, the digest's second example's shape: six pollutants and five
  meteorological factors with Avg/Flag, about 400 bytes), a few percent of them from 2005-era devices
  (no QN, 14-character MN, lower-case CRC) and some with a non-N flag; in packets/s on one core (process
  CPU time, so other work on the machine does not count against it; wall time printed beside it);
* re-frame + decode: the same packets as one byte stream cut into 4,096-byte reads through
  ``hj212.Reframer`` and then decoded, as a connection handler does;
* strict decode, for comparison;
* baseline: Appendix A's CRC as the byte loop a straightforward decoder runs
  (``register = T[(register >> 8) ^ b]``) over the same data segments, and nothing else. The ratio
  decode / baseline above 1 means the whole decode costs less than that loop alone.

Target: decode >= 50,000 packets/s on one core.

* network, in-memory store: ``--connections`` devices on loopback through ``gateway.server.Gateway``,
  each sending ``--per-device`` packets and waiting for each 9014; acknowledged packets/s and the
  device-side ack latency. The store is a dict and the devices run in the same process, so this is the
  server's own cost, not the end-to-end figure; it has no target.

* end to end, database store: ``--e2e-connections`` (1,000) devices on loopback against ``gongjian
  gateway`` in its own processes (group-commit database store) on a scratch database (SQLite in a temporary
  GONGJIAN_HOME, or a temporary PostgreSQL database next to GONGJIAN_DATABASE_URL's), in two runs against
  the same gateway:

  - saturated: each device sends ``--per-device`` minute packets, the next the moment the 9014 for the last
    arrives: the most the gateway stores and acknowledges (packets/s wall). Its latency is the queue: with
    1,000 packets always in flight, latency ~ connections / rate (at 5,000/s that is 200 ms on average by
    Little's law whatever the software), so it is printed but is not the latency criterion;
  - paced: the devices together offer ``--rate`` packets/s (default 5,000, the target) for
    ``--paced-seconds`` (10): each device one packet every connections / rate seconds at its own random
    phase, still waiting for each ack (a late ack delays its next packet). Latency counts from when each
    packet was due, so a slow ack also counts against the packets it held back.

  Target on PostgreSQL: >= 5,000 packets/s stored and acknowledged with p99 ack latency <= 200 ms: the
  saturated run reaches 5,000/s and, at 5,000/s offered, every packet is stored and the p99 is within
  200 ms. ``--rate 10000`` shows the latency nearer the limit.

  What runs where: three sets of processes share the machine's cores, nothing is pinned. (1) The
  gateway: ``python -m gongjian.cli gateway --processes N`` (``--gateway-processes``, default 2, one per
  core): N processes sharing the port through SO_REUSEPORT, the kernel spreading the connections, each
  with its event loop (uvloop when installed) and its batching writer threads. (2) The database server: PostgreSQL's backends for the scratch database
  (for SQLite the database work is inside the gateway process). (3) The 1,000 devices: all in this
  benchmark process, one event loop (uvloop when installed), each device an asyncio protocol on its own
  TCP connection sending pre-encoded packets; each waits for the 9014 echoing its QN (CRC checked)
  before sending its next packet (2005-era devices ask for no ack and send on). The figures: wall time
  from the first connection to the last ack; the first packet of each connection (connect and device
  check included) and the others apart; and, for the saturated run, the CPU time each of (1), (2) and (3) used while loaded
  (from /proc), per acknowledged packet: the steady measure on a shared machine, where wall-clock
  figures swing with other work (look at the load average beside them).

The first two sections need no database. Run from the repository root:

    .venv/bin/python benchmarks/gateway.py
    .venv/bin/python benchmarks/gateway.py --packets 20000 --runs 5
    GONGJIAN_DATABASE_URL=postgres://postgres@127.0.0.1:5432/gj_dev .venv/bin/python benchmarks/gateway.py --only end

It is a benchmark, not a test: it always exits 0 and prints PASS/FAIL against the target.
"""

from __future__ import annotations

import argparse
import datetime as dt
import random
import statistics
import sys
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parents[1] / "src"))

from gongjian.standards import hj212

TARGET_DECODE = 50_000.0

DUST = [  # factor code, typical value, spread, decimals
    ("a34001", 160.0, 80.0, 1), ("a34002", 90.0, 45.0, 1), ("a34004", 45.0, 25.0, 1), ("LA", 58.0, 8.0, 1),
    ("a01007", 2.1, 1.5, 1), ("a01008", 180.0, 179.0, 0), ("a01001", 24.0, 6.0, 1), ("a01002", 60.0, 20.0, 1),
    ("a01006", 100.9, 1.2, 2),
]
AIR = [
    ("a21004", 30.0, 20.0, 0), ("a05024", 80.0, 50.0, 0), ("a21026", 8.0, 5.0, 0), ("a21005", 0.6, 0.3, 3),
    ("a34004", 40.0, 25.0, 0), ("a34002", 75.0, 40.0, 0), ("a01007", 2.0, 1.5, 1), ("a01008", 180.0, 179.0, 0),
    ("a01001", 22.0, 8.0, 0), ("a01002", 60.0, 20.0, 0), ("a01006", 100.0, 2.0, 1),
]


def _value(rng: random.Random, mean: float, spread: float, decimals: int):
    v = max(0.0, rng.gauss(mean, spread / 2))
    return round(v) if decimals == 0 else round(v, decimals)


def make_packets(n: int, seed: int = 212) -> list[bytes]:
    """``n`` distinct minute-data packets from 1,000 devices over consecutive minutes."""
    rng = random.Random(seed)
    start = dt.datetime(2026, 6, 1, 0, 0)
    out = []
    for i in range(n):
        device = i % 1000
        minute = start + dt.timedelta(minutes=i // 1000)
        sent = minute + dt.timedelta(seconds=30 + rng.randint(0, 25), milliseconds=rng.randint(0, 999))
        old = device % 25 == 0  # a 2005-era device
        dust = device % 5 != 0
        flag = "N" if rng.random() > 0.03 else rng.choice("FMDCTB")
        values = {}
        for code, mean, spread, decimals in (DUST if dust else AIR):
            avg = _value(rng, mean, spread, decimals)
            if dust:
                lo, hi = sorted((_value(rng, mean, spread, decimals), _value(rng, mean, spread, decimals)))
                values[code] = {"Avg": avg, "Min": min(lo, avg), "Max": max(hi, avg), "Flag": flag}
            else:
                values[code] = {"Avg": avg, "Flag": flag}
        mn = f"4107{device:010d}" if old else f"{0x0100_00A8_9000_0000_0000_0000 + device:024X}"
        raw = hj212.build(cn="2051", mn=mn, st="39" if dust else "22", pw="123456",
                          qn=None if old else hj212.now_qn(sent), flag=None if old else 5,
                          data_time=minute, values=values)
        if old:
            raw = raw[:-6] + raw[-6:-2].lower() + b"\r\n"
        out.append(raw)
    return out


def _rate(fn, items, runs: int) -> tuple[float, float]:
    """Best-of-runs packets/s by process CPU time, and the median by wall time."""
    cpu, wall = [], []
    for _ in range(runs):
        c0, w0 = time.process_time(), time.perf_counter()
        fn(items)
        cpu.append(time.process_time() - c0)
        wall.append(time.perf_counter() - w0)
    return len(items) / min(cpu), len(items) / statistics.median(wall)


def bench_decode(args) -> list[str]:
    packets = make_packets(args.packets)
    sizes = [len(p) for p in packets]
    decoded = [hj212.decode(p) for p in packets]
    bad = [d.error for d in decoded if not d.ok]
    assert not bad, bad[:3]
    assert sum(len(d.values) for d in decoded) > 8 * len(packets)
    stream = b"".join(packets)
    chunks = [stream[i:i + 4096] for i in range(0, len(stream), 4096)]
    segments = [p[6:-6] for p in packets]
    table = hj212._T

    def decode_all(items):
        decode = hj212.decode
        for p in items:
            decode(p)

    def decode_strict(items):
        decode = hj212.decode
        for p in items:
            decode(p, strict=True)

    def reframe_decode(items):
        reframer = hj212.Reframer()
        decode = hj212.decode
        n = 0
        for chunk in items:
            for frame in reframer.feed(chunk):
                decode(frame)
                n += 1
        assert n == len(packets)

    def baseline(items):
        for data in items:
            register = 0xFFFF
            for b in data:
                register = table[(register >> 8) ^ b]

    lines = [f"packets: {len(packets):,} distinct, {min(sizes)}-{max(sizes)} bytes (mean {statistics.mean(sizes):.0f}), "
             f"{sum(1 for p in packets if b'ST=39' in p):,} dust monitors, "
             f"{sum(1 for d in decoded if d.qn is None):,} from 2005-era devices"]
    dec_cpu, dec_wall = _rate(decode_all, packets, args.runs)
    strict_cpu, _ = _rate(decode_strict, packets, args.runs)
    base_cpu, _ = _rate(baseline, segments, max(1, args.runs // 2))
    cpu, wall = _rate(lambda _c: reframe_decode(chunks), packets, args.runs)
    lines += [
        f"decode (lenient)          {dec_cpu:>10,.0f} packets/s CPU  ({dec_wall:,.0f}/s wall)  "
        f"ratio to baseline {dec_cpu / base_cpu:.2f}",
        f"re-frame + decode         {cpu:>10,.0f} packets/s CPU  ({wall:,.0f}/s wall)  "
        f"{cpu * statistics.mean(sizes) / 1e6:.1f} MB/s",
        f"decode (strict)           {strict_cpu:>10,.0f} packets/s CPU",
        f"baseline: CRC byte loop   {base_cpu:>10,.0f} packets/s CPU",
        f"{'PASS' if dec_cpu >= TARGET_DECODE else 'FAIL'}  decode >= {TARGET_DECODE:,.0f} packets/s on one core "
        f"({dec_cpu:,.0f})",
    ]
    return lines


class _MemoryStore:
    """Every device known, every packet kept in a dict keyed like the database's dedup key."""

    def __init__(self):
        self.rows = {}

    def authenticate(self, mn, pw):
        return True

    def store(self, packet):
        self.rows.setdefault((packet.mn, packet.cn, packet.data_time), packet)
        return True


def bench_network(args) -> list[str]:
    """``--connections`` devices on loopback, each sending ``--per-device`` minute packets that ask
    for an ack and waiting for each ack before the next, through the real server, into a dict.
    Devices and gateway share this one process and core."""
    import asyncio

    from gongjian.gateway.server import Gateway

    n, per = args.connections, args.per_device
    packets = make_packets(n * per)
    wants = [hj212.decode(raw).wants_ack for raw in packets]
    by_device = [list(zip(packets[i::n], wants[i::n], strict=True)) for i in range(n)] if n <= 1000 else None
    if by_device is None:
        return ["skipped: --connections above 1000 (the packet builder has 1,000 devices)"]

    async def device(raws, port, latencies):
        reader, writer = await asyncio.open_connection("127.0.0.1", port)
        reframer = hj212.Reframer()
        for raw, wants_ack in raws:
            t0 = time.perf_counter()
            writer.write(raw)
            if not wants_ack:  # a 2005-era device: no reply to wait for
                continue
            got = []
            while not got:
                data = await reader.read(4096)
                if not data:
                    raise ConnectionError("the gateway closed the connection")
                got = [f for f in reframer.feed(data) if isinstance(f, bytes)]
            latencies.append(time.perf_counter() - t0)
        await writer.drain()
        writer.close()
        await writer.wait_closed()

    async def main():
        store = _MemoryStore()
        gw = Gateway(store, port=0, blocking_store=False, rate=1000, burst=1000)
        await gw.start()
        latencies: list[float] = []
        c0, w0 = time.process_time(), time.perf_counter()
        await asyncio.gather(*(device(raws, gw.port, latencies) for raws in by_device))
        for _ in range(500):  # packets of devices that wanted no ack may still be on their way
            if len(store.rows) >= len(packets):
                break
            await asyncio.sleep(0.01)
        cpu, wall = time.process_time() - c0, time.perf_counter() - w0
        await gw.stop()
        return store, gw.stats, latencies, cpu, wall

    store, stats, latencies, cpu, wall = asyncio.run(main())
    latencies.sort()
    p99 = latencies[min(len(latencies) - 1, int(0.99 * len(latencies)))] * 1000
    return [
        f"{n} connections x {per} packets, in-memory store (no database), devices in the same process",
        f"stored                    {len(store.rows) / wall:>10,.0f} packets/s wall  ({len(store.rows) / cpu:,.0f}/s CPU), "
        f"{len(latencies) / wall:,.0f} acks/s",
        f"ack latency (device side) p50 {latencies[len(latencies) // 2] * 1000:.1f} ms, p99 {p99:.1f} ms",
        f"stored {len(store.rows):,} of {len(packets):,} sent ({len(latencies):,} asked for an ack); rejected "
        f"{sum(stats.rejected.values())}",
        "no PASS/FAIL here: the end-to-end target (>= 5,000 packets/s stored on PostgreSQL, p99 <= 200 ms) "
        "needs the database store",
    ]


class Scratch:
    """A temporary GONGJIAN_HOME (SQLite there), or a temporary PostgreSQL database next to the one
    GONGJIAN_DATABASE_URL names; gone afterwards (the shape of benchmarks/ledger.py's)."""

    def __init__(self):
        import os
        import tempfile
        import urllib.parse

        self.home = Path(tempfile.mkdtemp(prefix="gongjian-bench-gw-"))
        self.pg_admin = self.dbname = None
        url = os.environ.get("GONGJIAN_DATABASE_URL", "").strip()
        os.environ["GONGJIAN_HOME"] = str(self.home)
        os.environ["DJANGO_SETTINGS_MODULE"] = "gongjian.config.settings"
        os.environ.pop("GONGJIAN_DEBUG", None)
        if url.startswith(("postgres://", "postgresql://")):
            import psycopg

            parts = urllib.parse.urlsplit(url)
            self.dbname = f"gongjian_bench_gw_{os.getpid()}"
            self.pg_admin = urllib.parse.urlunsplit(parts._replace(path="/postgres"))
            with psycopg.connect(self.pg_admin, autocommit=True) as conn:
                conn.execute(f'DROP DATABASE IF EXISTS "{self.dbname}"')
                conn.execute(f'CREATE DATABASE "{self.dbname}"')
            os.environ["GONGJIAN_DATABASE_URL"] = urllib.parse.urlunsplit(parts._replace(path=f"/{self.dbname}"))
            os.environ.setdefault("GONGJIAN_SECRET_KEY", "benchmark-only-" + os.urandom(8).hex())
            self.where = f"PostgreSQL, scratch database {self.dbname} on {parts.hostname}:{parts.port or 5432}"
        else:
            os.environ.pop("GONGJIAN_DATABASE_URL", None)
            self.where = f"SQLite, scratch home {self.home}"

    def close(self) -> None:
        import contextlib
        import shutil

        with contextlib.suppress(Exception):
            from django.db import connections

            connections.close_all()
        if self.dbname:
            import psycopg

            with psycopg.connect(self.pg_admin, autocommit=True) as conn:
                conn.execute(f'DROP DATABASE IF EXISTS "{self.dbname}" WITH (FORCE)')
        shutil.rmtree(self.home, ignore_errors=True)


def _loop_factory():
    """The devices' event loop: uvloop where installed (the gateway uses it then too), else asyncio's."""
    try:
        import uvloop
    except ImportError:
        return None
    return uvloop.new_event_loop


class _Device:
    """One device on its own connection (an asyncio protocol: no stream or task per device, so the
    simulator takes little of the CPU the gateway and the database need). It sends its pre-encoded
    packets one at a time and, for each that asks for one, waits for the 9014 echoing its QN (CRC
    checked) before the next; a packet that wants no ack (2005-era) is followed at once by the next.
    ``done`` resolves when all are acknowledged, or fails when the gateway closes the connection or
    answers wrongly."""

    def __init__(self, raws: list[tuple[bytes, bytes | None]], latencies: list, firsts: list, rest: list, done,
                 interval: float | None = None):
        self.raws, self.latencies, self.firsts, self.rest, self.done = raws, latencies, firsts, rest, done
        self.i, self.t0, self.buf, self.transport, self.first = 0, 0.0, b"", None, True
        # paced: packet k is due at start + phase + k * interval (None: send as soon as the last is acknowledged)
        self.interval, self.start, self.loop = interval, None, None

    def connection_made(self, transport) -> None:
        self.transport = transport
        if self.interval is None:
            self._send()

    def begin(self, start: float, phase: float) -> None:
        """Paced: start sending on schedule (``start`` on the perf_counter clock, plus ``phase``)."""
        import asyncio

        self.loop, self.start = asyncio.get_running_loop(), start + phase
        self._send()

    def _send(self) -> None:
        while self.i < len(self.raws):
            if self.interval is not None:
                due = self.start + self.i * self.interval
                now = time.perf_counter()
                if due > now:  # too early: come back when this packet is due
                    self.loop.call_later(due - now, self._send)
                    return
                # latency counts from when the packet was due, not when a late ack let it go: a slow ack
                # delays the next packet and that wait is the gateway's, not the device's
                self.t0 = due
            else:
                self.t0 = time.perf_counter()
            raw, qn = self.raws[self.i]
            self.transport.write(raw)
            if qn is not None:
                return  # wait for its ack
            self.i += 1
        self.transport.close()
        if not self.done.done():
            self.done.set_result(None)

    def data_received(self, data: bytes) -> None:
        self.buf += data
        while (end := self.buf.find(b"\r\n")) >= 0:
            line, self.buf = self.buf[:end], self.buf[end + 2:]
            qn = self.raws[self.i][1] if self.i < len(self.raws) else None
            if (qn is None or b";CN=9014;" not in line or qn not in line
                    or int(line[-4:], 16) != hj212.crc16(line[6:-4])):
                self._fail(f"unexpected answer {line[:80]!r}")
                return
            latency = time.perf_counter() - self.t0
            self.latencies.append(latency)
            if self.first:  # the connection's first ack: connect and device check included
                self.firsts.append(latency)
                self.first = False
            else:
                self.rest.append(latency)
            self.i += 1
            self._send()

    def _fail(self, why: str) -> None:
        self.transport.abort()
        if not self.done.done():
            self.done.set_exception(ConnectionError(why))

    def connection_lost(self, exc) -> None:
        if not self.done.done():
            self.done.set_exception(ConnectionError(f"the gateway closed the connection ({exc})"))

    def pause_writing(self) -> None:  # one packet in flight: the socket buffer never fills
        pass

    def resume_writing(self) -> None:
        pass

    def eof_received(self) -> None:
        pass


TARGET_E2E = 5_000.0
TARGET_P99_MS = 200.0


def _cpu_seconds(pid: int) -> float | None:
    """User + system CPU time of process ``pid`` (all its threads) from /proc; None where unreadable."""
    import os

    try:
        with open(f"/proc/{pid}/stat") as f:
            fields = f.read().rsplit(")", 1)[1].split()
    except OSError:
        return None
    return (int(fields[11]) + int(fields[12])) / os.sysconf("SC_CLK_TCK")


def _tree_cpu_seconds(pid: int) -> float:
    """CPU time of ``pid`` and every process under it (``gongjian gateway --processes N`` runs N children)."""
    total = _cpu_seconds(pid) or 0.0
    try:
        with open(f"/proc/{pid}/task/{pid}/children") as f:
            children = [int(c) for c in f.read().split()]
    except OSError:
        children = []
    return total + sum(_tree_cpu_seconds(c) for c in children)


def _backend_pids(dbname: str | None) -> list[int]:
    """The PostgreSQL server processes serving ``dbname`` (this benchmark's scratch database)."""
    if not dbname:
        return []
    from django.db import connection

    with connection.cursor() as cur:
        cur.execute("SELECT pid FROM pg_stat_activity WHERE datname = %s AND pid <> pg_backend_pid()", [dbname])
        return [r[0] for r in cur.fetchall()]


def _percentile(sorted_values: list[float], q: float) -> float:
    return sorted_values[min(len(sorted_values) - 1, int(q * len(sorted_values)))] if sorted_values else float("nan")


def bench_end_to_end(args) -> list[str]:
    """1,000 (``--e2e-connections``) devices on loopback against ``gongjian gateway`` in its own process
    with the database store (air stations registered for every MN). Two runs against the same gateway:
    saturated (each device sends its next packet the moment its 9014 arrives, ``--per-device`` packets:
    the most the gateway stores) and paced (the devices together offer ``--rate`` packets/s for
    ``--paced-seconds``, each at its own phase, each still waiting for its ack: the latency at the
    target rate). Stored = rows in the gateway's raw packet table at the end."""
    import asyncio
    import os
    import subprocess

    n, per = args.e2e_connections, args.per_device
    if n > 1000:
        return ["skipped: --e2e-connections above 1000 (the packet builder has 1,000 devices)"]
    interval = n / args.rate  # seconds between one device's packets in the paced run
    paced_per = max(1, round(args.paced_seconds / interval))
    total = per + paced_per
    packets = make_packets(1000 * total)
    decoded = [hj212.decode(raw) for raw in packets]
    # what each device sends, and the QN its ack must echo (None: a 2005-era device that wants no ack);
    # device i's packets are packets[i::1000], minute after minute: the saturated run takes the first
    # ``per`` of them, the paced run the rest (later minutes, so nothing is a retransmit)
    by_device = [[(raw, b"QN=%s;" % p.qn.encode() if p.wants_ack else None)
                  for raw, p in zip(packets[i::1000], decoded[i::1000], strict=True)] for i in range(n)]
    scratch = Scratch()
    proc = None
    try:
        import django

        django.setup()
        from django.core.management import call_command

        from gongjian.air.models import Station, StationKind
        from gongjian.gateway.models import GatewayStatus, RawPacket
        from gongjian.org.models import Unit, UnitKind

        call_command("migrate", verbosity=0)
        unit = Unit.objects.create(name="基准测试街道", kind=UnitKind.STREET)
        Station.objects.bulk_create(
            Station(code=f"B{i:05d}", name=f"设备{i}", kind=StationKind.DUST, mn=decoded[i].mn,
                    device_password="123456", unit=unit, pollutants=["PM2.5", "PM10"])
            for i in range(n))
        env = dict(os.environ, PYTHONPATH=str(Path(__file__).resolve().parents[1] / "src"))
        proc = subprocess.Popen([sys.executable, "-m", "gongjian.cli", "gateway", "--host", "127.0.0.1",
                                 "--port", "0", "--processes", str(args.gateway_processes)],
                                env=env, stdout=subprocess.PIPE, stderr=subprocess.DEVNULL)
        line = proc.stdout.readline().decode()
        port = int(line.rsplit(":", 1)[1])

        def cpu_snapshot() -> dict[str, float]:
            backends = {pid: _cpu_seconds(pid) for pid in _backend_pids(scratch.dbname)}
            return {"gateway": _tree_cpu_seconds(proc.pid), "devices": time.process_time(),
                    **{f"pg{pid}": c for pid, c in backends.items() if c is not None}}

        async def saturated():
            loop = asyncio.get_running_loop()
            latencies: list[float] = []
            firsts: list[float] = []
            rest: list[float] = []
            devices = [_Device(raws[:per], latencies, firsts, rest, loop.create_future()) for raws in by_device]
            w0 = time.perf_counter()
            await asyncio.gather(*(loop.create_connection(lambda d=d: d, "127.0.0.1", port) for d in devices))
            await asyncio.gather(*(d.done for d in devices))
            return latencies, firsts, rest, time.perf_counter() - w0

        async def paced():
            loop = asyncio.get_running_loop()
            latencies: list[float] = []
            firsts: list[float] = []
            rest: list[float] = []
            devices = [_Device(raws[per:], latencies, firsts, rest, loop.create_future(), interval)
                       for raws in by_device]
            # connected first (devices stay connected; a connect storm is the saturated run's first packets)
            await asyncio.gather(*(loop.create_connection(lambda d=d: d, "127.0.0.1", port) for d in devices))
            rng = random.Random(9014)
            start = time.perf_counter() + 0.05
            for d in devices:
                d.begin(start, rng.uniform(0, interval))
            await asyncio.gather(*(d.done for d in devices))
            return latencies, firsts, rest, time.perf_counter() - start

        with asyncio.Runner(loop_factory=_loop_factory()) as loop_runner:
            cpu0 = cpu_snapshot()
            latencies, firsts, rest, acked_wall = loop_runner.run(saturated())
            cpu1 = cpu_snapshot()
            time.sleep(0.5)  # the saturated run's last batches committed
            p_lat, p_firsts, p_rest, p_wall = loop_runner.run(paced())
        cpu = {k: v - cpu0.get(k, 0.0) for k, v in cpu1.items()}
        cpu_pg = sum(v for k, v in cpu.items() if k.startswith("pg"))
        sent = sum(len(r) for r in by_device)
        for _ in range(500):  # packets that wanted no ack may still be on their way
            if RawPacket.objects.count() >= sent:
                break
            time.sleep(0.01)
        stored = RawPacket.objects.count()
        proc.terminate()
        proc.wait(30)
        proc = None
        statuses = [st.counters for st in GatewayStatus.objects.all()]
        # with several processes: the slowest one's latency figures, the rejects of all
        server = max(statuses, key=lambda c: c.get("ack_latency_p99_ms") or 0, default={})
        if statuses:
            server = dict(server, packets_rejected=sum(c.get("packets_rejected") or 0 for c in statuses))
    finally:
        if proc is not None:
            proc.kill()
        scratch.close()
    for values in (latencies, firsts, rest, p_lat, p_firsts, p_rest):
        values.sort()
    p99 = _percentile(latencies, 0.99) * 1000
    rate = len(latencies) / acked_wall
    # every paced packet counts (2005-era devices' too: stored, not acknowledged); the stored check is below
    p_rate, p_p99 = n * paced_per / p_wall, _percentile(p_lat, 0.99) * 1000
    # the target: 5,000 packets/s stored and acknowledged with p99 <= 200 ms. Judged on the paced run at the
    # target rate (the achieved rate within 2 % of it, as the last packets' acks end the wall time) and on
    # the saturated run reaching at least the target rate; a saturated run's latency is its queue
    # (1,000 packets always in flight: latency ~ connections / rate), printed but not the criterion
    ok = rate >= TARGET_E2E and stored == sent and p_rate >= 0.98 * args.rate and args.rate >= TARGET_E2E and p_p99 <= TARGET_P99_MS
    ms = lambda v: f"{v * 1000:.1f} ms"  # noqa: E731
    return [
        f"database: {scratch.where}",
        f"{n} concurrent connections against `gongjian gateway --processes {args.gateway_processes}` "
        f"(own processes sharing the port, database store); load average {os.getloadavg()[0]:.2f}",
        f"saturated ({per} packets per device, each sent when the last is acknowledged):",
        f"  stored and acknowledged   {rate:>10,.0f} packets/s wall ({len(latencies):,} acks in {acked_wall:.2f} s)",
        f"  ack latency (device side) p50 {ms(latencies[len(latencies) // 2])}, p99 {p99:.1f} ms "
        f"(1,000 packets always in flight: this is the queue, about connections / rate)",
        f"  first packet of each connection (connect, device check): p50 {ms(firsts[len(firsts) // 2])}, "
        f"p99 {ms(_percentile(firsts, 0.99))}; the others: p50 {ms(rest[len(rest) // 2])}, p99 "
        f"{ms(_percentile(rest, 0.99))}",
        f"  CPU: gateway {cpu['gateway']:.2f} s, database server {cpu_pg:.2f} s"
        f"{'' if scratch.dbname else ' (SQLite: in the gateway)'}, devices {cpu['devices']:.2f} s; "
        f"per packet: gateway {cpu['gateway'] / len(latencies) * 1e6:.0f} us + database "
        f"{cpu_pg / len(latencies) * 1e6:.0f} us = {(cpu['gateway'] + cpu_pg) / len(latencies) * 1e6:.0f} us, "
        f"devices {cpu['devices'] / len(latencies) * 1e6:.0f} us",
        f"paced at {args.rate:,.0f} packets/s offered ({n} devices, one packet each every {interval * 1000:.0f} ms at "
        f"its own phase, {paced_per} each, still waiting for each ack; latency from when each packet was due):",
        f"  stored and acknowledged   {p_rate:>10,.0f} packets/s wall ({n * paced_per:,} packets, {len(p_lat):,} of them acknowledged, in {p_wall:.2f} s)",
        f"  ack latency (device side) p50 {ms(p_lat[len(p_lat) // 2])}, p99 {p_p99:.1f} ms, max {ms(p_lat[-1])}; "
        f"first packet of each connection p99 {ms(_percentile(p_firsts, 0.99))}",
        f"gateway side, both runs: p50 {server.get('ack_latency_p50_ms') or 0:.1f} ms, "
        f"p99 {server.get('ack_latency_p99_ms') or 0:.1f} ms (its own window)",
        f"stored {stored:,} of {sent:,} sent; rejected {server.get('packets_rejected')}",
        f"ratio to target {rate / TARGET_E2E:.2f} (saturated rate / {TARGET_E2E:,.0f}), "
        f"{p_p99 / TARGET_P99_MS:.2f} (paced p99 / {TARGET_P99_MS:.0f} ms)",
        f"{'PASS' if ok else 'FAIL'}  end-to-end >= {TARGET_E2E:,.0f} packets/s with p99 <= {TARGET_P99_MS:.0f} ms "
        f"(saturated {rate:,.0f}/s; at {p_rate:,.0f}/s p99 {p_p99:.0f} ms; the target is for PostgreSQL)",
    ]


SECTIONS = [("decode", bench_decode), ("network, in-memory store", bench_network),
            ("end to end, database store", bench_end_to_end)]


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--packets", type=int, default=20_000, help="distinct packets to decode (default 20,000)")
    parser.add_argument("--runs", type=int, default=5, help="runs per figure, best CPU time kept (default 5)")
    parser.add_argument("--connections", type=int, default=200, help="device connections (default 200, max 1000)")
    parser.add_argument("--per-device", type=int, default=20, help="packets per device (default 20)")
    parser.add_argument("--e2e-connections", type=int, default=1000,
                        help="device connections end to end (default 1000)")
    parser.add_argument("--rate", type=float, default=TARGET_E2E,
                        help="packets/s the devices offer together in the paced run (default 5,000, the target)")
    parser.add_argument("--paced-seconds", type=float, default=10.0,
                        help="length of the paced run in seconds (default 10)")
    parser.add_argument("--gateway-processes", type=int, default=2,
                        help="gateway processes sharing the port end to end (default 2, one per core)")
    parser.add_argument("--only", choices=["decode", "network", "end"],
                        help="run one section only")
    args = parser.parse_args(argv)
    print(f"HJ 212 gateway benchmark, Python {sys.version.split()[0]}, one process")
    for name, fn in SECTIONS:
        if args.only and not name.startswith(args.only):
            continue
        print(f"\n== {name}")
        for line in fn(args):
            print(line, flush=True)
    return 0


if __name__ == "__main__":
    sys.exit(main())
