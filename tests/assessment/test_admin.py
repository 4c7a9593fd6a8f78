import copy
import json

from django.test import Client

from gongjian.assessment.models import Scheme, SchemeVersion
from gongjian.core.models import AuditEvent
from tests.assessment.conftest import SCHEME

INLINE = {"versions-TOTAL_FORMS": "0", "versions-INITIAL_FORMS": "0", "versions-MIN_NUM_FORMS": "0",
          "versions-MAX_NUM_FORMS": "1000"}


def admin_client(district) -> Client:
    c = Client()
    c.force_login(district["admin"])
    return c


def test_admin_adds_a_scheme_and_an_edit_adds_a_version(district):
    c = admin_client(district)
    assert "考核方案" in c.get("/admin/").content.decode()
    form = {"name": "weekly", "title": "周考核", "is_default": "on", "definition": json.dumps(SCHEME), **INLINE}
    assert c.post("/admin/assessment/scheme/add/", form).status_code == 302
    scheme = Scheme.objects.get(name="weekly")
    assert scheme.latest().number == 1 and scheme.is_default
    changed = copy.deepcopy(SCHEME)
    changed["rules"][0]["cap"] = 5
    form |= {"definition": json.dumps(changed), "note": "上限改为5分"}
    page = c.get(f"/admin/assessment/scheme/{scheme.pk}/change/").content.decode()
    assert "规则定义(JSON)" in page and "上级发现问题" in page
    assert c.post(f"/admin/assessment/scheme/{scheme.pk}/change/", form).status_code == 302
    versions = list(SchemeVersion.objects.filter(scheme=scheme).order_by("number"))
    assert [v.number for v in versions] == [1, 2]
    assert versions[0].definition["rules"][0]["cap"] == "3" and versions[1].definition["rules"][0]["cap"] == "5"
    assert versions[1].note == "上限改为5分"
    assert AuditEvent.objects.filter(action="scheme.version", actor=district["admin"]).count() == 2


def test_bad_rules_are_shown_on_the_form_and_nothing_is_saved(district):
    c = admin_client(district)
    bad = copy.deepcopy(SCHEME)
    bad["rules"][2]["set"] = "whatever"
    resp = c.post("/admin/assessment/scheme/add/", {"name": "weekly", "title": "周考核",
                                                   "definition": json.dumps(bad), **INLINE})
    assert resp.status_code == 200
    assert "rules[2].set" in resp.context["adminform"].form.errors["definition"][0]
    resp = c.post("/admin/assessment/scheme/add/", {"name": "weekly", "title": "周考核",
                                                   "definition": "{\"base\": 100,", **INLINE})
    assert "JSON 格式错误" in str(resp.context["adminform"].form.errors["definition"])
    assert not Scheme.objects.exists() and not AuditEvent.objects.filter(action="scheme.version").exists()


def test_versions_and_rankings_cannot_be_edited_in_admin(district):
    c = admin_client(district)
    assert c.get("/admin/assessment/schemeversion/add/").status_code == 403
    assert c.get("/admin/assessment/ranking/add/").status_code == 403
