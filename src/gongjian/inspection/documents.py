"""夜查日报: the night's inspections, where they went and what they found, as a GB/T 9704 document."""

from __future__ import annotations

import datetime as dt
import time
from pathlib import Path

from django.db import transaction
from django.utils import timezone

from gongjian.inspection.selectors import findings_of, night_inspections
from gongjian.reporting import documents as docs
from gongjian.reporting.models import Document, DocumentKind
from gongjian.standards import gbt9704
from gongjian.standards.gbt9704 import Heading, OfficialDocument, Table


def night_report(day: dt.date, issue: int) -> OfficialDocument:
    district = docs._district()
    inspections = list(night_inspections(day))
    findings = list(findings_of(inspections))
    body: list = []
    if not inspections:
        body.append(f"{day.month}月{day.day}日夜间未开展夜查。")
    else:
        places = sum(len(i.place_list()) for i in inspections)
        people = len({u.pk for i in inspections for u in i.inspectors.all()})
        body.append(f"{day.month}月{day.day}日夜间，共组织夜查{len(inspections)}组次，出动督查人员{people}人，"
                    f"检查点位{places}个，发现问题{len(findings)}个，均已交办责任单位。")
        body.append(Heading("一、夜查情况", 1))
        for i, inspection in enumerate(inspections, 1):
            start, end = timezone.localtime(inspection.starts_at), timezone.localtime(inspection.ends_at)
            lead = f"{inspection.lead.name or inspection.lead.username}带队，" if inspection.lead else ""
            where = "、".join(inspection.place_list()) or "(未填点位)"
            body.append(f"第{i}组：{inspection.title}。{lead}{start:%H:%M}至{end:%H:%M}，检查{where}。"
                        + (inspection.summary.strip() if inspection.summary else ""))
        body.append(Heading("二、发现问题", 1))
        if findings:
            rows = [[n, f.case.serial, f.case.title[:28], f.place or f.case.address or "—",
                     f.case.unit.name if f.case.unit else "待交办"] for n, f in enumerate(findings, 1)]
            body.append(Table(["序号", "编号", "问题", "点位", "责任单位"], rows, widths_mm=(15, 45, 44, 30, 22)))
        else:
            body.append("未发现问题。")
        body.append(Heading("三、工作要求", 1))
        body.append("请各责任单位按交办期限整改到位，通过平台上传整改后照片，提交核查销号。")
    organ = docs.organ_name(district)
    return OfficialDocument(organ=f"{district.name}整治攻坚夜查日报", number=f"第{issue}期",
                            title=f"夜查日报({day.month}月{day.day}日)", body=body, signature=organ, date=day,
                            printed_by=f"{organ}办公室", printed_on=day)


def write_night_report(*, day: dt.date, out_dir: str | Path, actor=None, pdf: bool = True) -> Document:
    t = time.perf_counter()
    with transaction.atomic():
        existing = Document.objects.filter(kind=DocumentKind.NIGHT, date=day).first()
        issue = int(existing.number.strip("第期")) if existing else docs._next_number("night", day.year)
        document = night_report(day, issue)
        out = Path(out_dir)
        out.mkdir(parents=True, exist_ok=True)
        path = out / f"{day:%Y%m%d}-夜查日报.docx"
        gbt9704.write_docx(document, path)
        copy = gbt9704.pdf_copy(path, out) if pdf else None
        doc = docs._store(DocumentKind.NIGHT, day, document.number, document.title, path, copy, actor,
                          time.perf_counter() - t)
    doc.out_files = [p for p in (path, copy) if p is not None]  # where they were written (not the stored copy)
    return doc
