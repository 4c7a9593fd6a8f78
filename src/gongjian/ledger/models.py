"""The ledger (台账): campaigns, their categories and escalation rules, and cases.

A case is one planned task or found problem with one responsible unit, a deadline in working days
and a status that only the state machine in ``flows.py`` changes.
"""

from __future__ import annotations

from django.conf import settings
from django.db import models
from django.utils.translation import gettext_noop

from gongjian.core.scoping import ScopedQuerySet
from gongjian.org.models import Grid, Unit


class Campaign(models.Model):
    """专项行动: e.g. 污染围城集中整治."""

    name = models.CharField("名称", max_length=100, unique=True)
    serial_prefix = models.CharField("编号前缀", max_length=20, unique=True,
                                     help_text="案件编号的前缀，如“山阳整治”，编号为 山阳整治〔2026〕0001")
    command_unit = models.ForeignKey(Unit, verbose_name="指挥部", on_delete=models.PROTECT,
                                     related_name="campaigns")
    starts_on = models.DateField("开始日期")
    ends_on = models.DateField("结束日期", null=True, blank=True)
    description = models.TextField("说明", blank=True)
    targets = models.TextField("目标任务", blank=True)
    is_active = models.BooleanField("进行中", default=True)
    created_at = models.DateTimeField("创建时间", auto_now_add=True)

    class Meta:
        verbose_name = "专项行动"
        verbose_name_plural = "专项行动"
        ordering = ["-starts_on", "name"]

    def __str__(self) -> str:
        return self.name


class Category(models.Model):
    """问题类别, a tree per campaign, with the default deadline for its cases."""

    campaign = models.ForeignKey(Campaign, verbose_name="专项行动", on_delete=models.CASCADE,
                                 related_name="categories")
    parent = models.ForeignKey("self", verbose_name="上级类别", null=True, blank=True, on_delete=models.PROTECT,
                               related_name="children")
    name = models.CharField("名称", max_length=50)
    default_workdays = models.PositiveSmallIntegerField("默认整改时限(工作日)", default=5)
    order = models.PositiveIntegerField("排序", default=0)

    class Meta:
        verbose_name = "问题类别"
        verbose_name_plural = "问题类别"
        ordering = ["campaign", "order", "name"]
        constraints = [
            models.UniqueConstraint(fields=["campaign", "parent", "name"], name="category_unique_name"),
        ]

    def __str__(self) -> str:
        return f"{self.parent.name}/{self.name}" if self.parent_id else self.name


class EscalationLevel(models.IntegerChoices):
    NONE = 0, gettext_noop("无")
    WARNING = 1, gettext_noop("预警")
    LISTED = 2, gettext_noop("挂牌督办")
    SUMMONS = 3, gettext_noop("约谈")
    ACCOUNTABILITY = 4, gettext_noop("问责")


class EscalationRule(models.Model):
    """One rung of a campaign's ladder: at ``overdue_workdays`` working days overdue, reach ``level``."""

    campaign = models.ForeignKey(Campaign, verbose_name="专项行动", on_delete=models.CASCADE,
                                 related_name="escalation_rules")
    level = models.PositiveSmallIntegerField("等级", choices=EscalationLevel.choices)
    overdue_workdays = models.PositiveSmallIntegerField("超期工作日数")
    notify_leader = models.BooleanField("通知分包领导", default=False)

    class Meta:
        verbose_name = "督办升级规则"
        verbose_name_plural = "督办升级规则"
        ordering = ["campaign", "level"]
        constraints = [models.UniqueConstraint(fields=["campaign", "level"], name="escalation_rule_unique")]

    def __str__(self) -> str:
        return f"超期 {self.overdue_workdays} 个工作日 → {self.get_level_display()}"


class CaseKind(models.TextChoices):
    TASK = "task", gettext_noop("计划任务")
    PROBLEM = "problem", gettext_noop("发现问题")


class Source(models.TextChoices):
    PLAN = "plan", gettext_noop("计划任务")
    SELF_CHECK = "self_check", gettext_noop("自查")
    DISTRICT_INSPECTION = "district_inspection", gettext_noop("区级督查")
    CITY = "city", gettext_noop("市级交办")
    PROVINCE = "province", gettext_noop("省级交办")
    NIGHT = "night", gettext_noop("夜查")
    UNANNOUNCED = "unannounced", gettext_noop("暗访")
    PUBLIC = "public", gettext_noop("群众举报")
    HOTLINE = "hotline", gettext_noop("12345热线")
    MONITORING = "monitoring", gettext_noop("监测预警")
    MEDIA = "media", gettext_noop("媒体曝光")


class Priority(models.TextChoices):
    NORMAL = "normal", gettext_noop("一般")
    URGENT = "urgent", gettext_noop("紧急")


class Status(models.TextChoices):
    REPORTED = "reported", gettext_noop("已上报")
    REGISTERED = "registered", gettext_noop("已立案")
    REJECTED = "rejected", gettext_noop("不予立案")
    ASSIGNED = "assigned", gettext_noop("已交办")
    RETURNED = "returned", gettext_noop("已回退")
    RECTIFYING = "rectifying", gettext_noop("整改中")
    SUBMITTED = "submitted", gettext_noop("待核查")
    CLOSED = "closed", gettext_noop("已销号")
    LONG_TERM = "long_term", gettext_noop("挂账")


OPEN_STATUSES = {Status.ASSIGNED, Status.RETURNED, Status.RECTIFYING, Status.SUBMITTED}
# Statuses in which a case waits for the command post (register, assign) or a verifier.
WAITING_STATUSES = {Status.REPORTED, Status.REGISTERED, Status.RETURNED, Status.SUBMITTED}
# Statuses in which the responsible unit's deadline runs (and so can be overdue).
DEADLINE_STATUSES = {Status.ASSIGNED, Status.RECTIFYING}


class CaseQuerySet(ScopedQuerySet):
    pass


class Case(models.Model):
    """One planned task or found problem on the ledger."""

    # Visible to the responsible unit's tree and to the unit that reported it.
    scope_unit_field = ("unit", "reporter_unit")

    # Indexes are few on purpose (every one costs on a 50,000-row import): the campaign and unit
    # lookups use the composite indexes in Meta, whose first column they are.
    campaign = models.ForeignKey(Campaign, verbose_name="专项行动", on_delete=models.PROTECT,
                                 related_name="cases", db_index=False)
    year = models.PositiveSmallIntegerField("年度")
    number = models.PositiveIntegerField("序号")
    serial = models.CharField("编号", max_length=40)  # unique: Meta (no LIKE index on PostgreSQL)
    kind = models.CharField("类型", max_length=10, choices=CaseKind.choices, default=CaseKind.PROBLEM)
    source = models.CharField("来源", max_length=24, choices=Source.choices)
    category = models.ForeignKey(Category, verbose_name="类别", on_delete=models.PROTECT, related_name="cases")
    title = models.CharField("标题", max_length=200)
    description = models.TextField("问题描述", blank=True)
    address = models.CharField("地址", max_length=200, blank=True)
    lng = models.FloatField("经度(WGS-84)", null=True, blank=True)
    lat = models.FloatField("纬度(WGS-84)", null=True, blank=True)
    grid = models.ForeignKey(Grid, verbose_name="网格", null=True, blank=True, on_delete=models.SET_NULL,
                             related_name="cases")
    unit = models.ForeignKey(Unit, verbose_name="责任单位", null=True, blank=True, on_delete=models.PROTECT,
                             related_name="cases", db_index=False)
    lead_unit = models.ForeignKey(Unit, verbose_name="牵头单位", null=True, blank=True, on_delete=models.PROTECT,
                                  related_name="led_cases", db_index=False)
    leader = models.ForeignKey(settings.AUTH_USER_MODEL, verbose_name="分包领导", null=True, blank=True,
                               on_delete=models.PROTECT, related_name="led_cases", db_index=False)
    handler = models.ForeignKey(settings.AUTH_USER_MODEL, verbose_name="经办人", null=True, blank=True,
                                on_delete=models.PROTECT, related_name="handled_cases")
    priority = models.CharField("紧急程度", max_length=10, choices=Priority.choices, default=Priority.NORMAL)
    status = models.CharField("状态", max_length=12, choices=Status.choices, default=Status.REPORTED)
    reported_by = models.ForeignKey(settings.AUTH_USER_MODEL, verbose_name="上报人", null=True, blank=True,
                                    on_delete=models.PROTECT, related_name="reported_cases")
    reporter_unit = models.ForeignKey(Unit, verbose_name="上报单位", null=True, blank=True,
                                      on_delete=models.PROTECT, related_name="reported_cases")
    reported_at = models.DateTimeField("上报时间")
    assigned_on = models.DateField("交办日期", null=True, blank=True)
    deadline = models.DateField("整改期限", null=True, blank=True)
    warn_on = models.DateField("黄灯日期", null=True, blank=True,
                               help_text="用去 80% 整改时限(工作日)的日期；此后亮黄灯")
    submitted_at = models.DateTimeField("提交整改时间", null=True, blank=True)
    closed_at = models.DateTimeField("销号时间", null=True, blank=True)
    closed_by = models.ForeignKey(settings.AUTH_USER_MODEL, verbose_name="核查人", null=True, blank=True,
                                  on_delete=models.PROTECT, related_name="closed_cases", db_index=False)
    # Per-case facts for the indicators (GB/T 30428): 按期处置 (the unit's last submission by the
    # deadline) and 按期结案 (closed out by the deadline).
    submitted_on_time = models.BooleanField("按期处置", null=True, blank=True)
    closed_on_time = models.BooleanField("按期结案", null=True, blank=True)
    rework_count = models.PositiveSmallIntegerField("返工次数", default=0)
    return_count = models.PositiveSmallIntegerField("回退次数", default=0)
    extension_count = models.PositiveSmallIntegerField("延期次数", default=0)
    escalation_level = models.PositiveSmallIntegerField("督办等级", choices=EscalationLevel.choices,
                                                        default=EscalationLevel.NONE)
    rejection_reason = models.TextField("不予立案理由", blank=True)
    long_term_plan = models.TextField("挂账整改计划", blank=True)
    long_term_review_on = models.DateField("挂账复查日期", null=True, blank=True)
    created_at = models.DateTimeField("创建时间", auto_now_add=True)
    updated_at = models.DateTimeField("更新时间", auto_now=True)

    objects = CaseQuerySet.as_manager()

    class Meta:
        verbose_name = "案件"
        verbose_name_plural = "案件"
        ordering = ["-reported_at", "-id"]
        constraints = [
            models.UniqueConstraint(fields=["campaign", "year", "number"], name="case_number_unique"),
            models.UniqueConstraint(fields=["serial"], name="case_serial_unique"),
        ]
        indexes = [
            # A campaign's ledger, newest first (the usual view), and its capped counts.
            models.Index(fields=["campaign", "reported_at", "id"], name="case_campaign_reported_idx"),
            models.Index(fields=["unit", "status"], name="case_unit_status_idx"),
            # The ledger's default order, newest first; a page of 50 under any broad filter walks it.
            models.Index(fields=["reported_at", "id"], name="case_reported_idx"),
            # Deadline ranges and the deadline order, any status.
            models.Index(fields=["deadline", "id"], name="case_deadline_idx"),
            # The deadline lights concern running cases only: this small index serves the red and
            # yellow lists in deadline order and their counts without touching the table.
            models.Index(fields=["deadline", "id", "warn_on"], include=["status"], name="case_running_deadline_idx",
                         condition=models.Q(status__in=sorted(DEADLINE_STATUSES), deadline__isnull=False)),
            # The dashboard: close-outs per day over the last 30 days, and closed-on-time per unit.
            models.Index(fields=["closed_at"], include=["campaign", "unit"], name="case_closed_at_idx",
                         condition=models.Q(closed_at__isnull=False)),
            models.Index(fields=["unit", "campaign"], include=["status"], name="case_on_time_idx",
                         condition=models.Q(closed_on_time=True)),
            # The dashboard's to-dos: cases waiting for the command post or a verifier, oldest first.
            models.Index(fields=["status", "reported_at", "id"], include=["campaign", "unit", "handler"],
                         name="case_waiting_idx", condition=models.Q(status__in=sorted(WAITING_STATUSES))),
        ]

    def __str__(self) -> str:
        return f"{self.serial} {self.title}"

    @property
    def is_open(self) -> bool:
        return self.status in OPEN_STATUSES

    def snapshot(self) -> dict:
        return {
            "status": self.status, "unit": self.unit_id, "lead_unit": self.lead_unit_id,
            "leader": self.leader_id, "handler": self.handler_id, "deadline": self.deadline,
            "priority": self.priority, "category": self.category_id, "title": self.title,
            "escalation_level": self.escalation_level, "rework_count": self.rework_count,
        }


class CaseTally(models.Model):
    """How many cases each (campaign, responsible unit, status) holds, kept by database triggers.

    The ledger's totals and counts by status for district-wide readers come from here instead of
    counting a million rows: the triggers (migration 0003) follow every INSERT, UPDATE and DELETE on
    the case table, including COPY imports and bulk loads, in the same transaction. ``unit_key`` is
    the unit's id, 0 for a case without one. Never written by the application.
    """

    campaign_id = models.IntegerField("专项行动")
    unit_key = models.IntegerField("责任单位")
    status = models.CharField("状态", max_length=12)
    n = models.BigIntegerField("案件数", default=0)

    class Meta:
        verbose_name = "案件计数"
        verbose_name_plural = "案件计数"
        constraints = [models.UniqueConstraint(fields=["campaign_id", "unit_key", "status"],
                                               name="case_tally_key")]

    def __str__(self) -> str:
        return f"{self.campaign_id}/{self.unit_key}/{self.status}: {self.n}"


class EvidenceStage(models.TextChoices):
    BEFORE = "before", gettext_noop("整改前")
    AFTER = "after", gettext_noop("整改后")
    OTHER = "other", gettext_noop("其他材料")


def evidence_path(instance, filename: str) -> str:
    return f"evidence/{instance.case.year}/{instance.case_id}/{instance.sha256[:16]}-{filename[-60:]}"


class Evidence(models.Model):
    """A photo or file attached to a case at one step (before/after)."""

    scope_unit_field = ("case__unit", "case__reporter_unit")

    case = models.ForeignKey(Case, verbose_name="案件", on_delete=models.CASCADE, related_name="evidence")
    stage = models.CharField("阶段", max_length=10, choices=EvidenceStage.choices)
    file = models.FileField("文件", upload_to=evidence_path)
    original_name = models.CharField("原文件名", max_length=200)
    content_type = models.CharField("类型", max_length=100)
    size = models.PositiveBigIntegerField("大小(字节)")
    sha256 = models.CharField(max_length=64)
    is_image = models.BooleanField(default=False)
    width = models.PositiveIntegerField(null=True, blank=True)
    height = models.PositiveIntegerField(null=True, blank=True)
    taken_at = models.DateTimeField("拍摄时间", null=True, blank=True)
    lng = models.FloatField("拍摄经度", null=True, blank=True)
    lat = models.FloatField("拍摄纬度", null=True, blank=True)
    uploaded_by = models.ForeignKey(settings.AUTH_USER_MODEL, verbose_name="上传人", null=True,
                                    on_delete=models.PROTECT, related_name="+")
    uploaded_at = models.DateTimeField("上传时间", auto_now_add=True)

    objects = ScopedQuerySet.as_manager()

    class Meta:
        verbose_name = "佐证材料"
        verbose_name_plural = "佐证材料"
        ordering = ["case", "stage", "uploaded_at"]

    def __str__(self) -> str:
        return f"{self.case.serial} {self.get_stage_display()} {self.original_name}"


class ExtensionStatus(models.TextChoices):
    PENDING = "pending", gettext_noop("待审批")
    APPROVED = "approved", gettext_noop("已批准")
    REFUSED = "refused", gettext_noop("未批准")


class ExtensionRequest(models.Model):
    """延期申请: a unit asks for more time; a commander decides."""

    scope_unit_field = "case__unit"

    case = models.ForeignKey(Case, verbose_name="案件", on_delete=models.CASCADE, related_name="extensions")
    requested_deadline = models.DateField("申请延至")
    reason = models.TextField("理由")
    status = models.CharField("状态", max_length=10, choices=ExtensionStatus.choices,
                              default=ExtensionStatus.PENDING)
    requested_by = models.ForeignKey(settings.AUTH_USER_MODEL, verbose_name="申请人", on_delete=models.PROTECT,
                                     related_name="+")
    requested_at = models.DateTimeField("申请时间", auto_now_add=True)
    decided_by = models.ForeignKey(settings.AUTH_USER_MODEL, verbose_name="审批人", null=True, blank=True,
                                   on_delete=models.PROTECT, related_name="+")
    decided_at = models.DateTimeField("审批时间", null=True, blank=True)
    decision_note = models.TextField("审批意见", blank=True)

    objects = ScopedQuerySet.as_manager()

    class Meta:
        verbose_name = "延期申请"
        verbose_name_plural = "延期申请"
        ordering = ["-requested_at"]
        constraints = [
            models.UniqueConstraint(fields=["case"], condition=models.Q(status="pending"),
                                    name="one_pending_extension_per_case"),
        ]

    def __str__(self) -> str:
        return f"{self.case.serial} 延期至 {self.requested_deadline}"


class Escalation(models.Model):
    """A rung reached on the ladder (预警 / 挂牌督办 / 约谈 / 问责) for one case, once."""

    scope_unit_field = "case__unit"

    case = models.ForeignKey(Case, verbose_name="案件", on_delete=models.CASCADE, related_name="escalations")
    level = models.PositiveSmallIntegerField("等级", choices=EscalationLevel.choices)
    overdue_workdays = models.PositiveSmallIntegerField("超期工作日数")
    unit = models.ForeignKey(Unit, verbose_name="责任单位", on_delete=models.PROTECT, related_name="+")
    leader = models.ForeignKey(settings.AUTH_USER_MODEL, verbose_name="分包领导", null=True, blank=True,
                               on_delete=models.PROTECT, related_name="+")
    created_at = models.DateTimeField("时间", auto_now_add=True)

    objects = ScopedQuerySet.as_manager()

    class Meta:
        verbose_name = "督办记录"
        verbose_name_plural = "督办记录"
        ordering = ["-created_at"]
        constraints = [models.UniqueConstraint(fields=["case", "level"], name="escalation_once_per_level")]

    def __str__(self) -> str:
        return f"{self.case.serial} {self.get_level_display()}"


class Comment(models.Model):
    """评论: a remark on a case by anyone who may see it; shown in the case's timeline."""

    scope_unit_field = ("case__unit", "case__reporter_unit")

    case = models.ForeignKey(Case, verbose_name="案件", on_delete=models.CASCADE, related_name="comments")
    author = models.ForeignKey(settings.AUTH_USER_MODEL, verbose_name="评论人", on_delete=models.PROTECT,
                               related_name="+")
    body = models.TextField("内容")
    created_at = models.DateTimeField("时间", auto_now_add=True)

    objects = ScopedQuerySet.as_manager()

    class Meta:
        verbose_name = "评论"
        verbose_name_plural = "评论"
        ordering = ["case", "created_at", "id"]

    def __str__(self) -> str:
        return f"{self.case.serial} {self.author}: {self.body[:20]}"
