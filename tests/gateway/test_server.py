"""The gateway's TCP server on a real loopback socket, with an in-memory store.

Each test runs its own event loop (``asyncio.run`` in a thread) and gateway on a free port; devices are plain
asyncio connections writing bytes as real ones do (split, merged, with junk).
"""

from __future__ import annotations

import asyncio
import contextlib
import datetime as dt
import threading
from concurrent.futures import ThreadPoolExecutor

from gongjian.gateway.server import Gateway
from gongjian.standards import hj212
from gongjian.standards.hj212 import Packet

PW = "123456"


def mn(i: int) -> str:
    return f"{0x010000A89000000000000000 + i:024X}"


class MemoryStore:
    """Registered devices and stored packets; deduplicates on device + command + DataTime."""

    def __init__(self, devices=(), fail: bool = False):
        self.devices = {mn(i): PW for i in devices}
        self.rows: dict[tuple, Packet] = {}
        self.fail = fail
        self.calls = 0
        self.lock = threading.Lock()

    def authenticate(self, mn: str, pw: str | None) -> bool:
        return self.devices.get(mn) == pw

    def store(self, packet: Packet) -> bool:
        with self.lock:
            self.calls += 1
            if self.fail:
                return False
            self.rows.setdefault((packet.mn, packet.cn, packet.data_time), packet)
            return True


def minute(device: int, i: int, *, ack: bool = True, pw: str = PW, cn: str = "2051") -> tuple[str, bytes]:
    when = dt.datetime(2026, 6, 1, 8, 0) + dt.timedelta(minutes=i)
    qn = f"{when:%Y%m%d%H%M%S}{device % 1000:03d}"
    raw = hj212.build(cn=cn, mn=mn(device), st="39", pw=pw, qn=qn, flag=5 if ack else 4, data_time=when,
                      values={"a34001": {"Avg": 100 + i, "Flag": "N"}, "a34004": {"Avg": 35.5, "Flag": "N"}})
    return qn, raw


def run(main) -> None:
    """``asyncio.run(main())`` in a thread of its own: the browser tests' fixtures keep an event loop
    running in the main thread for the whole session."""
    with ThreadPoolExecutor(1) as pool:
        pool.submit(asyncio.run, main()).result()


async def _gateway(store, **kw) -> Gateway:
    gw = Gateway(store, port=0, blocking_store=kw.pop("blocking_store", False), **kw)
    await gw.start()
    return gw


async def _read_replies(reader, n: int, timeout: float = 5.0) -> list[Packet]:
    r = hj212.Reframer()
    out: list[Packet] = []
    while len(out) < n:
        data = await asyncio.wait_for(reader.read(4096), timeout)
        if not data:
            break
        out += [hj212.decode(f) for f in r.feed(data) if isinstance(f, bytes)]
    return out


async def _nothing_more(reader, wait: float = 0.3) -> bool:
    try:
        data = await asyncio.wait_for(reader.read(4096), wait)
    except TimeoutError:
        return True
    return data == b""


def test_minute_data_is_stored_then_acknowledged_with_9014_echoing_qn():
    async def main():
        store = MemoryStore(devices=[1])
        gw = await _gateway(store, blocking_store=True)
        reader, writer = await asyncio.open_connection("127.0.0.1", gw.port)
        _qn0, quiet = minute(1, 0, ack=False)
        qn1, loud = minute(1, 1)
        writer.write(quiet + loud)
        await writer.drain()
        (ack,) = await _read_replies(reader, 1)
        assert (ack.cn, ack.st, ack.qn, ack.mn, ack.pw, ack.flag) == ("9014", "91", qn1, mn(1), PW, 4)
        assert ack.ok and ack.values == {} and ack.cp == {}
        assert len(store.rows) == 2  # the one that asked for no reply is stored too
        stored = store.rows[(mn(1), "2051", dt.datetime(2026, 6, 1, 8, 1))]
        assert stored.values["a34001"] == {"Avg": 101, "Flag": "N"}
        assert await _nothing_more(reader)
        s = gw.stats.as_dict()
        assert s["packets_accepted"] == 2 and s["acks_sent"] == 1 and s["packets_rejected"] == 0
        assert s["ack_latency_p99_ms"] is not None and s["connections_open"] == 1
        writer.close()
        await gw.stop()
        assert gw.stats.connections_open == 0

    run(main)


def test_unknown_device_and_wrong_password_get_no_ack_and_are_counted():
    async def main():
        store = MemoryStore(devices=[1])
        gw = await _gateway(store)
        reader, writer = await asyncio.open_connection("127.0.0.1", gw.port)
        writer.write(minute(2, 0)[1] + minute(1, 0, pw="wrong")[1])
        qn, good = minute(1, 1)
        writer.write(good)  # the connection still works
        (ack,) = await _read_replies(reader, 1)
        assert ack.qn == qn
        assert gw.stats.rejected == {"unknown_device": 2}
        assert list(store.rows) == [(mn(1), "2051", dt.datetime(2026, 6, 1, 8, 1))]
        writer.close()
        await gw.stop()

    run(main)


def test_time_request_1013_is_answered_with_9013():
    async def main():
        gw = await _gateway(MemoryStore(devices=[1]))
        reader, writer = await asyncio.open_connection("127.0.0.1", gw.port)
        req = hj212.build(cn="1013", mn=mn(1), st="39", pw=PW, qn="20260601080000123", flag=5)
        writer.write(req)
        (ans,) = await _read_replies(reader, 1)
        assert (ans.cn, ans.qn, ans.st) == ("9013", "20260601080000123", "91")
        assert gw.stats.time_replies == 1 and gw.stats.acks_sent == 0
        writer.close()
        await gw.stop()

    run(main)


def test_split_merged_and_junk_prefixed_reads_all_get_through():
    async def main():
        store = MemoryStore(devices=[1])
        gw = await _gateway(store)
        reader, writer = await asyncio.open_connection("127.0.0.1", gw.port)
        packets = [minute(1, i) for i in range(6)]
        stream = b"\x00\x13GPRS CONNECT\r\n" + b"".join(raw for _qn, raw in packets[:3])  # junk, merged
        writer.write(stream)
        await writer.drain()
        for _qn, raw in packets[3:]:  # split: a few bytes at a time
            for i in range(0, len(raw), 7):
                writer.write(raw[i:i + 7])
                await writer.drain()
                await asyncio.sleep(0)
        acks = await _read_replies(reader, 6)
        assert [a.qn for a in acks] == [qn for qn, _raw in packets]
        assert len(store.rows) == 6
        assert gw.stats.rejected["junk"] >= 1
        writer.close()
        await gw.stop()

    run(main)


def test_bad_crc_and_truncated_packets_are_rejected_by_reason_without_answer():
    async def main():
        store = MemoryStore(devices=[1])
        gw = await _gateway(store)
        reader, writer = await asyncio.open_connection("127.0.0.1", gw.port)
        _qn, a = minute(1, 0)
        qn, b = minute(1, 1)
        bad = a[:-6] + (b"0000" if a[-6:-2] != b"0000" else b"1111") + b"\r\n"
        writer.write(bad + a[:50] + b)
        (ack,) = await _read_replies(reader, 1)
        assert ack.qn == qn
        assert gw.stats.rejected == {"crc_mismatch": 1, "truncated": 1}
        assert len(store.rows) == 1
        writer.close()
        await gw.stop()

    run(main)


def test_nothing_is_acknowledged_that_was_not_stored_and_a_resend_is_not_duplicated():
    async def main():
        store = MemoryStore(devices=[1], fail=True)
        gw = await _gateway(store)
        reader, writer = await asyncio.open_connection("127.0.0.1", gw.port)
        qn, raw = minute(1, 0)
        writer.write(raw)
        await writer.drain()
        assert await _nothing_more(reader)
        assert gw.stats.rejected == {"not_stored": 1} and store.rows == {}
        store.fail = False
        writer.write(raw + raw)  # the device resends; then resends again after a lost ack
        acks = await _read_replies(reader, 2)
        assert [a.qn for a in acks] == [qn, qn]
        assert len(store.rows) == 1 and store.calls == 3
        writer.close()
        await gw.stop()

    run(main)


def test_split_packet_parts_are_acknowledged_after_the_whole_is_stored():
    async def main():
        store = MemoryStore(devices=[1])
        gw = await _gateway(store)
        reader, writer = await asyncio.open_connection("127.0.0.1", gw.port)
        when = dt.datetime(2026, 6, 1, 8, 0)
        parts = [hj212.build(cn="2051", mn=mn(1), st="39", pw=PW, qn=f"2026060108000000{i}", flag=7,
                             data_time=when, pnum=2, pno=i, values={f"a3400{i}": {"Avg": i, "Flag": "N"}})
                 for i in (1, 2)]
        writer.write(parts[0])
        await writer.drain()
        assert await _nothing_more(reader)  # half a packet: nothing stored, nothing acknowledged
        assert store.rows == {}
        writer.write(parts[1])
        acks = await _read_replies(reader, 2)
        assert [a.qn for a in acks] == ["20260601080000001", "20260601080000002"]
        (whole,) = store.rows.values()
        assert whole.values == {"a34001": {"Avg": 1, "Flag": "N"}, "a34002": {"Avg": 2, "Flag": "N"}}
        writer.close()
        await gw.stop()

    run(main)


def test_idle_connections_are_closed():
    async def main():
        gw = await _gateway(MemoryStore(devices=[1]), idle_timeout=0.2)
        reader, writer = await asyncio.open_connection("127.0.0.1", gw.port)
        data = await asyncio.wait_for(reader.read(100), 3)
        assert data == b""  # closed by the gateway
        assert gw.stats.idle_closed == 1
        writer.close()
        await gw.stop()

    run(main)


def test_rate_limit_drops_a_flood_beyond_the_burst():
    async def main():
        store = MemoryStore(devices=[1])
        gw = await _gateway(store, rate=0.01, burst=5)
        reader, writer = await asyncio.open_connection("127.0.0.1", gw.port)
        writer.write(b"".join(minute(1, i)[1] for i in range(20)))
        acks = await _read_replies(reader, 5)
        assert len(acks) == 5 and await _nothing_more(reader)
        assert gw.stats.rejected == {"rate_limited": 15} and len(store.rows) == 5
        writer.close()
        await gw.stop()

    run(main)


def test_a_stream_without_packet_ends_does_not_grow_the_buffer():
    async def main():
        store = MemoryStore(devices=[1])
        gw = await _gateway(store)
        reader, writer = await asyncio.open_connection("127.0.0.1", gw.port)
        for _ in range(50):
            writer.write(b"##0101" + b"A" * 4000)
            await writer.drain()
        qn, raw = minute(1, 0)
        writer.write(b"\r\n" + raw)
        (ack,) = await _read_replies(reader, 1)
        assert ack.qn == qn
        assert gw.stats.rejected["oversize"] >= 50
        writer.close()
        await gw.stop()

    run(main)


def test_many_devices_gateway_restart_and_resend_without_duplicates():
    """50 devices send minute data with acks; the gateway stops mid-stream and starts again on the same
    port; each device resends what was not acknowledged. (Each device pauses after five acks until the
    restart, so the stop always falls mid-stream.) Every acknowledged packet is stored, all are
    stored in the end, none twice."""

    async def device(i: int, port: int, acked: set, resume: asyncio.Event):
        pending = [minute(i, k) for k in range(10)]
        sent = 0
        while pending:
            try:
                reader, writer = await asyncio.open_connection("127.0.0.1", port)
            except OSError:
                await asyncio.sleep(0.05)
                continue
            try:
                for qn, raw in list(pending):
                    writer.write(raw)
                    await writer.drain()
                    (ack,) = await _read_replies(reader, 1, timeout=2)
                    assert ack.qn == qn
                    acked.add((i, qn))
                    pending.remove((qn, raw))
                    sent += 1
                    if sent == 5:  # half-way: wait until the gateway has been restarted
                        await resume.wait()
            except (ValueError, OSError, TimeoutError, AssertionError):
                await asyncio.sleep(0.05)
            finally:
                writer.close()

    async def main():
        store = MemoryStore(devices=range(50))
        gw = await _gateway(store, blocking_store=True)
        port = gw.port
        acked: set = set()
        resume = asyncio.Event()
        devices = [asyncio.create_task(device(i, port, acked, resume)) for i in range(50)]
        for _ in range(2000):
            if len(acked) >= 100:
                break
            await asyncio.sleep(0.01)
        await gw.stop()  # mid-stream
        stored_at_stop = set(store.rows)
        assert 0 < len(acked) < 500  # it really stopped mid-stream
        assert {(mn(i), qn) for i, qn in acked} <= {(p.mn, p.qn) for p in store.rows.values()}
        gw2 = Gateway(store, port=port, blocking_store=True)
        await gw2.start()
        resume.set()
        await asyncio.wait_for(asyncio.gather(*devices), 30)
        await gw2.stop()
        assert len(acked) == 500
        assert len(store.rows) == 500  # one row per device and minute, resends included
        assert stored_at_stop <= set(store.rows)

    run(main)


class SlowStore(MemoryStore):
    """Answers from a thread after a pause, as a database does."""

    def store(self, packet: Packet) -> bool:
        import time

        time.sleep(0.2)
        return super().store(packet)


def test_a_device_that_closes_its_sending_side_still_gets_the_acks_of_what_it_sent():
    async def main():
        store = SlowStore(devices=[1])
        gw = await _gateway(store, blocking_store=True)
        reader, writer = await asyncio.open_connection("127.0.0.1", gw.port)
        packets = [minute(1, i) for i in range(3)]
        writer.write(b"".join(raw for _, raw in packets))
        writer.write_eof()  # sent everything, now only listening
        acks = await _read_replies(reader, 3)
        assert [a.qn for a in acks] == [qn for qn, _ in packets]  # in order, each after its store
        assert await reader.read() == b""  # then the gateway closes
        assert len(store.rows) == 3
        await gw.stop()
        assert gw.stats.connections_open == 0

    run(main)


def test_a_device_that_reads_no_acks_is_not_read_either():
    async def main():
        store = MemoryStore(devices=[1])
        gw = await _gateway(store, rate=1e9, burst=1e9)
        reader, writer = await asyncio.open_connection("127.0.0.1", gw.port)
        raw = minute(1, 0)[1]  # the same packet again and again: stored once, acked each time
        sent = 0
        with contextlib.suppress(TimeoutError):
            while sent < 100_000:  # never reading: the gateway's acks fill both socket buffers
                writer.write(raw * 100)
                await asyncio.wait_for(writer.drain(), 1.0)
                sent += 100
        assert sent < 100_000  # the gateway stopped reading while its acks could not be written
        assert gw.stats.acks_sent < sent
        await _read_replies(reader, 100)  # reading again lets it go on
        writer.close()
        await gw.stop()

    run(main)
