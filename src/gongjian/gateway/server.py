"""The HJ 212 gateway's network part: an asyncio TCP server for monitoring devices.

Each connection gets its own :class:`~gongjian.standards.hj212.Reframer` (split and merged reads, junk
before ``##``; it never holds more than one maximum frame), a token bucket (``rate`` packets/s with
``burst``) and an idle timeout. Every frame is decoded leniently; what a receiver must reject is counted
by reason and logged with the raw bytes' start, never answered. A packet from a device the store does
not know (MN and PW) is logged, counted and not answered either.

What the store commits is acknowledged, and only that: a data upload asking for a reply (Flag bit A)
gets 9014 echoing its QN after :meth:`DeviceStore.store` returned True. A time request (1013) gets 9013.
Split packets (PNUM/PNO) are joined per connection and stored as one; each part that asked for a reply
gets its own 9014 once the whole is committed. Retransmits are the store's to recognise (device +
command + DataTime) — it returns True for one it already holds, so the device hears the ack it missed.

The database store (stations and readings of the air module) comes with that module; the server only
needs the :class:`DeviceStore` protocol. A store that blocks (database I/O) runs in a thread pool.
"""

from __future__ import annotations

import asyncio
import collections
import contextlib
import logging
import time
from collections.abc import Iterable
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass, field
from typing import Protocol

from gongjian.standards import hj212
from gongjian.standards.hj212 import Packet, Rejection

log = logging.getLogger("gongjian.gateway")

# Commands the platform answers or ignores rather than stores.
TIME_REQUEST = "1013"
REPLIES = frozenset({"9011", "9012", "9013", "9014"})

# Reasons the gateway itself adds to the codec's (hj212.REASONS).
GATEWAY_REASONS: dict[str, tuple[str, str]] = {
    "unknown_device": ("未登记的设备或密码错误，未应答", "unknown device or wrong password, not acknowledged"),
    "rate_limited": ("发送过快，超出速率限制，已丢弃", "over the rate limit, dropped"),
    "not_stored": ("未能保存，未应答(设备会重发)", "not stored, not acknowledged (the device resends)"),
}


class DeviceStore(Protocol):
    """Where the gateway checks devices and puts their data."""

    def authenticate(self, mn: str, pw: str | None) -> bool:
        """True when ``mn`` is a registered device and ``pw`` its password."""

    def store(self, packet: Packet) -> bool:
        """Store the raw packet and its readings durably. True once committed, or when the same data
        (device + command + DataTime) is already stored; False when it could not be stored (then the
        gateway does not acknowledge and the device resends)."""


def reason_text(code: str) -> str:
    zh, en = GATEWAY_REASONS.get(code) or hj212.REASONS[code]
    return f"{zh} / {en}"


@dataclass
class Stats:
    """Counters since start: connections, packets accepted and rejected by reason, ack latency."""

    connections_total: int = 0
    connections_open: int = 0
    idle_closed: int = 0
    packets_received: int = 0
    packets_accepted: int = 0
    acks_sent: int = 0
    time_replies: int = 0
    rejected: collections.Counter = field(default_factory=collections.Counter)
    latencies: collections.deque = field(default_factory=lambda: collections.deque(maxlen=10_000))

    def latency_ms(self, q: float) -> float | None:
        """The q-quantile (0..1) of the recent ack latencies (frame received → ack written), in ms."""
        if not self.latencies:
            return None
        ordered = sorted(self.latencies)
        return ordered[min(len(ordered) - 1, int(q * len(ordered)))] * 1000

    def as_dict(self) -> dict:
        return {
            "connections_total": self.connections_total,
            "connections_open": self.connections_open,
            "idle_closed": self.idle_closed,
            "packets_received": self.packets_received,
            "packets_accepted": self.packets_accepted,
            "packets_rejected": sum(self.rejected.values()),
            "rejected_by_reason": dict(self.rejected),
            "acks_sent": self.acks_sent,
            "time_replies": self.time_replies,
            "ack_latency_p50_ms": self.latency_ms(0.50),
            "ack_latency_p99_ms": self.latency_ms(0.99),
        }


class _Bucket:
    """Token bucket: ``rate`` tokens per second, at most ``burst`` saved up."""

    __slots__ = ("burst", "rate", "stamp", "tokens")

    def __init__(self, rate: float, burst: float):
        self.rate, self.burst, self.tokens, self.stamp = rate, burst, burst, time.monotonic()

    def take(self) -> bool:
        now = time.monotonic()
        self.tokens = min(self.burst, self.tokens + (now - self.stamp) * self.rate)
        self.stamp = now
        if self.tokens >= 1:
            self.tokens -= 1
            return True
        return False


class Gateway:
    """``await gateway.start()`` listens (port 0 picks a free one: see ``port``); ``await
    gateway.stop()`` closes the listener and every connection."""

    def __init__(self, store: DeviceStore, *, host: str = "127.0.0.1", port: int = 9212,
                 idle_timeout: float = 900.0, rate: float = 10.0, burst: float = 60.0,
                 read_size: int = 4096, blocking_store: bool = True, store_threads: int = 8):
        self.store = store
        self.host, self.port = host, port
        self.idle_timeout = idle_timeout
        self.rate, self.burst = rate, burst
        self.read_size = read_size
        self.stats = Stats()
        self._executor = ThreadPoolExecutor(store_threads, "gateway-store") if blocking_store else None
        self._server: asyncio.Server | None = None
        self._tasks: set[asyncio.Task] = set()
        self._closing = False
        self._writers: set[asyncio.StreamWriter] = set()

    async def start(self) -> None:
        self._server = await asyncio.start_server(self._connection, self.host, self.port, backlog=1024)
        self.port = self._server.sockets[0].getsockname()[1]
        log.info("HJ 212 网关监听 / gateway listening on %s:%s", self.host, self.port)

    async def serve_forever(self) -> None:
        if self._server is None:
            await self.start()
        async with self._server:
            await self._server.serve_forever()

    async def stop(self) -> None:
        self._closing = True
        if self._server is not None:
            self._server.close()
        # a connection accepted just before close may start its handler only now: it sees _closing
        loop = asyncio.get_running_loop()
        deadline = loop.time() + 10
        while True:
            for writer in list(self._writers):
                writer.transport.abort()
            for task in list(self._tasks):
                task.cancel()
            if self._tasks:
                await asyncio.wait(list(self._tasks), timeout=2)
            await asyncio.sleep(0.02)
            if not self._tasks or loop.time() > deadline:
                break
        if self._server is not None:  # it waits for the connections to be gone
            with contextlib.suppress(TimeoutError):
                await asyncio.wait_for(self._server.wait_closed(), 5)
        if self._executor is not None:
            self._executor.shutdown(wait=True)

    # ------------------------------------------------------------ one connection

    async def _connection(self, reader: asyncio.StreamReader, writer: asyncio.StreamWriter) -> None:
        if self._closing:
            writer.close()
            return
        task = asyncio.current_task()
        self._tasks.add(task)
        self._writers.add(writer)
        stats = self.stats
        stats.connections_total += 1
        stats.connections_open += 1
        peer = writer.get_extra_info("peername")
        reframer = hj212.Reframer()
        reassembler = hj212.Reassembler(max_groups=16)
        bucket = _Bucket(self.rate, self.burst)
        known: dict[tuple[str, str | None], bool] = {}
        try:
            while True:
                try:
                    async with asyncio.timeout(self.idle_timeout):  # (wait_for may swallow a cancel in 3.11)
                        data = await reader.read(self.read_size)
                except TimeoutError:
                    stats.idle_closed += 1
                    log.info("连接空闲超时，已关闭 / idle connection closed: %s", peer)
                    break
                if not data or self._closing:
                    break
                for item in reframer.feed(data):
                    if isinstance(item, Rejection):
                        self._reject(item.code, peer, item.raw, item.message)
                        continue
                    await self._frame(item, writer, peer, bucket, reassembler, known)
                await writer.drain()
        except (ConnectionError, asyncio.IncompleteReadError):
            pass
        except asyncio.CancelledError:
            pass
        finally:
            stats.connections_open -= 1
            self._writers.discard(writer)
            try:
                writer.close()
                # end normally even when stop() cancels us here: asyncio's stream callback would log a
                # cancelled handler as an error
                with contextlib.suppress(Exception, asyncio.CancelledError):
                    await writer.wait_closed()
            finally:
                self._tasks.discard(task)

    async def _frame(self, raw: bytes, writer, peer, bucket: _Bucket, reassembler: hj212.Reassembler,
                     known: dict) -> None:
        received = time.perf_counter()
        stats = self.stats
        stats.packets_received += 1
        if not bucket.take():
            self._reject("rate_limited", peer, raw)
            return
        packet = hj212.decode(raw)
        if not packet.ok:
            self._reject(packet.error.code, peer, raw, packet.error.message)
            return
        key = (packet.mn, packet.pw)
        ok = known.get(key)
        if ok is None:
            ok = known[key] = bool(await self._call(self.store.authenticate, packet.mn, packet.pw))
        if not ok:
            self._reject("unknown_device", peer, raw, f"MN={packet.mn}")
            return
        if packet.cn in REPLIES:
            stats.packets_accepted += 1
            return
        if packet.cn == TIME_REQUEST:
            stats.packets_accepted += 1
            stats.time_replies += 1
            self._write(writer, [packet], "9013", received)
            return
        whole = reassembler.add(packet)
        if whole is None:  # a part of a split packet: held until the rest arrives
            stats.packets_accepted += 1
            return
        if not await self._call(self.store.store, whole):
            self._reject("not_stored", peer, raw, f"MN={packet.mn} CN={packet.cn}")
            return
        stats.packets_accepted += 1
        self._write(writer, [p for p in whole.pieces or (whole,) if p.wants_ack], "9014", received)

    def _write(self, writer, packets: Iterable[Packet], cn: str, received: float) -> None:
        sent = False
        for p in packets:
            writer.write(hj212.reply(p, cn))
            self.stats.acks_sent += cn == "9014"
            sent = True
        if sent:
            self.stats.latencies.append(time.perf_counter() - received)

    async def _call(self, fn, *args):
        native = getattr(self.store, f"{fn.__name__}_async", None)  # a store that awaits without a thread
        if native is not None:
            return await native(*args)
        if self._executor is None:
            return fn(*args)
        return await asyncio.get_running_loop().run_in_executor(self._executor, fn, *args)

    def _reject(self, code: str, peer, raw: bytes, message: str | None = None) -> None:
        self.stats.rejected[code] += 1
        if code == "junk":
            log.debug("丢弃无效字节 / junk from %s: %r", peer, raw[:64])
            return
        log.warning("拒收 / rejected from %s: %s: %s; %r", peer, code, message or reason_text(code), raw[:120])
