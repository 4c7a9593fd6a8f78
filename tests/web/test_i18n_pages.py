"""Every page speaks English when the reader chose English.

* No template under src/gongjian (vendor left out) has Chinese text outside the translate
  tags and template comments, so a new page cannot slip in untranslated (the check names file and line).
* The English catalogue has no untranslated or fuzzy entry, plural forms included.
* Each main page of the layout check, rendered in English, keeps none of the Chinese text of the
  templates it was rendered from; rendered by default, it is still Chinese.
"""

from __future__ import annotations

import datetime as dt
import re
from pathlib import Path

import polib
import pytest
from django.apps import apps
from django.conf import settings
from django.db import models
from django.test import Client
from django.urls import reverse
from django.utils.translation.template import templatize

import gongjian
from gongjian.ledger import services as ledger_services
from gongjian.org.models import User
from tests.browser.test_layout import CANDIDATES, _case

SRC = Path(gongjian.__file__).parent
CATALOGUE = SRC / "locale" / "en" / "LC_MESSAGES" / "django.po"
SCRIPT_CATALOGUE = SRC / "locale" / "en" / "LC_MESSAGES" / "djangojs.po"

# Ideographs and the full-width punctuation that goes with them (、，。：；（）and the ideographic space).
CJK = re.compile(r"[\u3000-\u303f\u3400-\u4dbf\u4e00-\u9fff\uff00-\uffef]")
IDEOGRAPH = re.compile(r"[\u3400-\u4dbf\u4e00-\u9fff]")
_EXEMPT = [
    r"\{%\s*comment\s*%\}.*?\{%\s*endcomment\s*%\}",
    r"\{#.*?#\}",
    r"\{%\s*blocktrans(?:late)?\b.*?\{%\s*endblocktrans(?:late)?\s*%\}",
    r"\{%\s*trans(?:late)?\s+(?:\"[^\"]*\"|'[^']*').*?%\}",
    r"\b_\((?:\"[^\"]*\"|'[^']*')\)",  # _("…") in a tag or filter argument
    # An element marked as Chinese on purpose: the language switch offers 中文 in Chinese.
    r"<(\w+)\b[^>]*\blang=\"zh-Hans\"[^>]*>.*?</\1>",
]


def untranslated_lines(source: str) -> list[tuple[int, str]]:
    """(line number, text) of each line with Chinese outside translate tags and comments."""

    def blank(m: re.Match) -> str:  # keep the line numbers of what follows
        return re.sub(r"[^\n]", " ", m.group(0))

    for pattern in _EXEMPT:
        source = re.sub(pattern, blank, source, flags=re.S)
    return [(n, line.strip()) for n, line in enumerate(source.splitlines(), 1) if CJK.search(line)]


def _templates() -> list[Path]:
    found = [p for p in SRC.glob("*/templates/**/*.html") if "vendor" not in p.parts]
    assert len(found) > 40  # the glob found the templates
    return sorted(found)


def test_the_scan_finds_chinese_outside_the_translate_tags():
    source = "\n".join([
        '{% load i18n %}<h1>{% translate "台账" %}</h1>',
        "{# 注释里的中文不算 #}",
        "<p>未翻译的说明</p>",
        '<input placeholder="如：路口东侧">',
        '{% blocktranslate with n=total %}共 {{ n }} 件{% endblocktranslate %}',
        '{{ value|default:_("无") }}',
        '<td>{{ a }}（{{ b }}）</td>',
        '<button lang="zh-Hans">中文</button>',
    ])
    assert [n for n, _ in untranslated_lines(source)] == [3, 4, 7]


def test_no_template_has_chinese_outside_the_translate_tags():
    problems = [f"{path.relative_to(SRC)}:{n}: {text[:100]}"
                for path in _templates() for n, text in untranslated_lines(path.read_text(encoding="utf-8"))]
    assert problems == [], "Chinese text outside {% translate %}/{% blocktranslate %}:\n" + "\n".join(problems)


def _script_untranslated_lines(source: str) -> list[tuple[int, str]]:
    """Lines of a page script with Chinese outside comments and gettext("…")."""

    def blank(m: re.Match) -> str:
        return re.sub(r"[^\n]", " ", m.group(0))

    for pattern in (r"/\*.*?\*/", r"//[^\n]*", r"\bgettext\(\"[^\"]*\"\)"):
        source = re.sub(pattern, blank, source, flags=re.S)
    return [(n, line.strip()) for n, line in enumerate(source.splitlines(), 1) if CJK.search(line)]


def test_no_page_script_has_chinese_outside_gettext():
    scripts = [p for p in SRC.glob("*/static/**/*.js") if "vendor" not in p.parts]
    assert len(scripts) > 5
    problems = [f"{path.relative_to(SRC)}:{n}: {text[:100]}"
                for path in scripts for n, text in _script_untranslated_lines(path.read_text(encoding="utf-8"))]
    assert problems == [], "Chinese text outside gettext() in scripts:\n" + "\n".join(problems)
    assert _script_untranslated_lines('// 注释\nshow(gettext("加载失败"));\nshow("加载失败");') == [
        (3, 'show("加载失败");')]


@pytest.mark.parametrize("path", [CATALOGUE, SCRIPT_CATALOGUE], ids=["pages", "scripts"])
def test_the_english_catalogue_has_no_untranslated_or_fuzzy_entry(path):
    po = polib.pofile(str(path))
    live = [e for e in po if not e.obsolete]
    assert len(live) > (700 if path == CATALOGUE else 15)
    untranslated = [e.msgid for e in live if not e.translated()]
    fuzzy = [e.msgid for e in live if "fuzzy" in e.flags]
    assert untranslated == [] and fuzzy == [] and not po.metadata_is_fuzzy
    # Plural entries: both English forms are there.
    plurals = [e for e in live if e.msgid_plural]
    assert all(e.msgstr_plural.get(0) and e.msgstr_plural.get(1) for e in plurals)
    assert plurals or path == SCRIPT_CATALOGUE

    # The translation keeps the placeholders the code fills in.
    def placeholders(text: str) -> set[str]:
        return set(re.findall(r"%\(\w+\)[sd]|\{\w+\}", text))

    for e in live:
        for text in e.msgstr_plural.values() if e.msgid_plural else [e.msgstr]:
            assert placeholders(text) == placeholders(e.msgid), e.msgid


def test_page_scripts_get_their_english_from_the_catalogue_script(district):
    c = Client()
    c.force_login(district["commander"])
    catalogue = reverse("javascript-catalog")
    html = c.get(reverse("ledger:map")).content.decode()
    assert -1 < html.find(f'<script src="{catalogue}"></script>') < html.find("gongjian/map.js")  # loaded first
    assert "Loading the points" not in c.get(catalogue).content.decode()  # Chinese: the scripts' own text
    c.cookies[settings.LANGUAGE_COOKIE_NAME] = "en"
    js = c.get(catalogue).content.decode()
    assert "Loading the points" in js and "tap the location on the map" in js


def _msgids(template_names: set[str]) -> set[str]:
    """The msgids of those of these templates that are ours (not Django's, not the notification app's)."""
    from django.template import TemplateDoesNotExist, engines

    engine = engines["django"].engine
    found = set()
    for name in template_names:
        try:
            origin = engine.find_template(name)[1]
        except TemplateDoesNotExist:  # form widgets come from the form renderer, not ours
            continue
        path = Path(origin.name)
        if SRC in path.parents:
            code = templatize(path.read_text(encoding="utf-8"))
            found.update(re.findall(r"\b(?:gettext|ngettext)\(u'((?:[^'\\]|\\.)*)'", code))
    return found


def _template_chinese(template_names: set[str]) -> set[str]:
    """The Chinese pieces of the templates' msgids: the literal runs between placeholders and tags."""
    pieces = set()
    for msgid in _msgids(template_names):
        for piece in re.split(r"%\(\w+\)[sd]|<[^>]+>", msgid):
            piece = piece.strip()
            if IDEOGRAPH.search(piece):
                pieces.add(piece)
    return pieces


def _data_texts() -> list[str]:
    """Every Chinese text the test data put into the database (names, titles, descriptions …)."""
    texts = set()
    for model in apps.get_models():
        fields = [f.attname for f in model._meta.concrete_fields if isinstance(f, models.CharField | models.TextField)]
        if not fields:
            continue
        for row in model.objects.values_list(*fields):
            texts.update(v for v in row if isinstance(v, str) and IDEOGRAPH.search(v))
    return sorted(texts, key=len, reverse=True)


# Text the page shows that is neither its template's nor the database's, and stays Chinese on purpose.
NOT_OURS: dict[str, list[str]] = {}


def _visible(html: str, data: list[str], extra: list[str]) -> str:
    html = re.sub(r"<script\b.*?</script>", " ", html, flags=re.S)
    html = re.sub(r"<(\w+)\b[^>]*\blang=\"zh-Hans\"[^>]*>.*?</\1>", " ", html, flags=re.S)
    for text in [*data, *extra]:
        html = html.replace(text, " ").replace(text.replace("&", "&amp;"), " ")
    return html


@pytest.fixture
def pages(district, monkeypatch):
    """render(name, lang) -> (html, template names) for a page of the layout check, as its user."""
    monkeypatch.setattr(ledger_services, "today", lambda: dt.date(2026, 6, 1))
    case = _case(district)
    args = {"unit": district.street_a.pk, "case": case.pk}
    who_of = {name: who for name, _arg, who in CANDIDATES}
    arg_of = {name: arg for name, arg, _who in CANDIDATES}

    def render(name: str, lang: str | None):
        c = Client()
        if who_of[name]:
            c.force_login(User.objects.get(username=who_of[name]))
        if lang:
            c.cookies[settings.LANGUAGE_COOKIE_NAME] = lang
        arg = arg_of[name]
        resp = c.get(reverse(name, args=[args[arg]] if arg else []))
        assert resp.status_code == 200, name
        return resp.content.decode(), {t.name for t in resp.templates if t.name}

    return render


@pytest.mark.parametrize("name", [name for name, _arg, _who in CANDIDATES])
def test_main_page_in_english_keeps_none_of_its_template_chinese(pages, name):
    html, templates = pages(name, "en")
    assert '<html lang="en">' in html
    chinese = _template_chinese(templates)
    assert chinese, f"no Chinese msgids found for {name}: {sorted(templates)}"
    visible = _visible(html, _data_texts(), NOT_OURS.get(name, []))
    left = sorted(piece for piece in chinese if piece in visible)
    assert left == [], f"{name} in English still shows: {left}"


# A sample of pages and text their Chinese rendering must keep (the default for every reader).
CHINESE_SAMPLE = {
    "home": ["<h1>工作台", "我的待办", "各单位进度", "按期率"],
    "ledger:list": ["<h1>台账</h1>", "导出 Excel", ">整改期限<", "交办选中案件"],
    "ledger:case": ["基本情况", "整改前后对比", "办理过程", "可执行操作"],
    "reporting:daily": ["<h1>每日报送", "本日尚未报送。", ">识别</button>"],
    "air:ranking": ["街道(乡镇)空气质量排名", "当前范围内没有乡镇站(街道空气站)。"],
    "jobs:status": ["<h1>后台任务</h1>", "定时任务", "立即运行"],
    "inspection:new": ["<h1>录入督查</h1>", "督查点位(每行一个)"],
}


@pytest.mark.parametrize("name", sorted(CHINESE_SAMPLE))
def test_main_page_stays_chinese_by_default(pages, name):
    html, templates = pages(name, None)
    assert '<html lang="zh-hans">' in html
    for text in CHINESE_SAMPLE[name]:
        assert text in html, (name, text)
    # And none of the English of its own text leaks in (long sentences only: short words like "PDF" are shared).
    po = {e.msgid: e.msgstr for e in polib.pofile(str(CATALOGUE)) if e.msgstr}
    english = {po[m] for m in _msgids(templates) if m in po and len(po[m]) > 15 and " " in po[m]}
    assert english and [t for t in english if t in html] == []

