"""The daily-figures pages (/daily/, /daily/overview/) and the documents page (/documents/): who may see
what, what a bad input says, and that a refused save stores nothing."""

from __future__ import annotations

import datetime as dt
from decimal import Decimal

import pytest
from django.db import connection
from django.test import Client
from django.test.utils import CaptureQueriesContext
from django.urls import reverse

from gongjian.org.models import UnitKind
from gongjian.reporting import services
from gongjian.reporting.models import DailyFigure, DailyReport, Document, DocumentKind
from gongjian.standards import gbt9704
from tests.factories import make_unit
from tests.ledger.conftest import TODAY

pytestmark = pytest.mark.django_db


@pytest.fixture(autouse=True)
def no_libreoffice(monkeypatch):
    """The machine's LibreOffice is the outside world here: these tests run as on a server without it
    (and stay fast); the PDF copies themselves are tested in test_documents.py."""
    monkeypatch.setattr(gbt9704, "libreoffice", lambda: None)

DAILY = reverse("reporting:daily")
EXTRACT = reverse("reporting:daily_extract")
OVERVIEW = reverse("reporting:overview")
DOCUMENTS = reverse("reporting:documents")
GENERATE = reverse("reporting:documents_generate")


def client_for(user=None) -> Client:
    c = Client()
    if user is not None:
        c.force_login(user)
    return c


def save(c, unit, day=TODAY, text="", **figures):
    data = {"unit": unit.pk, "date": day.isoformat(), "text": text, "action": "save"}
    data.update({f"m-{code}": value for code, value in figures.items()})
    return c.post(DAILY, data)


def stored(unit, day=TODAY) -> dict[str, Decimal]:
    return dict(DailyFigure.objects.filter(report__unit=unit, report__date=day)
                .values_list("metric__code", "value"))


# ----------------------------------------------------------------- permission matrix


@pytest.mark.parametrize("url", [DAILY, OVERVIEW, DOCUMENTS])
def test_anonymous_is_sent_to_login(ledger, url):
    resp = client_for().get(url)
    assert resp.status_code == 302 and resp.url.startswith("/login/")


@pytest.mark.parametrize("who", ["grid_worker_a", "viewer_a", "bureau_leader"])
def test_people_who_do_not_report_are_refused_the_form(ledger, who):
    assert client_for(ledger.d[who]).get(DAILY).status_code == 403
    assert save(client_for(ledger.d[who]), ledger.d.street_a, personnel="5").status_code == 403
    assert not DailyReport.objects.exists()


@pytest.mark.parametrize("who", ["inspector", "leader"])
def test_district_readers_who_do_not_report_are_sent_to_the_overview(ledger, who):
    c = client_for(ledger.d[who])
    resp = c.get(DAILY)
    assert resp.status_code == 302 and resp.url == OVERVIEW
    assert save(c, ledger.d.street_a, personnel="5").status_code == 403
    assert not DailyReport.objects.exists()


def test_another_streets_form_is_not_found(ledger):
    d = ledger.d
    c = client_for(d["handler_a"])
    assert c.get(DAILY, {"unit": d.street_b.pk}).status_code == 404
    assert save(c, d.street_b, personnel="5").status_code == 404
    assert not DailyReport.objects.exists()


@pytest.mark.parametrize("who", ["handler_a", "grid_worker_a", "bureau_leader"])
def test_overview_is_for_district_level_readers(ledger, who):
    assert client_for(ledger.d[who]).get(OVERVIEW).status_code == 403


@pytest.mark.parametrize("who", ["commander", "leader", "inspector", "admin"])
def test_district_level_readers_see_the_overview(ledger, who):
    assert client_for(ledger.d[who]).get(OVERVIEW).status_code == 200


# ----------------------------------------------------------------- /daily/


def test_the_form_has_one_labelled_input_per_metric_with_its_unit(ledger):
    resp = client_for(ledger.d["handler_a"]).get(DAILY)
    html = resp.content.decode()
    assert resp.status_code == 200
    assert "甲街道" in html and "本日尚未报送" in html
    for code, unit in (("personnel", "人次"), ("vehicles", "车次"), ("garbage", "立方米"), ("closed_firms", "家")):
        assert f'<label for="m-{code}">' in html
        assert f'id="m-{code}"' in html
        assert f'<span class="unit" aria-hidden="true">{unit}</span>' in html
    assert 'max="2026-06-01"' in html  # no future day offered


def test_a_handler_saves_and_a_second_save_replaces_the_first(ledger):
    d = ledger.d
    c = client_for(d["handler_a"])
    resp = save(c, d.street_a, personnel="120", vehicles="8", garbage="35")
    assert resp.status_code == 302
    assert stored(d.street_a) == {"personnel": 120, "vehicles": 8, "garbage": 35}
    page = c.get(resp.url).content.decode()
    assert "已保存甲街道 2026-06-01 的工作量" in page
    assert 'value="120"' in page and "再次保存将<b>替换</b>" in page

    resp = save(c, d.street_a, personnel="125")
    page = c.get(resp.url).content.decode()
    assert stored(d.street_a) == {"personnel": 125}
    assert DailyReport.objects.get(unit=d.street_a).revision == 1
    assert "第1次修订，已替换之前的报送" in page and "已修订 1 次" in page


def test_an_earlier_day_can_be_reported(ledger):
    d = ledger.d
    save(client_for(d["handler_a"]), d.street_a, day=TODAY - dt.timedelta(days=3), personnel="40")
    assert stored(d.street_a, TODAY - dt.timedelta(days=3)) == {"personnel": 40}


@pytest.mark.parametrize(("value", "message"), [
    ("abc", "出动人员：“abc”不是数字"),
    ("-5", "出动人员：数值不能为负"),
    ("1000000000", "超过单日上限"),
    ("1.234", "最多保留两位小数"),
])
def test_a_bad_figure_is_named_at_its_input_and_nothing_is_stored(ledger, value, message):
    d = ledger.d
    resp = save(client_for(d["handler_a"]), d.street_a, vehicles="8", personnel=value)
    html = resp.content.decode()
    assert resp.status_code == 400
    start = html.index('<p class="field-error" id="e-m-personnel">')
    assert message in html[start:html.index("</p>", start)]
    assert 'id="m-personnel" name="m-personnel"' in html and 'aria-describedby="e-m-personnel"' in html
    assert 'value="8"' in html  # what the person typed is kept
    assert not DailyReport.objects.exists()


def test_a_bad_figure_on_resubmission_keeps_the_first_report(ledger):
    d = ledger.d
    c = client_for(d["handler_a"])
    save(c, d.street_a, personnel="120")
    assert save(c, d.street_a, personnel="-1").status_code == 400
    assert stored(d.street_a) == {"personnel": 120}
    assert DailyReport.objects.get(unit=d.street_a).revision == 0


def test_nothing_filled_in_is_explained(ledger):
    d = ledger.d
    resp = save(client_for(d["handler_a"]), d.street_a)
    assert resp.status_code == 400
    assert "没有填写任何工作量" in resp.content.decode()
    assert not DailyReport.objects.exists()


@pytest.mark.parametrize(("day", "message"), [("2026-06-02", "是未来的日期"), ("2026-13-01", "无效，应为 年-月-日")])
def test_a_future_or_bad_date_is_refused(ledger, day, message):
    d = ledger.d
    c = client_for(d["handler_a"])
    resp = c.post(DAILY, {"unit": d.street_a.pk, "date": day, "m-personnel": "5", "action": "save"})
    assert resp.status_code == 400
    assert message in resp.content.decode()
    assert not DailyReport.objects.exists()
    assert message in c.get(DAILY, {"date": day}).content.decode()


def test_extract_fills_the_recognised_inputs_and_lists_the_spans(ledger):
    d = ledger.d
    resp = client_for(d["handler_a"]).post(EXTRACT, {
        "unit": d.street_a.pk, "date": TODAY.isoformat(), "m-notices": "2",
        "text": "今日出动120人次，车辆8台次，清运垃圾35立方米，走访商户30余户"}, HTTP_HX_REQUEST="true")
    html = resp.content.decode()
    assert resp.status_code == 200
    assert html.lstrip().startswith('<div id="daily-figures"')  # the partial only
    assert 'id="m-personnel" name="m-personnel" inputmode="decimal" autocomplete="off"\n             value="120"' in html
    assert 'value="8"' in html and 'value="35"' in html
    assert 'value="2"' in html  # a value typed before 识别 is kept
    assert "<q>出动120人次</q>" in html and "<b>出动人员</b>" in html
    assert not DailyReport.objects.exists()  # 识别 saves nothing


def test_extract_without_javascript_renders_the_whole_page(ledger):
    d = ledger.d
    resp = client_for(d["handler_a"]).post(DAILY, {
        "unit": d.street_a.pk, "date": TODAY.isoformat(), "text": "清运垃圾35立方米", "action": "extract"})
    html = resp.content.decode()
    assert resp.status_code == 200 and "<h1>每日报送" in html and 'value="35"' in html
    assert not DailyReport.objects.exists()


@pytest.mark.parametrize(("text", "message"), [("", "请先粘贴工作情况文字"), ("今天天气晴，召开会议。", "没有在文字中找到工作量"),
                                               ("人" * 20_001, "文字过长")])
def test_extract_explains_text_without_figures(ledger, text, message):
    d = ledger.d
    resp = client_for(d["handler_a"]).post(EXTRACT, {"unit": d.street_a.pk, "text": text})
    assert resp.status_code == 200 and message in resp.content.decode()


def test_a_commander_reports_for_any_unit(ledger):
    d = ledger.d
    c = client_for(d["commander"])
    html = c.get(DAILY).content.decode()
    assert "乙街道" in html and "城管局" in html
    save(c, d.street_b, personnel="9")
    assert stored(d.street_b) == {"personnel": 9}


# ----------------------------------------------------------------- /daily/overview/


def test_overview_lists_figures_totals_and_the_units_that_did_not_report(ledger):
    d = ledger.d
    services.daily_report_submit(actor=d["handler_a"], unit=d.street_a, date=TODAY,
                                 figures=[{"metric": "personnel", "value": "120"}, {"metric": "garbage", "value": "35.5"}])
    services.daily_report_submit(actor=d["commander"], unit=d.bureau, date=TODAY,
                                 figures=[{"metric": "personnel", "value": "30"}])
    services.daily_report_submit(actor=d["commander"], unit=d.bureau, date=TODAY - dt.timedelta(days=2),
                                 figures=[{"metric": "personnel", "value": "77"}])
    resp = client_for(d["commander"]).get(OVERVIEW, {"date": TODAY.isoformat()})
    html = resp.content.decode()
    table = html[html.index('data-testid="overview-table"'):html.index("</table>")]
    assert "<th scope=\"row\">甲街道</th>" in table and "<th scope=\"row\">城管局</th>" in table
    assert "乙街道" not in table
    assert '<td class="num"><b>150</b></td>' in table and '<td class="num"><b>35.5</b></td>' in table
    missing = html[html.index('data-testid="missing"'):]
    assert "未报送单位(1)" in missing and "乙街道" in missing
    chart = html[html.index('id="daily-chart-data"'):]
    assert "[0.0, 0.0, 0.0, 0.0, 0.0, 0.0, 0.0, 0.0, 0.0, 0.0, 0.0, 77.0, 0.0, 150.0]" in chart


def test_overview_bad_date_is_explained(ledger):
    resp = client_for(ledger.d["commander"]).get(OVERVIEW, {"date": "明天"})
    assert resp.status_code == 400 and "日期“明天”无效" in resp.content.decode()


def test_overview_queries_do_not_grow_with_units(ledger):
    d = ledger.d
    c = client_for(d["commander"])

    def report(n_units):
        for i in range(n_units):
            unit = make_unit(f"新街道{DailyReport.objects.count()}-{i}", UnitKind.STREET, d.root)
            services.daily_report_submit(actor=d["commander"], unit=unit, date=TODAY,
                                         figures=[{"metric": "personnel", "value": i + 1},
                                                  {"metric": "vehicles", "value": 1}])
        with CaptureQueriesContext(connection) as ctx:
            assert c.get(OVERVIEW).status_code == 200
        return len(ctx.captured_queries)

    few = report(2)
    many = report(12)
    assert many == few


# ----------------------------------------------------------------- /documents/


def generate(c, what="daily", day=TODAY):
    return c.post(GENERATE, {"what": what, "date": day.isoformat()}, follow=True)


def test_a_commander_generates_the_daily_three_and_downloads_the_brief(ledger):
    d = ledger.d
    c = client_for(d["commander"])
    resp = generate(c)
    html = resp.content.decode()
    assert "已生成 2026-06-01 的工作简报、督查通报、问题台账" in html
    assert "未安装 LibreOffice" in html  # no PDF copies on this machine, and the page says so
    brief = Document.objects.get(kind=DocumentKind.BRIEF)
    assert brief.created_by == d["commander"]
    download = c.get(reverse("reporting:document_file", args=[brief.pk]))
    body = b"".join(download.streaming_content)
    assert download.status_code == 200 and body[:2] == b"PK"
    assert download["Content-Disposition"].startswith("attachment")
    assert ".docx" in download["Content-Disposition"]
    listing = c.get(DOCUMENTS).content.decode()
    assert listing.count("/file/\" download") == 3


def test_night_report_on_demand(ledger):
    c = client_for(ledger.d["commander"])
    assert "夜查日报" in generate(c, "night", TODAY - dt.timedelta(days=1)).content.decode()
    assert Document.objects.filter(kind=DocumentKind.NIGHT, date=TODAY - dt.timedelta(days=1)).exists()


@pytest.mark.parametrize(("what", "day", "message"), [("daily", "2026-06-02", "是未来的日期"),
                                                      ("weekly", "2026-06-01", "请选择要生成的公文"),
                                                      ("daily", "六月一日", "无效")])
def test_bad_generate_requests_are_explained_and_make_nothing(ledger, what, day, message):
    resp = client_for(ledger.d["commander"]).post(GENERATE, {"what": what, "date": day}, follow=True)
    assert message in resp.content.decode()
    assert not Document.objects.exists()


@pytest.mark.parametrize("who", ["handler_a", "inspector", "leader"])
def test_only_the_command_post_generates(ledger, who):
    c = client_for(ledger.d[who])
    assert c.post(GENERATE, {"what": "daily", "date": TODAY.isoformat()}).status_code == 403
    assert "生成日报三件套" not in c.get(DOCUMENTS).content.decode()
    assert not Document.objects.exists()


def test_units_see_only_notices_addressed_to_them(ledger):
    d = ledger.d
    commander = client_for(d["commander"])
    generate(commander)
    case = ledger.assigned()  # community A, under street A
    resp = commander.post(reverse("reporting:case_notice", args=[case.pk]))
    assert resp.status_code == 200 and "整改通知书已生成" in resp.content.decode()
    notice = Document.objects.get(kind=DocumentKind.NOTICE)
    assert notice.unit == case.unit
    brief = Document.objects.get(kind=DocumentKind.BRIEF)

    a = client_for(d["handler_a"])
    listing = a.get(DOCUMENTS).content.decode()
    assert notice.number in listing and "工作简报" not in listing.split("<tbody>")[1]
    assert a.get(reverse("reporting:document_file", args=[notice.pk])).status_code == 200
    assert a.get(reverse("reporting:document_file", args=[brief.pk])).status_code == 404
    b = client_for(d["handler_b"])
    assert notice.number not in b.get(DOCUMENTS).content.decode()
    assert b.get(reverse("reporting:document_file", args=[notice.pk])).status_code == 404
    assert client_for().get(reverse("reporting:document_file", args=[notice.pk])).status_code == 302
    assert client_for(d["leader"]).get(reverse("reporting:document_file", args=[brief.pk])).status_code == 200


def test_case_page_offers_the_notice_to_dispatchers_when_the_case_has_a_unit(ledger):
    d = ledger.d
    assigned = ledger.assigned()
    reported = ledger.report()
    commander = client_for(d["commander"])
    assert "生成整改通知书" in commander.get(reverse("ledger:case", args=[assigned.pk])).content.decode()
    assert "生成整改通知书" not in commander.get(reverse("ledger:case", args=[reported.pk])).content.decode()
    assert "生成整改通知书" not in client_for(d["handler_a"]).get(
        reverse("ledger:case", args=[assigned.pk])).content.decode()

    resp = commander.post(reverse("reporting:case_notice", args=[reported.pk]), follow=True)
    assert "尚未交办责任单位" in resp.content.decode()
    assert client_for(d["handler_a"]).post(reverse("reporting:case_notice", args=[assigned.pk])).status_code == 403
    assert client_for(d["handler_b"]).post(reverse("reporting:case_notice", args=[assigned.pk])).status_code == 404
    assert not Document.objects.exists()


def test_approximate_figures_are_kept_as_such(ledger):
    d = ledger.d
    c = client_for(d["handler_a"])
    resp = c.post(EXTRACT, {"unit": d.street_a.pk, "text": "覆盖防尘网5000余平方米，出动人员80人次"})
    html = resp.content.decode()
    assert '<input type="checkbox" name="a-dust_net" value="1" checked>' in html
    assert '<input type="checkbox" name="a-personnel" value="1">' in html
    c.post(DAILY, {"unit": d.street_a.pk, "date": TODAY.isoformat(), "action": "save",
                   "m-dust_net": "5000", "a-dust_net": "1", "m-personnel": "80"})
    approx = dict(DailyFigure.objects.values_list("metric__code", "approx"))
    assert approx == {"dust_net": True, "personnel": False}


def test_an_unknown_kind_filter_is_named_and_everything_is_shown(ledger):
    c = client_for(ledger.d["commander"])
    generate(c)
    html = c.get(DOCUMENTS, {"kind": "weekly"}).content.decode()
    assert "类型“weekly”无效，已显示全部公文" in html and "整治攻坚工作简报" in html
    html = c.get(DOCUMENTS, {"kind": "brief"}).content.decode()
    assert "整治攻坚工作简报" in html and "督查情况的通报" not in html
