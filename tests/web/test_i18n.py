"""Page language: Chinese on a first visit whatever the browser asks for; English only by choice (the
header's switch, a cookie); <html lang> follows; the English catalogue is complete and compiled."""

from __future__ import annotations

import gettext
from pathlib import Path

import polib
import pytest
from django.conf import settings
from django.test import Client

import gongjian

pytestmark = pytest.mark.django_db

LOCALE = Path(gongjian.__file__).parent / "locale" / "en" / "LC_MESSAGES"


def _signed_in(district, who="commander", **client_kw) -> Client:
    c = Client(**client_kw)
    c.force_login(district[who])
    return c


def test_first_visit_is_chinese_even_when_the_browser_prefers_english(district):
    c = _signed_in(district, HTTP_ACCEPT_LANGUAGE="en-US,en;q=0.9")
    resp = c.get("/")
    html = resp.content.decode()
    assert '<html lang="zh-hans">' in html
    assert ">工作台</a>" in html and ">组织机构</a>" in html
    assert resp["Content-Language"] == "zh-hans"


def test_the_switch_turns_the_pages_english_and_back(district):
    c = _signed_in(district)
    resp = c.post("/i18n/setlang/", {"language": "en", "next": "/org/units/"})
    assert resp.status_code == 302 and resp["Location"] == "/org/units/"
    assert c.cookies[settings.LANGUAGE_COOKIE_NAME].value == "en"
    html = c.get("/org/units/").content.decode()
    assert '<html lang="en">' in html
    assert ">Home</a>" in html and ">Organisation</a>" in html and "Sign out" in html
    assert "<h1>Organisation</h1>" in html
    # The switch now offers Chinese, and going back restores it.
    assert 'name="language" value="zh-hans"' in html
    c.post("/i18n/setlang/", {"language": "zh-hans", "next": "/"})
    html = c.get("/").content.decode()
    assert '<html lang="zh-hans">' in html and ">工作台</a>" in html and "退出" in html


def test_the_switch_is_on_the_login_page_and_translates_it():
    c = Client()
    html = c.get("/login/").content.decode()
    assert 'action="/i18n/setlang/"' in html and 'value="en"' in html
    c.cookies[settings.LANGUAGE_COOKIE_NAME] = "en"
    html = c.get("/login/").content.decode()
    assert '<label for="id_username">Username</label>' in html and ">Sign in</button>" in html


def test_an_unknown_language_cookie_falls_back_to_chinese(district):
    c = _signed_in(district)
    c.cookies[settings.LANGUAGE_COOKIE_NAME] = "xx-<script>"
    resp = c.get("/")
    assert resp.status_code == 200 and '<html lang="zh-hans">' in resp.content.decode()


def test_choosing_a_language_the_site_does_not_offer_keeps_chinese(district):
    c = _signed_in(district)
    resp = c.post("/i18n/setlang/", {"language": "fr", "next": "/"})
    assert resp.status_code == 302
    html = c.get("/").content.decode()
    assert '<html lang="zh-hans">' in html and ">工作台</a>" in html


def test_the_switch_never_redirects_off_site(district):
    c = _signed_in(district)
    resp = c.post("/i18n/setlang/", {"language": "en", "next": "https://evil.example/"})
    assert resp.status_code == 302 and resp["Location"] == "/"


def test_not_found_page_follows_the_language(district):
    c = _signed_in(district)
    assert "页面不存在或无权查看" in c.get("/org/units/999999/").content.decode()
    c.cookies[settings.LANGUAGE_COOKIE_NAME] = "en"
    resp = c.get("/org/units/999999/")
    assert resp.status_code == 404 and "Page not found, or not yours to see" in resp.content.decode()


def test_python_messages_follow_the_language(district):
    c = _signed_in(district)
    c.cookies[settings.LANGUAGE_COOKIE_NAME] = "en"
    html = c.get("/org/grids/locate/?lng=abc&lat=1").content.decode()
    assert "Enter a valid position" in html


def test_admin_header_is_chinese_by_default_and_english_by_choice(district):
    c = _signed_in(district, "admin")
    assert "攻坚指挥平台 后台管理" in c.get("/admin/").content.decode()
    c.cookies[settings.LANGUAGE_COOKIE_NAME] = "en"
    assert "Gongjian Command Platform administration" in c.get("/admin/").content.decode()


def test_english_catalogue_is_complete_and_compiled():
    po = [e for e in polib.pofile(str(LOCALE / "django.po")) if not e.obsolete]
    assert len(po) > 50
    untranslated = [e.msgid for e in po if not e.translated() or "fuzzy" in e.flags]
    assert untranslated == []
    with (LOCALE / "django.mo").open("rb") as f:
        compiled = gettext.GNUTranslations(f)

    def from_mo(e) -> str:
        if e.msgid_plural:
            return compiled.ngettext(e.msgid, e.msgid_plural, 1)
        return compiled.pgettext(e.msgctxt, e.msgid) if e.msgctxt else compiled.gettext(e.msgid)

    stale = [e.msgid for e in po if from_mo(e) != (e.msgstr_plural[0] if e.msgid_plural else e.msgstr)]
    assert stale == [], "django.mo is older than django.po: run scripts/messages"
