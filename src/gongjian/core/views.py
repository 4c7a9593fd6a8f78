from django.contrib.auth.decorators import login_required
from django.core.paginator import Paginator
from django.http import Http404
from django.shortcuts import render

from gongjian.core import audit
from gongjian.core.models import AuditEvent
from gongjian.org.permissions import can_read_audit


@login_required
def audit_log(request):
    # Without the right role the page does not exist for this user.
    if not can_read_audit(request.user):
        raise Http404
    qs = AuditEvent.objects.order_by("-seq")
    action = request.GET.get("action", "").strip()
    if action:
        qs = qs.filter(action=action)
    page = Paginator(qs, 50).get_page(request.GET.get("page"))
    result = audit.verify() if request.GET.get("verify") else None
    actions = AuditEvent.objects.order_by("action").values_list("action", flat=True).distinct()
    return render(request, "core/pages/audit.html",
                  {"page": page, "result": result, "action": action, "actions": actions})
