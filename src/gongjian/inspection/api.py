"""REST endpoints of inspections. Thin: scope, call a service, shape the answer."""

from __future__ import annotations

from ninja import Router, Status

from gongjian.core.errors import Invalid
from gongjian.core.scoping import get_visible
from gongjian.inspection import selectors, services
from gongjian.inspection.schemas import FindingIn, FindingOut, InspectionIn, InspectionOut
from gongjian.ledger import selectors as ledger_selectors
from gongjian.ledger.models import Category
from gongjian.org.models import Unit, User

router = Router(tags=["督查 / inspections"])


@router.get("", response=list[InspectionOut], summary="督查记录(本人范围内，最近的在前)")
def list_inspections(request, kind: str | None = None, limit: int = 100):
    qs = selectors.inspections_visible(request.auth)
    if kind:
        qs = qs.filter(kind=kind)
    return qs[:max(1, min(limit, 500))]


@router.post("", response={201: InspectionOut}, summary="录入一次督查(督查员、指挥部)")
def create(request, body: InspectionIn):
    campaign = ledger_selectors.campaigns_visible(request.auth).filter(pk=body.campaign_id).first()
    if campaign is None:
        raise Invalid(f"找不到专项行动 {body.campaign_id} / unknown campaign", field="campaign_id")
    people = list(User.objects.filter(pk__in=body.inspector_ids, is_active=True))
    if len(people) != len(set(body.inspector_ids)):
        raise Invalid("督查人员中有不存在或已停用的账号 / unknown inspector", field="inspector_ids")
    inspection = services.inspection_create(
        actor=request.auth, kind=body.kind, campaign=campaign, title=body.title, starts_at=body.starts_at,
        ends_at=body.ends_at, lead=request.auth, inspectors=people, other_inspectors=body.other_inspectors,
        places=body.places, summary=body.summary)
    return Status(201, inspection)


@router.post("/{int:inspection_id}/findings", response={201: FindingOut}, summary="录入督查发现的问题(即上报为案件)")
def add_finding(request, inspection_id: int, body: FindingIn):
    inspection = get_visible(selectors.inspections_visible(request.auth), request.auth, pk=inspection_id)
    category = Category.objects.filter(pk=body.category_id, campaign=inspection.campaign).first()
    if category is None:
        raise Invalid(f"类别 {body.category_id} 不属于该专项行动 / unknown category", field="category_id")
    unit = None
    if body.unit_id is not None:
        unit = Unit.objects.filter(pk=body.unit_id).first()
        if unit is None:
            raise Invalid(f"找不到单位 {body.unit_id} / unknown unit", field="unit_id")
    finding = services.finding_add(
        actor=request.auth, inspection=inspection, category=category, title=body.title,
        description=body.description, place=body.place, address=body.address, lng=body.lng, lat=body.lat,
        unit=unit, priority=body.priority)
    return Status(201, finding)
