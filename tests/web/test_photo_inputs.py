"""Every evidence photo input carries GONGJIAN_PHOTO_MAX_SIDE as data-shrink and its page loads photos.js
(which shrinks the photos, tests/browser/test_photo_shrink.py); 0 turns it off: no attribute, no script."""

from __future__ import annotations

import re

import pytest
from django.test import Client, override_settings

from gongjian.ledger import services
from tests.inspection.test_pages import night
from tests.ledger.conftest import fixed_today, ledger  # noqa: F401  (fixtures: the campaign; today pinned)

pytestmark = pytest.mark.django_db
PHOTO_INPUT = re.compile(r'<input id="[rf]-photos" name="photos" type="file"[^>]*>')


def pages(ledger):  # noqa: F811
    """(user, path) of each page with an evidence photo input: 上报, a case at 提交, an inspection's findings."""
    d = ledger.d
    case = ledger.assigned()
    services.transition(actor=d["handler_a"], case=case, action="accept")
    return [(d["grid_worker_a"], "/report/"), (d["handler_a"], f"/cases/{case.pk}/"),
            (d["inspector"], f"/inspections/{night(ledger).pk}/")]


def render(user, path) -> str:
    c = Client()
    c.force_login(user)
    resp = c.get(path)
    assert resp.status_code == 200
    return resp.content.decode()


@pytest.mark.parametrize("setting, attribute", [(None, ' data-shrink="2560"'), (1600, ' data-shrink="1600"')])
def test_photo_inputs_carry_the_longest_side(ledger, settings, setting, attribute):  # noqa: F811
    if setting is not None:
        settings.GONGJIAN_PHOTO_MAX_SIDE = setting
    for user, path in pages(ledger):
        html = render(user, path)
        inputs = PHOTO_INPUT.findall(html)
        assert len(inputs) == 1 and attribute in inputs[0], path
        assert "gongjian/photos.js" in html and "/jsi18n/" in html, path


@override_settings(GONGJIAN_PHOTO_MAX_SIDE=0)
def test_zero_turns_shrinking_off(ledger):  # noqa: F811
    for user, path in pages(ledger):
        html = render(user, path)
        assert len(PHOTO_INPUT.findall(html)) == 1, path  # the input is there, plain
        assert "data-shrink" not in html and "photos.js" not in html, path


def test_a_case_without_a_photo_form_loads_no_script(ledger):  # noqa: F811
    case = ledger.assigned()
    html = render(ledger.d["viewer_a"], f"/cases/{case.pk}/")
    assert "photos.js" not in html and "data-shrink" not in html
