"""Starting a `gongjian` command as a child process beside the web server (the demo's gateway and worker:
gunicorn's arbiter forks, so each gets a process of its own)."""

from __future__ import annotations

import os
import subprocess
import sys
import threading


def _drain(src, dst) -> None:
    for chunk in iter(src.readline, b""):
        dst.write(chunk.decode("utf-8", "replace"))
        dst.flush()


def start(args: list[str], *, ready: str, wait: float) -> tuple[subprocess.Popen | None, str]:
    """Run ``gongjian ARGS`` and wait up to ``wait`` seconds for its first output line, which must contain
    ``ready``. Returns ``(process, that line)``, or ``(None, why)`` when it did not come up (its last error
    line, or what it printed). Its later output (warnings, logs) is passed on without ever blocking it."""
    proc = subprocess.Popen([sys.executable, "-m", "gongjian.cli", *args], stdout=subprocess.PIPE,
                            stderr=subprocess.PIPE, env=dict(os.environ))
    first = [b""]
    reader = threading.Thread(target=lambda: first.__setitem__(0, proc.stdout.readline()), daemon=True)
    reader.start()
    reader.join(wait)
    line = first[0].decode("utf-8", "replace").strip()
    if ready not in line:
        proc.kill()
        try:
            _, err = proc.communicate(timeout=5)
        except subprocess.TimeoutExpired:
            err = b""
        lines = err.decode("utf-8", "replace").strip().splitlines()
        return None, (lines[-1] if lines else line or "没有响应 / no answer")
    threading.Thread(target=_drain, args=(proc.stdout, sys.stdout), daemon=True).start()
    threading.Thread(target=_drain, args=(proc.stderr, sys.stderr), daemon=True).start()
    return proc, line
