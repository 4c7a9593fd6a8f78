"""The case page: one case, scoped to the reader's units (out of scope is 404).

It shows the whole story (facts, deadline light, timeline from the audit trail, photos before and
after) and the moves this reader may make now, each a plain form that posts to a thin view calling
one service. A refused move re-renders the page with the service's Chinese message and changes nothing.
"""

from __future__ import annotations

import datetime as dt
import json

from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.http import FileResponse, Http404
from django.shortcuts import redirect, render
from django.urls import reverse
from django.utils.translation import gettext as _
from django.utils.translation import gettext_noop
from django.views.decorators.http import require_POST

from gongjian.core.errors import DomainError, Invalid
from gongjian.core.scoping import get_visible_or_404
from gongjian.ledger import flows, selectors, services
from gongjian.ledger.models import (
    DEADLINE_STATUSES,
    Case,
    EscalationLevel,
    Evidence,
    EvidenceStage,
    ExtensionRequest,
    ExtensionStatus,
)
from gongjian.org.models import Role, Unit, User

# Audit action codes of a case, as people say them.
ACTION_LABELS = {
    "case.import": gettext_noop("导入台账"),
    "case.report": gettext_noop("上报"),
    "case.register": gettext_noop("立案"),
    "case.reject": gettext_noop("不予立案"),
    "case.assign": gettext_noop("交办"),
    "case.accept": gettext_noop("签收整改"),
    "case.return": gettext_noop("回退"),
    "case.submit": gettext_noop("提交整改"),
    "case.close": gettext_noop("核查销号"),
    "case.rework": gettext_noop("返工"),
    "case.hang": gettext_noop("挂账"),
    "case.resume": gettext_noop("恢复整改"),
    "case.evidence_add": gettext_noop("上传材料"),
    "case.extension_request": gettext_noop("申请延期"),
    "case.extension_approve": gettext_noop("批准延期"),
    "case.extension_refuse": gettext_noop("不批准延期"),
    "case.escalate": gettext_noop("督办升级"),
    "case.comment": gettext_noop("评论"),
}

# The moves that need more than a button, and what the reason field is called for each.
REASON_LABELS = {"reject": gettext_noop("不予立案理由"), "return": gettext_noop("回退理由"), "rework": gettext_noop("返工理由"),
                 "submit": gettext_noop("整改情况说明"), "close": gettext_noop("核查意见")}
REASON_REQUIRED = {"reject", "return", "rework"}
# What the free text of each event is, on the timeline.
REASON_CAPTIONS = {"case.submit": gettext_noop("整改情况"), "case.close": gettext_noop("核查意见"), "case.extension_approve": gettext_noop("审批意见"),
                   "case.extension_refuse": gettext_noop("审批意见"), "case.escalate": gettext_noop("原因")}


def ui_message(exc: DomainError) -> str:
    """The Chinese part of a service message ("中文 / English")."""
    return exc.message.rsplit(" / ", 1)[0]


def _case_or_404(user, pk: int) -> Case:
    return get_visible_or_404(
        Case.objects.select_related("campaign", "category", "category__parent", "unit", "lead_unit", "leader",
                                    "handler", "grid", "reported_by", "reporter_unit", "closed_by"),
        user, pk=pk)


def _workdays_left(case: Case, on: dt.date) -> int | None:
    """Working days from today to the deadline (negative when overdue), as the API computes it."""
    if not case.deadline or case.status not in DEADLINE_STATUSES:
        return None
    from gongjian.standards.workdays import MissingYear

    try:
        return services._calendar().count(on, case.deadline)
    except MissingYear:
        return None


def _loads(text: str) -> dict:
    try:
        value = json.loads(text or "{}")
    except ValueError:
        return {}
    return value if isinstance(value, dict) else {}


def timeline_entries(case: Case) -> list[dict]:
    """The audit trail of the case as lines people read: what, who, when, why and the key facts."""
    events = selectors.case_timeline(case)
    afters = [_loads(e.after) for e in events]
    unit_ids = {a.get("unit") for e, a in zip(events, afters, strict=True) if e.action == "case.assign"}
    unit_ids |= {e.actor.unit_id for e in events if e.actor is not None}
    units = dict(Unit.objects.filter(pk__in=[u for u in unit_ids if u]).values_list("pk", "name"))
    stages = dict(EvidenceStage.choices)
    entries = []
    for event, after in zip(events, afters, strict=True):
        detail = ""
        if event.action == "case.assign":
            detail = _("责任单位：%(unit)s；整改期限：%(deadline)s") % {"unit": units.get(after.get("unit"), "—"),
                                                           "deadline": after.get("deadline") or "—"}
        elif event.action == "case.evidence_add":
            detail = f"{_(stages[after['stage']]) if after.get('stage') in stages else ''}{_('：')}{after.get('name', '')}"
        elif event.action == "case.extension_request":
            detail = _("申请延至 %(date)s") % {"date": after.get("requested_deadline", "")}
        elif event.action == "case.extension_approve":
            detail = _("整改期限改为 %(date)s") % {"date": after.get("deadline", "")}
        elif event.action == "case.escalate":
            level = after.get("escalation_level")
            detail = _(EscalationLevel(level).label) if level in EscalationLevel.values else ""
        elif event.action == "case.import":
            detail = event.object_repr
        actor = event.actor
        entries.append({
            "action": event.action,
            "label": ACTION_LABELS.get(event.action, event.action),
            "actor": (actor.name or actor.username) if actor else (_("系统") if event.actor_name in ("", "system")
                                                                   else event.actor_name),
            "actor_unit": units.get(actor.unit_id, "") if actor else "",
            "at": event.created_at,
            "reason": event.reason,
            "reason_caption": REASON_CAPTIONS.get(event.action, gettext_noop("理由")),
            "detail": detail,
            "comment": after.get("body", "") if event.action == "case.comment" else "",
        })
    return entries


def _assign_choices(case: Case) -> dict:
    units = list(Unit.objects.filter(is_active=True).order_by("path").only("pk", "name", "depth", "path"))
    for u in units:
        u.indent = "\u3000" * u.depth  # the tree shown by indentation inside the select
    handlers = list(User.objects.filter(is_active=True, role_assignments__role=Role.HANDLER)
                    .select_related("unit").order_by("unit__path", "username").distinct())
    return {"units": units, "handlers": handlers}


def _page(request, case: Case, *, error: str = "", error_form: str = "", status: int = 200, posted=None):
    user = request.user
    on = services.today()
    moves = flows.available_moves(user, case)
    evidence = list(Evidence.objects.visible_to(user).filter(case=case).select_related("uploaded_by")
                    .order_by("uploaded_at", "id"))
    pending = case.extensions.filter(status=ExtensionStatus.PENDING).select_related("requested_by").first()
    can_extend = (case.status in DEADLINE_STATUSES and pending is None
                  and (flows.is_unit_handler(user, case) or user.is_admin))
    context = {
        "case": case,
        "light": selectors.light_of(case, on),
        "light_label": selectors.LIGHTS.get(selectors.light_of(case, on) or "", ""),
        "workdays_left": _workdays_left(case, on),
        "timeline": timeline_entries(case),
        "before": [e for e in evidence if e.stage == EvidenceStage.BEFORE],
        "after": [e for e in evidence if e.stage == EvidenceStage.AFTER],
        "other": [e for e in evidence if e.stage == EvidenceStage.OTHER],
        "moves": [{"move": m, "reason_label": REASON_LABELS.get(m.action, ""),
                   "reason_required": m.action in REASON_REQUIRED} for m in moves],
        "pending_extension": pending,
        "can_extend": can_extend,
        "can_decide_extension": pending is not None and flows.is_dispatcher(user),
        "can_comment": not services.is_read_only(user),
        "can_notice": bool(case.unit_id) and flows.is_dispatcher(user),
        "error": error,
        "error_form": error_form,
        "posted": posted or {},
        "today": on,
        "max_photos": services.MAX_PHOTOS,
    }
    if any(m.action == "assign" for m in moves):
        context.update(_assign_choices(case))
        context["default_workdays"] = case.category.default_workdays
    return render(request, "ledger/case_detail.html", context, status=status)


@login_required
def detail(request, pk: int):
    return _page(request, _case_or_404(request.user, pk))


def _after_write(request, case: Case, message: str):
    """Back to the case page, or to the start page when the case has just left the reader's scope."""
    messages.success(request, message)
    if Case.objects.visible_to(request.user).filter(pk=case.pk).exists():
        return redirect("ledger:case", pk=case.pk)
    return redirect("home")


def _refused(request, case: Case, exc: DomainError, form: str):
    # Read the case again: the refused write changed nothing, and the page shows what is stored.
    return _page(request, _case_or_404(request.user, case.pk), error=ui_message(exc), error_form=form,
                 status=exc.status, posted=request.POST)


def _date(value: str, label: str, field: str) -> dt.date | None:
    value = (value or "").strip()
    if not value:
        return None
    try:
        return dt.date.fromisoformat(value)
    except ValueError:
        raise Invalid(_("%(label)s“%(value)s”不是有效日期，应为 年-月-日，如 2026-06-15") % {"label": label, "value": value},
                      field=field) from None


def _int(value: str, label: str, field: str) -> int | None:
    value = (value or "").strip()
    if not value:
        return None
    try:
        return int(value)
    except ValueError:
        raise Invalid(_("%(label)s“%(value)s”不是整数") % {"label": label, "value": value}, field=field) from None


def _pick(model, value: str, label: str, field: str, **filters):
    pk = _int(value, label, field)
    if pk is None:
        return None
    found = model.objects.filter(pk=pk, **filters).first()
    if found is None:
        raise Invalid(_("找不到所选的%(label)s，请重新选择") % {"label": label}, field=field)
    return found


@login_required
@require_POST
def move(request, pk: int, action: str):
    case = _case_or_404(request.user, pk)
    data = request.POST
    label = flows.MOVES[action].label if action in flows.MOVES else action
    try:
        if action == "submit":
            case = services.submit_with_photos(actor=request.user, case=case, photos=request.FILES.getlist("photos"),
                                               reason=data.get("reason", ""))
        else:
            kw = {}
            if action == "assign":
                kw = {"unit": _pick(Unit, data.get("unit"), _("责任单位"), "unit"),
                      "lead_unit": _pick(Unit, data.get("lead_unit"), _("牵头单位"), "lead_unit"),
                      "handler": _pick(User, data.get("handler"), _("经办人"), "handler"),
                      "deadline": _date(data.get("deadline"), _("整改期限"), "deadline"),
                      "workdays": _int(data.get("workdays"), _("整改时限(工作日)"), "workdays")}
                if kw["deadline"] is not None:
                    kw["workdays"] = None  # a date chosen on purpose wins over the default number
            elif action == "hang":
                kw = {"plan": data.get("plan", ""),
                      "review_on": _date(data.get("review_on"), _("复查日期"), "review_on")}
            case = services.transition(actor=request.user, case=case, action=action, reason=data.get("reason", ""),
                                       **kw)
    except DomainError as exc:
        return _refused(request, case, exc, action)
    return _after_write(request, case, _("已%(move)s：%(serial)s 现为“%(status)s”") % {
        "move": _(label), "serial": case.serial, "status": _(case.get_status_display())})


@login_required
@require_POST
def extension_request(request, pk: int):
    case = _case_or_404(request.user, pk)
    try:
        requested = _date(request.POST.get("requested_deadline"), _("申请延至日期"), "requested_deadline")
        if requested is None:
            raise Invalid(_("请填写申请延至的日期"), field="requested_deadline")
        services.extension_request(actor=request.user, case=case, requested_deadline=requested,
                                   reason=request.POST.get("reason", ""))
    except DomainError as exc:
        return _refused(request, case, exc, "extension")
    return _after_write(request, case, _("已申请延期至 %(date)s，等待指挥部审批") % {"date": f"{requested:%Y-%m-%d}"})


@login_required
@require_POST
def extension_decide(request, pk: int, ext_pk: int):
    case = _case_or_404(request.user, pk)
    ext = get_visible_or_404(ExtensionRequest.objects.filter(case=case), request.user, pk=ext_pk)
    approve = request.POST.get("decision") == "approve"
    try:
        services.extension_decide(actor=request.user, extension=ext, approve=approve,
                                  note=request.POST.get("note", ""))
    except DomainError as exc:
        return _refused(request, case, exc, "decide")
    return _after_write(request, case, _("已批准延期") if approve else _("已驳回延期申请"))


@login_required
@require_POST
def comment(request, pk: int):
    case = _case_or_404(request.user, pk)
    try:
        services.comment_add(actor=request.user, case=case, body=request.POST.get("body", ""))
    except DomainError as exc:
        return _refused(request, case, exc, "comment")
    messages.success(request, _("评论已发表"))
    return redirect(reverse("ledger:case", kwargs={"pk": case.pk}) + "#timeline")


@login_required
def evidence_file(request, pk: int):
    """A photo or file of a case, only through the reader's scope (never a public media address)."""
    ev = get_visible_or_404(Evidence.objects.select_related("case"), request.user, pk=pk)
    try:
        handle = ev.file.open("rb")
    except OSError:  # the row is there but the file is gone from the media directory
        raise Http404 from None
    response = FileResponse(handle, content_type=ev.content_type, filename=ev.original_name,
                            as_attachment=not ev.is_image)
    response["Cache-Control"] = "private, max-age=3600"
    return response

