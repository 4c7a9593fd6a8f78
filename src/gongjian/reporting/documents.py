"""The daily three (每天一份工作简报、一份督查通报、一份问题台账) and the 整改通知书, written from the ledger
and the daily figures through the GB/T 9704 writer.

``daily_facts`` gathers everything with aggregate queries (a handful, whatever the number of cases), so
the three documents for a district of a million cases take seconds; the 问题台账 streams the open
problems into the xlsx.
"""

from __future__ import annotations

import datetime as dt
import time
from collections import Counter, defaultdict
from dataclasses import dataclass, field
from decimal import Decimal
from pathlib import Path

from django.conf import settings
from django.core.files import File
from django.db import transaction
from django.db.models import Count, Sum
from django.utils import timezone

from gongjian.core import audit
from gongjian.ledger import services as ledger_services
from gongjian.ledger.models import (
    DEADLINE_STATUSES,
    OPEN_STATUSES,
    Case,
    CaseTally,
    EscalationLevel,
    Source,
    Status,
)
from gongjian.ledger.spreadsheets import export_xlsx
from gongjian.org.models import Unit
from gongjian.reporting.models import DailyFigure, DailyReport, Document, DocumentKind, DocumentNumber, Metric
from gongjian.reporting.services import REPORTING_KINDS
from gongjian.standards import gbt9704
from gongjian.standards.gbt9704 import Heading, OfficialDocument, Table

OVERDUE_LISTED = 30      # overdue cases named in the bulletin (the rest are counted)
CRITICISED_MIN_OVERDUE = 3  # a unit with this many overdue cases is criticised by name


@dataclass
class UnitLine:
    unit: Unit
    figures: dict[str, Decimal] = field(default_factory=dict)
    found: int = 0
    closed: int = 0
    overdue: int = 0
    reported: bool = False


@dataclass
class DailyFacts:
    date: dt.date
    district: Unit
    metrics: list[Metric]
    totals: dict[str, Decimal]
    units: list[UnitLine]
    missing: list[Unit]
    by_status: dict[str, int]
    new_today: int
    closed_today: int
    overdue: int
    found_by_source: dict[str, int]
    overdue_cases: list[dict]
    escalated: dict[int, int]
    texts: list[tuple[Unit, str]]

    @property
    def total(self) -> int:
        return sum(self.by_status.values())

    @property
    def open(self) -> int:
        return sum(n for s, n in self.by_status.items() if s in OPEN_STATUSES)


def _district() -> Unit:
    root = Unit.objects.filter(parent__isnull=True).order_by("path").first()
    if root is None:
        raise ValueError("no district: run `gongjian init` first")
    return root


def _day_bounds(day: dt.date) -> tuple[dt.datetime, dt.datetime]:
    tz = timezone.get_current_timezone()
    start = dt.datetime.combine(day, dt.time.min, tzinfo=tz)
    return start, start + dt.timedelta(days=1)


def _rollup(units: list[Unit], unit_id: int | None, paths: dict[int, str]) -> Unit | None:
    """The reporting unit (street, bureau …) a case's unit belongs to."""
    path = paths.get(unit_id or 0)
    if path is None:
        return None
    best = None
    for u in units:
        if path.startswith(u.path) and (best is None or len(u.path) > len(best.path)):
            best = u
    return best


def daily_facts(day: dt.date) -> DailyFacts:
    """Everything the daily three say, for the whole district, in a fixed number of queries."""
    district = _district()
    units = list(Unit.objects.filter(kind__in=REPORTING_KINDS, is_active=True).order_by("path"))
    paths = dict(Unit.objects.values_list("pk", "path"))
    lines = {u.pk: UnitLine(u) for u in units}
    metrics = list(Metric.objects.filter(is_active=True))
    totals: dict[str, Decimal] = defaultdict(Decimal)
    for unit_id, code, value in DailyFigure.objects.filter(report__date=day).values_list(
            "report__unit_id", "metric__code", "value"):
        if unit_id in lines:
            lines[unit_id].figures[code] = value
        totals[code] += value
    reported = set(DailyReport.objects.filter(date=day).values_list("unit_id", flat=True))
    texts = []
    for unit_id, text in DailyReport.objects.filter(date=day).exclude(text="").values_list("unit_id", "text"):
        if unit_id in lines:
            texts.append((lines[unit_id].unit, text))
    for pk, line in lines.items():
        line.reported = pk in reported

    # The trigger-kept tally answers the whole district's counts by status without counting cases.
    by_status = Counter(dict(CaseTally.objects.values("status").annotate(total=Sum("n"))
                             .values_list("status", "total")))
    start, end = _day_bounds(day)
    new_today = Case.objects.filter(reported_at__gte=start, reported_at__lt=end)
    found_by_source = dict(new_today.values("source").annotate(n=Count("id")).values_list("source", "n"))
    for unit_id, n in new_today.values("unit_id").annotate(n=Count("id")).values_list("unit_id", "n"):
        owner = _rollup(units, unit_id, paths)
        if owner is not None:
            lines[owner.pk].found += n
    closed = Case.objects.filter(status=Status.CLOSED, closed_at__gte=start, closed_at__lt=end)
    closed_today = 0
    for unit_id, n in closed.values("unit_id").annotate(n=Count("id")).values_list("unit_id", "n"):
        closed_today += n
        owner = _rollup(units, unit_id, paths)
        if owner is not None:
            lines[owner.pk].closed += n
    overdue_qs = Case.objects.filter(status__in=sorted(DEADLINE_STATUSES), deadline__isnull=False, deadline__lt=day)
    overdue = 0
    for unit_id, n in overdue_qs.values("unit_id").annotate(n=Count("id")).values_list("unit_id", "n"):
        overdue += n
        owner = _rollup(units, unit_id, paths)
        if owner is not None:
            lines[owner.pk].overdue += n
    overdue_cases = list(overdue_qs.order_by("deadline", "id").values(
        "serial", "title", "unit__name", "deadline", "escalation_level")[:OVERDUE_LISTED])
    escalated = dict(Case.objects.filter(status__in=sorted(OPEN_STATUSES), escalation_level__gte=EscalationLevel.LISTED)
                     .values("escalation_level").annotate(n=Count("id")).values_list("escalation_level", "n"))
    return DailyFacts(
        date=day, district=district, metrics=metrics, totals=dict(totals), units=list(lines.values()),
        missing=[line.unit for line in lines.values() if not line.reported], by_status=dict(by_status),
        new_today=sum(found_by_source.values()), closed_today=closed_today, overdue=overdue,
        found_by_source=found_by_source, overdue_cases=overdue_cases, escalated=escalated, texts=texts)


# ----------------------------------------------------------------- the documents


def _num(value: Decimal | int) -> str:
    value = Decimal(value)
    return f"{value:,.0f}" if value == value.to_integral_value() else f"{value:,.2f}".rstrip("0").rstrip(".")


def organ_name(district: Unit) -> str:
    return getattr(settings, "GONGJIAN_DOC_ORGAN", "") or f"{district.name}整治攻坚指挥部"


def number_prefix(district: Unit) -> str:
    short = district.short_name or district.name.removesuffix("区").removesuffix("县")[:2]
    return getattr(settings, "GONGJIAN_DOC_PREFIX", "") or f"{short}督查"


def _next_number(series: str, year: int) -> int:
    DocumentNumber.objects.get_or_create(series=series, year=year)
    row = DocumentNumber.objects.select_for_update().get(series=series, year=year)
    row.last += 1
    row.save(update_fields=["last"])
    return row.last


def brief(facts: DailyFacts, issue: int) -> OfficialDocument:
    """工作简报: figures by unit and in total, ledger progress, highlights, units that did not report."""
    shown = [m for m in facts.metrics if m.code in facts.totals] or facts.metrics[:6]
    total_text = "、".join(f"{m.name}{_num(facts.totals[m.code])}{m.unit}" for m in shown if m.code in facts.totals)
    body: list = [Heading("一、总体情况", 1)]
    reported = len(facts.units) - len(facts.missing)
    if total_text:
        body.append(f"{gbt9704.format_date(facts.date)}，全{facts.district.name[-1]}{reported}个单位报送工作量，"
                    f"共{total_text}。")
    else:
        body.append(f"{gbt9704.format_date(facts.date)}，尚无单位报送工作量。")
    body.append(f"问题台账共{facts.total}件，其中整改中{facts.open}件，已销号{facts.by_status.get(Status.CLOSED, 0)}件；"
                f"当日新增{facts.new_today}件，当日销号{facts.closed_today}件，超期未整改{facts.overdue}件。")
    body.append(Heading("二、各单位工作量", 1))
    rows = [[line.unit.name, *[_num(line.figures[m.code]) if m.code in line.figures else "—" for m in shown]]
            for line in facts.units if line.reported]
    if rows:
        body.append(Table(["单位", *[f"{m.name}({m.unit})" for m in shown]], rows,
                          caption=f"{facts.date.month}月{facts.date.day}日各单位工作量"))
    else:
        body.append("当日无报送。")
    body.append(Heading("三、台账进展", 1))
    progress = [[line.unit.name, line.found, line.closed, line.overdue] for line in facts.units
                if line.found or line.closed or line.overdue]
    if progress:
        body.append(Table(["单位", "当日新增", "当日销号", "超期未整改"], progress))
    else:
        body.append("当日台账无变化。")
    body.append(Heading("四、工作亮点", 1))
    best = sorted((line for line in facts.units if line.closed), key=lambda line: (-line.closed, line.unit.path))[:3]
    if best:
        body.append("；".join(f"{line.unit.name}当日销号{line.closed}件" for line in best) + "。")
    for unit, text in facts.texts[:3]:
        body.append(f"{unit.name}：{text.strip()[:200]}")
    if not best and not facts.texts:
        body.append("无。")
    if facts.missing:
        body.append(Heading("五、未报送单位", 1))
        body.append("、".join(u.name for u in facts.missing) + f"(共{len(facts.missing)}个)。")
    organ = organ_name(facts.district)
    return OfficialDocument(
        organ=f"{facts.district.name}整治攻坚工作简报", number=f"第{issue}期", title="整治攻坚工作简报",
        body=body, signature=organ, date=facts.date, printed_by=f"{organ}办公室", printed_on=facts.date,
        copy_to=["区委办公室", "区政府办公室"])


def bulletin(facts: DailyFacts, number: str) -> OfficialDocument:
    """督查通报: problems found today by source and unit, overdue and escalated cases, units criticised."""
    body: list = []
    body.append(f"{gbt9704.format_date(facts.date)}，各级督查共发现问题{facts.new_today}件，当日销号"
                f"{facts.closed_today}件，全{facts.district.name[-1]}超期未整改{facts.overdue}件。现将有关情况通报如下。")
    body.append(Heading("一、当日发现问题", 1))
    if facts.found_by_source:
        labels = dict(Source.choices)
        body.append("按来源：" + "，".join(f"{labels.get(s, s)}{n}件" for s, n in
                                        sorted(facts.found_by_source.items(), key=lambda kv: -kv[1])) + "。")
        rows = [[line.unit.name, line.found] for line in sorted(facts.units, key=lambda x: -x.found) if line.found]
        if rows:
            body.append(Table(["单位", "发现问题"], rows))
    else:
        body.append("当日未发现新问题。")
    body.append(Heading("二、超期和督办案件", 1))
    levels = dict(EscalationLevel.choices)
    if facts.escalated:
        body.append("督办中：" + "，".join(f"{levels[lv]}{n}件" for lv, n in sorted(facts.escalated.items())) + "。")
    if facts.overdue_cases:
        rows = [[c["serial"], c["title"][:30], c["unit__name"] or "—", gbt9704.format_date(c["deadline"]),
                 levels.get(c["escalation_level"], "")] for c in facts.overdue_cases]
        body.append(Table(["编号", "问题", "责任单位", "整改期限", "督办"], rows, widths_mm=(50, 44, 22, 25, 15),
                          caption=f"超期未整改案件(共{facts.overdue}件，列出期限最早的{len(rows)}件)"))
    else:
        body.append("无超期案件。")
    body.append(Heading("三、通报批评", 1))
    criticised = [line for line in sorted(facts.units, key=lambda x: (-x.overdue, x.unit.path))
                  if line.overdue >= CRITICISED_MIN_OVERDUE]
    if criticised:
        body.append("以下单位超期未整改问题较多，予以通报批评：" + "、".join(
            f"{line.unit.name}({line.overdue}件)" for line in criticised) + "。请于2个工作日内整改到位并书面说明情况。")
    if facts.missing:
        body.append("以下单位未按时报送当日工作量：" + "、".join(u.name for u in facts.missing) + "。")
    if not criticised and not facts.missing:
        body.append("无。")
    organ = organ_name(facts.district)
    return OfficialDocument(
        organ=organ, number=number, title=f"关于{facts.date.month}月{facts.date.day}日整治攻坚督查情况的通报",
        recipients="各街道(乡镇、办事处)，区直有关部门", body=body, signature=organ, date=facts.date,
        printed_by=f"{organ}办公室", printed_on=facts.date, copy_to=["区委办公室", "区政府办公室"])


def _store(kind: str, day: dt.date, number: str, title: str, path: Path, pdf: Path | None, actor,
           seconds: float) -> Document:
    """Record a generated file (replacing the same day's earlier one of the kind)."""
    doc = Document.objects.filter(kind=kind, date=day).first() or Document(kind=kind, date=day)
    doc.number, doc.title, doc.created_by, doc.seconds = number, title, actor, seconds
    with open(path, "rb") as fh:
        doc.file.save(path.name, File(fh), save=False)
    if pdf is not None:
        with open(pdf, "rb") as fh:
            doc.pdf.save(pdf.name, File(fh), save=False)
    doc.save()
    audit.record(actor=actor, action="document.generate", obj=doc, after={"kind": kind, "date": day, "number": number})
    return doc


@dataclass
class DailyResult:
    files: list[Path]
    pdf: bool                   # PDF copies were written (LibreOffice installed)
    seconds: dict[str, float]
    documents: list[Document]


def generate_daily(*, day: dt.date | None = None, out_dir: str | Path, actor=None, pdf: bool = True,
                   record: bool = True) -> DailyResult:
    """Write the daily three for the whole district into ``out_dir``: 工作简报 and 督查通报 (docx, and PDF when
    LibreOffice is installed) and the 问题台账 (xlsx of every open problem)."""
    day = day or ledger_services.today()
    out = Path(out_dir)
    out.mkdir(parents=True, exist_ok=True)
    timings: dict[str, float] = {}
    t = time.perf_counter()
    facts = daily_facts(day)
    timings["facts"] = time.perf_counter() - t
    stamp = f"{day:%Y%m%d}"
    with transaction.atomic():
        existing = {d.kind: d.number for d in Document.objects.filter(date=day)}
        issue = existing.get(DocumentKind.BRIEF) or str(_next_number("brief", day.year))
        issue = issue.removeprefix("第").removesuffix("期")
        number = existing.get(DocumentKind.BULLETIN) or gbt9704.doc_number(
            number_prefix(facts.district), day.year, _next_number("bulletin", day.year))
    made: list[tuple[str, str, str, Path, Path | None, float]] = []
    for kind, document in ((DocumentKind.BRIEF, brief(facts, int(issue))), (DocumentKind.BULLETIN, bulletin(facts, number))):
        t = time.perf_counter()
        path = out / f"{stamp}-{DocumentKind(kind).label}.docx"
        gbt9704.write_docx(document, path)
        copy = gbt9704.pdf_copy(path, out) if pdf else None
        timings[kind] = time.perf_counter() - t
        made.append((kind, document.number, document.title, path, copy, timings[kind]))
    t = time.perf_counter()
    ledger_path = out / f"{stamp}-问题台账.xlsx"
    open_cases = (Case.objects.filter(status__in=sorted(OPEN_STATUSES | {Status.REPORTED, Status.REGISTERED,
                                                                      Status.LONG_TERM}))
                  .order_by("campaign_id", "year", "number"))
    title = f"{facts.district.name}整治攻坚问题台账(截至{gbt9704.format_date(day)})"
    export_xlsx(open_cases, ledger_path, title=title, on=day)
    timings[DocumentKind.LEDGER] = time.perf_counter() - t
    made.append((DocumentKind.LEDGER, "", title, ledger_path, None, timings[DocumentKind.LEDGER]))
    documents = []
    if record:
        with transaction.atomic():
            documents = [_store(kind, day, num, ttl, path, copy, actor, secs) for kind, num, ttl, path, copy, secs in made]
    files = [m[3] for m in made] + [m[4] for m in made if m[4] is not None]
    return DailyResult(files=files, pdf=any(m[4] is not None for m in made), seconds=timings, documents=documents)


# ----------------------------------------------------------------- 整改通知书


def _notice_body(cases: list[Case], on: dt.date) -> list:
    body: list = []
    if len(cases) == 1:
        case = cases[0]
        found = timezone.localtime(case.reported_at)
        body.append(f"{found.month}月{found.day}日，经{case.get_source_display()}发现，你单位辖区存在以下问题："
                    f"{case.title}。" + (f"具体位置：{case.address}。" if case.address else ""))
        if case.description:
            body.append(case.description)
        body.append(Heading("一、整改要求", 1))
        deadline = f"于{gbt9704.format_date(case.deadline)}前" if case.deadline else "立即"
        body.append(f"请你单位{deadline}整改到位，并通过平台上传整改后照片，提交核查销号(案件编号{case.serial})。")
    else:
        body.append(f"截至{gbt9704.format_date(on)}，你单位尚有以下{len(cases)}个问题未整改到位：")
        rows = [[i, c.serial, c.title[:30], gbt9704.format_date(c.deadline) if c.deadline else "—"]
                for i, c in enumerate(cases, 1)]
        body.append(Table(["序号", "编号", "问题", "整改期限"], rows, widths_mm=(15, 50, 61, 30)))
        body.append(Heading("一、整改要求", 1))
        body.append("请你单位按期限逐项整改到位，并通过平台上传整改后照片，提交核查销号。")
    body.append(Heading("二、有关事项", 1))
    body.append("逾期未整改的，将按照专项行动督办规则予以挂牌督办、约谈，直至问责。")
    return body


def write_notice(*, cases: list[Case], unit: Unit, out_dir: str | Path, actor=None, on: dt.date | None = None,
                 pdf: bool = True) -> Document:
    """整改通知书 to ``unit`` for one case or several (numbered in the 督办 series of the year)."""
    if not cases:
        raise ValueError("a notice needs at least one case")
    on = on or ledger_services.today()
    district = _district()
    prefix = (getattr(settings, "GONGJIAN_NOTICE_PREFIX", "")
              or f"{district.short_name or district.name.removesuffix('区').removesuffix('县')[:2]}督办")
    t = time.perf_counter()
    with transaction.atomic():
        number = gbt9704.doc_number(prefix, on.year, _next_number("notice", on.year))
        title = (f"关于限期整改{cases[0].title[:20]}问题的通知" if len(cases) == 1
                 else f"关于限期整改{len(cases)}个问题的通知")
        organ = organ_name(district)
        document = OfficialDocument(organ=f"{organ}文件", number=number, title=title, recipients=unit.name,
                                    body=_notice_body(cases, on), signature=organ, date=on,
                                    printed_by=f"{organ}办公室", printed_on=on)
        out = Path(out_dir)
        out.mkdir(parents=True, exist_ok=True)
        safe_number = number.replace("〔", "-").replace("〕", "-")  # 山阳督办-2026-15号: no brackets in file names
        path = out / f"{on:%Y%m%d}-整改通知书-{safe_number}.docx"
        gbt9704.write_docx(document, path)
        copy = gbt9704.pdf_copy(path, out) if pdf else None
        doc = Document(kind=DocumentKind.NOTICE, date=on, unit=unit)  # every notice is its own document
        doc.number, doc.title, doc.created_by, doc.seconds = number, title, actor, time.perf_counter() - t
        with open(path, "rb") as fh:
            doc.file.save(path.name, File(fh), save=False)
        if copy is not None:
            with open(copy, "rb") as fh:
                doc.pdf.save(copy.name, File(fh), save=False)
        doc.save()
        audit.record(actor=actor, action="document.notice", obj=doc,
                     after={"number": number, "unit": unit.pk, "cases": [c.pk for c in cases]})
    doc.out_files = [p for p in (path, copy) if p is not None]  # where they were written (not the stored copy)
    return doc


def attach_pdf(*, document: Document, pdf: Path, actor=None) -> Document:
    """Attach a PDF copy made after the fact (by the worker) to a generated document; the copy it replaces
    is removed once the change has committed."""
    old = document.pdf.name if document.pdf else ""
    with transaction.atomic():
        with open(pdf, "rb") as fh:
            document.pdf.save(Path(document.file.name).stem + ".pdf", File(fh), save=False)
        document.save(update_fields=["pdf"])
        audit.record(actor=actor, action="document.pdf", obj=document, after={"pdf": document.pdf.name})
    if old and old != document.pdf.name:
        storage = document.pdf.storage
        transaction.on_commit(lambda: storage.delete(old))
    return document
