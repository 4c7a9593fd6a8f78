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

import hmac
import logging
import threading

from django.db import DatabaseError, IntegrityError, close_old_connections, transaction
from django.utils import timezone

from gongjian.air import imports
from gongjian.air import services as air_services
from gongjian.air.models import POLLUTANTS, VALID_FLAG, Station
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
        self._stations: dict[str, tuple[int, dict[str, float]]] = {}
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
            self._stations[mn] = (station.pk, factors)
        return True

    # ------------------------------------------------------------ data

    def store(self, packet: Packet) -> bool:
        known = self._stations.get(packet.mn)
        if known is None and not self.authenticate(packet.mn, packet.pw):
            return False
        station_pk, factors = self._stations[packet.mn]
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

