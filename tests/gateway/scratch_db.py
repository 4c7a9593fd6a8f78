"""A scratch database for tests that run the gateway as a separate process (it cannot see the test database).

``python -m tests.gateway.scratch_db setup N`` migrates the database of GONGJIAN_DATABASE_URL (or the
SQLite file in GONGJIAN_HOME) and registers N dust stations ``GWIT000000``…, password ``pw-<i>``;
``python -m tests.gateway.scratch_db count`` prints the stored raw packets and minute readings as JSON.
"""

from __future__ import annotations

import json
import os
import sys


def mn(i: int) -> str:
    return f"GWIT{i:06d}"


def main(argv: list[str]) -> int:
    os.environ["DJANGO_SETTINGS_MODULE"] = "gongjian.config.settings"
    import django

    django.setup()
    from django.core.management import call_command

    from gongjian.air.models import MinuteReading, Station, StationKind
    from gongjian.gateway.models import RawPacket
    from gongjian.org.models import Unit, UnitKind

    if argv[0] == "setup":
        call_command("migrate", verbosity=0)
        unit = Unit.objects.create(name="网关测试街道", kind=UnitKind.STREET)
        Station.objects.bulk_create(
            Station(code=mn(i), name=f"扬尘{i}", kind=StationKind.DUST, mn=mn(i), device_password=f"pw-{i}",
                    unit=unit, pollutants=["PM2.5", "PM10"]) for i in range(int(argv[1])))
        return 0
    rows = list(RawPacket.objects.values_list("station__mn", "data_time"))
    minutes = list(MinuteReading.objects.values_list("station__mn", "time"))
    print(json.dumps({"raw": [[m, t.timestamp()] for m, t in rows],
                      "minutes": [[m, t.timestamp()] for m, t in minutes]}))
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
