"""The reporting jobs: the daily three written by the worker (PDFs after), and 催报 for missing figures."""

from __future__ import annotations

import pytest
from django.utils import timezone
from django_tasks_db.models import DBTaskResult

from gongjian.jobs.worker import run_pending
from gongjian.notify.models import NoticeItem
from gongjian.reporting import services, tasks
from gongjian.reporting.models import DailyReport, Document, DocumentKind
from gongjian.standards import gbt9704

pytestmark = pytest.mark.django_db

MONDAY = "2026-06-01T18:00:00+08:00"   # the fixtures' today, a working day
SATURDAY = "2026-06-06T16:00:00+08:00"


def test_the_daily_three_for_the_slot_s_day_then_pdf_copies_in_the_worker(ledger, django_capture_on_commit_callbacks):
    d = ledger.d
    ledger.assigned()
    with django_capture_on_commit_callbacks(execute=True):
        result = tasks.daily_documents.call(MONDAY)
    docs = {doc.kind: doc for doc in Document.objects.filter(date="2026-06-01")}
    assert set(docs) == {DocumentKind.BRIEF, DocumentKind.BULLETIN, DocumentKind.LEDGER}
    assert result["documents"] == sorted(result["documents"]) and len(result["documents"]) == 3
    told = set(NoticeItem.objects.filter(topic="documents").values_list("user_id", flat=True))
    assert told == {d["commander"].pk, d["leader"].pk, d["bureau_leader"].pk}
    pdf_tasks = DBTaskResult.objects.filter(task_path=tasks.document_pdf.module_path)
    if gbt9704.libreoffice() is None:
        assert not pdf_tasks.exists()  # nothing to make them with; the page says so
        return
    assert pdf_tasks.count() == 2  # the brief and the bulletin; the ledger is a spreadsheet
    run_pending()
    for kind in (DocumentKind.BRIEF, DocumentKind.BULLETIN):
        doc = Document.objects.get(pk=docs[kind].pk)
        with doc.pdf.open("rb") as fh:
            assert fh.read(5) == b"%PDF-"
    assert not Document.objects.get(pk=docs[DocumentKind.LEDGER].pk).pdf
    # running the job again for the same day tells nobody twice and keeps the numbers
    again = tasks.daily_documents.call(MONDAY)
    assert again["notices"] == 0
    assert Document.objects.get(kind=DocumentKind.BULLETIN, date="2026-06-01").number == docs[DocumentKind.BULLETIN].number


def test_pdf_task_for_a_missing_document_says_so(db):
    assert "没有" in tasks.document_pdf.call(999_999)["skipped"]


def test_units_without_today_s_figures_are_reminded_and_the_command_post_gets_the_list(ledger):
    d = ledger.d
    DailyReport.objects.create(unit=d.street_a, date=services.today(), submitted_at=timezone.now())
    result = tasks.figures_reminder.call("2026-06-01T16:00:00+08:00")
    assert result["missing"] == 2  # street B and the bureau; street A has reported
    assert NoticeItem.objects.filter(user=d["handler_b"], topic="figures").count() == 1
    assert not NoticeItem.objects.filter(user=d["handler_a"]).exists()
    assert set(NoticeItem.objects.filter(topic="figures", unit__isnull=False).values_list("unit_id", flat=True)) == {
        d.street_b.pk, d.bureau.pk}
    summary = NoticeItem.objects.get(user=d["commander"], topic="figures")
    assert "2 个单位未报送" in summary.line and "乙街道" in summary.line and "甲街道" not in summary.line
    assert tasks.figures_reminder.call("2026-06-01T16:00:00+08:00")["notices"] == 0


def test_no_reminder_for_figures_on_a_day_off(ledger):
    assert "不是工作日" in tasks.figures_reminder.call(SATURDAY)["skipped"]
    assert not NoticeItem.objects.exists()
