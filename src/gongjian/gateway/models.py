"""What the HJ 212 gateway keeps: every data packet as received, and the counters of the running gateway.

The raw packets live in this app rather than in air: they are the gateway's receipt of what a device
sent (for audit and re-parsing), while air keeps the readings in its own wide tables. The unique key
(station, command, DataTime) is what makes a retransmit a no-op: the second insert of the same key is
recognised and nothing new is created.
"""

from __future__ import annotations

from django.db import models

from gongjian.air.models import Station


class RawPacket(models.Model):
    station = models.ForeignKey(Station, verbose_name="站点", on_delete=models.CASCADE, related_name="+")
    cn = models.CharField("命令编码(CN)", max_length=4)
    data_time = models.DateTimeField("数据时间(DataTime)", null=True, blank=True)
    qn = models.CharField("请求编码(QN)", max_length=20, blank=True)
    raw = models.TextField("原始报文")
    received_at = models.DateTimeField("接收时间", auto_now_add=True)

    scope_unit_field = "station__unit"

    class Meta:
        verbose_name = "原始报文"
        verbose_name_plural = "原始报文"
        constraints = [models.UniqueConstraint(fields=["station", "cn", "data_time"],
                                               name="gateway_rawpacket_once")]

    def __str__(self) -> str:
        return f"{self.station_id} CN={self.cn} {self.data_time}"


class GatewayStatus(models.Model):
    """One row per running gateway (host:port), rewritten every few seconds with its counters."""

    name = models.CharField("网关", max_length=100, unique=True)
    started_at = models.DateTimeField("启动时间")
    updated_at = models.DateTimeField("更新时间")
    counters = models.JSONField("计数", default=dict)

    class Meta:
        verbose_name = "网关状态"
        verbose_name_plural = "网关状态"

    def __str__(self) -> str:
        return self.name
