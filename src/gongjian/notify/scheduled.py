"""Periodic jobs of notification: a safety net behind the pumps the scans queue themselves."""

import datetime as dt

from django.utils.translation import gettext_noop

from gongjian.jobs.schedule import Job
from gongjian.notify import tasks

JOBS = [
    Job(name="notify.pump", title=gettext_noop("消息发送"), task=tasks.pump_slot, every=dt.timedelta(minutes=5),
        catch_up="latest", description=gettext_noop("汇总待发通知并发送到期的消息(重试、限流等待)；平时由各扫描任务即时触发")),
]
