"""Inspections: recorded by inspectors, each finding a case with the inspection's source; the night
report and the rectification notice read back from their files."""

from __future__ import annotations

import datetime as dt

import pytest
from django.utils import timezone
from docx import Document as Docx

from gongjian.cli import main
from gongjian.core import audit
from gongjian.core.errors import Forbidden, Invalid
from gongjian.inspection import selectors, services
from gongjian.inspection.documents import write_night_report
from gongjian.ledger.models import Source, Status
from gongjian.reporting.documents import write_notice
from gongjian.reporting.models import Document, DocumentKind
from tests.ledger.conftest import TODAY, jpeg
from tests.reporting.test_documents import assert_gbt9704

pytestmark = pytest.mark.django_db
TZ = timezone.get_current_timezone()


def at(day: dt.date, hour: int, minute: int = 0) -> dt.datetime:
    return dt.datetime.combine(day, dt.time(hour, minute), tzinfo=TZ)


def night(ledger, **kw):
    d = ledger.d
    fields = dict(actor=d["inspector"], kind="night", campaign=ledger.campaign, title="城区夜查第一组",
                  starts_at=at(TODAY, 22), ends_at=at(TODAY + dt.timedelta(days=1), 2), lead=d["inspector"],
                  inspectors=[d["commander"]], places=["焦辉路渣土场", "丰收路工地"], summary="重点检查渣土运输。")
    fields.update(kw)
    return services.inspection_create(**fields)


def text_of(path) -> str:
    doc = Docx(path)
    return "\n".join([p.text for p in doc.paragraphs] + [c.text for t in doc.tables for r in t.rows for c in r.cells])


def test_a_finding_is_a_case_with_the_inspections_source(ledger):
    inspection = night(ledger)
    finding = services.finding_add(actor=ledger.d["inspector"], inspection=inspection, category=ledger.dust,
                                   title="渣土车未密闭", place="丰收路工地", lng=113.205, lat=35.205,
                                   photos=[jpeg("before.jpg")])
    case = finding.case
    assert case.source == Source.NIGHT and case.status == Status.REPORTED
    assert case.unit == ledger.d.community_a  # found from the point's grid
    assert case.reported_at == inspection.ends_at
    assert case.evidence.filter(stage="before").count() == 1
    assert set(inspection.inspectors.all()) == {ledger.d["inspector"], ledger.d["commander"]}
    assert audit.verify().ok


@pytest.mark.parametrize("change, field", [
    ({"kind": "picnic"}, "kind"), ({"title": " "}, "title"),
    ({"ends_at": at(TODAY, 21)}, "ends_at"), ({"ends_at": at(TODAY + dt.timedelta(days=40), 1)}, "ends_at"),
])
def test_bad_inspections_are_refused(ledger, change, field):
    with pytest.raises(Invalid) as err:
        night(ledger, **change)
    assert err.value.field == field


def test_only_inspectors_and_the_command_post_record_inspections(ledger):
    with pytest.raises(Forbidden):
        night(ledger, actor=ledger.d["handler_a"])
    inspection = night(ledger)
    with pytest.raises(Forbidden):
        services.finding_add(actor=ledger.d["grid_worker_a"], inspection=inspection, category=ledger.dust, title="x")


def test_inspections_are_scoped_to_the_organising_unit(ledger):
    inspection = night(ledger)
    assert inspection.unit == ledger.d.command
    assert list(selectors.inspections_visible(ledger.d["commander"])) == [inspection]
    assert list(selectors.inspections_visible(ledger.d["handler_b"])) == []


def test_night_report(ledger, tmp_path):
    inspection = night(ledger)
    for title, lng in (("渣土车未密闭", 113.205), ("工地裸土未覆盖", 113.215)):
        services.finding_add(actor=ledger.d["inspector"], inspection=inspection, category=ledger.dust, title=title,
                             place="丰收路工地", lng=lng, lat=35.205)
    night(ledger, kind="daily", title="白天督查", starts_at=at(TODAY, 9), ends_at=at(TODAY, 11))  # not a night
    doc = write_night_report(day=TODAY, out_dir=tmp_path, pdf=False)
    assert_gbt9704(Docx(doc.file.path))
    text = text_of(doc.file.path)
    assert "夜查日报(6月1日)" in text and "第1期" in text
    assert "共组织夜查1组次，出动督查人员2人，检查点位2个，发现问题2个" in text
    assert "22:00至02:00" in text and "白天督查" not in text
    assert "甲一社区" in text and "乙一社区" in text
    again = write_night_report(day=TODAY, out_dir=tmp_path, pdf=False)
    assert again.pk == doc.pk and again.number == "第1期"


def test_notice_for_a_case_and_for_a_unit(ledger, tmp_path):
    a = ledger.assigned(title="河堤垃圾")
    b = ledger.assigned(title="路边堆料")
    one = write_notice(cases=[a], unit=a.unit, out_dir=tmp_path, pdf=False)
    assert_gbt9704(Docx(one.file.path))
    text = text_of(one.file.path)
    assert one.number == "测试督办〔2026〕1号" and one.number in text
    assert "甲一社区：" in text and a.serial in text and "河堤垃圾" in text
    assert f"于{a.deadline.year}年{a.deadline.month}月{a.deadline.day}日前整改到位" in text
    both = write_notice(cases=[a, b], unit=a.unit, out_dir=tmp_path, pdf=False)
    assert both.number == "测试督办〔2026〕2号"
    assert b.serial in text_of(both.file.path)
    assert Document.objects.filter(kind=DocumentKind.NOTICE).count() == 2


def test_cli_notice_and_night(ledger, tmp_path, capsys):
    case = ledger.assigned(title="河堤垃圾")
    assert main(["docs", "notice", "--case", case.serial, "--out", str(tmp_path), "--no-pdf"]) == 0
    assert capsys.readouterr().out.strip().endswith(".docx")
    assert main(["docs", "notice", "--unit", "甲一社区", "--out", str(tmp_path), "--no-pdf"]) == 0
    assert main(["docs", "notice", "--unit", "乙一社区", "--out", str(tmp_path), "--no-pdf"]) == 1
    assert "没有未整改的问题" in capsys.readouterr().err
    assert main(["docs", "notice", "--out", str(tmp_path)]) == 2
    assert main(["docs", "night", "--date", "2026-06-01", "--out", str(tmp_path), "--no-pdf"]) == 0
    assert main(["docs", "night", "--date", "yesterday", "--out", str(tmp_path)]) == 2


def test_inspections_over_http(ledger):
    import json

    from django.test import Client

    d = ledger.d
    client = Client()
    client.force_login(d["inspector"])
    body = {"kind": "night", "campaign_id": ledger.campaign.pk, "title": "夜查", "starts_at": "2026-06-01T22:00:00+08:00",
            "ends_at": "2026-06-02T01:30:00+08:00", "places": ["焦辉路"], "inspector_ids": [d["commander"].pk]}
    r = client.post("/api/inspections", data=json.dumps(body), content_type="application/json")
    assert r.status_code == 201, r.content
    pk = r.json()["id"]
    r = client.post(f"/api/inspections/{pk}/findings", content_type="application/json",
                    data=json.dumps({"category_id": ledger.dust.pk, "title": "渣土撒漏", "lng": 113.205, "lat": 35.205}))
    assert r.status_code == 201 and r.json()["source"] == "night" and r.json()["serial"].startswith("测试整治")
    assert client.get("/api/inspections").json()[0]["finding_count"] == 1
    bad = dict(body, ends_at="2026-06-01T21:00:00+08:00")
    r = client.post("/api/inspections", data=json.dumps(bad), content_type="application/json")
    assert r.status_code == 400 and r.json()["error"]["field"] == "ends_at"
    other = Client()
    other.force_login(d["handler_b"])
    r = other.post(f"/api/inspections/{pk}/findings", content_type="application/json",
                   data=json.dumps({"category_id": ledger.dust.pk, "title": "x"}))
    assert r.status_code == 404  # out of scope: as if it did not exist
    other.force_login(d["handler_a"])
    assert other.post("/api/inspections", data=json.dumps(body), content_type="application/json").status_code == 403
