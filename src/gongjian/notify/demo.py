"""The demo district's notifications: three outside channels for 百间房街道 (a 企业微信 group robot, a 钉钉
robot with signing and a webhook) subscribed by the street, and a few inbox messages built from the demo
cases through publish and flush, so 收件箱 is not empty.

The channels point at 127.0.0.1 port 9 (nothing listens there) and are switched off (启用 unticked), so a
running sender does not fill the delivery log with connection failures; an administrator who enters a real
robot address switches one on in /admin/. Loaded after the ledger's demo (it needs the cases).
"""

from __future__ import annotations

import datetime as dt

from django.db import transaction
from django.utils import timezone

from gongjian.ledger.models import OPEN_STATUSES, Case
from gongjian.notify import services
from gongjian.notify.models import Channel, ChannelKind, Message, Subscription
from gongjian.org.models import Unit, User

STREET = "百间房街道"
CHANNELS = [
    ("百间房街道整治群(企业微信)", ChannelKind.WECOM, "http://127.0.0.1:9/cgi-bin/webhook/send?key=demo-key", "", ""),
    ("百间房街道整治群(钉钉)", ChannelKind.DINGTALK, "http://127.0.0.1:9/robot/send?access_token=demo-token",
     "SECdemo0000000000000000000000000000000000000000000000000000000000", "escalation"),
    ("百间房街道数据对接(Webhook)", ChannelKind.WEBHOOK, "http://127.0.0.1:9/gongjian-hook", "demo-webhook-secret", ""),
]


def is_loaded() -> bool:
    return Channel.objects.exists() or Message.objects.exists()


def _line(case: Case) -> str:
    deadline = f" 整改期限 {case.deadline:%m月%d日}" if case.deadline else ""
    return f"{case.serial} {case.title}{deadline}"


@transaction.atomic
def load(log=print) -> bool:
    street = Unit.objects.filter(name=STREET).first()
    if street is None or is_loaded() or not Case.objects.exists():
        return False
    for name, kind, url, secret, topic in CHANNELS:
        channel = services.channel_save(actor=None, channel=Channel(
            name=name, kind=kind, url=url, secret=secret, unit=street, is_active=False))
        services.subscription_save(actor=None, subscription=Subscription(unit=street, channel=channel, topic=topic))

    users = {u.username: u for u in User.objects.filter(username__in=["bjf_jingban", "dfh_jingban", "zhihui"])}
    now = timezone.now()
    today = timezone.localdate()
    open_cases = Case.objects.filter(status__in=OPEN_STATUSES).select_related("unit").order_by("deadline", "id")
    n = 0
    for username, street_name in (("bjf_jingban", STREET), ("dfh_jingban", "东方红街道")):
        user = users.get(username)
        unit = Unit.objects.filter(name=street_name).first()
        if user is None or unit is None:
            continue
        # yesterday's 已超期 batch; today's 到期提醒 come from the real scan the jobs demo runs (jobs/demo.py)
        overdue = list(open_cases.filter(unit__path__startswith=unit.path, deadline__lt=today)[:6])
        for c in overdue:
            n += services.publish(topic="escalation", key=f"demo:overdue:{c.pk}", title="已超期", line=_line(c),
                                  link=f"/cases/{c.pk}/", users=[user])
        services.flush(now=now - dt.timedelta(hours=20))
    commander = users.get("zhihui")
    if commander is not None:
        overdue = list(open_cases.filter(deadline__lt=today)[:12])
        for c in overdue:
            n += services.publish(topic="escalation", key=f"demo:overdue:{c.pk}", title="已超期",
                                  line=f"{_line(c)}({c.unit.name if c.unit else '未交办'})", link=f"/cases/{c.pk}/",
                                  users=[commander])
        n += services.publish(topic="figures", key=f"demo:figures:{today}", title="日报催报",
                              line="今日仍有单位未报送工作量，请督促 18:00 前报送", link="/daily/overview/",
                              users=[commander])
        services.flush(now=now - dt.timedelta(hours=1))
    # The oldest message of each person is already read, so the inbox shows both kinds.
    for user in users.values():
        oldest = Message.objects.filter(user=user).order_by("created_at", "id").first()
        if oldest is not None:
            services.messages_mark_read(user=user, ids=[oldest.pk], now=now)
    log(f"  通知渠道 {len(CHANNELS)} 个(已停用，地址为本机无人监听的端口)，站内消息 "
        f"{Message.objects.count()} 条({n} 项) / channels and inbox messages")
    return True
