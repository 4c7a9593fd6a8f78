"""The case page: one case, scoped to the reader's units (out of scope is 404)."""

from __future__ import annotations

from django.contrib.auth.decorators import login_required
from django.shortcuts import render

from gongjian.core.scoping import get_visible_or_404
from gongjian.ledger import selectors, services
from gongjian.ledger.models import Case


@login_required
def detail(request, pk: int):
    case = get_visible_or_404(
        Case.objects.select_related("campaign", "category", "unit", "lead_unit", "leader", "handler", "grid"),
        request.user, pk=pk)
    on = services.today()
    context = {
        "case": case,
        "light": selectors.light_of(case, on),
        "timeline": selectors.case_timeline(case),
    }
    return render(request, "ledger/case_detail.html", context)
