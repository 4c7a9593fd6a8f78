"""The case page: visible in scope, 404 out of it, the audit trail as its timeline in Chinese, the
moves each person may make as forms that work, refused moves that change nothing, scoped photos and
comments."""

from __future__ import annotations

import datetime as dt
import re

import pytest
from django.core.files.uploadedfile import SimpleUploadedFile
from django.test import Client

from gongjian.core.models import AuditEvent
from gongjian.ledger import services
from gongjian.ledger.models import Case, Comment, Evidence, ExtensionStatus, Status
from tests.ledger.conftest import jpeg

pytestmark = pytest.mark.django_db


def _client(user) -> Client:
    c = Client()
    c.force_login(user)
    return c


def _page(user, case) -> str:
    resp = _client(user).get(f"/cases/{case.pk}/")
    assert resp.status_code == 200
    return resp.content.decode()


def _moves(html: str) -> set[str]:
    """The action forms on the page (the buttons this person is offered)."""
    return set(re.findall(r'data-testid="move-([a-z_]+)"', html))


def _timeline(html: str) -> list[str]:
    return re.findall(r'data-action="([a-z_.]+)"', html)


def _reload(case) -> Case:
    return Case.objects.get(pk=case.pk)


def test_handler_of_the_unit_sees_the_case_with_its_timeline(ledger):
    case = ledger.assigned(title="河堤垃圾")
    html = _page(ledger.d["handler_a"], case)
    assert case.serial in html and "河堤垃圾" in html
    assert "甲一社区" in html
    # reported, registered and assigned: three moves on the timeline, in Chinese, with who did them
    assert _timeline(html) == ["case.report", "case.register", "case.assign"]
    timeline = html.split('data-testid="timeline"')[1].split("</ol>")[0]
    for label in ("上报", "立案", "交办", "责任单位：甲一社区；整改期限：2026-06-04"):
        assert label in timeline
    assert "case.assign" not in re.sub(r'data-action="[^"]*"', "", timeline)
    assert "t_commander" in timeline or "测试" in timeline


def test_status_light_and_working_days_left(ledger):
    case = ledger.assigned()  # assigned Monday 2026-06-01 with 3 working days: due Thursday
    html = _page(ledger.d["handler_a"], case)
    assert re.search(r'data-testid="case-status">已交办<', html)
    assert re.search(r'class="light light-green" data-testid="case-light">绿灯<', html)
    assert "剩余 3 个工作日" in html


def test_last_fifth_of_the_time_shows_yellow(ledger, monkeypatch):
    case = ledger.assigned()  # 3 working days: 80 % is used up on the third, which is the deadline
    monkeypatch.setattr(services, "today", lambda: dt.date(2026, 6, 4))
    html = _page(ledger.d["handler_a"], case)
    assert re.search(r'class="light light-yellow" data-testid="case-light">黄灯<', html)
    assert "今天到期" in html


def test_overdue_case_shows_red_and_working_days_overdue(ledger, monkeypatch):
    case = ledger.assigned()
    monkeypatch.setattr(services, "today", lambda: dt.date(2026, 6, 10))  # Wednesday after the deadline
    html = _page(ledger.d["handler_a"], case)
    assert re.search(r'data-testid="case-light">红灯<', html)
    assert "已超期 4 个工作日" in html  # Fri 5th, Mon 8th, Tue 9th, Wed 10th


def test_handler_of_another_street_gets_404(ledger):
    case = ledger.assigned()
    resp = _client(ledger.d["handler_b"]).get(f"/cases/{case.pk}/")
    assert resp.status_code == 404
    assert case.serial not in resp.content.decode()


def test_anonymous_is_sent_to_login(ledger):
    case = ledger.assigned()
    resp = Client().get(f"/cases/{case.pk}/")
    assert resp.status_code == 302 and "/login/" in resp["Location"]
    resp = Client().post(f"/cases/{case.pk}/moves/accept/")
    assert resp.status_code == 302 and "/login/" in resp["Location"]
    assert _reload(case).status == Status.ASSIGNED


# ------------------------------------------------------------------ which forms whom


def test_reported_case_offers_register_and_reject_to_the_command_post_only(ledger):
    case = ledger.report(lng=113.205, lat=35.205)
    d = ledger.d
    assert _moves(_page(d["commander"], case)) == {"register", "reject"}
    for who in ("grid_worker_a", "inspector", "leader"):
        html = _page(d[who], case)
        assert _moves(html) == set(), who
        assert "当前没有您可执行的操作" in html


def test_assigned_case_offers_accept_return_and_extension_to_the_units_handler(ledger):
    case = ledger.assigned()
    d = ledger.d
    assert _moves(_page(d["handler_a"], case)) == {"accept", "return", "extension"}
    assert _moves(_page(d["commander"], case)) == {"hang"}
    assert _moves(_page(d["inspector"], case)) == set()
    assert _moves(_page(d["viewer_a"], case)) == set()


def test_submitted_case_offers_close_and_rework_to_verifiers_outside_the_unit(ledger):
    case = ledger.submitted()
    d = ledger.d
    assert _moves(_page(d["inspector"], case)) == {"close", "rework"}
    assert _moves(_page(d["handler_a"], case)) == set()


def test_assign_form_lists_units_with_the_found_unit_selected(ledger):
    case = services.transition(actor=ledger.d["commander"], case=ledger.report(lng=113.205, lat=35.205),
                               action="register")
    html = _page(ledger.d["commander"], case)
    assert _moves(html) == {"assign"}
    assert re.search(rf'<option value="{ledger.d.community_a.pk}" selected>', html)
    for field in ("f-unit", "f-lead-unit", "f-handler", "f-workdays", "f-deadline"):
        assert f'<label for="{field}"' in html


# ------------------------------------------------------------------ the forms work


def test_the_loop_through_the_page_forms(ledger):
    d = ledger.d
    case = ledger.report(lng=113.205, lat=35.205)
    commander, handler, inspector = (_client(d[k]) for k in ("commander", "handler_a", "inspector"))
    resp = commander.post(f"/cases/{case.pk}/moves/register/")
    assert resp.status_code == 302 and resp["Location"] == f"/cases/{case.pk}/"
    assert _reload(case).status == Status.REGISTERED
    resp = commander.post(f"/cases/{case.pk}/moves/assign/",
                          {"unit": d.community_a.pk, "lead_unit": d.bureau.pk, "handler": d["handler_a"].pk,
                           "workdays": "", "deadline": "2026-06-12"})
    assert resp.status_code == 302
    case = _reload(case)
    assert case.status == Status.ASSIGNED and case.deadline == dt.date(2026, 6, 12) and case.unit == d.community_a
    assert case.lead_unit == d.bureau and case.handler == d["handler_a"]
    assert handler.post(f"/cases/{case.pk}/moves/accept/").status_code == 302
    resp = handler.post(f"/cases/{case.pk}/moves/submit/", {"reason": "已清运", "photos": [jpeg("after.jpg")]})
    assert resp.status_code == 302
    case = _reload(case)
    assert case.status == Status.SUBMITTED
    assert list(case.evidence.values_list("stage", flat=True)) == ["after"]
    assert inspector.post(f"/cases/{case.pk}/moves/close/", {"reason": "现场已核实"}).status_code == 302
    assert _reload(case).status == Status.CLOSED
    html = inspector.get(f"/cases/{case.pk}/").content.decode()
    assert "已核查销号" in html  # the success message after the redirect
    assert _timeline(html)[-1] == "case.close" and "现场已核实" in html
    assert _moves(html) == set()


def test_assign_with_working_days_from_the_form(ledger):
    case = services.transition(actor=ledger.d["commander"], case=ledger.report(lng=113.205, lat=35.205),
                               action="register")
    resp = _client(ledger.d["commander"]).post(f"/cases/{case.pk}/moves/assign/",
                                               {"unit": ledger.d.community_a.pk, "workdays": "5", "deadline": ""})
    assert resp.status_code == 302
    assert _reload(case).deadline == dt.date(2026, 6, 8)


def test_rework_and_return_need_a_reason_and_keep_it(ledger):
    case = ledger.submitted()
    inspector = _client(ledger.d["inspector"])
    resp = inspector.post(f"/cases/{case.pk}/moves/rework/", {"reason": "  "})
    assert resp.status_code == 400
    assert "返工必须填写理由" in resp.content.decode()
    assert _reload(case).status == Status.SUBMITTED
    assert inspector.post(f"/cases/{case.pk}/moves/rework/", {"reason": "仍有残留垃圾"}).status_code == 302
    case = _reload(case)
    assert case.status == Status.RECTIFYING and case.rework_count == 1
    assert "仍有残留垃圾" in _page(ledger.d["handler_a"], case)


def test_extension_requested_on_the_page_and_approved_by_the_command_post(ledger):
    case = ledger.assigned()
    resp = _client(ledger.d["handler_a"]).post(f"/cases/{case.pk}/extension/",
                                               {"requested_deadline": "2026-06-12", "reason": "雨天无法清运"})
    assert resp.status_code == 302
    html = _page(ledger.d["commander"], case)
    assert 'data-testid="pending-extension"' in html and "雨天无法清运" in html
    ext = case.extensions.get()
    # the handler sees the pending request but cannot decide it, nor ask again
    handler_html = _page(ledger.d["handler_a"], case)
    assert "批准延期" not in handler_html and "extension" not in _moves(handler_html)
    assert _client(ledger.d["handler_a"]).post(f"/cases/{case.pk}/extensions/{ext.pk}/decide/",
                                               {"decision": "approve"}).status_code == 403
    assert case.extensions.get().status == ExtensionStatus.PENDING
    resp = _client(ledger.d["commander"]).post(f"/cases/{case.pk}/extensions/{ext.pk}/decide/",
                                               {"decision": "approve", "note": "同意"})
    assert resp.status_code == 302
    assert _reload(case).deadline == dt.date(2026, 6, 12)
    assert _timeline(_page(ledger.d["commander"], case))[-2:] == ["case.extension_request", "case.extension_approve"]


def test_long_term_needs_a_plan_and_a_future_review_date_then_resumes(ledger):
    case = ledger.assigned()
    commander = _client(ledger.d["commander"])
    resp = commander.post(f"/cases/{case.pk}/moves/hang/", {"plan": "汛期后整体拆除", "review_on": "2026-06-01"})
    assert resp.status_code == 400 and "挂账须填写今天以后的复查日期" in resp.content.decode()
    resp = commander.post(f"/cases/{case.pk}/moves/hang/", {"plan": "汛期后整体拆除", "review_on": "下个月"})
    assert resp.status_code == 400 and "复查日期“下个月”不是有效日期" in resp.content.decode()
    assert _reload(case).status == Status.ASSIGNED
    resp = commander.post(f"/cases/{case.pk}/moves/hang/", {"plan": "汛期后整体拆除", "review_on": "2026-09-01"})
    assert resp.status_code == 302
    html = _page(ledger.d["commander"], case)
    assert "汛期后整体拆除（复查 2026-09-01）" in html and _moves(html) == {"resume"}
    assert commander.post(f"/cases/{case.pk}/moves/resume/").status_code == 302
    assert _reload(case).status == Status.RECTIFYING


def test_refused_extension_keeps_the_deadline_and_tells_why(ledger):
    case = ledger.assigned()
    handler = _client(ledger.d["handler_a"])
    resp = handler.post(f"/cases/{case.pk}/extension/", {"requested_deadline": "2026-06-03", "reason": "人手不足"})
    assert resp.status_code == 400 and "申请的期限应晚于现在的期限 2026-06-04" in resp.content.decode()
    resp = handler.post(f"/cases/{case.pk}/extension/", {"requested_deadline": "", "reason": "人手不足"})
    assert resp.status_code == 400 and "请填写申请延至的日期" in resp.content.decode()
    assert handler.post(f"/cases/{case.pk}/extension/",
                        {"requested_deadline": "2026-06-10", "reason": "人手不足"}).status_code == 302
    ext = case.extensions.get()
    resp = _client(ledger.d["commander"]).post(f"/cases/{case.pk}/extensions/{ext.pk}/decide/",
                                               {"decision": "refuse", "note": "按期完成"})
    assert resp.status_code == 302
    assert _reload(case).deadline == dt.date(2026, 6, 4)
    html = _page(ledger.d["handler_a"], case)
    assert "不批准延期" in html and "审批意见：按期完成" in html
    assert "extension" in _moves(html)  # may ask again


# ------------------------------------------------------------------ refused moves change nothing


def _events() -> int:
    """Audit events about cases (signing in writes its own)."""
    return AuditEvent.objects.filter(action__startswith="case.").count()


def test_refused_move_shows_the_message_and_changes_nothing(ledger):
    case = ledger.submitted()
    before, events = _reload(case).snapshot(), _events()
    # the unit's own handler may not close its case (核查 is done by someone else)
    resp = _client(ledger.d["handler_a"]).post(f"/cases/{case.pk}/moves/close/")
    assert resp.status_code == 403
    html = resp.content.decode()
    assert re.search(r'data-testid="case-error">.*“核查销号”只能由责任单位以外的督查员或指挥部人员操作', html)
    assert "not permitted" not in html  # the Chinese half only
    assert _reload(case).snapshot() == before and _events() == events


def test_move_not_allowed_in_this_status_is_a_conflict(ledger):
    case = ledger.assigned()
    before, events = _reload(case).snapshot(), _events()
    resp = _client(ledger.d["commander"]).post(f"/cases/{case.pk}/moves/register/")
    assert resp.status_code == 409
    assert "当前状态为“已交办”，不能“立案”" in resp.content.decode()
    assert _reload(case).snapshot() == before and _events() == events


def test_bad_dates_and_numbers_in_the_assign_form_are_named(ledger):
    case = services.transition(actor=ledger.d["commander"], case=ledger.report(lng=113.205, lat=35.205),
                               action="register")
    commander = _client(ledger.d["commander"])
    for data, message in [({"unit": ledger.d.community_a.pk, "deadline": "2026-13-01"}, "整改期限“2026-13-01”不是有效日期"),
                          ({"unit": ledger.d.community_a.pk, "workdays": "三天"}, "整改时限(工作日)“三天”不是整数"),
                          ({"unit": "999999"}, "找不到所选的责任单位"),
                          ({"unit": ledger.d.community_a.pk, "handler": ledger.d["handler_b"].pk},
                           "不是“甲一社区”的经办人"),
                          ({"unit": ledger.d.community_a.pk, "deadline": "2026-05-20"}, "早于交办日期")]:
        resp = commander.post(f"/cases/{case.pk}/moves/assign/", data)
        assert resp.status_code == 400, data
        assert message in resp.content.decode(), data
        assert _reload(case).status == Status.REGISTERED


def test_submit_with_a_bad_photo_stores_nothing(ledger):
    case = ledger.assigned()
    case = services.transition(actor=ledger.d["handler_a"], case=case, action="accept")
    events = _events()
    bad = SimpleUploadedFile("after.jpg", b"this is not a picture", content_type="image/jpeg")
    resp = _client(ledger.d["handler_a"]).post(f"/cases/{case.pk}/moves/submit/",
                                               {"photos": [jpeg("good.jpg"), bad]})
    assert resp.status_code == 400
    assert "“after.jpg”不是可识别的图片" in resp.content.decode()
    assert _reload(case).status == Status.RECTIFYING
    assert Evidence.objects.filter(case=case).count() == 0 and _events() == events


def test_submit_without_any_after_photo_is_refused(ledger):
    case = services.transition(actor=ledger.d["handler_a"], case=ledger.assigned(), action="accept")
    resp = _client(ledger.d["handler_a"]).post(f"/cases/{case.pk}/moves/submit/", {"reason": "已整改"})
    assert resp.status_code == 400
    assert "提交整改前请上传整改后照片" in resp.content.decode()
    assert _reload(case).status == Status.RECTIFYING


def test_unknown_move_and_get_are_refused(ledger):
    case = ledger.assigned()
    client = _client(ledger.d["commander"])
    resp = client.post(f"/cases/{case.pk}/moves/delete/")
    assert resp.status_code == 400 and "未知操作“delete”" in resp.content.decode()
    assert client.get(f"/cases/{case.pk}/moves/register/").status_code == 405


def test_moves_on_a_case_out_of_scope_are_404_and_change_nothing(ledger):
    case = ledger.assigned()
    handler_b = _client(ledger.d["handler_b"])
    for url in (f"/cases/{case.pk}/moves/accept/", f"/cases/{case.pk}/comments/", f"/cases/{case.pk}/extension/"):
        assert handler_b.post(url, {"body": "x", "reason": "x", "requested_deadline": "2026-06-12"}).status_code == 404
    assert _reload(case).status == Status.ASSIGNED
    assert not Comment.objects.exists() and not case.extensions.exists()


# ------------------------------------------------------------------ photos


def test_photos_before_and_after_side_by_side_served_only_in_scope(ledger):
    d = ledger.d
    case = ledger.report(lng=113.205, lat=35.205)
    before = services.evidence_add(actor=d["grid_worker_a"], case=case, stage="before", upload=jpeg("before.jpg"))
    case = services.transition(actor=d["commander"], case=case, action="register")
    case = services.transition(actor=d["commander"], case=case, action="assign", workdays=3)
    case = services.transition(actor=d["handler_a"], case=case, action="accept")
    after = services.evidence_add(actor=d["handler_a"], case=case, stage="after", upload=jpeg("after.jpg"))
    html = _page(d["handler_a"], case)
    before_col = html.split('data-testid="photos-before"')[1].split('data-testid="photos-after"')[0]
    after_col = html.split('data-testid="photos-after"')[1].split("</section>")[0]
    assert f'src="/evidence/{before.pk}/file/"' in before_col and f"/evidence/{after.pk}/" not in before_col
    assert f'src="/evidence/{after.pk}/file/"' in after_col
    assert "/media/" not in html  # never a public media address
    resp = _client(d["handler_a"]).get(f"/evidence/{after.pk}/file/")
    assert resp.status_code == 200 and resp["Content-Type"] == "image/jpeg"
    assert b"".join(resp.streaming_content)[:2] == b"\xff\xd8"
    # the reporter still sees the before photo; another street gets 404 on both, anonymous goes to login
    assert _client(d["grid_worker_a"]).get(f"/evidence/{before.pk}/file/").status_code == 200
    for ev in (before, after):
        assert _client(d["handler_b"]).get(f"/evidence/{ev.pk}/file/").status_code == 404
        assert Client().get(f"/evidence/{ev.pk}/file/").status_code == 302
    assert _client(d["handler_b"]).get("/evidence/999999/file/").status_code == 404


# ------------------------------------------------------------------ comments


def test_comment_appears_in_the_timeline_in_order(ledger):
    case = ledger.assigned()
    resp = _client(ledger.d["handler_a"]).post(f"/cases/{case.pk}/comments/", {"body": "明天上午安排清运车"})
    assert resp.status_code == 302 and resp["Location"].endswith("#timeline")
    comment = Comment.objects.get()
    assert comment.case == case and comment.author == ledger.d["handler_a"]
    services.transition(actor=ledger.d["handler_a"], case=case, action="accept")
    html = _page(ledger.d["commander"], case)
    assert _timeline(html) == ["case.report", "case.register", "case.assign", "case.comment", "case.accept"]
    assert "明天上午安排清运车" in html.split('data-testid="timeline"')[1]


def test_empty_or_too_long_comment_is_refused_with_a_message(ledger):
    case = ledger.assigned()
    client = _client(ledger.d["handler_a"])
    resp = client.post(f"/cases/{case.pk}/comments/", {"body": "   "})
    assert resp.status_code == 400 and "评论内容不能为空" in resp.content.decode()
    resp = client.post(f"/cases/{case.pk}/comments/", {"body": "长" * 2001})
    assert resp.status_code == 400 and "评论不能超过 2000 字" in resp.content.decode()
    assert not Comment.objects.exists()


def test_read_only_viewer_sees_the_case_but_cannot_comment(ledger):
    case = ledger.assigned()
    html = _page(ledger.d["viewer_a"], case)
    assert 'id="comment-body"' not in html
    resp = _client(ledger.d["viewer_a"]).post(f"/cases/{case.pk}/comments/", {"body": "看看"})
    assert resp.status_code == 403 and "只读账号不能发表评论" in resp.content.decode()
    assert not Comment.objects.exists()


def test_comment_service_is_audited_and_scoped(ledger):
    from gongjian.core.errors import NotFound

    case = ledger.assigned()
    with pytest.raises(NotFound):
        services.comment_add(actor=ledger.d["handler_b"], case=case, body="不是我的")
    services.comment_add(actor=ledger.d["grid_worker_a"], case=case, body="现场又有人倾倒")
    event = AuditEvent.objects.filter(action="case.comment").get()
    assert event.object_id == str(case.pk) and "现场又有人倾倒" in event.after
    # comments are scoped like their case
    assert Comment.objects.visible_to(ledger.d["handler_b"]).count() == 0
    assert Comment.objects.visible_to(ledger.d["handler_a"]).count() == 1


def test_every_demo_case_page_renders_for_the_command_post_and_the_street(django_assert_max_num_queries):
    from gongjian.ledger import demo as ledger_demo
    from gongjian.org import demo as org_demo
    from gongjian.org.models import User

    org_demo.load(log=lambda *_: None)
    ledger_demo.load(log=lambda *_: None)
    commander = _client(User.objects.get(username="zhihui"))
    handler = User.objects.get(username="bjf_jingban")
    street = _client(handler)
    seen = set()
    for case in Case.objects.all():
        with django_assert_max_num_queries(14):  # a page's cost does not grow with its timeline or photos
            resp = commander.get(f"/cases/{case.pk}/")
        html = resp.content.decode()
        assert resp.status_code == 200 and case.serial in html and case.get_status_display() in html
        seen.add(case.status)
        visible = Case.objects.visible_to(handler).filter(pk=case.pk).exists()
        assert street.get(f"/cases/{case.pk}/").status_code == (200 if visible else 404)
    assert seen == set(Status.values)
