"""Starting the worker beside the web server (`gongjian demo`, `gongjian serve --with-worker`)."""

from __future__ import annotations


def start_subprocess(*, wait: float = 60.0):
    """Start ``gongjian worker --with-scheduler`` as a child process. Returns ``(process, worker id)``, or
    ``(None, why)`` when it did not come up within ``wait`` seconds."""
    from gongjian.core import children

    proc, line = children.start(["worker", "--with-scheduler"], ready="worker started", wait=wait)
    return (proc, line.rsplit(":", 1)[-1].strip()) if proc else (None, line)
