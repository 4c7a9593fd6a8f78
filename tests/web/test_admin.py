"""The Django admin for master data: in Chinese, for administrators only, and every save or delete goes
through the services, so it is validated like the API and recorded in the audit trail."""

from __future__ import annotations

import datetime as dt
import json

import pytest
from django.test import Client

from gongjian.core.models import AuditEvent, HolidayYear
from gongjian.ledger import services
from gongjian.ledger.models import Campaign, Category, EscalationLevel, EscalationRule, Source

pytestmark = pytest.mark.django_db


@pytest.fixture(autouse=True)
def fixed_today(monkeypatch):
    monkeypatch.setattr(services, "today", lambda: dt.date(2026, 6, 1))


@pytest.fixture
def campaign(district):
    return services.campaign_create(
        actor=None, name="污染围城集中整治", serial_prefix="测试整治", command_unit=district.command,
        starts_on=dt.date(2026, 5, 1), categories=[{"name": "垃圾围城", "default_workdays": 3},
                                                   {"name": "扬尘", "default_workdays": 5}],
        escalation=[{"level": EscalationLevel.WARNING, "overdue_workdays": 1}])


def admin_client(district) -> Client:
    c = Client()
    c.force_login(district["admin"])
    return c


def _events(action: str):
    return AuditEvent.objects.filter(action=action)


def test_admin_index_is_chinese_and_lists_the_master_data(district):
    html = admin_client(district).get("/admin/").content.decode()
    assert '<html lang="zh-hans"' in html
    assert "攻坚指挥平台 后台管理" in html
    for label in ("专项行动", "问题类别", "督办升级规则", "单位", "人员", "网格", "节假日安排", "组织机构", "台账"):
        assert label in html, label


@pytest.mark.parametrize("who", ["commander", "handler_a", "leader"])
def test_admin_is_for_administrators_only(district, who):
    c = Client()
    c.force_login(district[who])
    resp = c.get("/admin/ledger/campaign/")
    assert resp.status_code == 302 and resp["Location"].startswith("/admin/login/")


@pytest.mark.parametrize("url", [
    "/admin/ledger/campaign/?q=整治&is_active__exact=1",
    "/admin/ledger/category/?q=垃圾",
    "/admin/ledger/escalationrule/",
    "/admin/org/unit/?q=街道&kind__exact=street",
    "/admin/org/user/?q=t_",
    "/admin/org/grid/",
    "/admin/core/holidayyear/",
    "/admin/ledger/campaign/add/",
    "/admin/ledger/category/add/",
])
def test_admin_lists_search_and_forms_render(district, campaign, url):
    resp = admin_client(district).get(url)
    assert resp.status_code == 200


def test_campaign_change_page_shows_its_categories_and_ladder(district, campaign):
    html = admin_client(district).get(f"/admin/ledger/campaign/{campaign.pk}/change/").content.decode()
    assert "垃圾围城" in html and "扬尘" in html and "预警" in html


def _campaign_form(district, **over) -> dict:
    data = {"name": "秋冬季扬尘治理", "serial_prefix": "扬尘治理", "command_unit": district.command.pk,
            "starts_on": "2026-10-01", "ends_on": "", "description": "", "targets": "", "is_active": "on"}
    for prefix in ("categories", "escalation_rules"):
        data.update({f"{prefix}-TOTAL_FORMS": "0", f"{prefix}-INITIAL_FORMS": "0",
                     f"{prefix}-MIN_NUM_FORMS": "0", f"{prefix}-MAX_NUM_FORMS": "1000"})
    data.update(over)
    return data


def test_adding_a_campaign_goes_through_the_service_and_is_audited(district):
    resp = admin_client(district).post("/admin/ledger/campaign/add/", _campaign_form(district))
    assert resp.status_code == 302
    campaign = Campaign.objects.get(name="秋冬季扬尘治理")
    event = _events("campaign.create").get(object_id=str(campaign.pk))
    assert event.actor_id == district["admin"].pk


def test_a_clashing_serial_prefix_is_an_error_on_its_field_and_nothing_is_written(district, campaign):
    c = admin_client(district)
    before = AuditEvent.objects.count()
    resp = c.post("/admin/ledger/campaign/add/", _campaign_form(district, serial_prefix="测试整治"))
    assert resp.status_code == 200
    errors = resp.context["adminform"].form.errors
    assert "serial_prefix" in errors and "已被专项行动“污染围城集中整治”使用" in errors["serial_prefix"][0]
    assert not Campaign.objects.filter(name="秋冬季扬尘治理").exists()
    assert AuditEvent.objects.count() == before


def test_ends_before_it_starts_is_shown_on_the_end_date(district):
    resp = admin_client(district).post("/admin/ledger/campaign/add/",
                                       _campaign_form(district, ends_on="2026-09-01"))
    assert resp.status_code == 200
    assert "结束日期不能早于开始日期" in resp.context["adminform"].form.errors["ends_on"][0]


def test_serial_prefix_is_fixed_once_the_campaign_has_cases(district, campaign):
    services.case_report(actor=district["grid_worker_a"], campaign=campaign,
                         category=campaign.categories.get(name="垃圾围城"), title="路边垃圾",
                         source=Source.DISTRICT_INSPECTION, lng=113.205, lat=35.205)
    data = _campaign_form(district, name=campaign.name, serial_prefix="新前缀", starts_on="2026-05-01")
    data.update({"categories-TOTAL_FORMS": "2", "categories-INITIAL_FORMS": "2",
                 "escalation_rules-TOTAL_FORMS": "1", "escalation_rules-INITIAL_FORMS": "1"})
    for i, cat in enumerate(campaign.categories.order_by("order", "name")):
        data.update({f"categories-{i}-id": cat.pk, f"categories-{i}-campaign": campaign.pk})
    rule = campaign.escalation_rules.get()
    data.update({"escalation_rules-0-id": rule.pk, "escalation_rules-0-campaign": campaign.pk})
    resp = admin_client(district).post(f"/admin/ledger/campaign/{campaign.pk}/change/", data)
    assert resp.status_code == 200
    assert "已有案件" in resp.context["adminform"].form.errors["serial_prefix"][0]
    campaign.refresh_from_db()
    assert campaign.serial_prefix == "测试整治"


def test_editing_a_campaign_records_before_and_after(district, campaign):
    data = _campaign_form(district, name=campaign.name, serial_prefix="测试整治", starts_on="2026-05-01",
                          targets="年底前清零")
    data.update({"categories-TOTAL_FORMS": "2", "categories-INITIAL_FORMS": "2",
                 "escalation_rules-TOTAL_FORMS": "1", "escalation_rules-INITIAL_FORMS": "1"})
    for i, cat in enumerate(campaign.categories.order_by("order", "name")):
        data.update({f"categories-{i}-id": cat.pk, f"categories-{i}-campaign": campaign.pk})
    rule = campaign.escalation_rules.get()
    data.update({"escalation_rules-0-id": rule.pk, "escalation_rules-0-campaign": campaign.pk})
    resp = admin_client(district).post(f"/admin/ledger/campaign/{campaign.pk}/change/", data)
    assert resp.status_code == 302, resp.context["adminform"].form.errors if resp.context else resp
    event = _events("campaign.update").get()
    assert json.loads(event.before)["targets"] == "" and json.loads(event.after)["targets"] == "年底前清零"
    assert event.actor_id == district["admin"].pk


def test_adding_a_category_and_a_duplicate_name(district, campaign):
    c = admin_client(district)
    garbage = campaign.categories.get(name="垃圾围城")
    form = {"campaign": campaign.pk, "parent": garbage.pk, "name": "建筑垃圾", "default_workdays": "3", "order": "0"}
    assert c.post("/admin/ledger/category/add/", form).status_code == 302
    made = Category.objects.get(name="建筑垃圾")
    assert made.parent == garbage
    assert _events("category.create").get().object_id == str(made.pk)
    resp = c.post("/admin/ledger/category/add/", form)
    assert resp.status_code == 200
    assert "同一上级下已有类别“建筑垃圾”" in resp.context["adminform"].form.errors["name"][0]
    assert Category.objects.filter(name="建筑垃圾").count() == 1


def test_a_category_cannot_sit_under_its_own_child(district, campaign):
    garbage = campaign.categories.get(name="垃圾围城")
    child = services.category_create(actor=district["admin"], campaign=campaign, parent=garbage, name="建筑垃圾")
    resp = admin_client(district).post(f"/admin/ledger/category/{garbage.pk}/change/", {
        "parent": child.pk, "name": "垃圾围城", "default_workdays": "3", "order": "0"})
    assert resp.status_code == 200
    assert "不能把类别放到它自己或它的下级之下" in resp.context["adminform"].form.errors["parent"][0]
    garbage.refresh_from_db()
    assert garbage.parent is None


def test_changing_a_category_deadline_is_audited(district, campaign):
    dust = campaign.categories.get(name="扬尘")
    resp = admin_client(district).post(f"/admin/ledger/category/{dust.pk}/change/", {
        "parent": "", "name": "扬尘", "default_workdays": "7", "order": str(dust.order)})
    assert resp.status_code == 302
    dust.refresh_from_db()
    assert dust.default_workdays == 7
    event = _events("category.update").get()
    assert (json.loads(event.before)["default_workdays"], json.loads(event.after)["default_workdays"]) == (5, 7)


def test_a_category_with_cases_is_not_deleted(district, campaign):
    garbage = campaign.categories.get(name="垃圾围城")
    case = services.case_report(actor=district["grid_worker_a"], campaign=campaign, category=garbage,
                                title="路边垃圾", source=Source.DISTRICT_INSPECTION, lng=113.205, lat=35.205)
    c = admin_client(district)
    resp = c.post(f"/admin/ledger/category/{garbage.pk}/delete/", {"post": "yes"}, follow=True)
    assert resp.status_code == 200
    html = resp.content.decode()
    assert "无法删除" in html and case.serial in html  # the admin names the cases that keep it
    assert Category.objects.filter(pk=garbage.pk).exists()
    assert not _events("category.delete").exists()


def test_deleting_an_unused_category_is_audited(district, campaign):
    dust = campaign.categories.get(name="扬尘")
    resp = admin_client(district).post(f"/admin/ledger/category/{dust.pk}/delete/", {"post": "yes"})
    assert resp.status_code == 302
    assert not Category.objects.filter(pk=dust.pk).exists()
    assert json.loads(_events("category.delete").get().before)["name"] == "扬尘"


def test_escalation_rules_are_set_through_the_service(district, campaign):
    c = admin_client(district)
    resp = c.post("/admin/ledger/escalationrule/add/", {
        "campaign": campaign.pk, "level": EscalationLevel.LISTED, "overdue_workdays": "3", "notify_leader": "on"})
    assert resp.status_code == 302
    rule = EscalationRule.objects.get(campaign=campaign, level=EscalationLevel.LISTED)
    assert rule.notify_leader and rule.overdue_workdays == 3
    assert _events("escalation_rule.set").get().actor_id == district["admin"].pk
    resp = c.post("/admin/ledger/escalationrule/add/", {
        "campaign": campaign.pk, "level": EscalationLevel.LISTED, "overdue_workdays": "4"})
    assert resp.status_code == 200 and "已有这一等级的规则" in resp.context["adminform"].form.errors["level"][0]


def test_holiday_years_are_managed_in_the_admin(district):
    html = admin_client(district).get("/admin/core/holidayyear/").content.decode()
    assert HolidayYear.objects.exists()
    assert "节假日安排" in html and str(HolidayYear.objects.order_by("-year").first().year) in html


@pytest.mark.parametrize("url", ["/admin/org/unit/", "/admin/org/user/", "/admin/org/leaderassignment/",
                                 "/admin/ledger/category/", "/admin/ledger/campaign/"])
def test_admin_lists_do_not_query_per_row(district, campaign, url, django_assert_max_num_queries):
    from gongjian.org import services as org_services
    from tests.factories import make_unit, make_user

    c = admin_client(district)
    c.get(url)  # warm up (session, content types)
    with django_assert_max_num_queries(12):
        c.get(url)
    for i in range(15):
        unit = make_unit(f"加测社区{i}", parent=district.street_a)
        make_user(unit, "handler", username=f"extra{i}")
        org_services.leader_assign(actor=None, leader=district["leader"], unit=unit)
        services.category_create(actor=None, campaign=campaign, name=f"加测类别{i}",
                                 parent=campaign.categories.get(name="扬尘"))
    with django_assert_max_num_queries(12):
        c.get(url)
