"""Periodic jobs of the ledger (see gongjian.jobs.schedule)."""

from django.conf import settings
from django.utils.translation import gettext_noop

from gongjian.jobs.schedule import Job
from gongjian.ledger import tasks

JOBS = [
    Job(name="ledger.deadline_reminders", title=gettext_noop("到期提醒"), task=tasks.deadline_reminders,
        at=lambda: settings.GONGJIAN_REMINDERS_AT, catch_up="all",
        description=gettext_noop("整改期限将至(默认提前 1 个工作日)时提醒经办人和责任单位，非工作日不发")),
    Job(name="ledger.escalation_scan", title=gettext_noop("督办扫描"), task=tasks.escalation_scan,
        at=lambda: settings.GONGJIAN_ESCALATE_AT, catch_up="all",
        description=gettext_noop("超期案件按督办规则升级为预警、挂牌督办、约谈、问责，并通知责任单位和分包领导")),
]
