"""The gateway's database store: devices are air stations, data goes to air's readings.

``authenticate`` checks MN and PW against :class:`~gongjian.air.models.Station` (active stations only,
constant-time compare, also when the MN is unknown). ``store`` writes, in one transaction, the raw
packet (:class:`~gongjian.gateway.models.RawPacket`, unique on station + CN + DataTime) and the parsed
values into air's minute (2051) or hourly (2061) readings through ``air.services.readings_store``. A
retransmit hits the unique key: nothing new is written and the store answers True, so the device hears
the ack it missed. True is returned only after the commit; a database error returns False (no ack, the
device resends).

Exceedance rules: after an hourly packet (2061) is committed, ``air.services.exceedance_scan`` runs for
that station from that hour on. The rules are on hourly values, so minute data cannot trigger them; one
hourly packet per station and hour is cheap to scan, and the case opens within the hour it is due rather
than at the next ``gongjian air scan``. A failing scan is logged and does not cost the ack (the data is
committed; ``gongjian air scan`` catches up).
"""

from __future__ import annotations

import contextlib
import hmac
import json
import logging
import threading

from django.db import DatabaseError, IntegrityError, close_old_connections, connections, transaction
from django.utils import timezone

from gongjian.air import imports
from gongjian.air import services as air_services
from gongjian.air.models import POLLUTANT_FIELDS, POLLUTANTS, VALID_FLAG, Station
from gongjian.gateway.models import RawPacket
from gongjian.standards.hj212 import Packet

log = logging.getLogger("gongjian.gateway")

MINUTE_DATA = "2051"
HOURLY_DATA = "2061"
# HJ 212 factor codes (2017 table; the codec maps 2005-era names onto them) → air's pollutant names
FACTORS = {"a34004": "PM2.5", "a34002": "PM10", "a21026": "SO2", "a21004": "NO2", "a21005": "CO", "a05024": "O3"}
_DUMMY = b"\x00" * 16


class DatabaseStore:
    """The :class:`~gongjian.gateway.server.DeviceStore` on the database. Safe to call from threads."""

    def __init__(self, *, scan_exceedances: bool = True):
        self.scan_exceedances = scan_exceedances
        self._stations: dict[str, tuple[int, dict[str, float], bytes]] = {}
        self._lock = threading.Lock()

    # ------------------------------------------------------------ devices

    def authenticate(self, mn: str, pw: str | None) -> bool:
        close_old_connections()
        station = Station.objects.filter(mn=mn or "", is_active=True).only(
            "pk", "device_password", "value_units", "pollutants").first()
        if station is None:
            hmac.compare_digest(_DUMMY, (pw or "").encode())  # same work as for a known device
            log.warning("未登记的设备 / unknown device MN=%s", mn)
            return False
        if not air_services.password_matches(station, pw or ""):
            log.warning("设备密码错误 / wrong password for MN=%s", mn)
            return False
        factors = {p: imports.factor(p, station.unit_of(p)) or 1.0 for p in POLLUTANTS}
        with self._lock:
            self._stations[mn] = (station.pk, factors, station.device_password.encode())
        return True

    def _known(self, packet: Packet) -> bool:
        """Checked before (cached): MN known and PW still the one it was checked with."""
        known = self._stations.get(packet.mn)
        return known is not None and hmac.compare_digest(known[2], (packet.pw or "").encode())

    # ------------------------------------------------------------ data

    def store(self, packet: Packet) -> bool:
        if not self._known(packet) and not self.authenticate(packet.mn, packet.pw):
            return False
        station_pk, factors, _ = self._stations[packet.mn]
        moment = packet.data_time
        if moment is not None and timezone.is_naive(moment):
            moment = timezone.make_aware(moment, timezone.get_current_timezone())
        try:
            with transaction.atomic():
                try:
                    with transaction.atomic():
                        RawPacket.objects.create(station_id=station_pk, cn=packet.cn or "", data_time=moment,
                                                 qn=packet.qn or "", raw=packet.raw.decode("utf-8", "replace"))
                except IntegrityError:
                    if moment is None:
                        raise
                    return True  # a retransmit: already stored, nothing new
                if moment is not None and packet.cn in (MINUTE_DATA, HOURLY_DATA):
                    row = readings_of(packet, factors)
                    if row[1]:
                        station = Station(pk=station_pk)
                        air_services.readings_store(station=station, rows=[(moment, *row)],
                                                   minute=packet.cn == MINUTE_DATA)
        except DatabaseError:
            log.exception("保存失败，未应答 / store failed, not acknowledged: MN=%s CN=%s", packet.mn, packet.cn)
            close_old_connections()
            return False
        if self.scan_exceedances and packet.cn == HOURLY_DATA and moment is not None:
            try:
                air_services.exceedance_scan(station=Station.objects.get(pk=station_pk), since=moment)
            except Exception:  # the data is committed; `gongjian air scan` catches up
                log.exception("超标扫描失败 / exceedance scan failed: MN=%s", packet.mn)
        return True


def _resolve(jobs: list) -> None:
    for job in jobs:
        if not job[2].done():
            job[2].set_result(job[3])


def readings_of(packet: Packet, factors: dict[str, float]) -> tuple[dict[str, float], dict[str, str]]:
    """The pollutant values (canonical units) and flags of a 2051/2061 packet: Avg, or Rtd without Avg."""
    values: dict[str, float] = {}
    flags: dict[str, str] = {}
    for code, items in packet.values.items():
        pollutant = FACTORS.get(code)
        if pollutant is None:
            continue
        value = items.get("Avg", items.get("Rtd"))
        if not isinstance(value, int | float) or isinstance(value, bool):
            continue
        values[pollutant] = float(value) * factors.get(pollutant, 1.0)
        flag = str(items.get("Flag") or VALID_FLAG)[:1]
        flags[pollutant] = flag if flag in "NFMSDCTB" else VALID_FLAG
    return values, flags



class BatchingStore(DatabaseStore):
    """Group commit: device checks and packets from all connections go to a queue; a writer thread takes
    whatever is waiting (up to ``max_batch``) and writes it in one transaction. On PostgreSQL that is one
    statement (:meth:`_write_postgresql`); elsewhere one query for the stations, one for the raw packets
    already held, one insert of the new ones, one lookup and one insert (or update) per readings table.
    Each caller waits for its own answer, so the ack still follows the commit.

    Each writer owns a database connection. On PostgreSQL there are ``writers`` of them (default 2): while
    one batch is in the database the next is prepared and sent, and the database works on two cores.
    Their batches insert in key order and skip keys already held (``ON CONFLICT DO NOTHING``, which waits
    for a concurrent insert of the same key to commit), so the same retransmit in two batches at once is
    stored once; its readings may then be written twice, with the same values. SQLite has one writer
    (it takes one writing transaction at a time anyway); should its batch hit the unique key (another
    gateway process stored the same packet meanwhile), it is rolled back and its packets are stored one
    by one. A database error answers False to every packet of the batch (no ack; the device resends).
    """

    def __init__(self, *, max_batch: int = 1000, writers: int | None = None, **kwargs):
        super().__init__(**kwargs)
        import queue

        self.max_batch = max_batch
        if writers is None:
            writers = 2 if connections["default"].vendor == "postgresql" else 1
        self._queue: queue.SimpleQueue = queue.SimpleQueue()
        self._writers = [threading.Thread(target=self._run, name=f"gateway-writer-{i}", daemon=True)
                         for i in range(writers)]
        for writer in self._writers:
            writer.start()

    def authenticate(self, mn: str, pw: str | None) -> bool:
        return self._submit("auth", (mn, pw))

    def store(self, packet: Packet) -> bool:
        return self._submit("store", packet)

    async def authenticate_async(self, mn: str, pw: str | None) -> bool:
        return await self._submit_async("auth", (mn, pw))

    async def store_async(self, packet: Packet) -> bool:
        """For the event loop: no thread waits, the writer resolves the future after the commit."""
        return await self._submit_async("store", packet)

    def store_future(self, packet: Packet):
        """For the event loop's callbacks: a future the writer resolves (True/False) after the commit."""
        return self._submit_future("store", packet)

    def authenticate_future(self, mn: str, pw: str | None):
        return self._submit_future("auth", (mn, pw))

    def _submit_future(self, kind: str, payload):
        import asyncio

        future = asyncio.get_running_loop().create_future()
        self._queue.put([kind, payload, future, False])
        return future

    async def _submit_async(self, kind: str, payload) -> bool:
        return await self._submit_future(kind, payload)

    def close(self) -> None:
        for _ in self._writers:
            self._queue.put(None)  # one stop for each writer
        for writer in self._writers:
            writer.join(30)

    def _submit(self, kind: str, payload) -> bool:
        job = [kind, payload, threading.Event(), False]
        self._queue.put(job)
        job[2].wait()
        return job[3]

    def _run(self) -> None:
        import queue

        while True:
            first = self._queue.get()
            if first is None:
                break
            jobs = [first]
            stop = False
            while len(jobs) < self.max_batch:
                try:
                    job = self._queue.get_nowait()
                except queue.Empty:
                    break
                if job is None:
                    stop = True
                    break
                jobs.append(job)
            try:
                self._batch(jobs)
            except Exception:
                log.exception("批量写入失败 / batch failed")
            finally:
                waiting: dict = {}
                for job in jobs:
                    if isinstance(job[2], threading.Event):
                        job[2].set()
                    else:  # one wake-up per event loop and batch, not per packet
                        waiting.setdefault(job[2].get_loop(), []).append(job)
                for loop, done in waiting.items():
                    with contextlib.suppress(RuntimeError):  # the loop has closed: nobody waits
                        loop.call_soon_threadsafe(_resolve, done)
            if stop:
                break
        connections.close_all()  # this thread's connection: the writer is gone

    def _batch(self, jobs: list) -> None:
        auths = [j for j in jobs if j[0] == "auth"]
        stores = [j for j in jobs if j[0] == "store"]
        if auths:
            self._authenticate_many(auths)
        if stores:
            self._store_many(stores)

    def _authenticate_many(self, jobs: list) -> None:
        mns = {j[1][0] or "" for j in jobs}
        stations = {s.mn: s for s in Station.objects.filter(mn__in=mns, is_active=True).only(
            "pk", "mn", "device_password", "value_units", "pollutants")}
        for job in jobs:
            mn, pw = job[1]
            station = stations.get(mn or "")
            if station is None:
                hmac.compare_digest(_DUMMY, (pw or "").encode())
                log.warning("未登记的设备 / unknown device MN=%s", mn)
            elif not air_services.password_matches(station, pw or ""):
                log.warning("设备密码错误 / wrong password for MN=%s", mn)
            else:
                factors = {p: imports.factor(p, station.unit_of(p)) or 1.0 for p in POLLUTANTS}
                with self._lock:
                    self._stations[mn] = (station.pk, factors, station.device_password.encode())
                job[3] = True

    def _store_many(self, jobs: list) -> None:
        unknown = [j for j in jobs if not self._known(j[1])]
        if unknown:
            self._authenticate_many([[j[0], (j[1].mn, j[1].pw), None, False] for j in unknown])
        todo = []  # (job, station_pk, factors, moment)
        single = []
        for job in jobs:
            packet = job[1]
            known = self._stations.get(packet.mn)
            if known is None or not self._known(packet):
                continue  # unknown device or wrong password: False
            moment = packet.data_time
            if moment is not None and timezone.is_naive(moment):
                moment = timezone.make_aware(moment, timezone.get_current_timezone())
            if moment is None:
                single.append(job)
            else:
                todo.append((job, known[0], known[1], moment))
        try:
            self._write(todo)
            for job, *_ in todo:
                job[3] = True
        except IntegrityError:
            single += [t[0] for t in todo]
        except DatabaseError:
            log.exception("保存失败，未应答 / store failed, not acknowledged (%d packets)", len(todo))
            close_old_connections()
        for job in single:
            job[3] = DatabaseStore.store(self, job[1])
        if self.scan_exceedances:
            for job, station_pk, _, moment in todo:
                if job[3] and job[1].cn == HOURLY_DATA:
                    try:
                        air_services.exceedance_scan(station=Station.objects.get(pk=station_pk), since=moment)
                    except Exception:
                        log.exception("超标扫描失败 / exceedance scan failed: MN=%s", job[1].mn)

    def _write(self, todo: list) -> None:
        if not todo:
            return
        if connections["default"].vendor == "postgresql":
            self._write_postgresql(todo)
            return
        with transaction.atomic():
            keys = {(pk, job[1].cn or "", moment) for job, pk, _, moment in todo}
            held = set(RawPacket.objects.filter(station_id__in={k[0] for k in keys},
                                                data_time__in={k[2] for k in keys})
                       .values_list("station_id", "cn", "data_time"))
            new, rows = [], {MINUTE_DATA: [], HOURLY_DATA: []}
            for job, pk, factors, moment in todo:
                packet = job[1]
                key = (pk, packet.cn or "", moment)
                if key in held:
                    continue  # a retransmit (or twice in this batch): nothing new
                held.add(key)
                new.append(RawPacket(station_id=pk, cn=packet.cn or "", data_time=moment, qn=packet.qn or "",
                                     raw=packet.raw.decode("utf-8", "replace")))
                if packet.cn in rows:
                    values, flags = readings_of(packet, factors)
                    if values:
                        rows[packet.cn].append((pk, moment, values, flags))
            RawPacket.objects.bulk_create(new, batch_size=1000)
            air_services.readings_store_many(rows=rows[MINUTE_DATA], minute=True)
            air_services.readings_store_many(rows=rows[HOURLY_DATA], minute=False)

    def _write_postgresql(self, todo: list) -> None:
        """The same writes as the ORM path in one statement and one round trip, whatever the batch size.
        The batch goes as one JSON parameter; the statement inserts the raw packets not held yet (``ON
        CONFLICT DO NOTHING`` on the unique key: a retransmit, also one another gateway process stored
        meanwhile, adds nothing) and upserts the readings of exactly those packets with air's merge rule
        (``readings_store_many``: the pollutants a packet carries replace theirs, the others and their
        flags are kept). Run outside a transaction block, the statement is its own transaction: all of it
        is committed when it returns, or none of it."""
        rows = []
        for seq, (job, pk, factors, moment) in enumerate(todo):
            packet = job[1]
            cn = packet.cn or ""
            row = {"seq": seq, "station_id": pk, "cn": cn, "data_time": moment.isoformat(),
                   "qn": packet.qn or "", "raw": packet.raw.decode("utf-8", "replace")}
            if cn in (MINUTE_DATA, HOURLY_DATA):
                values, value_flags = readings_of(packet, factors)
                if values:
                    flags = list(_NO_FLAGS)
                    for pollutant, value in values.items():
                        row[POLLUTANTS[pollutant][0]] = value
                        flags[_FIELD_INDEX[pollutant]] = value_flags[pollutant]
                    row["flags"] = "".join(flags)
            rows.append(row)
        connection = connections["default"]
        with connection.cursor() as cursor:
            if not connection.get_autocommit():  # inside someone's transaction: keep it all-or-nothing there
                with transaction.atomic():
                    cursor.execute(_STORE_SQL, [json.dumps(rows)])
            else:
                cursor.execute(_STORE_SQL, [json.dumps(rows)])


def _store_statement() -> str:
    """The one statement of :meth:`BatchingStore._write_postgresql`."""
    from gongjian.air.models import HourlyReading, MinuteReading

    raw = RawPacket._meta.db_table
    values = ", ".join(f"{f} double precision" for f in POLLUTANT_FIELDS)
    incoming = (f"SELECT * FROM json_to_recordset(%s::json) AS x(seq integer, station_id integer, cn text, "
                f"data_time timestamptz, qn text, raw text, {values}, flags text)")

    def upsert(model, cn: str, name: str) -> str:
        t = model._meta.db_table
        fields = ", ".join(POLLUTANT_FIELDS)
        keep = ", ".join(f"{f} = COALESCE(EXCLUDED.{f}, {t}.{f})" for f in POLLUTANT_FIELDS)
        old = f"COALESCE(NULLIF({t}.flags, ''), '{_NO_FLAGS}')"
        flags = " || ".join(f"CASE WHEN EXCLUDED.{f} IS NULL THEN substr({old}, {i}, 1) "
                            f"ELSE substr(EXCLUDED.flags, {i}, 1) END" for i, f in enumerate(POLLUTANT_FIELDS, 1))
        return (f"{name} AS (INSERT INTO {t} (station_id, time, {fields}, flags) "
                f"SELECT f.station_id, f.data_time, {', '.join('f.' + f for f in POLLUTANT_FIELDS)}, f.flags "
                f"FROM firsts f WHERE f.cn = '{cn}' AND f.flags IS NOT NULL "
                # the raw packet table as it was before this statement (its snapshot): one probe of the
                # unique index per packet, whatever the planner guesses about the batch
                f"AND NOT EXISTS (SELECT 1 FROM {raw} r WHERE r.station_id = f.station_id AND r.cn = f.cn "
                f"AND r.data_time = f.data_time) "
                f"ORDER BY f.station_id, f.data_time "
                f"ON CONFLICT (station_id, time) DO UPDATE SET {keep}, flags = {flags} RETURNING 1)")

    # rows are written in key order, so concurrent batches (another gateway process) lock in the same order
    return (
        f"WITH incoming AS ({incoming}), "
        "firsts AS (SELECT DISTINCT ON (station_id, cn, data_time) * FROM incoming "
        "ORDER BY station_id, cn, data_time, seq), "
        f"new AS (INSERT INTO {raw} (station_id, cn, data_time, qn, raw, received_at) "
        "SELECT station_id, cn, data_time, qn, raw, now() FROM firsts ORDER BY station_id, cn, data_time "
        "ON CONFLICT (station_id, cn, data_time) DO NOTHING RETURNING station_id, cn, data_time), "
        f"{upsert(MinuteReading, MINUTE_DATA, 'minute')}, {upsert(HourlyReading, HOURLY_DATA, 'hourly')} "
        "SELECT (SELECT count(*) FROM new), (SELECT count(*) FROM minute), (SELECT count(*) FROM hourly)")


_NO_FLAGS = "-" * len(POLLUTANT_FIELDS)
_FIELD_INDEX = {p: POLLUTANT_FIELDS.index(f) for p, (f, _) in POLLUTANTS.items()}
_STORE_SQL = _store_statement()
