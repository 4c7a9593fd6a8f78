"""The issue's integration test: the real gateway process on a real socket, 200 devices, a kill mid-stream.

The gateway runs as ``gongjian gateway`` in a subprocess on a scratch database (SQLite in a temporary
GONGJIAN_HOME, or a fresh PostgreSQL database next to GONGJIAN_DATABASE_URL's). 200 registered devices send
minute data (2051, Flag=5: ack wanted) and wait for each 9014. When about a third of the packets are
acknowledged the gateway is killed (SIGKILL, no clean shutdown) and started again on the same port; the
devices reconnect and resend what was not acknowledged, as real ones do. Then: every acknowledged packet
is in the database, nothing is stored twice, and every packet sent ends up stored exactly once.
"""

from __future__ import annotations

import asyncio
import datetime as dt
import json
import os
import signal
import socket
import subprocess
import sys
import threading
import time
import uuid
from pathlib import Path
from urllib.parse import urlsplit, urlunsplit

import pytest

from gongjian.standards import hj212
from tests.gateway.scratch_db import mn

ROOT = Path(__file__).resolve().parents[2]
DEVICES = 200
PER_DEVICE = 12
T0 = dt.datetime(2026, 6, 1, 8, 0)


def _free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


@pytest.fixture
def scratch_env(tmp_path):
    env = {k: v for k, v in os.environ.items() if k not in ("DJANGO_SETTINGS_MODULE", "GONGJIAN_TESTING")}
    env["GONGJIAN_HOME"] = str(tmp_path / "home")
    env["PYTHONPATH"] = os.pathsep.join([str(ROOT), str(ROOT / "src")])
    url = os.environ.get("GONGJIAN_DATABASE_URL", "")
    dropped = None
    if url.startswith("postgres"):
        import psycopg

        parts = urlsplit(url)
        name = f"gj_it_{uuid.uuid4().hex[:10]}"
        admin = urlunsplit(parts._replace(path="/postgres"))
        with psycopg.connect(admin, autocommit=True) as conn:
            conn.execute(f'CREATE DATABASE "{name}"')
        env["GONGJIAN_DATABASE_URL"] = urlunsplit(parts._replace(path=f"/{name}"))
        env.setdefault("GONGJIAN_SECRET_KEY", "integration-test-only")
        dropped = (admin, name)
    else:
        env.pop("GONGJIAN_DATABASE_URL", None)
    subprocess.run([sys.executable, "-m", "tests.gateway.scratch_db", "setup", str(DEVICES)], env=env, cwd=ROOT,
                   check=True, timeout=120)
    yield env
    if dropped:
        import psycopg

        with psycopg.connect(dropped[0], autocommit=True) as conn:
            conn.execute(f'DROP DATABASE IF EXISTS "{dropped[1]}" WITH (FORCE)')


def _start_gateway(env, port: int, log: Path, *extra: str) -> subprocess.Popen:
    proc = subprocess.Popen([sys.executable, "-m", "gongjian.cli", "gateway", "--host", "127.0.0.1",
                             "--port", str(port), *extra], env=env, cwd=ROOT, stdout=subprocess.PIPE,
                            stderr=log.open("ab"))
    line = [b""]
    reader = threading.Thread(target=lambda: line.__setitem__(0, proc.stdout.readline()), daemon=True)
    reader.start()
    reader.join(60)
    assert b"gateway listening" in line[0], (line[0], log.read_text(errors="replace")[-2000:])
    return proc


def _packet(i: int, k: int) -> bytes:
    when = T0 + dt.timedelta(minutes=k)
    return hj212.build(cn="2051", mn=mn(i), st="39", pw=f"pw-{i}", qn=f"{when:%Y%m%d%H%M%S}{i % 1000:03d}",
                       flag=5, data_time=when,
                       values={"a34004": {"Avg": 30 + k, "Flag": "N"}, "a34002": {"Avg": 60 + i % 50, "Flag": "N"}})


class Devices:
    def __init__(self, port: int):
        self.port = port
        self.acked: set[tuple[int, int]] = set()
        self.sent: set[tuple[int, int]] = set()
        self.resent = 0

    async def device(self, i: int) -> None:
        k = 0
        attempts: dict[int, int] = {}
        while k < PER_DEVICE:
            try:
                reader, writer = await asyncio.open_connection("127.0.0.1", self.port)
            except OSError:
                await asyncio.sleep(0.1)  # the gateway is down: retry, as devices do
                continue
            try:
                while k < PER_DEVICE:
                    attempts[k] = attempts.get(k, 0) + 1
                    self.resent += attempts[k] > 1
                    writer.write(_packet(i, k))
                    self.sent.add((i, k))
                    await writer.drain()
                    answer = await asyncio.wait_for(reader.readuntil(b"\r\n"), 10)
                    reply = hj212.decode(answer)
                    assert reply.ok and reply.cn == "9014" and reply.mn == mn(i), answer
                    self.acked.add((i, k))
                    k += 1
            except (OSError, asyncio.IncompleteReadError, TimeoutError):
                await asyncio.sleep(0.05)
            finally:
                writer.close()

    async def run(self) -> None:
        await asyncio.gather(*(self.device(i) for i in range(DEVICES)))


def test_kill_and_restart_loses_no_acknowledged_packet_and_stores_no_duplicate(scratch_env, tmp_path):
    port = _free_port()
    log = tmp_path / "gateway.log"
    proc = _start_gateway(scratch_env, port, log)
    devices = Devices(port)
    runner = threading.Thread(target=lambda: asyncio.run(devices.run()), daemon=True)
    started = time.monotonic()
    runner.start()
    try:
        while len(devices.acked) < DEVICES * PER_DEVICE // 3:
            assert runner.is_alive() and time.monotonic() - started < 60, "devices stalled before the kill"
            time.sleep(0.01)
        proc.send_signal(signal.SIGKILL)  # mid-stream, no clean shutdown
        proc.wait(10)
        acked_before_kill = len(devices.acked)
        assert acked_before_kill < DEVICES * PER_DEVICE
        time.sleep(0.3)
        proc = _start_gateway(scratch_env, port, log)
        runner.join(90)
        assert not runner.is_alive(), "devices did not finish after the restart"
    finally:
        proc.send_signal(signal.SIGTERM)
        try:
            proc.wait(15)
        except subprocess.TimeoutExpired:
            proc.kill()
    assert devices.resent > 0  # some packets went out unacknowledged and were sent again
    assert len(devices.acked) == DEVICES * PER_DEVICE
    out = subprocess.run([sys.executable, "-m", "tests.gateway.scratch_db", "count"], env=scratch_env, cwd=ROOT,
                         check=True, capture_output=True, timeout=120).stdout
    stored = json.loads(out)
    want = {(mn(i), (T0 + dt.timedelta(minutes=k))) for i, k in devices.acked}
    tz = dt.timezone(dt.timedelta(hours=8))  # DataTime is Beijing time
    want = {(m, t.replace(tzinfo=tz).timestamp()) for m, t in want}
    raw = [tuple(r) for r in stored["raw"]]
    minutes = [tuple(r) for r in stored["minutes"]]
    assert want <= set(raw)  # every acknowledged packet is stored …
    assert len(raw) == len(set(raw)) == DEVICES * PER_DEVICE  # … once, resends created nothing
    assert len(minutes) == len(set(minutes)) == DEVICES * PER_DEVICE and set(minutes) == set(raw)


def _children(pid: int) -> list[int]:
    with open(f"/proc/{pid}/task/{pid}/children") as f:
        return [int(c) for c in f.read().split()]


def test_several_processes_share_the_port_and_stop_together(scratch_env, tmp_path):
    port = _free_port()
    proc = _start_gateway(scratch_env, port, tmp_path / "gateway.log", "--processes", "2")
    try:
        children = _children(proc.pid)
        assert len(children) == 2
        devices = Devices(port)
        # in a thread of its own, as above: the browser tests' driver may hold this thread's event loop
        runner = threading.Thread(target=lambda: asyncio.run(asyncio.wait_for(devices.run(), 120)), daemon=True)
        runner.start()
        runner.join(150)
        assert not runner.is_alive() and len(devices.acked) == DEVICES * PER_DEVICE
    finally:
        proc.send_signal(signal.SIGTERM)
        assert proc.wait(30) == 0  # both gateways stopped cleanly with it
    assert not any(Path(f"/proc/{c}").exists() and "gongjian" in Path(f"/proc/{c}/cmdline").read_text(errors="replace")
                   for c in children)
    out = subprocess.run([sys.executable, "-m", "tests.gateway.scratch_db", "count"], env=scratch_env, cwd=ROOT,
                         check=True, capture_output=True, timeout=120).stdout
    raw = [tuple(r) for r in json.loads(out)["raw"]]
    assert len(raw) == len(set(raw)) == DEVICES * PER_DEVICE  # every packet once, whichever process took it
