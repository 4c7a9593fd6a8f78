"""The ledger's totals: the trigger-kept tally and the capped count agree with counting the rows."""

from __future__ import annotations

import pytest
from django.db.models import Count

from gongjian.ledger import selectors, services
from gongjian.ledger.models import Case, CaseTally, Status
from tests.ledger.conftest import TODAY
from tests.ledger.test_spreadsheets import write_xlsx

pytestmark = pytest.mark.django_db


def tally() -> dict[tuple[int, int, str], int]:
    return {(t.campaign_id, t.unit_key, t.status): t.n for t in CaseTally.objects.all() if t.n}


def counted() -> dict[tuple[int, int, str], int]:
    rows = Case.objects.values("campaign_id", "unit_id", "status").annotate(n=Count("id"))
    return {(r["campaign_id"], r["unit_id"] or 0, r["status"]): r["n"] for r in rows}


def test_the_tally_follows_reports_moves_imports_bulk_updates_and_deletes(ledger, tmp_path):
    d = ledger.d
    assert tally() == {}
    a = ledger.report()
    b = ledger.assigned()
    c = ledger.submitted()
    assert tally() == counted() and sum(tally().values()) == 3
    services.transition(actor=d["inspector"], case=c, action="close")
    services.transition(actor=d["commander"], case=a, action="reject", reason="重复上报")
    services.transition(actor=d["handler_a"], case=b, action="return", reason="不属于本单位")
    assert tally() == counted()
    path = tmp_path / "import.xlsx"
    write_xlsx(path, [["序号", "问题描述", "责任单位", "问题类别", "整改时限"],
                      [1, "甲街道建设路垃圾堆放", "甲街道", "垃圾围城", "5个工作日"],
                      [2, "乙街道人民路渣土未苫盖", "乙街道", "扬尘", "2026-06-10"]])
    from gongjian.ledger.spreadsheets import import_cases

    result = import_cases(actor=d["commander"], campaign=ledger.campaign, path=path, dry_run=False)
    assert result.ok, result.errors
    assert tally() == counted() and sum(tally().values()) == 5
    Case.objects.filter(unit=d.community_a).update(unit=d.street_b)   # a bulk UPDATE by hand
    assert tally() == counted()
    c.evidence.all().delete()
    Case.objects.filter(pk=c.pk).delete()
    assert tally() == counted() and sum(tally().values()) == 4


def test_counts_come_from_the_tally_for_the_district_and_are_exact(ledger):
    for _ in range(3):
        ledger.assigned()
    ledger.submitted()
    ledger.report(category=ledger.dust)
    commander = ledger.d["commander"]
    f = selectors.LedgerFilter(campaign=ledger.campaign.pk)
    qs = selectors.ledger(commander, f, on=TODAY)
    counts = selectors.ledger_counts(commander, f, qs)
    assert counts.exact and counts.total == qs.count() == 5
    assert counts.by_status == selectors.counts_by_status(qs)
    assert counts.by_status[Status.ASSIGNED] == 3 and counts.by_status[Status.SUBMITTED] == 1
    # a unit subtree and a status list narrow the tally like they narrow the rows
    f = selectors.LedgerFilter(unit=ledger.d.street_a.pk, status=[Status.ASSIGNED])
    qs = selectors.ledger(commander, f, on=TODAY)
    assert selectors.ledger_counts(commander, f, qs).total == qs.count() == 3
    f = selectors.LedgerFilter(unit=ledger.d.street_b.pk)
    assert selectors.ledger_counts(commander, f, selectors.ledger(commander, f, on=TODAY)).total == 0


def test_a_scoped_reader_and_other_filters_count_their_rows_exactly_below_the_cap(ledger):
    ledger.assigned()
    ledger.assigned(title="工地扬尘", category=ledger.dust)
    handler = ledger.d["handler_b"]          # another street: sees none of them
    f = selectors.LedgerFilter()
    counts = selectors.ledger_counts(handler, f, selectors.ledger(handler, f, on=TODAY))
    assert counts.exact and counts.total == 0
    commander = ledger.d["commander"]
    f = selectors.LedgerFilter(q="扬尘")
    counts = selectors.ledger_counts(commander, f, selectors.ledger(commander, f, on=TODAY))
    assert counts.exact and counts.total == 1 and counts.by_status[Status.ASSIGNED] == 1


def test_above_the_cap_the_total_says_more_than(ledger, monkeypatch):
    for _ in range(3):
        ledger.assigned()
    monkeypatch.setattr(selectors, "COUNT_CAP", 2)
    commander = ledger.d["commander"]
    f = selectors.LedgerFilter(light="green")
    counts = selectors.ledger_counts(commander, f, selectors.ledger(commander, f, on=TODAY))
    assert counts == selectors.LedgerCounts({}, 2, exact=False)
    f = selectors.LedgerFilter()   # the tally is not capped
    counts = selectors.ledger_counts(commander, f, selectors.ledger(commander, f, on=TODAY))
    assert counts.exact and counts.total == 3


def test_the_api_says_when_the_total_is_capped(ledger, client, monkeypatch):
    ledger.assigned()
    ledger.assigned()
    monkeypatch.setattr(selectors, "COUNT_CAP", 1)
    client.force_login(ledger.d["commander"])
    body = client.get("/api/ledger/cases?light=green").json()
    assert body["count"] == 1 and body["count_exact"] is False and body["counts"] == {}
    assert len(body["results"]) == 2
    body = client.get("/api/ledger/cases").json()
    assert body["count"] == 2 and body["count_exact"] is True and body["counts"]["assigned"] == 2


def test_an_imported_case_timeline_begins_with_its_import(ledger, tmp_path):
    from gongjian.ledger.spreadsheets import import_cases

    earlier = ledger.assigned()
    path = tmp_path / "import.xlsx"
    write_xlsx(path, [["序号", "问题描述", "责任单位", "问题类别", "整改时限"],
                      [1, "甲街道建设路垃圾堆放", "甲街道", "垃圾围城", "5个工作日"],
                      [2, "乙街道人民路渣土未苫盖", "乙街道", "扬尘", "2026-06-10"]])
    result = import_cases(actor=ledger.d["commander"], campaign=ledger.campaign, path=path, dry_run=False)
    case = Case.objects.get(pk=result.case_ids[1])
    services.transition(actor=ledger.d["handler_b"], case=case, action="accept")
    actions = [e.action for e in selectors.case_timeline(case)]
    assert actions[0] == "case.import" and actions[-1].endswith("accept")
    assert "case.import" not in [e.action for e in selectors.case_timeline(earlier)]
