"""Air quality: monitoring stations, their readings, and the exceedance rules that open cases.

Storage of readings, chosen by measurement (benchmarks/air_storage.py): one row per station and hour
with one nullable column per pollutant ("wide"), not one row per station, hour and pollutant ("long").
A year of hourly data from 1,000 stations is 8.76 million wide rows against 52.6 million long rows.
Measured on PostgreSQL with 50 stations × 8,760 hours and scaled to 1,000: wide 163 B per station-hour
with its unique index (1.3 GiB), long 837 B (6.8 GiB, 5.1×); COPY load 4.7× slower for long; reading
one station-month 1.0 ms against 5.1 ms. SQLite: 135 B against 546 B, month read 0.8 ms against 9.1 ms.
Deduplication on (station, time, pollutant) is the unique (station, time) key plus "a later import fills
or replaces that pollutant's column, the others are kept" (services.readings_store).

Concentrations are stored in the units of HJ 633: µg/m³, CO in mg/m³. A device that sends another unit
(PM2.5 in ng/m³, as HJ 212's default, or CO in µg/m³) has it recorded per pollutant on the station, and
values are converted on the way in.

The data flag of each value (HJ 212: N normal, F stopped, M maintenance, S manual, D fault, C calibration,
T over range, B communication) is kept in ``flags``: one character per pollutant in POLLUTANT_FIELDS
order, "-" for no value. Only N enters AQI and statistics.
"""

from __future__ import annotations

from django.db import models
from django.utils.translation import gettext_noop

from gongjian.core.scoping import ScopedQuerySet
from gongjian.ledger.models import Campaign, Case, Category
from gongjian.org.models import Unit


class StationKind(models.TextChoices):
    NATIONAL = "national", gettext_noop("国控")
    PROVINCIAL = "provincial", gettext_noop("省控")
    TOWNSHIP = "township", gettext_noop("乡镇站")
    DUST = "dust", gettext_noop("工地扬尘")
    ENTERPRISE = "enterprise", gettext_noop("企业")


# pollutant name → (model field, canonical unit)
POLLUTANTS = {
    "PM2.5": ("pm25", "µg/m³"),
    "PM10": ("pm10", "µg/m³"),
    "SO2": ("so2", "µg/m³"),
    "NO2": ("no2", "µg/m³"),
    "CO": ("co", "mg/m³"),
    "O3": ("o3", "µg/m³"),
}
POLLUTANT_FIELDS = tuple(f for f, _ in POLLUTANTS.values())
POLLUTANT_OF_FIELD = {f: name for name, (f, _) in POLLUTANTS.items()}
DEFAULT_POLLUTANTS = {
    StationKind.DUST: ["PM2.5", "PM10"],
    StationKind.ENTERPRISE: ["PM2.5", "PM10", "SO2", "NO2"],
}
ALL_FLAGS = "NFMSDCTB"
VALID_FLAG = "N"


class Station(models.Model):
    scope_unit_field = "unit"

    code = models.CharField("站点编码", max_length=32, unique=True)
    name = models.CharField("站点名称", max_length=100)
    kind = models.CharField("类型", max_length=12, choices=StationKind.choices)
    mn = models.CharField("设备编号(MN)", max_length=32, unique=True)
    # HJ 212 devices send PW in clear in every packet, and the platform must send it back in its own
    # requests (9011/9012, settings), so the password is stored as given (not hashed) and compared in
    # constant time. It is a device credential, never shown in full on a page.
    device_password = models.CharField("设备密码", max_length=64)
    unit = models.ForeignKey(Unit, verbose_name="责任单位", on_delete=models.PROTECT, related_name="stations")
    lng = models.FloatField("经度", null=True, blank=True)
    lat = models.FloatField("纬度", null=True, blank=True)
    address = models.CharField("地址", max_length=200, blank=True)
    pollutants = models.JSONField("监测项目", default=list)  # names from POLLUTANTS
    value_units = models.JSONField("数值单位", default=dict, blank=True)  # {"PM2.5": "ng/m³"} when not canonical
    is_active = models.BooleanField("启用", default=True)
    created_at = models.DateTimeField("创建时间", auto_now_add=True)

    objects = ScopedQuerySet.as_manager()

    class Meta:
        verbose_name = "监测站点"
        verbose_name_plural = "监测站点"
        ordering = ["kind", "code"]

    def __str__(self) -> str:
        return f"{self.name}（{self.code}）"

    def unit_of(self, pollutant: str) -> str:
        return (self.value_units or {}).get(pollutant) or POLLUTANTS[pollutant][1]

    def snapshot(self) -> dict:
        return {"code": self.code, "name": self.name, "kind": self.kind, "mn": self.mn, "unit": self.unit_id,
                "lng": self.lng, "lat": self.lat, "pollutants": self.pollutants, "value_units": self.value_units,
                "is_active": self.is_active}


class ReadingBase(models.Model):
    station = models.ForeignKey(Station, verbose_name="站点", on_delete=models.CASCADE, related_name="+")
    time = models.DateTimeField("时间")  # start of the interval (HJ 212 DataTime)
    pm25 = models.FloatField("PM2.5", null=True, blank=True)
    pm10 = models.FloatField("PM10", null=True, blank=True)
    so2 = models.FloatField("SO2", null=True, blank=True)
    no2 = models.FloatField("NO2", null=True, blank=True)
    co = models.FloatField("CO", null=True, blank=True)
    o3 = models.FloatField("O3", null=True, blank=True)
    flags = models.CharField("数据标记", max_length=6, default="------")

    scope_unit_field = "station__unit"
    objects = ScopedQuerySet.as_manager()

    class Meta:
        abstract = True

    def __str__(self) -> str:
        return f"{self.station_id} {self.time:%Y-%m-%d %H:%M}"

    def flag_of(self, field: str) -> str:
        return self.flags[POLLUTANT_FIELDS.index(field)]


class HourlyReading(ReadingBase):
    class Meta:
        verbose_name = "小时数据"
        verbose_name_plural = "小时数据"
        constraints = [models.UniqueConstraint(fields=["station", "time"], name="air_hourly_station_time")]


class MinuteReading(ReadingBase):
    class Meta:
        verbose_name = "分钟数据"
        verbose_name_plural = "分钟数据"
        constraints = [models.UniqueConstraint(fields=["station", "time"], name="air_minute_station_time")]


class ExceedanceRule(models.Model):
    """Open a 监测预警 case when a pollutant's hourly value at a kind of station stays above a threshold."""

    name = models.CharField("规则名称", max_length=100)
    station_kind = models.CharField("站点类型", max_length=12, choices=StationKind.choices)
    pollutant = models.CharField("污染物", max_length=8, choices=[(p, p) for p in POLLUTANTS])
    threshold = models.FloatField("阈值", help_text="小时均值高于此值(µg/m³，CO 为 mg/m³)")
    hours = models.PositiveSmallIntegerField("连续小时数", default=2)
    campaign = models.ForeignKey(Campaign, verbose_name="专项行动", on_delete=models.PROTECT, related_name="+")
    category = models.ForeignKey(Category, verbose_name="类别", on_delete=models.PROTECT, related_name="+")
    is_active = models.BooleanField("启用", default=True)

    class Meta:
        verbose_name = "超标规则"
        verbose_name_plural = "超标规则"

    def __str__(self) -> str:
        return self.name


class Exceedance(models.Model):
    """One run of hours above a rule's threshold at one station, and the case it opened."""

    scope_unit_field = "station__unit"

    station = models.ForeignKey(Station, verbose_name="站点", on_delete=models.CASCADE, related_name="exceedances")
    rule = models.ForeignKey(ExceedanceRule, verbose_name="规则", on_delete=models.PROTECT, related_name="+")
    started_at = models.DateTimeField("开始时间")
    ended_at = models.DateTimeField("最后超标时间")
    readings = models.JSONField("超标数据", default=list)  # [{"time": iso, "value": v}, …]
    case = models.ForeignKey(Case, verbose_name="案件", null=True, blank=True, on_delete=models.SET_NULL,
                             related_name="+")
    created_at = models.DateTimeField("记录时间", auto_now_add=True)

    objects = ScopedQuerySet.as_manager()

    class Meta:
        verbose_name = "超标记录"
        verbose_name_plural = "超标记录"
        constraints = [models.UniqueConstraint(fields=["station", "rule", "started_at"],
                                               name="air_exceedance_once_per_run")]

    def __str__(self) -> str:
        return f"{self.station_id} {self.rule_id} {self.started_at:%Y-%m-%d %H:%M}"
