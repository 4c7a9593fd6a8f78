"""`gongjian hj212 decode|crc` as an operator runs them: a real process, packets on stdin."""

from __future__ import annotations

import json
import subprocess
import sys

from tests.standards.test_hj212 import EX1, EX2

GONGJIAN = [sys.executable, "-m", "gongjian.cli"]
KEYS = ["ok", "error", "crc_ok", "length_ok", "qn", "st", "cn", "pw", "mn", "flag", "pnum", "pno", "data_time",
        "values"]


def run(args, stdin: bytes = b""):
    return subprocess.run([*GONGJIAN, *args], input=stdin, capture_output=True, timeout=60)


def test_decode_prints_one_json_object_per_packet():
    bad = EX1.replace(b"1C80", b"1C81")
    stdin = EX1 + b"\n" + EX2[:-2] + b"\n" + b"   \n" + bad[:-2]  # CRLF, LF only, a blank line, no newline
    done = run(["hj212", "decode"], stdin)
    lines = done.stdout.decode().splitlines()
    assert len(lines) == 3
    first, second, third = (json.loads(line) for line in lines)
    assert list(first) == KEYS
    assert first["ok"] is True and first["error"] is None and first["flag"] == 5 and first["mn"] == (
        "010000A8900016F000169DC0")
    assert second["data_time"] == "2022-05-13T16:26:00"
    assert second["values"]["a21005"] == {"Avg": 0.427, "Flag": "N"}
    assert second["values"]["a34004"] == {"Avg": 14, "Flag": "N"}
    assert third["ok"] is False and third["crc_ok"] is False and third["length_ok"] is True
    assert third["error"].startswith("crc_mismatch") and "1C80" in third["error"]
    assert done.returncode == 1
    assert "拒收 1" in done.stderr.decode()


def test_decode_exits_0_when_all_accepted_and_strict_applies_the_2017_text():
    assert run(["hj212", "decode"], EX1 + EX2).returncode == 0
    done = run(["hj212", "decode", "--strict"], EX1 + EX2)
    first, second = (json.loads(line) for line in done.stdout.decode().splitlines())
    assert first["ok"] is True
    assert second["ok"] is False and second["error"].startswith("bad_mn")
    assert done.returncode == 1


def test_decode_with_nothing_on_stdin_says_so():
    done = run(["hj212", "decode"], b"")
    assert done.returncode == 0 and done.stdout == b""
    assert "没有数据包" in done.stderr.decode()


def test_crc_prints_the_check_value():
    done = run(["hj212", "crc", "123456789"])
    assert done.returncode == 0 and done.stdout == b"2F80\n"
    done = run(["hj212", "crc", EX2[6:-6].decode()])
    assert done.stdout == b"D641\n"
