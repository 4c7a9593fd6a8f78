"""Tasks used by the worker tests: each run leaves a line in a file, so a test can count runs across
processes (the file is opened for appending; one short write per line is atomic)."""

from __future__ import annotations

import os
import time

from django_tasks import task


def _line(path: str, text: str) -> None:
    fd = os.open(path, os.O_WRONLY | os.O_APPEND | os.O_CREAT, 0o600)
    try:
        os.write(fd, f"{text}\n".encode())
    finally:
        os.close(fd)


@task()
def mark(path: str, n: int) -> int:
    _line(path, f"{n} {os.getpid()}")
    return n


@task()
def slow(path: str, seconds: float) -> str:
    _line(path, f"start {os.getpid()}")
    time.sleep(seconds)
    _line(path, f"done {os.getpid()}")
    return "done"


@task()
def boom() -> None:
    raise ValueError("故意失败 / deliberate failure")
