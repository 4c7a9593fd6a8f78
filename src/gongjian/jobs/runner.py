"""Starting the worker beside the web server (`gongjian demo`, `gongjian serve --with-worker`)."""

from __future__ import annotations

import os
import subprocess
import sys
import threading


def _drain(src, dst) -> None:
    for chunk in iter(src.readline, b""):
        dst.write(chunk.decode("utf-8", "replace"))
        dst.flush()


def start_subprocess(*, wait: float = 60.0):
    """Start ``gongjian worker --with-scheduler`` as a child process. Returns ``(process, worker id)``, or
    ``(None, why)`` when it did not come up within ``wait`` seconds."""
    proc = subprocess.Popen([sys.executable, "-m", "gongjian.cli", "worker", "--with-scheduler"],
                            stdout=subprocess.PIPE, stderr=subprocess.PIPE, env=dict(os.environ))
    first = [b""]
    reader = threading.Thread(target=lambda: first.__setitem__(0, proc.stdout.readline()), daemon=True)
    reader.start()
    reader.join(wait)
    line = first[0].decode("utf-8", "replace").strip()
    if "worker started" not in line:
        proc.kill()
        err = proc.stderr.read().decode("utf-8", "replace").strip().splitlines() if proc.poll() is not None else []
        return None, (err[-1] if err else line or "没有响应 / no answer")
    threading.Thread(target=_drain, args=(proc.stdout, sys.stdout), daemon=True).start()
    threading.Thread(target=_drain, args=(proc.stderr, sys.stderr), daemon=True).start()
    return proc, line.rsplit(":", 1)[-1].strip()
