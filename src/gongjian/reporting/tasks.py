"""Background tasks of daily reporting: the daily three, PDF copies, and 催报 for missing figures."""

from __future__ import annotations

import logging
import tempfile
from pathlib import Path

from django.conf import settings
from django.db import transaction
from django_tasks import task

from gongjian.jobs.slots import slot_day

log = logging.getLogger("gongjian.reporting")


def documents_dir() -> Path:
    """Where documents are written before they are stored (the page and the worker alike)."""
    path = Path(settings.MEDIA_ROOT) / "documents"
    path.mkdir(parents=True, exist_ok=True)
    return path


def district_people(*roles) -> list[int]:
    from gongjian.org.models import User

    return list(User.objects.filter(is_active=True, role_assignments__role__in=list(roles))
                .values_list("id", flat=True).distinct())


def pdfs_later(documents) -> None:
    """Queue a PDF copy of each .docx once the caller's transaction commits (LibreOffice takes seconds)."""
    from gongjian.standards import gbt9704

    if gbt9704.libreoffice() is None:
        return
    for doc in documents:
        if doc.file.name.endswith(".docx") and not doc.pdf:
            transaction.on_commit(lambda pk=doc.pk: document_pdf.enqueue(pk))


@task()
def daily_documents(slot: str) -> dict:
    """日报三件套 for the slot's day, written in the worker at GONGJIAN_DAILY_DOCS_AT; the command post and the
    leaders are told where to find them. Running it again for the same day rewrites the same numbers."""
    from gongjian.notify import services as notify
    from gongjian.notify.tasks import pump_soon
    from gongjian.org.models import Role
    from gongjian.reporting.documents import generate_daily

    day = slot_day(slot)
    with tempfile.TemporaryDirectory(dir=documents_dir(), prefix="work-") as out:
        result = generate_daily(day=day, out_dir=out, pdf=False)
    with transaction.atomic():
        pdfs_later(result.documents)
        names = "、".join(d.get_kind_display() for d in result.documents)
        told = notify.publish(topic="documents", key=f"documents:{day.isoformat()}", title="日报三件套已生成",
                              line=f"{day.month}月{day.day}日 {names}已生成，可在“公文”页下载",
                              link=f"/documents/?date={day.isoformat()}",
                              users=district_people(Role.COMMANDER, Role.LEADER))
    if told:
        pump_soon()
    return {"day": day.isoformat(), "documents": [d.pk for d in result.documents], "notices": told}


@task()
def document_pdf(document_id: int) -> dict:
    """The PDF copy of a generated .docx (LibreOffice), attached to its document record."""
    from gongjian.reporting.documents import attach_pdf
    from gongjian.reporting.models import Document
    from gongjian.standards import gbt9704

    doc = Document.objects.filter(pk=document_id).first()
    if doc is None or not doc.file.name.endswith(".docx"):
        return {"skipped": "没有该 docx 公文 / no such .docx document"}
    if gbt9704.libreoffice() is None:
        return {"skipped": "未安装 LibreOffice / LibreOffice is not installed"}
    with tempfile.TemporaryDirectory(prefix="gongjian-pdf-") as tmp:
        source = Path(tmp) / Path(doc.file.name).name
        with doc.file.open("rb") as fh:
            source.write_bytes(fh.read())
        pdf = gbt9704.pdf_copy(source, Path(tmp) / "out")
        attach_pdf(document=doc, pdf=pdf)
    return {"document": doc.pk, "pdf": doc.pdf.name}


@task()
def figures_reminder(slot: str) -> dict:
    """催报: on a working day at GONGJIAN_FIGURES_REMIND_AT, each reporting unit without today's figures is told
    (its 经办人 and group robots), and the command post gets the list."""
    from gongjian.core.calendar import work_calendar
    from gongjian.ledger.reminders import handlers_by_unit
    from gongjian.notify import services as notify
    from gongjian.notify.tasks import pump_soon
    from gongjian.org.models import Role, Unit
    from gongjian.reporting.models import DailyReport
    from gongjian.reporting.services import REPORTING_KINDS
    from gongjian.standards.workdays import MissingYear

    day = slot_day(slot)
    try:
        if not work_calendar().is_workday(day):
            return {"skipped": f"{day} 不是工作日 / not a working day"}
    except MissingYear as exc:
        return {"skipped": f"{exc.year} 年的节假日安排尚未导入 / no schedule for {exc.year}"}
    reported = DailyReport.objects.filter(date=day).values("unit_id")
    missing = list(Unit.objects.filter(kind__in=REPORTING_KINDS, is_active=True).exclude(pk__in=reported)
                   .order_by("path"))
    handlers = handlers_by_unit(u.pk for u in missing)
    told = 0
    with transaction.atomic():
        for unit in missing:
            told += notify.publish(topic="figures", key=f"figures:{unit.pk}:{day.isoformat()}", title="工作日报未报送",
                                   line=f"{unit.name} {day.month}月{day.day}日的工作日报尚未报送，请尽快填报",
                                   link=f"/daily/?date={day.isoformat()}", users=handlers.get(unit.pk, []),
                                   units=[unit])
        if missing:
            names = "、".join(u.short_name or u.name for u in missing)
            told += notify.publish(topic="figures", key=f"figures-summary:{day.isoformat()}", title="工作日报未报送",
                                   line=f"{day.month}月{day.day}日尚有 {len(missing)} 个单位未报送：{names}",
                                   link=f"/daily/overview/?date={day.isoformat()}",
                                   users=district_people(Role.COMMANDER))
    if told:
        pump_soon()
    return {"day": day.isoformat(), "missing": len(missing), "notices": told}
