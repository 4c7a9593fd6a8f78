"""后台任务 in a real browser: the jobs, a failed run's error and 立即运行, on a wide screen and a 360 px phone."""

from __future__ import annotations

import pytest
from django_tasks.base import TaskResultStatus
from django_tasks_db.models import DBTaskResult

from gongjian.jobs import scheduler
from gongjian.jobs.schedule import job_named
from gongjian.jobs.worker import run_pending

pytestmark = pytest.mark.django_db(transaction=True)


@pytest.fixture
def history(district):
    scheduler.run_now(job_named("ledger.escalation_scan"))
    scheduler.run_now(job_named("jobs.prune"))
    run_pending()
    # a failed run, as a broken LibreOffice or a full disk would leave it
    failed = scheduler.run_now(job_named("reporting.daily_documents"))
    DBTaskResult.objects.filter(id=failed.task_id).update(
        status=TaskResultStatus.FAILED, traceback="Traceback …\nOSError: [Errno 28] No space left on device")


def test_jobs_page_on_desktop_and_phone(history, desktop, phone, login, shot):
    for page, name in ((desktop, "jobs"), (phone, "jobs-phone")):
        login(page, "t_commander")
        page.goto("/jobs/")
        assert page.get_by_role("heading", name="后台任务", exact=True).is_visible()
        jobs = page.get_by_role("region", name="定时任务")
        assert jobs.get_by_role("row", name="督办扫描").get_by_text("已完成").is_visible()
        assert jobs.get_by_role("row", name="日报三件套").get_by_text("No space left on device").is_visible()
        assert page.evaluate("document.documentElement.scrollWidth <= window.innerWidth + 1")
        shot(page, name)
    desktop.get_by_role("button", name="立即运行 周排名").click()
    assert desktop.get_by_text("已放入队列").is_visible()
    assert desktop.get_by_text("排队中 1").is_visible()
