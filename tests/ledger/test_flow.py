"""The closed loop through the services: every move allowed and refused, with what each needs."""

from __future__ import annotations

import datetime as dt

import pytest

from gongjian.core import audit
from gongjian.core.errors import Conflict, Forbidden, Invalid
from gongjian.core.models import AuditEvent
from gongjian.ledger import flows, services
from gongjian.ledger.models import Case, CaseKind, Source, Status
from tests.factories import make_user
from tests.ledger.conftest import TODAY, jpeg

pytestmark = pytest.mark.django_db


def test_report_finds_grid_and_unit_from_the_point(ledger):
    case = ledger.report(lng=113.205, lat=35.205)
    assert case.status == Status.REPORTED
    assert case.grid == ledger.d.grid_a and case.unit == ledger.d.community_a
    assert case.reporter_unit == ledger.d.community_a
    assert case.serial == f"测试整治〔{case.year}〕0001"
    assert ledger.report().serial.endswith("0002")
    ev = AuditEvent.objects.filter(action="case.report", object_id=str(case.pk)).get()
    assert ev.actor_id == ledger.d["grid_worker_a"].pk


def test_report_outside_any_grid_leaves_unit_empty(ledger):
    case = ledger.report(lng=100.0, lat=30.0)
    assert case.grid is None and case.unit is None


def test_report_bad_input(ledger):
    with pytest.raises(Invalid) as e:
        ledger.report(title="  ")
    assert e.value.field == "title"
    with pytest.raises(Invalid) as e:
        ledger.report(lng=113.2)
    assert e.value.field == "lng"
    with pytest.raises(Invalid):
        ledger.report(source="gossip")
    other = services.campaign_create(actor=None, name="另一行动", serial_prefix="另", command_unit=ledger.d.command,
                                     starts_on=TODAY, categories=[{"name": "油烟"}])
    with pytest.raises(Invalid) as e:
        ledger.report(category=other.categories.get())
    assert e.value.field == "category"


def test_planned_tasks_come_from_the_command_post_registered(ledger):
    task = ledger.report(actor=ledger.d["commander"], kind=CaseKind.TASK, source=Source.PLAN, unit=ledger.d.street_a)
    assert task.status == Status.REGISTERED
    with pytest.raises(Forbidden):
        ledger.report(actor=ledger.d["handler_a"], kind=CaseKind.TASK, source=Source.PLAN)


def test_full_loop_and_the_chain_still_verifies(ledger):
    d = ledger.d
    case = ledger.report(lng=113.205, lat=35.205)
    case = services.transition(actor=d["commander"], case=case, action="register")
    case = services.transition(actor=d["commander"], case=case, action="assign", workdays=3)
    assert (case.status, case.assigned_on, case.deadline) == (Status.ASSIGNED, TODAY, dt.date(2026, 6, 4))
    assert case.warn_on == dt.date(2026, 6, 4)  # ceil(0.8 * 3) = 3 working days
    case = services.transition(actor=d["handler_a"], case=case, action="accept")
    assert case.status == Status.RECTIFYING and case.handler == d["handler_a"]
    services.evidence_add(actor=d["handler_a"], case=case, stage="before", upload=jpeg("before.jpg"))
    services.evidence_add(actor=d["handler_a"], case=case, stage="after", upload=jpeg("after.jpg"))
    case = services.transition(actor=d["handler_a"], case=case, action="submit")
    assert case.status == Status.SUBMITTED and case.submitted_on_time is True
    case = services.transition(actor=d["inspector"], case=case, action="close")
    assert case.status == Status.CLOSED and case.closed_by == d["inspector"] and case.closed_on_time is True
    actions = [e.action for e in audit.timeline(case)]
    assert actions == ["case.report", "case.register", "case.assign", "case.accept", "case.evidence_add",
                       "case.evidence_add", "case.submit", "case.close"]
    assert audit.verify().ok


def test_default_deadline_comes_from_the_category_in_working_days(ledger):
    case = services.transition(actor=None, case=ledger.report(category=ledger.dust, unit=ledger.d.street_a),
                               action="register")
    case = services.transition(actor=ledger.d["commander"], case=case, action="assign")
    assert case.deadline == dt.date(2026, 6, 8)  # 5 working days after Monday 1 June: next Monday


def test_deadline_before_the_assignment_is_refused(ledger):
    case = services.transition(actor=None, case=ledger.report(unit=ledger.d.street_a), action="register")
    with pytest.raises(Invalid) as e:
        services.transition(actor=ledger.d["commander"], case=case, action="assign", deadline=TODAY - dt.timedelta(1))
    assert e.value.field == "deadline" and "早于" in e.value.message
    assert Case.objects.get(pk=case.pk).status == Status.REGISTERED


def test_deadline_in_a_year_without_schedule_names_the_year(ledger):
    case = services.transition(actor=None, case=ledger.report(unit=ledger.d.street_a), action="register")
    with pytest.raises(Invalid) as e:
        services.transition(actor=ledger.d["commander"], case=case, action="assign", workdays=600)
    assert "2027" in e.value.message or "2028" in e.value.message
    assert Case.objects.get(pk=case.pk).status == Status.REGISTERED


def test_assign_needs_a_unit(ledger):
    case = services.transition(actor=None, case=ledger.report(lng=100.0, lat=30.0), action="register")
    with pytest.raises(Invalid) as e:
        services.transition(actor=ledger.d["commander"], case=case, action="assign")
    assert e.value.field == "unit"


# --------------------------------------------------------------- every move refused from every wrong status


def _case_in(ledger, status) -> Case:
    case = ledger.report(lng=113.205, lat=35.205)
    Case.objects.filter(pk=case.pk).update(status=status, deadline=TODAY + dt.timedelta(5), assigned_on=TODAY,
                                           warn_on=TODAY + dt.timedelta(4))
    return Case.objects.get(pk=case.pk)


WRONG = [(move.action, status) for move in flows.MOVES.values() for status in Status.values
         if status not in move.sources]


@pytest.mark.parametrize(("action", "status"), WRONG)
def test_illegal_moves_are_conflicts_and_change_nothing(ledger, action, status):
    case = _case_in(ledger, status)
    events = AuditEvent.objects.count()
    with pytest.raises(Conflict) as e:
        services.transition(actor=None, case=case, action=action, reason="理由", plan="计划",
                            review_on=TODAY + dt.timedelta(30))
    assert Status(status).label in e.value.message
    assert Case.objects.get(pk=case.pk).status == status
    assert AuditEvent.objects.count() == events


def test_unknown_action_is_invalid(ledger):
    with pytest.raises(Invalid):
        services.transition(actor=None, case=ledger.report(), action="teleport")


# --------------------------------------------------------------- who may make each move


def test_only_dispatchers_register_reject_assign(ledger):
    d = ledger.d
    case = ledger.report(lng=113.205, lat=35.205)
    for who in ("handler_a", "inspector", "grid_worker_a", "leader", "viewer_a"):
        with pytest.raises(Forbidden):
            services.transition(actor=d[who], case=case, action="register")
    services.transition(actor=d["admin"], case=case, action="register")


def test_only_the_units_handler_accepts_returns_submits(ledger):
    d = ledger.d
    case = ledger.assigned()
    for who in ("handler_b", "grid_worker_a", "inspector", "viewer_a"):
        with pytest.raises(Forbidden):
            services.transition(actor=d[who], case=case, action="accept")
    # The street's handler answers for its community's case.
    assert services.transition(actor=d["handler_a"], case=case, action="accept").status == Status.RECTIFYING


def test_a_verifier_from_the_responsible_unit_cannot_close(ledger):
    d = ledger.d
    case = ledger.submitted()
    street_inspector = make_user(d.street_a, "inspector")
    community_inspector = make_user(d.community_a, "inspector")
    for who in (street_inspector, community_inspector, d["handler_a"], d["grid_worker_a"]):
        with pytest.raises(Forbidden):
            services.transition(actor=who, case=case, action="close")
    other_street_inspector = make_user(d.street_b, "inspector")
    assert services.transition(actor=other_street_inspector, case=case, action="close").status == Status.CLOSED


def test_reasons_are_required(ledger):
    d = ledger.d
    with pytest.raises(Invalid) as e:
        services.transition(actor=d["commander"], case=ledger.report(), action="reject", reason=" ")
    assert e.value.field == "reason"
    case = ledger.assigned()
    with pytest.raises(Invalid):
        services.transition(actor=d["handler_a"], case=case, action="return")
    case = services.transition(actor=d["handler_a"], case=case, action="return", reason="不属于本社区")
    assert case.status == Status.RETURNED and case.return_count == 1
    # The dispatcher gives it to the right unit.
    case = services.transition(actor=d["commander"], case=case, action="assign", unit=d.community_b, workdays=2)
    assert case.unit == d.community_b and case.status == Status.ASSIGNED


def test_rework_is_counted_and_goes_back_to_rectifying(ledger):
    d = ledger.d
    case = ledger.submitted()
    with pytest.raises(Invalid):
        services.transition(actor=d["inspector"], case=case, action="rework")
    case = services.transition(actor=d["inspector"], case=case, action="rework", reason="仍有残留垃圾")
    assert case.status == Status.RECTIFYING and case.rework_count == 1
    ev = AuditEvent.objects.filter(action="case.rework").get()
    assert ev.reason == "仍有残留垃圾"


def test_submit_and_close_need_after_evidence(ledger):
    d = ledger.d
    case = services.transition(actor=d["handler_a"], case=ledger.assigned(), action="accept")
    services.evidence_add(actor=d["handler_a"], case=case, stage="before", upload=jpeg())
    with pytest.raises(Invalid) as e:
        services.transition(actor=d["handler_a"], case=case, action="submit")
    assert e.value.field == "evidence"
    Case.objects.filter(pk=case.pk).update(status=Status.SUBMITTED)  # as if it slipped through
    with pytest.raises(Invalid):
        services.transition(actor=d["inspector"], case=case, action="close")


def test_long_term_and_resume(ledger):
    d = ledger.d
    case = ledger.assigned()
    with pytest.raises(Invalid):
        services.transition(actor=d["commander"], case=case, action="hang", plan="", review_on=TODAY)
    case = services.transition(actor=d["commander"], case=case, action="hang", plan="年内完成搬迁",
                               review_on=dt.date(2026, 9, 1))
    assert case.status == Status.LONG_TERM and case.long_term_review_on == dt.date(2026, 9, 1)
    case = services.transition(actor=d["commander"], case=case, action="resume")
    assert case.status == Status.RECTIFYING


# --------------------------------------------------------------- extensions


def test_extension_request_and_approval(ledger):
    d = ledger.d
    case = ledger.assigned()
    with pytest.raises(Invalid):
        services.extension_request(actor=d["handler_a"], case=case, requested_deadline=case.deadline, reason="x")
    ext = services.extension_request(actor=d["handler_a"], case=case, requested_deadline=dt.date(2026, 6, 12),
                                     reason="雨天无法清运")
    with pytest.raises(Conflict):
        services.extension_request(actor=d["handler_a"], case=case, requested_deadline=dt.date(2026, 6, 15),
                                   reason="再延")
    with pytest.raises(Forbidden):
        services.extension_decide(actor=d["handler_a"], extension=ext, approve=True)
    services.extension_decide(actor=d["commander"], extension=ext, approve=True, note="同意")
    case.refresh_from_db()
    assert case.deadline == dt.date(2026, 6, 12) and case.extension_count == 1
    with pytest.raises(Conflict):
        services.extension_decide(actor=d["commander"], extension=ext, approve=False)


def test_refused_extension_keeps_the_deadline(ledger):
    d = ledger.d
    case = ledger.assigned()
    ext = services.extension_request(actor=d["handler_a"], case=case, requested_deadline=dt.date(2026, 6, 30),
                                     reason="工程量大")
    services.extension_decide(actor=d["commander"], extension=ext, approve=False, note="不同意")
    case.refresh_from_db()
    assert case.deadline == dt.date(2026, 6, 4) and case.extension_count == 0
