"""Run the gateway with the database store, writing its counters to GatewayStatus every few seconds.

``serve(host, port)`` blocks until SIGINT/SIGTERM. Database work (device checks, storing, the status
row) runs in threads, never on the event loop; acks go out only after the store's commit.
"""

from __future__ import annotations

import asyncio
import contextlib
import logging
import signal
import socket
from collections.abc import Callable
from concurrent.futures import ThreadPoolExecutor

from django.db import close_old_connections
from django.utils import timezone

from gongjian.gateway.server import Gateway
from gongjian.gateway.store import BatchingStore

log = logging.getLogger("gongjian.gateway")

STATUS_EVERY = 5.0


def _name(host: str, port: int) -> str:
    shown = socket.gethostname() if host in ("0.0.0.0", "::", "") else host
    return f"{shown}:{port}"


def _write_status(name: str, started, counters: dict) -> None:
    from gongjian.gateway import services

    try:
        services.status_write(name=name, started_at=started, counters=counters)
    except Exception:  # counters are best effort; the data path does not depend on them
        log.exception("网关状态写入失败 / could not write the gateway status")
    finally:
        close_old_connections()


async def run(host: str, port: int, *, ready: Callable[[Gateway], None] | None = None,
              stop: asyncio.Event | None = None, status_every: float = STATUS_EVERY,
              store_threads: int = 4, instance: str = "", **options) -> Gateway:
    # BatchingStore is awaited on the loop (store_async): the writer thread does the database work
    store = BatchingStore()
    gateway = Gateway(store, host=host, port=port, store_threads=store_threads, **options)
    await gateway.start()
    loop = asyncio.get_running_loop()
    stop = stop or asyncio.Event()
    for sig in (signal.SIGINT, signal.SIGTERM):
        with contextlib.suppress(NotImplementedError, RuntimeError, ValueError):
            loop.add_signal_handler(sig, stop.set)
    started = timezone.now()
    name = _name(host, gateway.port) + (f" #{instance}" if instance else "")
    status_pool = ThreadPoolExecutor(1, "gateway-status")
    if ready is not None:
        ready(gateway)
    try:
        while not stop.is_set():
            await loop.run_in_executor(status_pool, _write_status, name, started, gateway.stats.as_dict())
            with contextlib.suppress(TimeoutError):
                await asyncio.wait_for(stop.wait(), status_every)
    finally:
        await gateway.stop()
        await loop.run_in_executor(status_pool, _write_status, name, started, gateway.stats.as_dict())
        status_pool.shutdown(wait=True)
        store.close()
    return gateway


def loop_factory() -> Callable[[], asyncio.AbstractEventLoop] | None:
    """uvloop's event loop where it is installed (a cheaper socket and callback path for thousands of
    device connections), else asyncio's own."""
    try:
        import uvloop
    except ImportError:
        return None
    return uvloop.new_event_loop


def serve(host: str, port: int, *, ready: Callable[[Gateway], None] | None = None, **options) -> None:
    with asyncio.Runner(loop_factory=loop_factory()) as loop_runner:
        loop_runner.run(run(host, port, ready=ready, **options))


def start_subprocess(host: str, port: int, *, wait: float = 30.0):
    """Start ``gongjian gateway`` as a child process. Returns ``(process, port)``; ``(None, message)`` when it
    did not come up within ``wait`` seconds (the message says why)."""
    from gongjian.core import children

    proc, line = children.start(["gateway", "--host", host, "--port", str(port)], ready="gateway listening on",
                                wait=wait)
    return (proc, int(line.rsplit(":", 1)[1])) if proc else (None, line)
