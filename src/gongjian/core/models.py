"""The audit chain: an append-only, hash-chained log of every write.

Each event stores SHA-256 over its canonical content and the previous event's hash, so editing,
deleting, inserting or reordering rows directly in the database breaks the chain at that row.
``ChainHead`` holds the newest sequence number and hash; appending locks it, so concurrent writers
queue behind one another instead of forking the chain.
"""

from django.conf import settings
from django.db import models

GENESIS_HASH = "0" * 64


class AuditEvent(models.Model):
    seq = models.BigIntegerField("序号", unique=True)
    created_at = models.DateTimeField("时间", db_index=True)
    actor = models.ForeignKey(
        settings.AUTH_USER_MODEL, verbose_name="操作人", null=True, blank=True,
        on_delete=models.PROTECT, related_name="+",
    )
    actor_name = models.CharField("操作人账号", max_length=150, blank=True)
    action = models.CharField("操作", max_length=64, db_index=True)
    object_type = models.CharField("对象类型", max_length=64)
    object_id = models.CharField("对象编号", max_length=64)
    object_repr = models.CharField("对象", max_length=200, blank=True)
    # Canonical JSON text, kept verbatim so the hash can be recomputed byte for byte.
    before = models.TextField("修改前", blank=True)
    after = models.TextField("修改后", blank=True)
    reason = models.TextField("原因", blank=True)
    client_ip = models.CharField("客户端地址", max_length=64, blank=True)
    prev_hash = models.CharField("上一条哈希", max_length=64)
    hash = models.CharField("哈希", max_length=64, unique=True)

    class Meta:
        verbose_name = "审计事件"
        verbose_name_plural = "审计事件"
        ordering = ["seq"]
        indexes = [models.Index(fields=["object_type", "object_id", "seq"], name="audit_object_idx")]

    def __str__(self) -> str:
        return f"#{self.seq} {self.action} {self.object_type}:{self.object_id}"


class ChainHead(models.Model):
    """Singleton row (id=1): the last sequence number and hash of the audit chain."""

    last_seq = models.BigIntegerField(default=0)
    last_hash = models.CharField(max_length=64, default=GENESIS_HASH)

    class Meta:
        verbose_name = "审计链头"
        verbose_name_plural = "审计链头"

    def __str__(self) -> str:
        return f"head #{self.last_seq}"


class HolidayYear(models.Model):
    """One year's holiday schedule (国务院办公厅节假日安排), as loaded into the platform.

    A year is either here, with its exceptions in ``CalendarDay``, or missing: a deadline that needs a
    missing year is an error naming it, never a guess.
    """

    year = models.PositiveSmallIntegerField("年份", unique=True)
    source = models.CharField("来源", max_length=200, help_text="例如 chinese-calendar 1.11.0，或 导入 文件名")
    notice = models.TextField("通知", blank=True, help_text="国办通知的文号或摘要(可选)")
    created_at = models.DateTimeField("创建时间", auto_now_add=True)
    updated_at = models.DateTimeField("更新时间", auto_now=True)

    class Meta:
        verbose_name = "节假日安排"
        verbose_name_plural = "节假日安排"
        ordering = ["year"]

    def __str__(self) -> str:
        return f"{self.year} 年节假日安排"


class CalendarDay(models.Model):
    """A day that breaks the Monday–Friday rule: a weekday holiday or a make-up working weekend day (调休)."""

    date = models.DateField("日期", unique=True)
    is_workday = models.BooleanField("上班", help_text="勾选：周末调休上班；不勾选：工作日放假")
    name = models.CharField("名称", max_length=50, blank=True, help_text="例如 春节、春节调休")
    year = models.ForeignKey(HolidayYear, verbose_name="年份", on_delete=models.CASCADE, related_name="days")

    class Meta:
        verbose_name = "节假日调整"
        verbose_name_plural = "节假日调整"
        ordering = ["date"]

    def __str__(self) -> str:
        return f"{self.date.isoformat()} {'班' if self.is_workday else '休'} {self.name}".rstrip()
