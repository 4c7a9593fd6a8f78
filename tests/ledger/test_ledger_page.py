"""The 台账 page: filters, sort, pages, export, import, bulk assign, scope, and its query count."""

from __future__ import annotations

import datetime as dt
import io
import re

import openpyxl
import pytest
from django.core.files.uploadedfile import SimpleUploadedFile
from django.db import connection
from django.test import Client
from django.test.utils import CaptureQueriesContext

from gongjian.ledger import services
from gongjian.ledger.models import Case, Status

pytestmark = pytest.mark.django_db

SERIAL = re.compile(r'<td class="serial"[^>]*><a href="/cases/(\d+)/">([^<]+)</a>')


def _client(user) -> Client:
    c = Client()
    c.force_login(user)
    return c


def _serials(resp) -> list[str]:
    return [s for _, s in SERIAL.findall(resp.content.decode())]


def _street_b_case(ledger, title="乙街道工地扬尘"):
    """A case only street B (and the district) may see: reported by the command post, assigned to 乙一社区."""
    d = ledger.d
    case = ledger.report(actor=d["commander"], title=title, category=ledger.dust, unit=d.community_b)
    case = services.transition(actor=d["commander"], case=case, action="register")
    return services.transition(actor=d["commander"], case=case, action="assign", workdays=5)


def _registered(ledger, title):
    case = ledger.report(actor=ledger.d["commander"], title=title)
    return services.transition(actor=ledger.d["commander"], case=case, action="register")


# ----------------------------------------------------------------- access and scope


@pytest.mark.parametrize("url", ["/ledger/", "/ledger/export.xlsx", "/ledger/import/"])
def test_anonymous_is_sent_to_login(ledger, url):
    resp = Client().get(url)
    assert resp.status_code == 302 and "/login/" in resp["Location"]


def test_street_handler_never_sees_the_other_streets_cases(ledger):
    mine = ledger.assigned(title="甲街道垃圾")
    theirs = _street_b_case(ledger)
    page = _client(ledger.d["handler_a"]).get("/ledger/")
    assert page.status_code == 200
    assert _serials(page) == [mine.serial]
    assert "乙街道工地扬尘" not in page.content.decode()
    # Not through a filter on the other street either, nor through the export.
    assert _serials(_client(ledger.d["handler_a"]).get("/ledger/", {"q": "乙街道"})) == []
    wb = openpyxl.load_workbook(io.BytesIO(b"".join(
        _client(ledger.d["handler_a"]).get("/ledger/export.xlsx").streaming_content)))
    cells = [c for row in wb.active.iter_rows(values_only=True) for c in row]
    assert mine.serial in cells and theirs.serial not in cells
    assert _serials(_client(ledger.d["handler_b"]).get("/ledger/")) == [theirs.serial]
    assert set(_serials(_client(ledger.d["commander"]).get("/ledger/"))) == {mine.serial, theirs.serial}


def test_each_row_links_to_its_case_page_with_light_as_text_and_working_days_left(ledger, fixed_today):
    green = ledger.assigned(title="绿灯案件")        # assigned 2026-06-01 for 3 working days
    red = ledger.assigned(title="红灯案件")
    Case.objects.filter(pk=red.pk).update(deadline=fixed_today - dt.timedelta(days=3),
                                          warn_on=fixed_today - dt.timedelta(days=5))
    html = _client(ledger.d["commander"]).get("/ledger/").content.decode()
    assert f'href="/cases/{green.pk}/"' in html
    assert "绿灯</span>" in html and "剩 3 个工作日" in html
    # Deadline Fri 05-29, today Mon 06-01: one working day (Monday) overdue.
    assert "红灯</span>" in html and "超期 1 个工作日" in html


# ----------------------------------------------------------------- filters


def test_filter_by_status_and_the_status_strip(ledger):
    a = ledger.assigned(title="已交办的")
    r = _registered(ledger, "已立案的")
    c = _client(ledger.d["commander"])
    assert _serials(c.get("/ledger/", {"status": "assigned"})) == [a.serial]
    assert _serials(c.get("/ledger/", {"status": "registered"})) == [r.serial]
    html = c.get("/ledger/").content.decode()
    assert re.search(r"已交办 <b>1</b>", html) and re.search(r"已立案 <b>1</b>", html)
    assert re.search(r"全部 <b>2</b>", html)


def test_htmx_filter_returns_only_the_results_with_the_field_messages_out_of_band(ledger):
    a = ledger.assigned()
    resp = _client(ledger.d["commander"]).get("/ledger/", {"status": "assigned"}, HTTP_HX_REQUEST="true")
    html = resp.content.decode()
    assert "<html" not in html and _serials(resp) == [a.serial]
    assert 'id="err-status" hx-swap-oob="true"' in html
    assert 'id="export-link"' in html and "/ledger/export.xlsx?status=assigned" in html
    assert "HX-Request" in resp["Vary"]


def test_filters_by_unit_light_source_category_keyword_and_dates(ledger, fixed_today):
    a = ledger.assigned(title="河堤垃圾")
    b = _street_b_case(ledger, "工地裸土未覆盖")
    c = _client(ledger.d["commander"])
    d = ledger.d
    assert _serials(c.get("/ledger/", {"unit": d.street_b.pk})) == [b.serial]
    assert _serials(c.get("/ledger/", {"category": ledger.dust.pk})) == [b.serial]
    assert _serials(c.get("/ledger/", {"q": "河堤"})) == [a.serial]
    assert _serials(c.get("/ledger/", {"light": "green"})) == [a.serial, b.serial]  # by deadline
    assert _serials(c.get("/ledger/", {"light": "red"})) == []
    assert _serials(c.get("/ledger/", {"source": "night"})) == []
    assert _serials(c.get("/ledger/", {"deadline_to": "2026-06-04"})) == [a.serial]
    today = fixed_today.isoformat()
    assert len(_serials(c.get("/ledger/", {"reported_from": "2020-01-01", "deadline_from": today}))) == 2


def test_bad_filter_values_get_a_chinese_message_next_to_the_field_and_the_table_stays(ledger):
    a = ledger.assigned()
    c = _client(ledger.d["commander"])
    resp = c.get("/ledger/", {"reported_from": "2026-13-01", "status": "bogus", "unit": "abc", "light": "purple"})
    assert resp.status_code == 200
    html = resp.content.decode()
    assert re.search(r'id="err-reported_from"[^>]*>日期无效，应为 年-月-日', html)
    assert re.search(r'id="err-status"[^>]*>状态“bogus”无效', html)
    assert re.search(r'id="err-unit"[^>]*>找不到该单位', html)
    assert re.search(r'id="err-light"[^>]*>亮灯“purple”无效', html)
    assert _serials(resp) == [a.serial]  # the bad conditions are left out, the rest still applies
    resp = c.get("/ledger/", {"deadline_from": "2026-06-10", "deadline_to": "2026-06-01"})
    assert re.search(r'id="err-deadline_to"[^>]*>整改期限的结束日期不能早于开始日期', resp.content.decode())
    assert c.get("/ledger/", {"page": "abc"}).status_code == 200


def test_an_out_of_scope_unit_is_refused_like_an_unknown_one(ledger):
    html = _client(ledger.d["handler_a"]).get("/ledger/", {"unit": ledger.d.street_b.pk}).content.decode()
    assert re.search(r'id="err-unit"[^>]*>找不到该单位', html)


def test_api_list_uses_the_same_parser(ledger):
    ledger.assigned()
    c = _client(ledger.d["commander"])
    resp = c.get("/api/ledger/cases", {"reported_from": "2026-13-01"})
    assert resp.status_code == 400
    resp = c.get("/api/ledger/cases", {"status": "bogus"})
    assert resp.status_code == 400 and resp.json()["error"]["field"] == "status"
    assert "状态“bogus”无效" in resp.json()["error"]["message"]


# ----------------------------------------------------------------- sort and pages


def test_sortable_columns(ledger):
    cases = [_registered(ledger, f"案件{i}") for i in range(3)]
    serials = [c.serial for c in cases]
    c = _client(ledger.d["commander"])
    assert _serials(c.get("/ledger/", {"order": "serial"})) == serials
    assert _serials(c.get("/ledger/", {"order": "-serial"})) == serials[::-1]
    html = c.get("/ledger/", {"order": "serial"}).content.decode()
    # The serial header now offers the other direction and says how the column is sorted.
    assert 'aria-sort="ascending"' in html and "order=-serial" in html
    assert c.get("/ledger/", {"order": "nonsense"}).status_code == 200


def test_pages_of_fifty(ledger):
    for i in range(55):
        _registered(ledger, f"批量{i}")
    c = _client(ledger.d["commander"])
    first = c.get("/ledger/", {"order": "serial"})
    second = c.get("/ledger/", {"order": "serial", "page": 2})
    assert len(_serials(first)) == 50 and len(_serials(second)) == 5
    assert set(_serials(first)).isdisjoint(_serials(second))
    html = first.content.decode()
    assert "第 1 页 / 共 2 页" in html and 'rel="next"' in html and "page=2" in html
    beyond = c.get("/ledger/", {"order": "serial", "page": 9})
    assert "没有第 9 页(共 2 页)" in beyond.content.decode() and _serials(beyond) == _serials(second)


def test_above_the_count_cap_the_total_reads_as_more_than(ledger, monkeypatch):
    from gongjian.ledger import selectors

    monkeypatch.setattr(selectors, "COUNT_CAP", 3)
    for i in range(5):
        _registered(ledger, f"封顶{i}")
    c = _client(ledger.d["commander"])
    html = c.get("/ledger/", {"q": "封顶"}).content.decode()
    assert "共 3+ 件" in html and "超过 3 件，未分状态计数" in html
    assert len(_serials(c.get("/ledger/", {"q": "封顶"}))) == 5  # the page itself is not capped
    html = c.get("/ledger/", {"q": "封顶", "page": 7}).content.decode()
    assert "超过 3 件时只能翻到第 1 页" in html


def _page_queries(client, **params) -> int:
    with CaptureQueriesContext(connection) as ctx:
        assert client.get("/ledger/", params).status_code == 200
    return len(ctx.captured_queries)


def test_the_number_of_queries_does_not_grow_with_rows(ledger):
    for i in range(5):
        ledger.assigned(title=f"少{i}")
    c = _client(ledger.d["commander"])
    few = _page_queries(c), _page_queries(c, q="少"), _page_queries(c, status="assigned")
    for i in range(55):
        ledger.assigned(title=f"多{i}")
    many = _page_queries(c), _page_queries(c, q="多"), _page_queries(c, status="assigned")
    assert few == many
    assert max(many) <= 20


# ----------------------------------------------------------------- export


def test_export_holds_exactly_what_is_filtered(ledger):
    a1 = ledger.assigned(title="导出甲")
    a2 = ledger.assigned(title="导出乙")
    _registered(ledger, "不导出")
    resp = _client(ledger.d["commander"]).get("/ledger/export.xlsx", {"status": "assigned", "order": "serial"})
    assert resp.status_code == 200
    assert resp["Content-Type"].startswith("application/vnd.openxmlformats")
    assert ".xlsx" in resp["Content-Disposition"]
    ws = openpyxl.load_workbook(io.BytesIO(b"".join(resp.streaming_content))).active
    rows = list(ws.iter_rows(values_only=True))
    header = rows[1]
    body = [dict(zip(header, r, strict=False)) for r in rows[2:] if any(r)]
    assert [r["编号"] for r in body] == [a1.serial, a2.serial]
    assert {r["状态"] for r in body} == {"已交办"}


def test_export_with_a_bad_filter_says_what_is_wrong(ledger):
    resp = _client(ledger.d["commander"]).get("/ledger/export.xlsx", {"deadline_from": "2026-02-30"})
    assert resp.status_code == 400
    assert "整改期限 从：日期无效" in resp.content.decode()


# ----------------------------------------------------------------- import


def _csv(text: str, name="台账.csv") -> SimpleUploadedFile:
    return SimpleUploadedFile(name, text.encode("utf-8"), content_type="text/csv")


def test_import_dry_run_lists_the_problems_by_row_and_column_and_writes_nothing(ledger):
    c = _client(ledger.d["commander"])
    text = ("序号,问题描述,责任单位,问题类别,整改时限\n"
            "1,河道垃圾,甲一社区,垃圾围城,2026-06-30\n"
            "2,工地扬尘,没有这个单位,扬尘,2026-13-01\n")
    resp = c.post("/ledger/import/", {"campaign": ledger.campaign.pk, "file": _csv(text)})
    html = resp.content.decode()
    assert resp.status_code == 200
    assert "什么也没有导入" in html and "工作表“台账.csv”" in html
    assert re.search(r"<td>第 3 行</td><td>责任单位</td><td>[^<]*没有这个单位", html)
    assert re.search(r"<td>第 3 行</td><td>整改时限</td>", html)
    assert 'name="token"' not in html
    assert Case.objects.count() == 0


def test_import_checks_then_imports_on_confirmation(ledger):
    c = _client(ledger.d["commander"])
    text = "序号,问题描述,责任单位,问题类别,整改时限\n1,河道垃圾,甲一社区,垃圾围城,2026-06-30\n2,工地扬尘,乙一社区,扬尘,\n"
    resp = c.post("/ledger/import/", {"campaign": ledger.campaign.pk, "file": _csv(text)})
    html = resp.content.decode()
    assert "检查通过：2 行都可以导入" in html and Case.objects.count() == 0
    token = re.search(r'name="token" value="([^"]+)"', html).group(1)
    resp = c.post("/ledger/import/", {"token": token})
    assert resp.status_code == 302 and resp["Location"] == f"/ledger/?campaign={ledger.campaign.pk}"
    assert sorted(Case.objects.values_list("status", flat=True)) == [Status.ASSIGNED, Status.REGISTERED]
    # The same confirmation again imports nothing more.
    again = c.post("/ledger/import/", {"token": token})
    assert again.status_code == 400 and "已失效" in again.content.decode()
    assert Case.objects.count() == 2


def test_import_refuses_a_wrong_file_type_and_an_unreadable_file(ledger):
    c = _client(ledger.d["commander"])
    resp = c.post("/ledger/import/", {"campaign": ledger.campaign.pk,
                                      "file": SimpleUploadedFile("photo.jpg", b"\xff\xd8\xff", "image/jpeg")})
    assert "不支持“photo.jpg”的文件类型" in resp.content.decode()
    resp = c.post("/ledger/import/", {"campaign": ledger.campaign.pk,
                                      "file": SimpleUploadedFile("坏.xlsx", b"not a zip", "application/octet-stream")})
    assert resp.status_code == 200 and 'class="error"' in resp.content.decode()
    assert Case.objects.count() == 0


def test_import_is_for_the_command_post(ledger):
    assert _client(ledger.d["handler_a"]).get("/ledger/import/").status_code == 403
    assert _client(ledger.d["commander"]).get("/ledger/import/").status_code == 200
    assert 'href="/ledger/import/"' not in _client(ledger.d["handler_a"]).get("/ledger/").content.decode()


# ----------------------------------------------------------------- bulk assign


def test_bulk_assign_reports_each_case_done_or_refused(ledger):
    ok = _registered(ledger, "可交办")
    wrong_state = ledger.report(title="未立案")            # reported, not registered: 409
    c = _client(ledger.d["commander"])
    resp = c.post("/ledger/assign/", {"cases": [ok.pk, wrong_state.pk, 999999], "unit": ledger.d.community_b.pk,
                                      "workdays": 5}, HTTP_HX_REQUEST="true")
    html = resp.content.decode()
    assert resp.status_code == 200
    assert "成功 1 件，未交办 2 件" in html
    assert re.search(rf"{re.escape(ok.serial)}</a>：已交办给乙一社区，整改期限 2026-06-08", html)
    assert re.search(rf"{re.escape(wrong_state.serial)}</a>：[^<]*当前状态为“已上报”，不能“交办”", html)
    assert "#999999</a>：案件不存在或无权查看" in html
    assert resp["HX-Trigger"] == "ledger:changed"
    ok.refresh_from_db()
    wrong_state.refresh_from_db()
    assert ok.status == Status.ASSIGNED and ok.unit == ledger.d.community_b
    assert wrong_state.status == Status.REPORTED


def test_bulk_assign_needs_cases_a_unit_and_working_days(ledger):
    case = _registered(ledger, "缺少条件")
    c = _client(ledger.d["commander"])
    resp = c.post("/ledger/assign/", {"cases": [case.pk], "unit": "", "workdays": "-1"})
    html = resp.content.decode()
    assert resp.status_code == 400 and "请选择责任单位" in html and "工作日数不能为负" in html
    assert "请先勾选要交办的案件" in c.post("/ledger/assign/", {"unit": ledger.d.community_a.pk,
                                                          "workdays": 3}).content.decode()
    case.refresh_from_db()
    assert case.status == Status.REGISTERED


def test_bulk_assign_is_for_the_command_post(ledger):
    case = _registered(ledger, "经办人不能交办")
    resp = _client(ledger.d["handler_a"]).post("/ledger/assign/", {"cases": [case.pk],
                                                                   "unit": ledger.d.community_a.pk, "workdays": 3})
    assert resp.status_code == 403
    case.refresh_from_db()
    assert case.status == Status.REGISTERED
    # Handlers get no checkboxes; the command post does.
    assert 'name="cases"' not in _client(ledger.d["handler_a"]).get("/ledger/").content.decode()
    assert 'name="cases"' in _client(ledger.d["commander"]).get("/ledger/").content.decode()
