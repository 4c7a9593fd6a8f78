"""The ranking pages: /ranking/ (table, trend, downloads) and a unit's breakdown down to the cases."""

from __future__ import annotations

from django.contrib.auth.decorators import login_required
from django.http import Http404, HttpResponse, HttpResponseBadRequest
from django.shortcuts import render
from django.utils.http import urlencode

from gongjian.assessment import documents, selectors, services
from gongjian.assessment.models import Scheme
from gongjian.core.errors import Invalid, NotFound
from gongjian.ledger.models import Source
from gongjian.org.models import Unit

XLSX = "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet"
DOCX = "application/vnd.openxmlformats-officedocument.wordprocessingml.document"


def _choice(request):
    """(period, scheme, errors) from the query string; a bad value is named at its field and the default used."""
    errors = {}
    try:
        period = selectors.parse_period(request.GET.get("period"))
    except Invalid as exc:
        errors["period"] = exc.message
        period = services.default_period()
    scheme = None
    name = (request.GET.get("scheme") or "").strip()
    if name:
        scheme = Scheme.objects.filter(name=name).first()
        if scheme is None:
            errors["scheme"] = f"没有名为“{name}”的考核方案，已改用默认方案 / no such scheme"
    if scheme is None:
        scheme = Scheme.objects.filter(is_default=True).first() or Scheme.objects.order_by("id").first()
    return period, scheme, errors


def _query(period, scheme, **extra) -> str:
    return urlencode({"period": period.key, "scheme": scheme.name, **extra})


@login_required
def ranking(request):
    period, scheme, errors = _choice(request)
    ctx = {"period": period, "scheme": scheme, "schemes": Scheme.objects.all(), "errors": errors,
           "value": request.GET.get("period", period.key)}
    if scheme is not None:
        result = selectors.ranking_of(request.user, period, scheme)
        visible = set(Unit.objects.visible_to(request.user).filter(
            pk__in=[r["unit_id"] for r in result.results]).values_list("pk", flat=True))
        weeks, series = selectors.trend(request.user, scheme, period)
        ranks = [r["rank"] for r in result.results]
        ctx |= {"ranking": result, "query": _query(period, scheme),
                "rows": [dict(r, tied=ranks.count(r["rank"]) > 1, open=r["unit_id"] in visible)
                         for r in result.results],
                "trend": {"weeks": weeks, "series": [{"name": k, "data": v} for k, v in series.items()]}}
    return render(request, "assessment/pages/ranking.html", ctx)


class BadChoice(Exception):
    pass


def _ranking_or_404(request, *, lenient: bool = False):
    """(period, scheme, ranking, errors). A bad period or scheme is refused (400 with the message) unless
    ``lenient``, where the page falls back to the default and names the problem."""
    period, scheme, errors = _choice(request)
    if scheme is None:
        raise Http404
    if errors and not lenient:
        raise BadChoice("；".join(errors.values()))
    return period, scheme, selectors.ranking_of(request.user, period, scheme), errors


def _bad(exc) -> HttpResponse:
    return HttpResponseBadRequest(f"{exc}", content_type="text/plain; charset=utf-8")


@login_required
def unit_detail(request, unit_id: int):
    period, scheme, result, errors = _ranking_or_404(request, lenient=True)
    try:
        row = selectors.unit_row(request.user, result, unit_id)
    except NotFound:
        raise Http404 from None
    rule_code = request.GET.get("rule", "")
    cases = rule = None
    if rule_code:
        try:
            rule, cases = selectors.rule_cases(request.user, result, unit_id, rule_code)
        except NotFound:
            raise Http404 from None
    labels = dict(documents.FLAG_LABELS)
    return render(request, "assessment/pages/unit.html", {
        "period": period, "scheme": scheme, "ranking": result, "row": row, "flag_label": labels[row["flag"]],
        "query": _query(period, scheme), "rule": rule, "errors": errors.values(), "cases": cases, "unit_id": unit_id,
        "sources": [(dict(Source.choices).get(s, s), n)
                    for s, n in sorted(row["sources"].items(), key=lambda kv: (-kv[1], kv[0]))]})


@login_required
def rule_cases(request, unit_id: int, code: str):
    """The cases behind one rule (htmx partial; the unit page shows the same list without JavaScript)."""
    try:
        _period, _scheme, result, _errors = _ranking_or_404(request)
    except BadChoice as exc:
        return _bad(exc)
    try:
        rule, cases = selectors.rule_cases(request.user, result, unit_id, code)
    except NotFound:
        raise Http404 from None
    return render(request, "assessment/partials/cases.html", {"rule": rule, "cases": cases})


def _download(request, kind: str):
    try:
        period, _scheme, result, _errors = _ranking_or_404(request)
    except BadChoice as exc:
        return _bad(exc)
    if kind == "docx":
        body, ctype, name = documents.bulletin_docx(result), DOCX, f"{period.key}-考核排名通报.docx"
    else:
        body, ctype, name = documents.table_xlsx(result), XLSX, f"{period.key}-考核排名.xlsx"
    resp = HttpResponse(body, content_type=ctype)
    from urllib.parse import quote

    resp["Content-Disposition"] = f"attachment; filename*=UTF-8''{quote(name)}"
    return resp


@login_required
def bulletin(request):
    return _download(request, "docx")


@login_required
def table(request):
    return _download(request, "xlsx")
