"""Services for the ledger's master data (the admin pages call them): who may, what is refused."""

from __future__ import annotations

import pytest

from gongjian.core.errors import Conflict, Forbidden, Invalid
from gongjian.core.models import AuditEvent
from gongjian.ledger import services
from gongjian.ledger.models import EscalationLevel

pytestmark = pytest.mark.django_db


@pytest.mark.parametrize("who", ["handler_a", "inspector", "grid_worker_a", "viewer_a", "bureau_leader"])
def test_only_dispatchers_change_master_data(ledger, who):
    actor = ledger.d[who]
    before = AuditEvent.objects.count()
    with pytest.raises(Forbidden):
        services.campaign_update(actor=actor, campaign=ledger.campaign, targets="x")
    with pytest.raises(Forbidden):
        services.category_create(actor=actor, campaign=ledger.campaign, name="油烟")
    with pytest.raises(Forbidden):
        services.category_update(actor=actor, category=ledger.dust, default_workdays=9)
    with pytest.raises(Forbidden):
        services.escalation_rule_set(actor=actor, campaign=ledger.campaign, level=EscalationLevel.WARNING,
                                     overdue_workdays=2)
    assert AuditEvent.objects.count() == before


def test_commander_changes_categories(ledger):
    cat = services.category_create(actor=ledger.d["commander"], campaign=ledger.campaign, name="油烟",
                                   default_workdays=2)
    services.category_update(actor=ledger.d["commander"], category=cat, name="餐饮油烟")
    cat.refresh_from_db()
    assert cat.name == "餐饮油烟"
    assert list(AuditEvent.objects.filter(object_type="ledger.category", object_id=str(cat.pk))
                .values_list("action", flat=True)) == ["category.create", "category.update"]


@pytest.mark.parametrize(("changes", "error", "field"), [
    ({"name": "  "}, Invalid, "name"),
    ({"name": "扬尘"}, Conflict, "name"),
    ({"default_workdays": 0}, Invalid, "default_workdays"),
    ({"default_workdays": 400}, Invalid, "default_workdays"),
    ({"campaign": None}, Invalid, None),
])
def test_bad_category_changes_are_refused_and_change_nothing(ledger, changes, error, field):
    with pytest.raises(error) as exc:
        services.category_update(actor=ledger.d["commander"], category=ledger.garbage, **changes)
    assert exc.value.field == field
    ledger.garbage.refresh_from_db()
    assert (ledger.garbage.name, ledger.garbage.default_workdays) == ("垃圾围城", 3)


def test_a_parent_from_another_campaign_is_refused(ledger):
    other = services.campaign_create(actor=None, name="另一行动", serial_prefix="另一", starts_on=ledger.campaign.starts_on,
                                     command_unit=ledger.d.command, categories=[{"name": "其他"}])
    with pytest.raises(Invalid) as exc:
        services.category_update(actor=ledger.d["commander"], category=ledger.dust,
                                 parent=other.categories.get())
    assert exc.value.field == "parent"


def test_campaign_update_checks_names_dates_and_fields(ledger):
    commander = ledger.d["commander"]
    with pytest.raises(Invalid):
        services.campaign_update(actor=commander, campaign=ledger.campaign, ends_on=ledger.campaign.starts_on.replace(
            month=1))
    with pytest.raises(Invalid):
        services.campaign_update(actor=commander, campaign=ledger.campaign, created_at=None)
    services.campaign_update(actor=commander, campaign=ledger.campaign, is_active=False)
    ledger.campaign.refresh_from_db()
    assert ledger.campaign.is_active is False


def test_escalation_rule_levels_are_checked(ledger):
    with pytest.raises(Invalid):
        services.escalation_rule_set(actor=ledger.d["commander"], campaign=ledger.campaign,
                                     level=EscalationLevel.NONE, overdue_workdays=1)
    with pytest.raises(Invalid):
        services.escalation_rule_set(actor=ledger.d["commander"], campaign=ledger.campaign, level=99,
                                     overdue_workdays=1)
    rule = services.escalation_rule_set(actor=ledger.d["commander"], campaign=ledger.campaign,
                                        level=EscalationLevel.WARNING, overdue_workdays=2)
    assert rule.overdue_workdays == 2 and ledger.campaign.escalation_rules.count() == 4
