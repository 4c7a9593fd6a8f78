"""Accessibility of the main pages, checked on their HTML and on site.css.

* every input, select and textarea a person fills in has a label (for=, wrapping, aria-label or
  aria-labelledby), every button has a name, the page has a language, a skip link to <main>, and the
  phone menu button says whether the menu is open;
* the deadline-light badges and the body text have a WCAG contrast ratio of at least 4.5:1.

Every main page is listed; a page whose URL name no longer resolves fails the test.
"""

from __future__ import annotations

import datetime as dt
import re
from html.parser import HTMLParser
from pathlib import Path

import pytest
from django.test import Client
from django.urls import reverse

import gongjian
from gongjian.ledger import services as ledger_services
from gongjian.ledger.models import Source

SITE_CSS = Path(gongjian.__file__).parent / "web" / "static" / "gongjian" / "site.css"

# (URL name, what its argument is, who looks at it). "anonymous" pages are fetched signed out.
CANDIDATES = [
    ("login", None, "anonymous"),
    ("home", None, "commander"),
    ("org:units", None, "commander"),
    ("org:unit", "unit", "commander"),
    ("org:grids", None, "commander"),
    ("tokens", None, "handler_a"),
    ("audit", None, "admin"),
    ("ledger:case", "case", "commander"),
    ("ledger:list", None, "commander"),
    ("ledger:report", None, "grid_worker_a"),
    ("ledger:map", None, "commander"),
    ("reporting:daily", None, "handler_a"),
    ("reporting:overview", None, "commander"),
    ("reporting:documents", None, "commander"),
    ("inspection:list", None, "inspector"),
    ("inspection:new", None, "inspector"),
    ("assessment:ranking", None, "commander"),
    ("air:ranking", None, "commander"),
    ("notify:inbox", None, "handler_a"),
    ("notify:deliveries", None, "commander"),
]


PAGES = CANDIDATES


def make_case(district):
    """A campaign and one registered, assigned case in street A, made through the services."""
    campaign = ledger_services.campaign_create(
        actor=None, name="无障碍检查专项", serial_prefix="无障碍", command_unit=district.command,
        starts_on=dt.date(2026, 5, 1), categories=[{"name": "垃圾围城", "default_workdays": 3}])
    case = ledger_services.case_report(
        actor=district["grid_worker_a"], campaign=campaign, category=campaign.categories.get(),
        title="路边垃圾堆放", source=Source.DISTRICT_INSPECTION, lng=113.205, lat=35.205)
    case = ledger_services.transition(actor=district["commander"], case=case, action="register")
    return ledger_services.transition(actor=district["commander"], case=case, action="assign", workdays=3)


def page_url(name: str, arg: str | None, district) -> str:
    if arg == "unit":
        return reverse(name, args=[district.street_a.pk])
    if arg == "case":
        return reverse(name, args=[make_case(district).pk])
    return reverse(name)


class PageParser(HTMLParser):
    """Collects what the checks need: fields, labels, buttons, ids, the html lang, links."""

    FIELDS = {"input", "select", "textarea"}
    UNLABELLED_INPUTS = {"hidden", "submit", "button", "reset", "image"}

    def __init__(self):
        super().__init__(convert_charrefs=True)
        self.ids: set[str] = set()
        self.duplicate_ids: list[str] = []
        self.label_for: set[str] = set()
        self.fields: list[dict] = []
        self.buttons: list[dict] = []
        self.links: list[dict] = []
        self.html_lang: str | None = None
        self.mains: list[dict] = []
        self._label_depth = 0
        self._button: dict | None = None

    def handle_starttag(self, tag, attrs):
        a = {k: (v or "") for k, v in attrs}
        if "id" in a:
            if a["id"] in self.ids:
                self.duplicate_ids.append(a["id"])
            self.ids.add(a["id"])
        if tag == "html":
            self.html_lang = a.get("lang")
        elif tag == "main":
            self.mains.append(a)
        elif tag == "label":
            self._label_depth += 1
            if a.get("for"):
                self.label_for.add(a["for"])
        elif tag == "a":
            self.links.append(a)
        elif tag == "button":
            self._button = {**a, "text": ""}
            self.buttons.append(self._button)
        if tag in self.FIELDS:
            if tag == "input" and a.get("type", "text").lower() in self.UNLABELLED_INPUTS:
                return
            self.fields.append({**a, "tag": tag, "wrapped": self._label_depth > 0})

    def handle_endtag(self, tag):
        if tag == "label" and self._label_depth:
            self._label_depth -= 1
        elif tag == "button":
            self._button = None

    def handle_data(self, data):
        if self._button is not None:
            self._button["text"] += data

    def unlabelled(self) -> list[str]:
        bad = []
        for f in self.fields:
            by_ref = f.get("aria-labelledby") and all(i in self.ids for i in f["aria-labelledby"].split())
            if not (f["wrapped"] or (f.get("id") and f["id"] in self.label_for)
                    or f.get("aria-label", "").strip() or by_ref):
                bad.append(f"<{f['tag']} name={f.get('name')!r} id={f.get('id')!r}>")
        return bad


def fetch(client: Client, url: str) -> PageParser:
    resp = client.get(url)
    assert resp.status_code == 200, (url, resp.status_code)
    parser = PageParser()
    parser.feed(resp.content.decode())
    return parser


def _client(district, who: str) -> Client:
    c = Client()
    if who != "anonymous":
        c.force_login(district[who])
    return c


@pytest.fixture(autouse=True)
def fixed_today(monkeypatch):
    monkeypatch.setattr(ledger_services, "today", lambda: dt.date(2026, 6, 1))


def test_the_page_list_covers_the_shell_pages():
    names = {p[0] for p in PAGES}
    assert {"login", "home", "org:units", "org:unit", "org:grids", "tokens", "audit", "ledger:case"} <= names


@pytest.mark.parametrize(("name", "arg", "who"), PAGES, ids=[p[0] for p in PAGES])
def test_every_field_has_a_label(db, district, name, arg, who):
    page = fetch(_client(district, who), page_url(name, arg, district))
    assert page.unlabelled() == [], f"{name}: fields without a label"
    assert page.duplicate_ids == [], f"{name}: an id used twice (labels and skip links point at the first)"


@pytest.mark.parametrize(("name", "arg", "who"), PAGES, ids=[p[0] for p in PAGES])
def test_every_button_has_a_name_and_the_page_has_lang_and_skip_link(db, district, name, arg, who):
    page = fetch(_client(district, who), page_url(name, arg, district))
    nameless = [b for b in page.buttons if not (b["text"].strip() or b.get("aria-label", "").strip()
                                                or b.get("title", "").strip())]
    assert nameless == [], f"{name}: buttons without a name"
    assert page.html_lang == "zh-hans"
    assert len(page.mains) == 1 and page.mains[0].get("id") == "main"
    assert any(link.get("href") == "#main" for link in page.links), "skip link to #main"


def test_the_menu_button_controls_the_menu_and_starts_closed(db, district):
    html = _client(district, "commander").get(reverse("home")).content.decode()
    page = PageParser()
    page.feed(html)
    toggles = [b for b in page.buttons if "menu-toggle" in b.get("class", "")]
    assert len(toggles) == 1
    toggle = toggles[0]
    assert toggle["type"] == "button" and toggle["aria-expanded"] == "false"
    assert toggle["aria-controls"] in page.ids
    assert toggle["text"].strip() == "菜单"


def test_a_field_without_a_label_is_reported():
    """The checker itself: it must catch the mistakes it is there for, and accept each way of labelling."""
    page = PageParser()
    page.feed('<label for="a">A</label><input id="a"><label>B <select name="b"></select></label>'
              '<input aria-label="C"><span id="d">D</span><textarea aria-labelledby="d"></textarea>'
              '<input type="hidden" name="h"><input name="lost"><textarea aria-labelledby="nowhere"></textarea>'
              '<input id="x" name="wrong-for"><label for="y">Y</label>')
    assert page.unlabelled() == ["<input name='lost' id=None>", "<textarea name=None id=None>",
                                 "<input name='wrong-for' id='x'>"]


# ---------------------------------------------------------------- contrast (WCAG 2.x)


def css_rules(css: str) -> list[tuple[list[str], dict[str, str]]]:
    """Top-level and @media rules as (selectors, declarations); comments removed, @page etc. kept out."""
    css = re.sub(r"/\*.*?\*/", "", css, flags=re.S)
    rules = []
    for selectors, body in re.findall(r"([^{}]+)\{([^{}]*)\}", css):
        selectors = selectors.strip()
        if selectors.startswith("@"):
            selectors = selectors.split("{")[-1]
        decls = {}
        for decl in body.split(";"):
            if ":" in decl:
                k, v = decl.split(":", 1)
                decls[k.strip()] = v.strip()
        rules.append(([s.strip() for s in selectors.split(",")], decls))
    return rules


def _site_css() -> str:
    text = SITE_CSS.read_text(encoding="utf-8")
    # Only the screen styles: the print block is black on white.
    return text.split("@media print")[0]


def declarations(selector: str) -> dict[str, str]:
    merged: dict[str, str] = {}
    for selectors, decls in css_rules(_site_css()):
        if selector in selectors:
            merged.update(decls)
    assert merged, f"site.css has no rule for {selector}"
    return merged


def colour(value: str, variables: dict[str, str]) -> tuple[int, int, int]:
    value = value.strip()
    m = re.fullmatch(r"var\((--[\w-]+)\)", value)
    if m:
        assert m.group(1) in variables, f"undefined CSS variable {m.group(1)}"
        return colour(variables[m.group(1)], variables)
    m = re.fullmatch(r"#([0-9a-fA-F]{3}|[0-9a-fA-F]{6})", value)
    assert m, f"not a solid hex colour: {value!r}"
    h = m.group(1)
    if len(h) == 3:
        h = "".join(c * 2 for c in h)
    return int(h[0:2], 16), int(h[2:4], 16), int(h[4:6], 16)


def luminance(rgb: tuple[int, int, int]) -> float:
    def channel(c: int) -> float:
        s = c / 255
        return s / 12.92 if s <= 0.04045 else ((s + 0.055) / 1.055) ** 2.4

    r, g, b = (channel(c) for c in rgb)
    return 0.2126 * r + 0.7152 * g + 0.0722 * b


def contrast(fg: tuple[int, int, int], bg: tuple[int, int, int]) -> float:
    lighter, darker = sorted((luminance(fg), luminance(bg)), reverse=True)
    return (lighter + 0.05) / (darker + 0.05)


def css_variables() -> dict[str, str]:
    return {k: v for k, v in declarations(":root").items() if k.startswith("--")}


def test_contrast_formula_matches_the_wcag_reference_values():
    assert contrast((0, 0, 0), (255, 255, 255)) == pytest.approx(21.0)
    assert contrast((255, 255, 255), (255, 255, 255)) == pytest.approx(1.0)
    assert contrast((0x77, 0x77, 0x77), (255, 255, 255)) == pytest.approx(4.48, abs=0.01)  # just fails AA
    assert contrast((0x76, 0x76, 0x76), (255, 255, 255)) == pytest.approx(4.54, abs=0.01)  # just passes


@pytest.mark.parametrize("light", ["red", "yellow", "green"])
def test_deadline_light_badges_are_readable(light):
    variables = css_variables()
    rule = declarations(f".light-{light}")
    ratio = contrast(colour(rule["color"], variables), colour(rule["background"], variables))
    assert ratio >= 4.5, f".light-{light}: {ratio:.2f}:1"


def test_body_text_links_and_header_are_readable():
    variables = css_variables()
    body = declarations("body")
    page_bg, card_bg = colour(body["background"], variables), colour(declarations(".card")["background"], variables)
    pairs = {
        "body text on page": (colour(body["color"], variables), page_bg),
        "body text on card": (colour(body["color"], variables), card_bg),
        "muted on page": (colour("var(--muted)", variables), page_bg),
        "muted on card": (colour("var(--muted)", variables), card_bg),
        "link on card": (colour("var(--link)", variables), card_bg),
        "error on card": (colour("var(--bad)", variables), card_bg),
        "ok on card": (colour("var(--ok)", variables), card_bg),
        "header": (colour(declarations("header.top")["color"], variables),
                   colour(declarations("header.top")["background"], variables)),
        "button": (colour(declarations("button")["color"], variables),
                   colour(declarations("button")["background"], variables)),
    }
    weak = {k: round(contrast(*v), 2) for k, v in pairs.items() if contrast(*v) < 4.5}
    assert weak == {}
