"""The gateway's status page: counters of each running gateway (district-level users only, else 404)."""

from __future__ import annotations

from django.contrib.auth.decorators import login_required
from django.shortcuts import render

from gongjian.gateway import selectors
from gongjian.gateway.server import reason_text
from gongjian.standards import hj212


def _reason(code: str) -> str:
    try:
        return reason_text(code)
    except KeyError:
        return code


@login_required
def status(request):
    rows = [selectors.status_view(r) for r in selectors.statuses_visible(request.user)]
    for r in rows:
        r["reasons"] = [(code, _reason(code), n) for code, n in r["rejected_by_reason"].items()]
    return render(request, "gateway/pages/status.html", {"rows": rows, "known_reasons": len(hj212.REASONS)})
