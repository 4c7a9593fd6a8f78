"""后台任务 page and its 立即运行: administrators and the command post only, everyone else 404."""

from __future__ import annotations

import pytest
from django_tasks_db.models import DBTaskResult

from gongjian.core.models import AuditEvent
from gongjian.jobs.models import ScheduledRun
from gongjian.jobs.worker import run_pending

pytestmark = pytest.mark.django_db


def login(client, user):
    client.force_login(user)
    return client


@pytest.mark.parametrize("who", ["admin", "commander"])
def test_the_page_lists_every_job_with_its_schedule(client, district, who):
    html = login(client, district[who]).get("/jobs/").content.decode()
    for title, when in (("到期提醒", "每天 08:30"), ("督办扫描", "每天 09:00"), ("日报三件套", "每天 18:00"),
                        ("日报催报", "每天 16:00"), ("周排名", "每周一 08:00")):
        assert title in html and when in html
    assert "没有在线的工作进程" in html
    assert 'href="/jobs/"' in html  # in the menu


@pytest.mark.parametrize("who", ["inspector", "leader", "handler_a", "grid_worker_a", "viewer_a"])
def test_others_get_404_and_cannot_start_a_job(client, district, who):
    c = login(client, district[who])
    assert c.get("/jobs/").status_code == 404
    assert c.post("/jobs/ledger.escalation_scan/run/").status_code == 404
    assert not DBTaskResult.objects.exists()
    assert 'href="/jobs/"' not in c.get("/").content.decode()


def test_anonymous_is_sent_to_login(client):
    assert client.get("/jobs/").status_code == 302


def test_run_now_is_queued_audited_and_shown_with_its_result(client, district):
    c = login(client, district["commander"])
    response = c.post("/jobs/ledger.escalation_scan/run/", follow=True)
    assert "已放入队列" in response.content.decode()
    run = ScheduledRun.objects.get(job="ledger.escalation_scan")
    event = AuditEvent.objects.filter(action="job.run").get()
    assert event.actor_id == district["commander"].pk and run.task_id in event.after
    run_pending()
    html = c.get("/jobs/").content.decode()
    assert "已完成" in html and "督办扫描" in html


def test_an_unknown_job_is_a_clear_message_and_nothing_is_queued(client, district):
    response = login(client, district["admin"]).post("/jobs/no.such/run/", follow=True)
    assert "没有名为“no.such”的定时任务" in response.content.decode()
    assert not DBTaskResult.objects.exists()


def test_a_get_cannot_start_a_job(client, district):
    assert login(client, district["admin"]).get("/jobs/ledger.escalation_scan/run/").status_code == 405
