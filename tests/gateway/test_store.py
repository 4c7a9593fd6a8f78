"""The database store: device check against air stations, raw packet + readings in one transaction, dedup."""

from __future__ import annotations

import datetime as dt

import pytest
from django.utils import timezone

from gongjian.air import services as air_services
from gongjian.air.models import Exceedance, HourlyReading, MinuteReading, StationKind
from gongjian.gateway.models import RawPacket
from gongjian.gateway.store import BatchingStore, DatabaseStore
from gongjian.standards import hj212
from tests.air.conftest import dust_rule, dust_station  # noqa: F401  (fixtures reused)
from tests.ledger.conftest import fixed_today, ledger  # noqa: F401

pytestmark = pytest.mark.django_db(transaction=True)


@pytest.fixture(params=["one by one", "group commit"])
def make_store(request):
    made = []

    def make():
        store = DatabaseStore() if request.param == "one by one" else BatchingStore()
        made.append(store)
        return store

    yield make
    for store in made:
        if isinstance(store, BatchingStore):
            store.close()


def packet(cn="2051", when=dt.datetime(2026, 5, 30, 10, 1), pw="pw-123456", mn="DUST000001", **values):
    values = values or {"a34004": {"Avg": 40.5, "Flag": "N"}, "a34002": {"Avg": 88, "Flag": "D"},
                        "LA": {"Avg": 55.1}}
    return hj212.decode(hj212.build(cn=cn, mn=mn, st="39", pw=pw, qn="20260530100100123", flag=5,
                                    data_time=when, values=values))


def test_authenticate_checks_mn_password_and_active(dust_station, make_store):  # noqa: F811
    store = make_store()
    assert store.authenticate("DUST000001", "pw-123456")
    assert not store.authenticate("DUST000001", "pw-1234567")
    assert not store.authenticate("DUST000001", None)
    assert not store.authenticate("NOSUCH0001", "pw-123456")
    dust_station.is_active = False
    dust_station.save()
    assert not make_store().authenticate("DUST000001", "pw-123456")


def test_minute_packet_stores_raw_and_reading_once(dust_station, make_store):  # noqa: F811
    store = make_store()
    p = packet()
    assert store.store(p) is True
    raw = RawPacket.objects.get()
    assert (raw.station_id, raw.cn, raw.qn) == (dust_station.pk, "2051", "20260530100100123")
    assert raw.raw.startswith("##") and "a34004-Avg=40.5" in raw.raw
    reading = MinuteReading.objects.get()
    assert timezone.localtime(reading.time).replace(tzinfo=None) == dt.datetime(2026, 5, 30, 10, 1)
    assert (reading.pm25, reading.pm10, reading.flag_of("pm25"), reading.flag_of("pm10")) == (40.5, 88.0, "N", "D")
    assert store.store(packet()) is True  # the retransmit is acknowledged again …
    assert store.store(packet(pw="pw-123456")) is True
    assert RawPacket.objects.count() == 1 and MinuteReading.objects.count() == 1  # … and creates nothing
    assert HourlyReading.objects.count() == 0


def test_unknown_device_is_not_stored(dust_station, make_store):  # noqa: F811
    assert make_store().store(packet(mn="NOSUCH0001")) is False
    assert make_store().store(packet(pw="wrong")) is False
    assert RawPacket.objects.count() == 0


def test_units_of_the_station_are_converted(district, make_store):
    station = air_services.station_create(actor=None, mn="AIRNG00001", password="pw-1", name="纳克站",
                                          kind=StationKind.TOWNSHIP, unit=district.street_a,
                                          value_units={"PM2.5": "ng/m³"})
    assert make_store().store(packet(mn="AIRNG00001", pw="pw-1", a34004={"Avg": 35000, "Flag": "N"}))
    assert MinuteReading.objects.get(station=station).pm25 == pytest.approx(35.0)


def test_hourly_packets_feed_the_exceedance_rules(dust_station, dust_rule, make_store):  # noqa: F811
    store = make_store()
    for hour, pm10 in ((8, 120), (9, 180), (10, 200)):
        assert store.store(packet(cn="2061", when=dt.datetime(2026, 5, 30, hour), a34002={"Avg": pm10}))
    assert HourlyReading.objects.filter(station=dust_station).count() == 3
    ex = Exceedance.objects.get(station=dust_station)
    assert ex.case is not None and "PM10" in ex.case.title
    assert store.store(packet(cn="2061", when=dt.datetime(2026, 5, 30, 10), a34002={"Avg": 200}))
    assert Exceedance.objects.count() == 1 and RawPacket.objects.count() == 3


@pytest.fixture
def failing_readings():
    """The database itself refuses rows of the minute readings table (a trigger), as a full disk would."""
    from django.db import connection

    with connection.cursor() as cursor:
        if connection.vendor == "postgresql":
            cursor.execute("CREATE FUNCTION gw_test_refuse() RETURNS trigger AS $$ BEGIN "
                           "RAISE EXCEPTION 'disk full'; END $$ LANGUAGE plpgsql")
            cursor.execute("CREATE TRIGGER gw_test_refuse BEFORE INSERT OR UPDATE ON air_minutereading "
                           "FOR EACH ROW EXECUTE FUNCTION gw_test_refuse()")
        else:
            cursor.execute("CREATE TRIGGER gw_test_refuse BEFORE INSERT ON air_minutereading "
                           "BEGIN SELECT RAISE(ABORT, 'disk full'); END")
    yield
    with connection.cursor() as cursor:
        cursor.execute("DROP TRIGGER gw_test_refuse" + (" ON air_minutereading" if connection.vendor == "postgresql"
                                                         else ""))
        if connection.vendor == "postgresql":
            cursor.execute("DROP FUNCTION gw_test_refuse()")


def test_database_error_means_no_ack(dust_station, failing_readings, make_store):  # noqa: F811
    store = make_store()
    assert store.store(packet()) is False
    assert RawPacket.objects.count() == 0  # nothing half-written
    assert store.store(packet(cn="2061")) is True  # the store goes on with what the database takes
    assert RawPacket.objects.count() == 1 and HourlyReading.objects.count() == 1


def test_data_merges_with_readings_already_stored(dust_station, make_store):  # noqa: F811
    moment = timezone.make_aware(dt.datetime(2026, 5, 30, 10, 1))
    air_services.readings_store(station=dust_station, rows=[(moment, {"SO2": 5.0, "PM10": 1.0},
                                                             {"SO2": "N", "PM10": "F"})], minute=True)
    assert make_store().store(packet(a34002={"Avg": 88, "Flag": "D"})) is True
    reading = MinuteReading.objects.get()
    assert (reading.so2, reading.pm10, reading.pm25) == (5.0, 88.0, None)
    assert reading.flags == "-DN---"  # PM10's flag replaced, SO2's kept


def test_group_commit_of_many_devices_at_once_with_retransmits(district):
    from concurrent.futures import ThreadPoolExecutor

    for i in range(20):
        air_services.station_create(actor=None, mn=f"BATCH{i:05d}", password=f"pw-{i}", name=f"站{i}",
                                    kind=StationKind.DUST, unit=district.street_a)
    jobs = [packet(mn=f"BATCH{i:05d}", pw=f"pw-{i}", when=dt.datetime(2026, 5, 30, 10, m),
                   a34004={"Avg": i + m, "Flag": "N"}) for i in range(20) for m in range(5)]
    jobs += jobs[:30]  # retransmits, some in the same batch as their first copy
    jobs.append(packet(mn="BATCH00001", pw="wrong"))
    store = BatchingStore()
    try:
        with ThreadPoolExecutor(64) as pool:
            results = list(pool.map(store.store, jobs))
    finally:
        store.close()
    assert results == [True] * 130 + [False]
    assert RawPacket.objects.count() == 100 and MinuteReading.objects.count() == 100
    r = MinuteReading.objects.get(station__mn="BATCH00007", time=timezone.make_aware(dt.datetime(2026, 5, 30, 10, 3)))
    assert r.pm25 == 10.0


def test_group_commit_from_the_event_loop(dust_station):  # noqa: F811
    import asyncio
    from concurrent.futures import ThreadPoolExecutor

    async def main(store):
        ok = await store.authenticate_async("DUST000001", "pw-123456")
        bad = await store.authenticate_async("DUST000001", "nope")
        stored = await asyncio.gather(*(store.store_async(packet(when=dt.datetime(2026, 5, 30, 10, m % 7)))
                                        for m in range(21)))
        return ok, bad, stored

    store = BatchingStore()
    try:
        with ThreadPoolExecutor(1) as pool:  # its own thread: another test's loop may run in this one
            ok, bad, stored = pool.submit(asyncio.run, main(store)).result(60)
    finally:
        store.close()
    assert ok and not bad and stored == [True] * 21
    assert RawPacket.objects.count() == 7 and MinuteReading.objects.count() == 7
