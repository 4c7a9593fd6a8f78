"""Periodic jobs of the background machinery."""

import datetime as dt

from django.utils.translation import gettext_noop

from gongjian.jobs import tasks
from gongjian.jobs.schedule import Job

JOBS = [
    Job(name="jobs.prune", title=gettext_noop("清理任务记录"), task=tasks.prune, at=dt.time(3, 10), catch_up="latest",
        description=gettext_noop("删除 30 天前已结束的任务记录、90 天前的定时运行记录")),
    Job(name="jobs.sweep_media", title=gettext_noop("清理孤立文件"), task=tasks.sweep_media, at=dt.time(3, 20), catch_up="latest",
        description=gettext_noop("删除没有任何记录引用、已超过一天的佐证和公文文件(如回滚后留下的上传、被重新生成替换的公文)")),
]
