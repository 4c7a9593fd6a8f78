"""The notification pump: queued once after a scan however many scans ask, and again for the next retry."""

from __future__ import annotations

import datetime as dt

import pytest
from django.utils import timezone
from django_tasks.base import TaskResultStatus
from django_tasks_db.models import DBTaskResult

from gongjian.notify import services as notify
from gongjian.notify import tasks
from gongjian.notify.models import Delivery, DeliveryStatus

pytestmark = pytest.mark.django_db


def pumps():
    return DBTaskResult.objects.filter(task_path=tasks.pump.module_path, status=TaskResultStatus.READY)


def test_pump_soon_queues_one_pump_however_often_it_is_asked(django_capture_on_commit_callbacks):
    with django_capture_on_commit_callbacks(execute=True):
        for _ in range(5):
            tasks.pump_soon()
    assert pumps().count() == 1


def test_after_a_failed_send_the_next_pump_waits_for_the_retry(district, django_capture_on_commit_callbacks):
    from gongjian.notify.models import Channel, ChannelKind, Subscription

    channel = Channel.objects.create(name="甲街道群", kind=ChannelKind.WEBHOOK, url="http://127.0.0.1:9/hook",
                                     unit=district.street_a)
    Subscription.objects.create(unit=district.street_a, channel=channel)
    notify.publish(topic="reminder", key="k1", title="整改期限将至", line="一条", units=[district.street_a])
    result = tasks.pump.call()  # nobody listens on port 9: the send fails and is retried later
    assert result["flushed"] >= 1 and result["retrying"] == 1
    delivery = Delivery.objects.get()
    assert delivery.status == DeliveryStatus.RETRYING
    (waiting,) = pumps()
    assert abs(waiting.run_after - delivery.next_attempt_at) < dt.timedelta(seconds=1)
    assert waiting.run_after > timezone.now()
    tasks.pump.call()  # nothing due yet: no second waiting pump
    assert pumps().count() == 1
