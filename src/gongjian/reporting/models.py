"""Daily figures (每日工作量) and the documents the platform writes (简报, 通报, 通知书, 台账).

Each reporting unit submits one ``DailyReport`` per day: a figure per catalogue ``Metric`` (出动人员 人次,
清运垃圾 立方米 …), typed in or extracted from the text it already writes. A second submission for the
same unit and day replaces the first (audited). ``Document`` lists what was generated, with its file.
"""

from __future__ import annotations

from django.conf import settings
from django.db import models
from django.utils.translation import gettext_noop

from gongjian.core.scoping import ScopedQuerySet
from gongjian.org.models import Unit


class Metric(models.Model):
    """A kind of daily figure. ``code`` is what `gongjian extract` prints as ``metric``."""

    code = models.SlugField("代码", max_length=40, unique=True)
    name = models.CharField("名称", max_length=40, unique=True)
    unit = models.CharField("计量单位", max_length=10)
    units = models.CharField("可识别的单位", max_length=100, blank=True,
                             help_text="文字中可能出现的单位，以空格分隔，如“立方米 方 吨”")
    keywords = models.CharField("关键词", max_length=200, blank=True,
                                help_text="文字中被计数的事物，以空格分隔，越具体越靠前，如“建筑垃圾 渣土”")
    verbs = models.CharField("限定动词", max_length=100, blank=True,
                             help_text="填写时，句中须出现其一才归入本项，如“关停 取缔”")
    max_value = models.DecimalField("单日上限", max_digits=14, decimal_places=2, default=1_000_000,
                                    help_text="超过此数视为填报错误")
    order = models.PositiveSmallIntegerField("排序", default=0)
    is_active = models.BooleanField("启用", default=True)

    class Meta:
        verbose_name = "工作量指标"
        verbose_name_plural = "工作量指标"
        ordering = ["order", "id"]

    def __str__(self) -> str:
        return f"{self.name}({self.unit})"


class DailyReport(models.Model):
    """One unit's figures for one day."""

    scope_unit_field = "unit"

    unit = models.ForeignKey(Unit, verbose_name="报送单位", on_delete=models.PROTECT, related_name="daily_reports")
    date = models.DateField("日期")
    text = models.TextField("工作情况(原文)", blank=True)
    submitted_by = models.ForeignKey(settings.AUTH_USER_MODEL, verbose_name="报送人", null=True,
                                     on_delete=models.PROTECT, related_name="+")
    submitted_at = models.DateTimeField("报送时间")
    revision = models.PositiveSmallIntegerField("修订次数", default=0)

    objects = ScopedQuerySet.as_manager()

    class Meta:
        verbose_name = "每日报送"
        verbose_name_plural = "每日报送"
        ordering = ["-date", "unit__path"]
        constraints = [models.UniqueConstraint(fields=["unit", "date"], name="daily_report_unit_date_unique")]
        indexes = [models.Index(fields=["date", "unit"], name="daily_report_date_idx")]

    def __str__(self) -> str:
        return f"{self.unit} {self.date:%Y-%m-%d}"


class DailyFigure(models.Model):
    scope_unit_field = "report__unit"

    report = models.ForeignKey(DailyReport, verbose_name="报送", on_delete=models.CASCADE, related_name="figures")
    metric = models.ForeignKey(Metric, verbose_name="指标", on_delete=models.PROTECT, related_name="figures")
    value = models.DecimalField("数值", max_digits=14, decimal_places=2)
    approx = models.BooleanField("约数", default=False)

    objects = ScopedQuerySet.as_manager()

    class Meta:
        verbose_name = "工作量"
        verbose_name_plural = "工作量"
        constraints = [models.UniqueConstraint(fields=["report", "metric"], name="daily_figure_unique")]

    def __str__(self) -> str:
        return f"{self.metric.name} {self.value}"


class DocumentKind(models.TextChoices):
    BRIEF = "brief", gettext_noop("工作简报")
    BULLETIN = "bulletin", gettext_noop("督查通报")
    LEDGER = "ledger", gettext_noop("问题台账")
    NOTICE = "notice", gettext_noop("整改通知书")
    NIGHT = "night", gettext_noop("夜查日报")


class Document(models.Model):
    """A generated document and its files (docx or xlsx, and a PDF copy when LibreOffice is installed)."""

    kind = models.CharField("类型", max_length=10, choices=DocumentKind.choices)
    date = models.DateField("日期")
    number = models.CharField("文号/期号", max_length=40, blank=True)
    title = models.CharField("标题", max_length=200)
    file = models.FileField("文件", upload_to="documents/%Y/%m/")
    pdf = models.FileField("PDF", upload_to="documents/%Y/%m/", blank=True)
    created_by = models.ForeignKey(settings.AUTH_USER_MODEL, verbose_name="生成人", null=True, blank=True,
                                   on_delete=models.PROTECT, related_name="+")
    created_at = models.DateTimeField("生成时间", auto_now_add=True)
    seconds = models.FloatField("用时(秒)", default=0)
    unit = models.ForeignKey(Unit, verbose_name="受文单位", null=True, blank=True, on_delete=models.PROTECT,
                             related_name="documents", help_text="整改通知书的受文单位；全区公文为空")

    class Meta:
        verbose_name = "公文"
        verbose_name_plural = "公文"
        ordering = ["-date", "-created_at"]

    def __str__(self) -> str:
        return self.title


class DocumentNumber(models.Model):
    """The running number of a document series per year (通知书 山阳督办〔2026〕15号, 简报 第15期)."""

    series = models.CharField("系列", max_length=40)
    year = models.PositiveSmallIntegerField("年度")
    last = models.PositiveIntegerField("已用到", default=0)

    class Meta:
        verbose_name = "文号"
        verbose_name_plural = "文号"
        constraints = [models.UniqueConstraint(fields=["series", "year"], name="document_number_unique")]

    def __str__(self) -> str:
        return f"{self.series}〔{self.year}〕{self.last}"
