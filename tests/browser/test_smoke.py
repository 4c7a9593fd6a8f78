"""The browser harness itself: chromium starts, the login page renders in Chinese, sign-in works."""

from __future__ import annotations

import pytest

pytestmark = pytest.mark.django_db(transaction=True)


def test_sign_in_through_the_form_lands_on_the_dashboard(district, desktop, login, shot):
    desktop.goto("/login/")
    assert desktop.locator("html").get_attribute("lang") == "zh-hans"
    shot(desktop, "login")
    login(desktop, "t_handler_a")
    assert desktop.url.endswith("/")
    assert "工作台" in desktop.content()


def test_wrong_password_stays_on_the_form_with_a_chinese_error(district, phone, login):
    phone.goto("/login/")
    phone.get_by_label("账号").fill("t_handler_a")
    phone.get_by_label("密码").fill("not-the-password")
    phone.get_by_role("button", name="登录").click()
    assert phone.get_by_text("账号或密码不正确").is_visible()
