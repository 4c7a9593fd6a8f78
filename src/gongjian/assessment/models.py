"""Assessment (考核): scoring schemes as versioned data, and the rankings computed with them.

``Scheme`` is the name people choose (周考核); its rules live in immutable ``SchemeVersion`` rows: saving a
changed definition adds version n+1 and never rewrites an old one. A ``Ranking`` records the version it used and
its inputs (every unit's counts and the case ids behind each rule), so a past period recomputed with the same
version gives the same ranking, whatever happened to the cases since.
"""

from __future__ import annotations

from django.conf import settings
from django.db import models


class Scheme(models.Model):
    name = models.SlugField("代码", max_length=40, unique=True,
                            help_text="命令行 --scheme 使用的名称，如 weekly")
    title = models.CharField("名称", max_length=100)
    is_default = models.BooleanField("默认方案", default=False,
                                     help_text="未指定方案时使用；只能有一个")
    created_at = models.DateTimeField("创建时间", auto_now_add=True)

    class Meta:
        verbose_name = "考核方案"
        verbose_name_plural = "考核方案"
        ordering = ["-is_default", "name"]

    def __str__(self) -> str:
        return f"{self.title}({self.name})"

    def latest(self) -> SchemeVersion | None:
        return self.versions.order_by("-number").first()


class SchemeVersion(models.Model):
    scheme = models.ForeignKey(Scheme, verbose_name="考核方案", on_delete=models.PROTECT, related_name="versions")
    number = models.PositiveIntegerField("版本号")
    definition = models.JSONField("规则定义")
    note = models.CharField("修订说明", max_length=200, blank=True)
    created_by = models.ForeignKey(settings.AUTH_USER_MODEL, verbose_name="修订人", null=True, blank=True,
                                   on_delete=models.PROTECT, related_name="+")
    created_at = models.DateTimeField("修订时间", auto_now_add=True)

    class Meta:
        verbose_name = "考核方案版本"
        verbose_name_plural = "考核方案版本"
        ordering = ["scheme", "-number"]
        constraints = [models.UniqueConstraint(fields=["scheme", "number"], name="scheme_version_unique")]

    def __str__(self) -> str:
        return f"{self.scheme.name} v{self.number}"


class Ranking(models.Model):
    """One period's ranking with one scheme version: its inputs and results, stored as computed."""

    period = models.CharField("考核期", max_length=30)
    kind = models.CharField("周期类型", max_length=10)
    starts_on = models.DateField("开始日期")
    ends_on = models.DateField("结束日期")
    version = models.ForeignKey(SchemeVersion, verbose_name="方案版本", on_delete=models.PROTECT,
                                related_name="rankings")
    inputs = models.JSONField("输入快照", help_text="各单位的案件计数、每条规则涉及的案件、日报缺报天数")
    results = models.JSONField("排名结果")
    computed_by = models.ForeignKey(settings.AUTH_USER_MODEL, verbose_name="计算人", null=True, blank=True,
                                    on_delete=models.PROTECT, related_name="+")
    computed_at = models.DateTimeField("计算时间", auto_now_add=True)

    class Meta:
        verbose_name = "考核排名"
        verbose_name_plural = "考核排名"
        ordering = ["-starts_on", "-id"]
        constraints = [models.UniqueConstraint(fields=["period", "version"], name="ranking_period_version_unique")]

    def __str__(self) -> str:
        return f"{self.period} · {self.version}"
