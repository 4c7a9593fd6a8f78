"""Daily figures: one report per unit and day, validated, a second one replaces the first (audited)."""

from __future__ import annotations

import datetime as dt
from decimal import Decimal

import pytest

from gongjian.core import audit
from gongjian.core.errors import Forbidden, Invalid
from gongjian.core.models import AuditEvent
from gongjian.reporting import selectors, services
from gongjian.reporting.models import DailyFigure, DailyReport
from tests.ledger.conftest import TODAY

pytestmark = pytest.mark.django_db


def submit(ledger, actor_key="handler_a", unit=None, date=TODAY, figures=None, text=""):
    return services.daily_report_submit(
        actor=ledger.d[actor_key], unit=unit or ledger.d.street_a, date=date, text=text,
        figures=figures if figures is not None else [{"metric": "personnel", "value": 120},
                                                     {"metric": "garbage", "value": "35.5", "approx": True}])


def values(report) -> dict[str, Decimal]:
    return {f.metric.code: f.value for f in report.figures.select_related("metric")}


def test_a_handler_submits_their_streets_figures(ledger):
    report = submit(ledger, text="出动120人次，清运垃圾35.5立方米")
    assert values(report) == {"personnel": Decimal("120"), "garbage": Decimal("35.5")}
    assert report.figures.get(metric__code="garbage").approx
    event = AuditEvent.objects.filter(action="daily_report.submit").last()
    assert event.object_id == str(report.pk)
    assert audit.verify().ok


def test_a_second_submission_replaces_the_first_and_both_are_audited(ledger):
    first = submit(ledger)
    second = submit(ledger, figures=[{"metric": "personnel", "value": 130}])
    assert first.pk == second.pk and second.revision == 1
    assert values(second) == {"personnel": Decimal("130")}
    assert DailyReport.objects.count() == 1 and DailyFigure.objects.count() == 1
    event = AuditEvent.objects.filter(action="daily_report.replace").last()
    assert '"personnel":"120.00"' in event.before.replace(" ", "") and '"garbage"' in event.before
    assert '"personnel":"130"' in event.after.replace(" ", "")


@pytest.mark.parametrize("figures, field, words", [
    ([{"metric": "garbage", "value": -5}], "figures[0].value", "不能为负"),
    ([{"metric": "garbage", "value": 1_000_000_000}], "figures[0].value", "超过单日上限"),
    ([{"metric": "garbage", "value": "三十"}], "figures[0].value", "不是数字"),
    ([{"metric": "garbage", "value": "NaN"}], "figures[0].value", "不是数字"),
    ([{"metric": "garbage", "value": "1.234"}], "figures[0].value", "两位小数"),
    ([{"metric": "nope", "value": 1}], "figures[0].metric", "未知指标"),
    ([{"metric": "garbage", "value": 1}, {"metric": "garbage", "value": 2}], "figures[1].metric", "填了两次"),
    ([], "figures", "没有填写"),
])
def test_bad_figures_are_refused_and_nothing_changes(ledger, figures, field, words):
    kept = submit(ledger)
    with pytest.raises(Invalid) as err:
        submit(ledger, figures=figures)
    assert err.value.field == field and words in err.value.message
    assert values(kept) == values(DailyReport.objects.get())  # the earlier submission is untouched


def test_a_day_in_the_future_is_refused(ledger):
    with pytest.raises(Invalid) as err:
        submit(ledger, date=TODAY + dt.timedelta(days=1))
    assert err.value.field == "date" and "未来" in err.value.message


def test_who_may_submit_for_which_unit(ledger):
    with pytest.raises(Forbidden):
        submit(ledger, actor_key="handler_b", unit=ledger.d.street_a)  # another street
    with pytest.raises(Forbidden):
        submit(ledger, actor_key="viewer_a")                           # read-only
    assert submit(ledger, actor_key="commander", unit=ledger.d.street_b).unit == ledger.d.street_b
    with pytest.raises(Invalid):
        submit(ledger, actor_key="commander", unit=ledger.d.community_a)  # communities do not report


def test_missing_units_and_the_table_of_the_day(ledger):
    submit(ledger)
    missing = selectors.missing_units(ledger.d["commander"], TODAY)
    assert ledger.d.street_a not in missing and ledger.d.street_b in missing and ledger.d.bureau in missing
    # a handler of street B sees only their own street
    assert selectors.missing_units(ledger.d["handler_b"], TODAY) == [ledger.d.street_b]
    _, rows, totals = selectors.figures_table(ledger.d["commander"], TODAY)
    assert [u for u, _ in rows] == [ledger.d.street_a]
    assert totals == {"personnel": Decimal("120"), "garbage": Decimal("35.5")}
    assert selectors.figures_table(ledger.d["handler_b"], TODAY)[1] == []


def test_extraction_uses_the_database_catalogue(ledger):
    found = services.extract_figures("累计出动500余人次,车辆40余车次,清理建筑垃圾5000余立方米，覆盖裸土3000平方米")
    assert [(f["metric"], f["value"]) for f in found] == [
        ("personnel", 500), ("vehicles", 40), ("construction_waste", 5000), ("dust_net", 3000)]


def test_the_admin_extends_the_catalogue_and_it_is_audited(ledger):
    from django.test import Client

    from gongjian.reporting.models import Metric

    admin = Client()
    admin.force_login(ledger.d["admin"])
    r = admin.post("/admin/reporting/metric/add/", {
        "code": "oil_fume", "name": "整治油烟", "unit": "家", "units": "家 户", "keywords": "油烟 饭店 烧烤",
        "verbs": "", "max_value": "1000", "order": "100", "is_active": "on"})
    assert r.status_code == 302, r.content.decode()[:500]
    assert Metric.objects.get(code="oil_fume").name == "整治油烟"
    assert AuditEvent.objects.filter(action="metric.create").exists()
    found = services.extract_figures("整治饭店油烟12家")
    assert [(f["metric"], f["value"]) for f in found] == [("oil_fume", 12)]
    r = admin.post("/admin/reporting/metric/add/", {"code": "bad", "name": "坏", "unit": "个", "max_value": "0",
                                                    "order": "1"})
    assert r.status_code == 200 and "单日上限必须大于 0" in r.content.decode()
    handler = Client()
    handler.force_login(ledger.d["handler_a"])
    assert handler.get("/admin/reporting/metric/").status_code in (302, 403)
