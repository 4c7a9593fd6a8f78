"""`gongjian demo` starts the HJ 212 gateway too, prints its port, and a demo station's packet is acknowledged."""

from __future__ import annotations

import datetime as dt
import socket
import subprocess
import threading
import time

from gongjian.standards import hj212
from tests.test_cli import GONGJIAN, _free_port, home  # noqa: F401  (fixture reused)


def test_demo_starts_the_gateway_and_prints_its_port(home):  # noqa: F811
    port, gw_port = _free_port(), _free_port()
    clean = {k: v for k, v in home.items() if not k.startswith("_")}
    proc = subprocess.Popen([*GONGJIAN, "demo", "--port", str(port), "--workers", "1", "--gateway-port", str(gw_port)],
                            env=clean, stdout=subprocess.PIPE, stderr=subprocess.STDOUT, text=True,
                            stdin=subprocess.DEVNULL)
    try:
        lines = []
        deadline = time.monotonic() + 120
        while time.monotonic() < deadline:
            line = proc.stdout.readline()
            if not line and proc.poll() is not None:
                break
            lines.append(line)
            if "open:" in line:
                break
        out = "".join(lines)
        assert f"gateway port: {gw_port}" in out, out
        threading.Thread(target=lambda: [None for _ in proc.stdout], daemon=True).start()
        # the demo's national station (first in air.demo.STATIONS): MN SYGK010000, PW 212000
        packet = hj212.build(cn="2051", mn="SYGK010000", st="22", pw="212000", qn="20260601080000001", flag=5,
                             data_time=dt.datetime(2026, 6, 1, 8, 0), values={"a34004": {"Avg": 33, "Flag": "N"}})
        with socket.create_connection(("127.0.0.1", gw_port), timeout=30) as s:
            s.sendall(packet)
            answer = s.makefile("rb").readline()
        reply = hj212.decode(answer)
        assert reply.ok and reply.cn == "9014" and reply.qn == "20260601080000001"
    finally:
        proc.terminate()
        try:
            proc.wait(timeout=20)
        except subprocess.TimeoutExpired:
            proc.kill()
    time.sleep(0.5)
    with socket.socket() as s:  # the gateway went with the demo: its port is free again
        s.bind(("127.0.0.1", gw_port))
