"""Periodic jobs of assessment (see gongjian.jobs.schedule)."""

from django.conf import settings
from django.utils.translation import gettext_noop

from gongjian.assessment import tasks
from gongjian.jobs.schedule import Job

JOBS = [
    Job(name="assessment.weekly_ranking", title=gettext_noop("周排名"), task=tasks.weekly_ranking,
        at=lambda: settings.GONGJIAN_RANKING_AT, weekdays=frozenset({0}), max_catch_up=4,
        description=gettext_noop("每周一冻结上周排名(默认考核方案)，通知领导、指挥部和各单位")),
]
