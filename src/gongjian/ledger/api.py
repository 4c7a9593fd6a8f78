"""REST endpoints of the ledger. Thin: scope, call a service, shape the answer."""

from __future__ import annotations

import datetime as dt

from django.http import FileResponse
from ninja import Field, File, Form, Query, Router, Schema, Status
from ninja.files import UploadedFile

from gongjian.core import audit
from gongjian.core.errors import Invalid, NotFound
from gongjian.core.scoping import get_visible
from gongjian.ledger import flows, selectors, services
from gongjian.ledger.forms import LedgerFilterForm
from gongjian.ledger.models import Campaign, Case, Category, Evidence, ExtensionRequest
from gongjian.ledger.schemas import (
    CampaignDetail,
    CampaignIn,
    CampaignOut,
    CaseDetail,
    CaseIn,
    CaseOut,
    DecisionIn,
    EvidenceOut,
    ExtensionIn,
    ExtensionOut,
    LedgerPage,
    TransitionIn,
)
from gongjian.org.models import Unit, User
from gongjian.org.permissions import require

router = Router(tags=["台账 / ledger"])


def _campaign(request, pk, field="campaign_id") -> Campaign:
    c = selectors.campaigns_visible(request.auth).filter(pk=pk).first()
    if c is None:
        raise Invalid(f"找不到专项行动 {pk} / unknown campaign", field=field)
    return c


def _unit(request, pk, field) -> Unit | None:
    if pk is None:
        return None
    u = Unit.objects.filter(pk=pk).first()  # a dispatcher may name any unit of the district
    if u is None:
        raise Invalid(f"找不到单位 {pk} / unknown unit", field=field)
    return u


@router.get("/campaigns", response=list[CampaignOut], summary="专项行动列表")
def list_campaigns(request):
    return selectors.campaigns_visible(request.auth)


@router.get("/campaigns/{int:campaign_id}", response=CampaignDetail, summary="专项行动详情(类别、督办规则)")
def get_campaign(request, campaign_id: int):
    c = selectors.campaigns_visible(request.auth).filter(pk=campaign_id).first()
    if c is None:
        raise NotFound("专项行动不存在 / not found")
    return c


@router.post("/campaigns", response={201: CampaignDetail}, summary="新建专项行动(指挥部)")
def create_campaign(request, body: CampaignIn):
    require(flows.is_dispatcher(request.auth), "新建专项行动")
    unit = _unit(request, body.command_unit_id, "command_unit_id")
    c = services.campaign_create(
        actor=request.auth, name=body.name, serial_prefix=body.serial_prefix, command_unit=unit,
        starts_on=body.starts_on, ends_on=body.ends_on, description=body.description, targets=body.targets,
        categories=[cat.dict() for cat in body.categories], escalation=[r.dict() for r in body.escalation])
    return Status(201, c)


class LedgerQuery(Schema):
    campaign: int | None = None
    unit: int | None = None
    status: list[str] = []
    source: list[str] = []
    category: int | None = None
    light: str | None = None
    deadline_from: dt.date | None = None
    deadline_to: dt.date | None = None
    reported_from: dt.date | None = None
    reported_to: dt.date | None = None
    closed_from: dt.date | None = None
    closed_to: dt.date | None = None
    q: str = ""
    order: str = Field("", description="排序：-reported(默认，新的在前)、reported、deadline、-deadline、serial、-serial、"
                                         "status、unit；按亮灯或期限筛选时默认 deadline")
    page: int = 1
    page_size: int = 50


def _annotate_light(rows, on):
    for c in rows:
        c.light = selectors.light_of(c, on)
    return rows


@router.get("/cases", response=LedgerPage, summary="台账(筛选、分页、按状态计数)")
def list_cases(request, query: Query[LedgerQuery]):
    # The schema documents the parameters; the filter itself is parsed once, by the form the
    # ledger page uses too.
    form = LedgerFilterForm(request.GET, user=request.auth)
    bad = form.first_error()
    if bad:
        raise Invalid(bad[1], field=bad[0])
    page_size = max(1, min(query.page_size, 500))
    page = max(1, query.page)
    f = form.to_filter()
    on = services.today()
    qs = selectors.ledger(request.auth, f, on=on)
    rows = list(qs.select_related("unit", "category")[(page - 1) * page_size: page * page_size])
    counts = selectors.ledger_counts(request.auth, f, qs)
    return {"count": counts.total, "count_exact": counts.exact, "page": page, "page_size": page_size,
            "counts": counts.by_status, "results": _annotate_light(rows, on)}


def _detail(request, case: Case) -> Case:
    on = services.today()
    case.light = selectors.light_of(case, on)
    case.evidence_list = list(case.evidence.all())
    case.timeline_list = audit.timeline(case)
    case.moves_list = flows.available_moves(request.auth, case)
    case.workdays_left = None
    if case.deadline and case.light:
        from gongjian.standards.workdays import MissingYear

        try:  # negative when overdue
            case.workdays_left = services._calendar().count(on, case.deadline)
        except MissingYear:
            case.workdays_left = None
    return case


class _DetailOut(CaseDetail):
    @staticmethod
    def resolve_evidence(obj):
        return obj.evidence_list

    @staticmethod
    def resolve_timeline(obj):
        return obj.timeline_list

    @staticmethod
    def resolve_moves(obj):
        return [{"action": m.action, "label": m.label, "needs": m.needs} for m in obj.moves_list]


def _case(request, case_id) -> Case:
    return get_visible(Case.objects.select_related("unit", "category", "campaign"), request.auth, pk=case_id)


@router.get("/cases/{int:case_id}", response=_DetailOut, summary="案件详情(时间线、照片、可执行操作)")
def get_case(request, case_id: int):
    return _detail(request, _case(request, case_id))


@router.post("/cases", response={201: CaseOut}, summary="上报问题 / 下达任务")
def report_case(request, body: CaseIn):
    campaign = _campaign(request, body.campaign_id)
    category = Category.objects.filter(pk=body.category_id, campaign=campaign).first()
    if category is None:
        raise Invalid(f"专项行动“{campaign}”中没有类别 {body.category_id} / unknown category", field="category_id")
    case = services.case_report(
        actor=request.auth, campaign=campaign, category=category, title=body.title, source=body.source,
        kind=body.kind, description=body.description, address=body.address, lng=body.lng, lat=body.lat,
        unit=_unit(request, body.unit_id, "unit_id"), priority=body.priority)
    case.light = None
    return Status(201, case)


@router.post("/cases/{int:case_id}/transitions/{action}", response=_DetailOut,
             summary="流转：register/reject/assign/accept/return/submit/close/rework/hang/resume")
def move_case(request, case_id: int, action: str, body: TransitionIn):
    case = _case(request, case_id)
    handler = None
    if body.handler_id is not None:
        handler = User.objects.filter(pk=body.handler_id).first()
        if handler is None:
            raise Invalid(f"找不到人员 {body.handler_id} / unknown user", field="handler_id")
    case = services.transition(
        actor=request.auth, case=case, action=action, reason=body.reason,
        unit=_unit(request, body.unit_id, "unit_id"), lead_unit=_unit(request, body.lead_unit_id, "lead_unit_id"),
        handler=handler, deadline=body.deadline, workdays=body.workdays, plan=body.plan, review_on=body.review_on)
    # After the move the case may have left the actor's scope (e.g. a unit returned it).
    visible = Case.objects.visible_to(request.auth).filter(pk=case.pk).first()
    if visible is None:
        case.light = None
        case.evidence_list, case.timeline_list, case.moves_list, case.workdays_left = [], [], [], None
        return case
    return _detail(request, visible)


@router.post("/cases/{int:case_id}/evidence", response={201: EvidenceOut}, summary="上传照片或材料")
def upload_evidence(request, case_id: int, stage: Form[str], file: File[UploadedFile]):
    case = _case(request, case_id)
    return Status(201, services.evidence_add(actor=request.auth, case=case, stage=stage, upload=file))


@router.get("/evidence/{int:evidence_id}/file", summary="下载照片或材料")
def evidence_file(request, evidence_id: int):
    ev = get_visible(Evidence.objects.select_related("case"), request.auth, pk=evidence_id)
    return FileResponse(ev.file.open("rb"), content_type=ev.content_type, filename=ev.original_name)


@router.post("/cases/{int:case_id}/extensions", response={201: ExtensionOut}, summary="申请延期")
def request_extension(request, case_id: int, body: ExtensionIn):
    case = _case(request, case_id)
    return Status(201, services.extension_request(actor=request.auth, case=case,
                                                  requested_deadline=body.requested_deadline, reason=body.reason))


@router.post("/extensions/{int:extension_id}/decide", response=ExtensionOut, summary="审批延期(指挥部)")
def decide_extension(request, extension_id: int, body: DecisionIn):
    ext = get_visible(ExtensionRequest.objects.select_related("case"), request.auth, pk=extension_id)
    return services.extension_decide(actor=request.auth, extension=ext, approve=body.approve, note=body.note)
