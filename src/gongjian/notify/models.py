"""Notifications: what to tell whom (``NoticeItem``), the inbox (``Message``), the outside channels
(``Channel``: 企业微信 / 钉钉 robots, webhooks), who listens where (``Subscription``), and every send to
the outside (``Delivery`` with its ``DeliveryAttempt`` log).

The flow: scans ``publish`` items (one per recipient, idempotent on key and recipient); ``flush`` batches
the pending items per recipient and topic into one inbox message and one delivery per subscribed
channel; ``deliver_due`` sends the deliveries, with rate limits, leases and retries (see services.py).
"""

from __future__ import annotations

from django.conf import settings
from django.db import models
from django.db.models import Q
from django.utils.translation import gettext_noop

from gongjian.core.scoping import ScopedQuerySet
from gongjian.org.models import Unit

# Labels are marked for the catalogue only: stored text and messages stay Chinese, pages translate them.
TOPIC_CHOICES = [("reminder", gettext_noop("到期提醒")), ("escalation", gettext_noop("督办")),
                 ("figures", gettext_noop("日报催报")), ("documents", gettext_noop("日报三件套")),
                 ("ranking", gettext_noop("周排名")), ("case", gettext_noop("案件动态"))]


class ChannelKind(models.TextChoices):
    WECOM = "wecom", gettext_noop("企业微信群机器人")
    DINGTALK = "dingtalk", gettext_noop("钉钉机器人")
    WEBHOOK = "webhook", gettext_noop("通用 Webhook")


class Channel(models.Model):
    """An outside destination owned by a unit: a group robot or a webhook. The secret is never shown
    back in full (``secret_masked``)."""

    scope_unit_field = "unit"

    name = models.CharField("名称", max_length=100)
    kind = models.CharField("类型", max_length=16, choices=ChannelKind.choices)
    url = models.CharField("地址(URL)", max_length=500,
                           help_text="机器人的 Webhook 地址，只接受 http:// 或 https://")
    secret = models.CharField("密钥", max_length=200, blank=True,
                              help_text="钉钉加签密钥(SEC 开头)或 Webhook 签名密钥；企业微信不需要")
    unit = models.ForeignKey(Unit, verbose_name="所属单位", on_delete=models.PROTECT, related_name="channels")
    is_active = models.BooleanField("启用", default=True)
    rate_limit = models.PositiveIntegerField("每分钟上限", default=20,
                                             help_text="每分钟最多发送的消息数(群机器人为 20)；0 表示不限")
    created_at = models.DateTimeField("创建时间", auto_now_add=True)
    updated_at = models.DateTimeField("更新时间", auto_now=True)

    objects = ScopedQuerySet.as_manager()

    class Meta:
        verbose_name = "通知渠道"
        verbose_name_plural = "通知渠道"
        ordering = ["unit__path", "name"]

    def __str__(self) -> str:
        return f"{self.name}({self.get_kind_display()})"

    @property
    def secret_masked(self) -> str:
        return mask(self.secret)

    def snapshot(self) -> dict:
        # The secret itself never goes into the audit trail; only whether it changed.
        return {"name": self.name, "kind": self.kind, "url": mask_url(self.url), "unit": self.unit_id,
                "is_active": self.is_active, "rate_limit": self.rate_limit, "secret": self.secret_masked}


def mask(secret: str) -> str:
    if not secret:
        return ""
    if len(secret) < 12:
        return "已设置(****)"
    return f"****{secret[-4:]}"


def mask_url(url: str) -> str:
    """The URL without its query string (a WeCom key or a DingTalk access token lives there)."""
    head, sep, _ = url.partition("?")
    return f"{head}?****" if sep else head


class Subscription(models.Model):
    """Who listens where: a person (email when no channel is named, or a channel) or a unit (a channel),
    for one topic or all of them."""

    scope_unit_field = ("unit", "user__unit")

    user = models.ForeignKey(settings.AUTH_USER_MODEL, verbose_name="人员", null=True, blank=True,
                             on_delete=models.CASCADE, related_name="notify_subscriptions")
    unit = models.ForeignKey(Unit, verbose_name="单位", null=True, blank=True, on_delete=models.CASCADE,
                             related_name="notify_subscriptions")
    topic = models.CharField("主题", max_length=16, choices=TOPIC_CHOICES, blank=True,
                             help_text="留空表示全部主题")
    channel = models.ForeignKey(Channel, verbose_name="渠道", null=True, blank=True, on_delete=models.CASCADE,
                                related_name="subscriptions", help_text="人员订阅留空表示发到其邮箱")
    created_at = models.DateTimeField("创建时间", auto_now_add=True)

    objects = ScopedQuerySet.as_manager()

    class Meta:
        verbose_name = "通知订阅"
        verbose_name_plural = "通知订阅"
        ordering = ["id"]
        constraints = [
            models.CheckConstraint(condition=Q(user__isnull=True) ^ Q(unit__isnull=True),
                                   name="subscription_user_xor_unit"),
            models.CheckConstraint(condition=Q(unit__isnull=True) | Q(channel__isnull=False),
                                   name="subscription_unit_needs_channel"),
        ]

    def __str__(self) -> str:
        who = self.user or self.unit
        where = self.channel.name if self.channel_id else "邮件"
        return f"{who} · {self.get_topic_display() or '全部主题'} · {where}"

    def snapshot(self) -> dict:
        return {"user": self.user_id, "unit": self.unit_id, "topic": self.topic, "channel": self.channel_id}


class NoticeItem(models.Model):
    """One thing to tell one recipient (a person or a unit). ``key`` names the fact ("reminder:case:12:
    2026-11-29"), so publishing it again for the same recipient records nothing."""

    scope_unit_field = ("unit", "user__unit")

    topic = models.CharField("主题", max_length=16, choices=TOPIC_CHOICES)
    key = models.CharField("去重键", max_length=200)
    title = models.CharField("标题", max_length=200)
    line = models.CharField("内容", max_length=500)
    link = models.CharField("链接", max_length=300, blank=True)
    user = models.ForeignKey(settings.AUTH_USER_MODEL, verbose_name="人员", null=True, blank=True,
                             on_delete=models.CASCADE, related_name="+")
    unit = models.ForeignKey(Unit, verbose_name="单位", null=True, blank=True, on_delete=models.CASCADE,
                             related_name="+")
    created_at = models.DateTimeField("记录时间")
    flushed_at = models.DateTimeField("汇总时间", null=True, blank=True)
    message = models.ForeignKey("Message", verbose_name="站内消息", null=True, blank=True,
                                on_delete=models.SET_NULL, related_name="items")

    objects = ScopedQuerySet.as_manager()

    class Meta:
        verbose_name = "通知事项"
        verbose_name_plural = "通知事项"
        ordering = ["id"]
        constraints = [
            models.UniqueConstraint(fields=["key", "user"], condition=Q(user__isnull=False),
                                    name="noticeitem_once_per_user"),
            models.UniqueConstraint(fields=["key", "unit"], condition=Q(unit__isnull=False),
                                    name="noticeitem_once_per_unit"),
            models.CheckConstraint(condition=Q(user__isnull=True) ^ Q(unit__isnull=True),
                                   name="noticeitem_user_xor_unit"),
        ]
        indexes = [models.Index(fields=["flushed_at", "id"], name="noticeitem_pending")]

    def __str__(self) -> str:
        return self.line


class Message(models.Model):
    """收件箱: one message per person and topic per flush, listing all its lines."""

    scope_unit_field = "user__unit"

    user = models.ForeignKey(settings.AUTH_USER_MODEL, verbose_name="收件人", on_delete=models.CASCADE,
                             related_name="notify_messages")
    topic = models.CharField("主题", max_length=16, choices=TOPIC_CHOICES)
    title = models.CharField("标题", max_length=200)
    lines = models.JSONField("内容", default=list, help_text='[{"text": …, "link": …}]')
    created_at = models.DateTimeField("时间")
    read_at = models.DateTimeField("已读时间", null=True, blank=True)

    objects = ScopedQuerySet.as_manager()

    class Meta:
        verbose_name = "站内消息"
        verbose_name_plural = "站内消息"
        ordering = ["-created_at", "-id"]
        indexes = [models.Index(fields=["user", "read_at"], name="message_user_unread")]

    def __str__(self) -> str:
        return self.title


class DeliveryStatus(models.TextChoices):
    PENDING = "pending", gettext_noop("待发送")
    SENDING = "sending", gettext_noop("发送中")
    SENT = "sent", gettext_noop("已发送")
    RETRYING = "retrying", gettext_noop("重试中")
    FAILED = "failed", gettext_noop("失败")


class Delivery(models.Model):
    """One send to the outside: a person's email, or a channel of a unit or person. Claimed with a
    lease (``status`` sending, ``lease_until``, ``lease_token``), so a killed sender's row becomes due
    again and a late sender cannot overwrite a newer claim."""

    scope_unit_field = ("unit", "user__unit")

    channel = models.ForeignKey(Channel, verbose_name="渠道", null=True, blank=True, on_delete=models.PROTECT,
                                related_name="deliveries")
    kind = models.CharField("方式", max_length=16)  # "email" or a ChannelKind
    user = models.ForeignKey(settings.AUTH_USER_MODEL, verbose_name="收件人", null=True, blank=True,
                             on_delete=models.CASCADE, related_name="+")
    unit = models.ForeignKey(Unit, verbose_name="收件单位", null=True, blank=True, on_delete=models.CASCADE,
                             related_name="+")
    message = models.ForeignKey(Message, verbose_name="站内消息", null=True, blank=True,
                                on_delete=models.SET_NULL, related_name="deliveries")
    topic = models.CharField("主题", max_length=16, choices=TOPIC_CHOICES)
    title = models.CharField("标题", max_length=200)
    lines = models.JSONField("内容", default=list)
    status = models.CharField("状态", max_length=16, choices=DeliveryStatus.choices,
                              default=DeliveryStatus.PENDING)
    attempts = models.PositiveSmallIntegerField("已尝试次数", default=0)
    next_attempt_at = models.DateTimeField("下次发送时间")
    lease_until = models.DateTimeField("租约到期", null=True, blank=True)
    lease_token = models.CharField(max_length=32, blank=True, editable=False)
    claimed_at = models.DateTimeField("最近开始发送", null=True, blank=True)
    last_error = models.TextField("最近错误", blank=True)
    created_at = models.DateTimeField("创建时间")
    sent_at = models.DateTimeField("发送成功时间", null=True, blank=True)

    objects = ScopedQuerySet.as_manager()

    class Meta:
        verbose_name = "发送记录"
        verbose_name_plural = "发送记录"
        ordering = ["-created_at", "-id"]
        indexes = [models.Index(fields=["status", "next_attempt_at"], name="delivery_due"),
                   models.Index(fields=["channel", "status"], name="delivery_channel_status")]
        constraints = [models.CheckConstraint(condition=Q(user__isnull=False) | Q(unit__isnull=False),
                                              name="delivery_has_recipient")]

    def __str__(self) -> str:
        return f"{self.title} → {self.recipient_label}"

    @property
    def recipient_label(self) -> str:
        if self.user_id:
            return str(self.user)
        return str(self.unit)

    @property
    def kind_label(self) -> str:
        return gettext_noop("邮件") if self.kind == "email" else ChannelKind(self.kind).label if self.kind in ChannelKind.values else self.kind


class DeliveryAttempt(models.Model):
    """Every try of a delivery, kept: when, how it ended, the error."""

    scope_unit_field = ("delivery__unit", "delivery__user__unit")

    delivery = models.ForeignKey(Delivery, verbose_name="发送记录", on_delete=models.CASCADE,
                                 related_name="attempt_log")
    channel = models.ForeignKey(Channel, verbose_name="渠道", null=True, blank=True, on_delete=models.CASCADE,
                                related_name="+")
    number = models.PositiveSmallIntegerField("第几次")
    started_at = models.DateTimeField("开始")
    finished_at = models.DateTimeField("结束")
    ok = models.BooleanField("成功")
    error = models.TextField("错误", blank=True)

    objects = ScopedQuerySet.as_manager()

    class Meta:
        verbose_name = "发送尝试"
        verbose_name_plural = "发送尝试"
        ordering = ["delivery", "number", "id"]
        indexes = [models.Index(fields=["channel", "started_at"], name="attempt_channel_window")]

    def __str__(self) -> str:
        return f"#{self.number} {'成功' if self.ok else self.error[:40]}"
