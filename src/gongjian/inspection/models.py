"""Inspections (督查, 夜查, 暗访, 市级督导 …): who went where and when, and what they found.

Every finding becomes a case on the ledger, with the source that matches the inspection's kind, so it
runs the same closed loop and counts in the rankings (a problem found by a city inspection counts
against the unit).
"""

from __future__ import annotations

from django.conf import settings
from django.db import models
from django.utils.translation import gettext_noop

from gongjian.core.scoping import ScopedQuerySet
from gongjian.ledger.models import Campaign, Case, Source
from gongjian.org.models import Unit


class InspectionKind(models.TextChoices):
    DAILY = "daily", gettext_noop("日常督查")
    NIGHT = "night", gettext_noop("夜查")
    UNANNOUNCED = "unannounced", gettext_noop("暗访")
    CITY = "city", gettext_noop("市级督导")
    PROVINCE = "province", gettext_noop("省级暗访")
    JOINT = "joint", gettext_noop("联合执法")


# The ledger source a finding carries, by the kind of inspection that found it.
SOURCE_OF_KIND = {
    InspectionKind.DAILY: Source.DISTRICT_INSPECTION,
    InspectionKind.NIGHT: Source.NIGHT,
    InspectionKind.UNANNOUNCED: Source.UNANNOUNCED,
    InspectionKind.CITY: Source.CITY,
    InspectionKind.PROVINCE: Source.PROVINCE,
    InspectionKind.JOINT: Source.DISTRICT_INSPECTION,
}


class Inspection(models.Model):
    scope_unit_field = "unit"

    kind = models.CharField("类型", max_length=12, choices=InspectionKind.choices)
    campaign = models.ForeignKey(Campaign, verbose_name="专项行动", on_delete=models.PROTECT,
                                 related_name="inspections")
    title = models.CharField("名称", max_length=200)
    unit = models.ForeignKey(Unit, verbose_name="组织单位", on_delete=models.PROTECT, related_name="inspections")
    starts_at = models.DateTimeField("开始时间")
    ends_at = models.DateTimeField("结束时间")
    lead = models.ForeignKey(settings.AUTH_USER_MODEL, verbose_name="带队", null=True, blank=True,
                             on_delete=models.PROTECT, related_name="led_inspections")
    inspectors = models.ManyToManyField(settings.AUTH_USER_MODEL, verbose_name="督查人员", blank=True,
                                        related_name="inspections")
    other_inspectors = models.CharField("其他人员", max_length=200, blank=True,
                                        help_text="系统外人员，如市督导组、媒体记者")
    places = models.TextField("督查点位", blank=True, help_text="每行一个")
    summary = models.TextField("督查情况", blank=True)
    created_by = models.ForeignKey(settings.AUTH_USER_MODEL, verbose_name="录入人", null=True,
                                   on_delete=models.PROTECT, related_name="+")
    created_at = models.DateTimeField("录入时间", auto_now_add=True)

    objects = ScopedQuerySet.as_manager()

    class Meta:
        verbose_name = "督查"
        verbose_name_plural = "督查"
        ordering = ["-starts_at", "-id"]
        indexes = [models.Index(fields=["starts_at"], name="inspection_starts_idx")]

    def __str__(self) -> str:
        return f"{self.get_kind_display()} {self.title}"

    def place_list(self) -> list[str]:
        return [p.strip() for p in self.places.splitlines() if p.strip()]


class Finding(models.Model):
    """A problem an inspection found: one case on the ledger."""

    scope_unit_field = ("case__unit", "case__reporter_unit")

    inspection = models.ForeignKey(Inspection, verbose_name="督查", on_delete=models.CASCADE,
                                   related_name="findings")
    case = models.OneToOneField(Case, verbose_name="案件", on_delete=models.PROTECT, related_name="finding")
    place = models.CharField("点位", max_length=200, blank=True)

    objects = ScopedQuerySet.as_manager()

    class Meta:
        verbose_name = "督查发现问题"
        verbose_name_plural = "督查发现问题"
        ordering = ["inspection", "id"]

    def __str__(self) -> str:
        return str(self.case)
