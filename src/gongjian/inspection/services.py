"""Every write on inspections: recording one, and adding what it found (each finding a case)."""

from __future__ import annotations

import datetime as dt

from django.db import transaction
from django.utils import timezone

from gongjian.core import audit
from gongjian.core.errors import Forbidden, Invalid
from gongjian.inspection.models import SOURCE_OF_KIND, Finding, Inspection, InspectionKind
from gongjian.ledger import flows
from gongjian.ledger import services as ledger_services
from gongjian.ledger.models import Campaign, Category, EvidenceStage, Priority
from gongjian.org.models import Role, Unit


def may_inspect(actor) -> bool:
    return actor is None or (actor.is_active and (flows.is_dispatcher(actor) or actor.has_role(Role.INSPECTOR)))


@transaction.atomic
def inspection_create(*, actor, kind: str, campaign: Campaign, title: str, starts_at: dt.datetime,
                      ends_at: dt.datetime, unit: Unit | None = None, lead=None, inspectors=(),
                      other_inspectors: str = "", places: str | list[str] = "", summary: str = "") -> Inspection:
    if not may_inspect(actor):
        raise Forbidden("只有督查员或指挥部可以录入督查 / only inspectors and the command post record inspections")
    if kind not in InspectionKind.values:
        raise Invalid(f"督查类型“{kind}”无效，可选：{'、'.join(InspectionKind.labels)} / unknown kind", field="kind")
    title = (title or "").strip()
    if not title:
        raise Invalid("督查名称不能为空 / title is required", field="title")
    if ends_at < starts_at:
        raise Invalid(f"结束时间 {timezone.localtime(ends_at):%Y-%m-%d %H:%M} 早于开始时间 / ends before it starts",
                      field="ends_at")
    if ends_at - starts_at > dt.timedelta(days=31):
        raise Invalid("一次督查不能超过31天，请分次录入 / an inspection lasts at most 31 days", field="ends_at")
    unit = unit or getattr(actor, "unit", None) or campaign.command_unit
    if isinstance(places, list | tuple):
        places = "\n".join(p.strip() for p in places if p and p.strip())
    inspection = Inspection.objects.create(
        kind=kind, campaign=campaign, title=title[:200], unit=unit, starts_at=starts_at, ends_at=ends_at,
        lead=lead, other_inspectors=other_inspectors.strip()[:200], places=places.strip(),
        summary=summary.strip(), created_by=actor)
    people = list(inspectors)
    if lead is not None and lead not in people:
        people.insert(0, lead)
    inspection.inspectors.set(people)
    audit.record(actor=actor, action="inspection.create", obj=inspection,
                 after={"kind": kind, "title": inspection.title, "starts_at": starts_at, "ends_at": ends_at,
                        "inspectors": [u.pk for u in people], "places": inspection.place_list()})
    return inspection


@transaction.atomic
def finding_add(*, actor, inspection: Inspection, category: Category, title: str, description: str = "",
                place: str = "", address: str = "", lng: float | None = None, lat: float | None = None,
                unit: Unit | None = None, priority: str = Priority.NORMAL, photos=()) -> Finding:
    """A problem found on the inspection: reported on the ledger with the inspection's source, at the
    time the inspection ended (or now, if it is still going on), with its before-photos."""
    if not may_inspect(actor):
        raise Forbidden("只有督查员或指挥部可以录入督查发现的问题 / not permitted")
    photos = list(photos)
    # Every photo is checked before the case exists: a bad photo leaves no case and no stored file.
    ledger_services._check_photos(EvidenceStage.BEFORE, photos)
    found_at = min(inspection.ends_at, timezone.now())
    case = ledger_services.case_report(
        actor=actor, campaign=inspection.campaign, category=category, title=title,
        source=SOURCE_OF_KIND[inspection.kind], description=description, address=address or place, lng=lng, lat=lat,
        unit=unit, priority=priority, reported_at=found_at)
    for photo in photos:
        ledger_services.evidence_add(actor=actor, case=case, stage="before", upload=photo)
    finding = Finding.objects.create(inspection=inspection, case=case, place=(place or address).strip()[:200])
    audit.record(actor=actor, action="inspection.finding_add", obj=inspection,
                 after={"case": case.pk, "serial": case.serial, "place": finding.place})
    return finding
