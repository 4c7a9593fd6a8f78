"""The demo district's background work: today's scans run once at load, so the inboxes, the delivery
log and the 后台任务 page show real results before the worker's first scheduled slot."""

from __future__ import annotations

from gongjian.jobs.models import ScheduledRun

DEMO_JOBS = ("ledger.deadline_reminders", "ledger.escalation_scan", "reporting.figures_reminder",
             "assessment.weekly_ranking")


def load(log=print) -> bool:
    import datetime as dt

    from django.utils import timezone

    from gongjian.core.calendar import work_calendar
    from gongjian.jobs import scheduler
    from gongjian.jobs.schedule import job_named
    from gongjian.jobs.worker import run_pending
    from gongjian.standards.workdays import MissingYear

    if ScheduledRun.objects.exists():
        return False
    # On a day off the reminders rightly stay quiet: the demo shows the last working day's instead.
    day = timezone.localdate()
    try:
        calendar = work_calendar()
        while not calendar.is_workday(day):
            day -= dt.timedelta(days=1)
    except MissingYear:
        pass
    for name in DEMO_JOBS:
        job = job_named(name)
        at = job.time_of_day()
        slot = timezone.make_aware(dt.datetime.combine(day, at)) if name != "assessment.weekly_ranking" else None
        scheduler.run_now(job, now=slot if slot and slot <= timezone.now() else None)
    scheduler.tick()  # the schedule starts now
    ran = run_pending()
    log(f"演示：后台任务已运行 {ran} 个(到期提醒、督办扫描、日报催报、周排名、消息发送) / demo: {ran} background tasks run")
    return True
