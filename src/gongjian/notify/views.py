"""Pages of notifications. Thin: scope, call a service, render.

* ``/inbox/`` 收件箱: the reader's own messages, newest first, unread in bold; mark one or all read.
* ``/notify/deliveries/`` 发送记录: administrators and the command post see every delivery in their scope
  with its channel, recipient, topic, status, attempts and last error; one delivery's page lists every
  attempt and offers 重新发送 for a failed one.
"""

from __future__ import annotations

from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.core.exceptions import PermissionDenied
from django.core.paginator import Paginator
from django.http import Http404
from django.shortcuts import redirect, render
from django.views.decorators.http import require_POST

from gongjian.core.errors import DomainError, Forbidden, NotFound
from gongjian.notify import selectors, services
from gongjian.notify.models import DeliveryStatus


def _ui(exc: DomainError) -> str:
    return exc.message.rsplit(" / ", 1)[0]


@login_required
def inbox(request):
    qs = selectors.inbox(request.user)
    page = Paginator(qs, 30).get_page(request.GET.get("page"))
    return render(request, "notify/pages/inbox.html", {"page": page, "topics": services.TOPICS})


@login_required
@require_POST
def inbox_read(request, pk: int):
    try:
        services.messages_mark_read(user=request.user, ids=[pk])
    except NotFound:
        raise Http404 from None
    return redirect(_back(request, "notify:inbox"))


@login_required
@require_POST
def inbox_read_all(request):
    n = services.messages_mark_read(user=request.user, all_messages=True)
    messages.success(request, f"已将 {n} 条消息标为已读" if n else "没有未读消息")
    return redirect("notify:inbox")


def _back(request, default: str) -> str:
    from django.urls import reverse
    from django.utils.http import url_has_allowed_host_and_scheme

    nxt = request.POST.get("next", "")
    if nxt and url_has_allowed_host_and_scheme(nxt, allowed_hosts={request.get_host()}):
        return nxt
    return reverse(default)


def _deliveries(user, status=""):
    try:
        return selectors.deliveries_visible(user, status)
    except Forbidden as exc:
        raise PermissionDenied(_ui(exc)) from None


@login_required
def deliveries(request):
    status, status_error = selectors.parse_status(request.GET.get("status"))
    qs = _deliveries(request.user, status)
    page = Paginator(qs, 50).get_page(request.GET.get("page"))
    return render(request, "notify/pages/deliveries.html", {
        "page": page, "status": status, "status_error": status_error, "statuses": DeliveryStatus.choices})


@login_required
def delivery(request, pk: int):
    found = _deliveries(request.user).filter(pk=pk).first()
    if found is None:
        raise Http404
    return render(request, "notify/pages/delivery.html", {
        "d": found, "attempts": list(found.attempt_log.all()), "failed": found.status == DeliveryStatus.FAILED})


@login_required
@require_POST
def delivery_resend(request, pk: int):
    found = _deliveries(request.user).filter(pk=pk).first()
    if found is None:
        raise Http404
    try:
        services.delivery_resend(actor=request.user, delivery=found)
    except DomainError as exc:
        messages.error(request, _ui(exc))
    else:
        messages.success(request, "已重新排入发送队列")
    return redirect("notify:delivery", pk=pk)
