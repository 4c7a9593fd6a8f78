"""The demo district's channels (switched off) and inbox messages."""

from __future__ import annotations

import pytest
from django.test import Client

from gongjian.core import audit
from gongjian.ledger import demo as ledger_demo
from gongjian.notify import demo, services
from gongjian.notify.models import Channel, Delivery, Message, Subscription
from gongjian.org import demo as org_demo
from gongjian.org.models import User

pytestmark = pytest.mark.django_db


def test_demo_has_channels_and_inbox_messages():
    quiet = lambda *_: None  # noqa: E731
    assert demo.load(log=quiet) is False  # nothing to tell before the ledger's cases
    org_demo.load(log=quiet)
    ledger_demo.load(log=quiet)
    assert demo.load(log=quiet) is True
    assert demo.load(log=quiet) is False

    channels = Channel.objects.all()
    assert sorted(c.kind for c in channels) == ["dingtalk", "webhook", "wecom"]
    assert all(c.unit.name == "百间房街道" and not c.is_active for c in channels)
    assert Subscription.objects.filter(unit__name="百间房街道").count() == 3
    # Switched off: nothing is queued for the outside, and a sender has nothing to do.
    assert not Delivery.objects.exists() and services.deliver_due()["sent"] == 0
    for username in ("bjf_jingban", "dfh_jingban", "zhihui"):
        user = User.objects.get(username=username)
        mine = Message.objects.filter(user=user)
        assert mine.filter(read_at__isnull=False).exists()
        if username == "zhihui":  # yesterday's batch read, today's not
            assert mine.filter(read_at__isnull=True).exists()
        c = Client()
        c.force_login(user)
        html = c.get("/inbox/").content.decode()
        assert html.count('data-testid="message"') == mine.count() and "/cases/" in html
    # 到期提醒 are the real scan's (the jobs demo runs it), never made up here
    assert not Message.objects.filter(topic="reminder").exists()
    assert audit.verify().ok
