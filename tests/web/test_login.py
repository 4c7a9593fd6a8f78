"""Signing in: a Chinese login page, throttling against password guessing, sign-in audited."""

from __future__ import annotations

import pytest
from django.test import Client

from gongjian.core.models import AuditEvent
from tests.factories import PASSWORD

pytestmark = pytest.mark.django_db


def _login(client, username, password):
    return client.post("/login/", {"username": username, "password": password})


def test_login_page_is_chinese_and_labelled():
    html = Client().get("/login/").content.decode()
    assert '<html lang="zh-hans">' in html
    assert '<label for="id_username">账号</label>' in html
    assert '<label for="id_password"' in html and "密码" in html


def test_good_login_lands_on_the_dashboard_and_is_audited(district):
    c = Client(REMOTE_ADDR="10.1.2.3")
    resp = _login(c, "t_handler_a", PASSWORD)
    assert resp.status_code == 302 and resp["Location"] == "/"
    assert "工作台" in c.get("/").content.decode()
    ev = AuditEvent.objects.filter(action="auth.login").last()
    assert ev.actor_id == district["handler_a"].pk and ev.client_ip == "10.1.2.3"


def test_bad_password_shows_a_chinese_error(district):
    resp = _login(Client(), "t_handler_a", "wrong-password")
    assert resp.status_code == 200
    assert "账号或密码不正确" in resp.content.decode()


def test_repeated_failures_lock_the_account_from_that_address(district, settings):
    c = Client(REMOTE_ADDR="10.9.9.9")
    for _ in range(settings.AXES_FAILURE_LIMIT):
        _login(c, "t_handler_a", "guess")
    locked = _login(c, "t_handler_a", PASSWORD)  # even the right password is refused now
    assert locked.status_code == 429
    assert "锁定" in locked.content.decode()
    assert "_auth_user_id" not in c.session
    # Another person at another address is not affected.
    other = Client(REMOTE_ADDR="10.9.9.10")
    assert _login(other, "t_handler_b", PASSWORD).status_code == 302


def test_logout_needs_post_and_is_audited(district):
    c = Client()
    c.force_login(district["viewer_a"])
    assert c.post("/logout/").status_code == 302
    assert AuditEvent.objects.filter(action="auth.logout", actor=district["viewer_a"]).exists()
    assert c.get("/").status_code == 302


def test_tokens_page_shows_the_token_once(district):
    c = Client()
    c.force_login(district["handler_a"])
    resp = c.post("/account/tokens/", {"action": "create", "name": "执法记录仪"})
    html = resp.content.decode()
    assert "执法记录仪" in html and "gj_" in html
    again = c.get("/account/tokens/").content.decode()
    assert "执法记录仪" in again
    plain = html.split('<code class="token">')[1].split("</code>")[0]
    assert plain not in again  # never shown again
    resp = c.post("/account/tokens/", {"action": "create", "name": "  "})
    assert "请给令牌起个名字" in resp.content.decode()
