"""Periodic jobs of daily reporting (see gongjian.jobs.schedule)."""

from django.conf import settings
from django.utils.translation import gettext_noop

from gongjian.jobs.schedule import Job
from gongjian.reporting import tasks

JOBS = [
    Job(name="reporting.figures_reminder", title=gettext_noop("日报催报"), task=tasks.figures_reminder,
        at=lambda: settings.GONGJIAN_FIGURES_REMIND_AT, catch_up="latest",
        description=gettext_noop("工作日下午提醒尚未报送当天工作日报的单位，并把未报单位名单告诉指挥部")),
    Job(name="reporting.daily_documents", title=gettext_noop("日报三件套"), task=tasks.daily_documents,
        at=lambda: settings.GONGJIAN_DAILY_DOCS_AT,
        description=gettext_noop("生成当天的工作简报、督查通报和问题台账(PDF 副本随后生成)，并通知指挥部和领导")),
]
