"""The case page: visible in scope, 404 out of it, the audit trail as its timeline."""

from __future__ import annotations

import pytest
from django.test import Client

pytestmark = pytest.mark.django_db


def _client(user) -> Client:
    c = Client()
    c.force_login(user)
    return c


def test_handler_of_the_unit_sees_the_case_with_its_timeline(ledger):
    case = ledger.assigned(title="河堤垃圾")
    html = _client(ledger.d["handler_a"]).get(f"/cases/{case.pk}/").content.decode()
    assert case.serial in html and "河堤垃圾" in html
    assert "甲一社区" in html
    # reported, registered and assigned: three moves on the timeline
    assert html.count("<li><time") == 3


def test_handler_of_another_street_gets_404(ledger):
    case = ledger.assigned()
    resp = _client(ledger.d["handler_b"]).get(f"/cases/{case.pk}/")
    assert resp.status_code == 404
    assert case.serial not in resp.content.decode()


def test_anonymous_is_sent_to_login(ledger):
    case = ledger.assigned()
    resp = Client().get(f"/cases/{case.pk}/")
    assert resp.status_code == 302 and "/login/" in resp["Location"]
