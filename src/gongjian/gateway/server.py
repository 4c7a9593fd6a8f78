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
needs the :class:`DeviceStore` protocol. A store that blocks (database I/O) runs in a thread pool; one
that hands out futures (``store_future``/``authenticate_future``, the batching store) is called from
the loop directly.

Each connection is an asyncio protocol driven by the loop's callbacks, not a stream read by a task:
with a thousand devices the per-packet cost of streams, tasks and a timer per read was a large share of
the gateway's CPU. One sweep closes idle connections. While a frame waits for the store the
connection's reading is paused, so a device never has more than one packet in the store.
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
    gateway.stop()`` closes the listener and every connection.

    Each connection is an :class:`_Connection` protocol driven by the loop's callbacks: no stream and
    no task per device, and one idle sweep for all connections instead of a timer per read."""

    def __init__(self, store: DeviceStore, *, host: str = "127.0.0.1", port: int = 9212,
                 idle_timeout: float = 900.0, rate: float = 10.0, burst: float = 60.0,
                 read_size: int = 4096, blocking_store: bool = True, store_threads: int = 8,
                 reuse_port: bool = False):
        self.store = store
        self.reuse_port = reuse_port  # several gateway processes share the port (SO_REUSEPORT)
        self.host, self.port = host, port
        self.idle_timeout = idle_timeout
        self.rate, self.burst = rate, burst
        self.read_size = read_size  # each connection reads into a buffer of this size
        self.stats = Stats()
        self._executor = ThreadPoolExecutor(store_threads, "gateway-store") if blocking_store else None
        self._server: asyncio.AbstractServer | None = None
        self._closing = False
        self._connections: set[_Connection] = set()
        self._sweeper: asyncio.Task | None = None
        # a store that resolves a future itself (the batching store) is called without a task or thread
        self._submit_store = getattr(store, "store_future", None)
        self._submit_auth = getattr(store, "authenticate_future", None)

    async def start(self) -> None:
        loop = asyncio.get_running_loop()
        self._server = await loop.create_server(lambda: _Connection(self), self.host, self.port, backlog=1024,
                                                reuse_port=self.reuse_port or None)
        self.port = self._server.sockets[0].getsockname()[1]
        self._sweeper = loop.create_task(self._sweep_idle())
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
        if self._sweeper is not None:
            self._sweeper.cancel()
        loop = asyncio.get_running_loop()
        deadline = loop.time() + 10
        while True:  # a connection accepted just before close may be made only now: it sees _closing
            for conn in list(self._connections):
                conn.transport.abort()
            await asyncio.sleep(0.02)
            if not self._connections or loop.time() > deadline:
                break
        if self._server is not None:
            with contextlib.suppress(TimeoutError):
                await asyncio.wait_for(self._server.wait_closed(), 5)
        if self._executor is not None:
            self._executor.shutdown(wait=True)

    async def _sweep_idle(self) -> None:
        """Close connections that sent nothing for ``idle_timeout`` seconds (not while their data is
        being stored)."""
        loop = asyncio.get_running_loop()
        every = min(max(self.idle_timeout / 4, 0.01), 5.0)
        while True:
            await asyncio.sleep(every)
            now = loop.time()
            for conn in list(self._connections):
                if conn.pending is None and now - conn.last > self.idle_timeout and not conn.closed:
                    self.stats.idle_closed += 1
                    log.info("连接空闲超时，已关闭 / idle connection closed: %s", conn.peer)
                    conn.close()

    def _call(self, name: str, *args):
        """Ask the store; returns its answer, or a future of it when the answer comes later."""
        fn = getattr(self.store, name)
        submit = self._submit_store if name == "store" else self._submit_auth
        if submit is not None:
            return submit(*args)
        native = getattr(self.store, f"{name}_async", None)  # a store that awaits without a thread
        if native is not None:
            return asyncio.ensure_future(native(*args))
        if self._executor is None:
            return fn(*args)
        return asyncio.get_running_loop().run_in_executor(self._executor, fn, *args)

    def _write(self, transport, packets: Iterable[Packet], cn: str, received: float) -> None:
        sent = False
        for p in packets:
            transport.write(hj212.reply(p, cn))
            self.stats.acks_sent += cn == "9014"
            sent = True
        if sent:
            self.stats.latencies.append(time.perf_counter() - received)

    def _reject(self, code: str, peer, raw: bytes, message: str | None = None) -> None:
        self.stats.rejected[code] += 1
        if code == "junk":
            log.debug("丢弃无效字节 / junk from %s: %r", peer, raw[:64])
            return
        log.warning("拒收 / rejected from %s: %s: %s; %r", peer, code, message or reason_text(code), raw[:120])


class _Connection(asyncio.BufferedProtocol):
    """One device connection. It reads into its own ``read_size`` buffer; frames are handled in
    order; while the store works on one (device check or data), reading pauses, so a connection never
    has more than one packet in the store and holds at most one read's frames besides the re-framer's
    one maximum frame. The ack is written when the store's answer comes, i.e. after the commit."""

    def __init__(self, gateway: Gateway):
        self.gw = gateway
        self.buffer = memoryview(bytearray(gateway.read_size))
        self.stats = gateway.stats
        self.reframer = hj212.Reframer()
        self.reassembler = hj212.Reassembler(max_groups=16)
        self.bucket = _Bucket(gateway.rate, gateway.burst)
        self.known: dict[tuple[str, str | None], bool] = {}
        self.frames: collections.deque = collections.deque()
        self.pending: asyncio.Future | None = None  # the store's answer being waited for
        self.transport = None
        self.peer = None
        self.last = 0.0
        self.closed = False
        self.eof = False
        self.paused = False
        self.write_paused = False

    # ------------------------------------------------------------ transport callbacks

    def connection_made(self, transport) -> None:
        self.transport = transport
        gw = self.gw
        gw._connections.add(self)
        self.stats.connections_total += 1
        self.stats.connections_open += 1
        self.peer = transport.get_extra_info("peername")
        self.last = asyncio.get_running_loop().time()
        if gw._closing:
            transport.abort()

    def get_buffer(self, sizehint: int) -> memoryview:
        return self.buffer

    def buffer_updated(self, nbytes: int) -> None:
        self.data_received(bytes(self.buffer[:nbytes]))

    def data_received(self, data: bytes) -> None:
        self.last = asyncio.get_running_loop().time()
        if self.gw._closing:
            self.close()
            return
        self.frames.extend(self.reframer.feed(data))
        if self.pending is None:
            self._pump()

    def eof_received(self) -> bool:
        if self.pending is not None or self.frames:
            self.eof = True  # answer what came before the end, then close
            return True
        return False

    def connection_lost(self, exc) -> None:
        self.closed = True
        self.stats.connections_open -= 1
        self.gw._connections.discard(self)
        self.frames.clear()
        if self.pending is not None:  # nobody to acknowledge: the device resends what it misses
            self.pending.cancel()
            self.pending = None

    def pause_writing(self) -> None:  # the device does not read its acks: stop reading its packets
        self.write_paused = True
        self._pause()

    def resume_writing(self) -> None:
        self.write_paused = False
        if self.pending is None:
            self._pump()

    def close(self) -> None:
        if not self.closed:
            self.closed = True
            self.transport.close()

    # ------------------------------------------------------------ frames

    def _pause(self) -> None:
        if not self.paused and not self.closed:
            self.paused = True
            self.transport.pause_reading()

    def _pump(self) -> None:
        """Handle the frames received, in order, until one waits for the store."""
        frames = self.frames
        while frames and not self.closed:
            if self.write_paused:
                self._pause()
                return
            item = frames.popleft()
            if isinstance(item, Rejection):
                self.gw._reject(item.code, self.peer, item.raw, item.message)
                continue
            try:
                step = _settle(self._frame(item))
            except Exception:
                log.exception("处理数据包出错，已断开 / error handling a packet, connection closed: %s", self.peer)
                self.close()
                return
            if step is not None:
                self._wait(*step)
                return
        if self.closed:
            return
        if self.eof:
            self.close()
        elif self.paused and not self.write_paused:
            self.paused = False
            self.transport.resume_reading()

    def _wait(self, future: asyncio.Future, then) -> None:
        """Go on with ``then(result)`` when the store's answer is there; read nothing meanwhile."""
        self.pending = future
        self._pause()
        future.add_done_callback(lambda f: self._answered(f, then))

    def _answered(self, future: asyncio.Future, then) -> None:
        if self.pending is not future:  # the connection is gone (connection_lost cancelled it)
            return
        self.pending = None
        try:
            step = _settle(then(future.result()))
        except Exception:
            log.exception("存储或应答出错，已断开 / store or ack failed, connection closed: %s", self.peer)
            self.close()
            return
        if step is not None:
            self._wait(*step)
        else:
            self._pump()

    def _frame(self, raw: bytes):
        """One frame; returns None when done, or ``(answer, then)`` when it waits for the store."""
        received = time.perf_counter()
        stats = self.stats
        stats.packets_received += 1
        if not self.bucket.take():
            self.gw._reject("rate_limited", self.peer, raw)
            return None
        packet = hj212.decode(raw)
        if not packet.ok:
            self.gw._reject(packet.error.code, self.peer, raw, packet.error.message)
            return None
        key = (packet.mn, packet.pw)
        ok = self.known.get(key)
        if ok is None:
            def checked(answer):
                self.known[key] = bool(answer)
                return self._checked(bool(answer), packet, raw, received)
            return self.gw._call("authenticate", packet.mn, packet.pw), checked
        return self._checked(ok, packet, raw, received)

    def _checked(self, ok: bool, packet: Packet, raw: bytes, received: float):
        stats = self.stats
        if not ok:
            self.gw._reject("unknown_device", self.peer, raw, f"MN={packet.mn}")
            return None
        if packet.cn in REPLIES:
            stats.packets_accepted += 1
            return None
        if packet.cn == TIME_REQUEST:
            stats.packets_accepted += 1
            stats.time_replies += 1
            self.gw._write(self.transport, [packet], "9013", received)
            return None
        whole = self.reassembler.add(packet)
        if whole is None:  # a part of a split packet: held until the rest arrives
            stats.packets_accepted += 1
            return None

        def stored(answer):
            if not answer:
                self.gw._reject("not_stored", self.peer, raw, f"MN={packet.mn} CN={packet.cn}")
                return None
            stats.packets_accepted += 1
            self.gw._write(self.transport, [p for p in whole.pieces or (whole,) if p.wants_ack], "9014", received)
            return None
        return self.gw._call("store", whole), stored


def _settle(step):
    """Run the continuations whose answer is already there (a store that answers at once); returns
    None when the frame is done, or ``(future, then)`` for the first answer still to come."""
    while step is not None and not asyncio.isfuture(step[0]):
        answer, then = step
        step = then(answer)
    return step
