"""后台任务: the periodic jobs, the workers and the queue (administrators and the command post; others 404)."""

from __future__ import annotations

from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.http import Http404
from django.shortcuts import redirect, render
from django.utils.translation import gettext as _
from django.views.decorators.http import require_POST

from gongjian.core.errors import DomainError
from gongjian.jobs import selectors, services


@login_required
def status(request):
    if not services.can_manage(request.user):
        raise Http404
    failed = selectors.recent_tasks(limit=10, status="FAILED")
    context = {"rows": selectors.job_rows(), "workers": selectors.workers(), "counts": selectors.queue_counts(),
               "recent": selectors.recent_tasks(limit=20), "failed": failed, "labels": selectors.STATUS_LABELS}
    context["alive"] = sum(1 for w in context["workers"] if w.alive)
    return render(request, "jobs/pages/status.html", context)


@login_required
@require_POST
def run(request, name: str):
    if not services.can_manage(request.user):
        raise Http404
    try:
        made = services.run_now(actor=request.user, name=name)
    except DomainError as exc:
        messages.error(request, exc.message.split(" / ")[0])
    else:
        messages.success(request, _("已放入队列：%(job)s；工作进程空闲时即运行") % {"job": made.job})
    return redirect("jobs:status")
