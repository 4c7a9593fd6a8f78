"""The ranking bulletin (考核排名通报, docx by the GB/T 9704 writer) and the ranking table (xlsx)."""

from __future__ import annotations

import io
from decimal import Decimal

import xlsxwriter

from gongjian.assessment import periods
from gongjian.assessment.models import Ranking
from gongjian.org.models import Unit, UnitKind
from gongjian.standards import gbt9704

FLAG_LABELS = {"red": "红旗", "black": "黑旗", "": ""}


def _district() -> Unit | None:
    return Unit.objects.filter(kind=UnitKind.DISTRICT, parent__isnull=True).order_by("pk").first()


def _period(ranking: Ranking) -> periods.Period:
    return periods.parse(ranking.period)


def bulletin_number(ranking: Ranking) -> str:
    """考核〔2026〕n号: n counts the frozen rankings of the scheme ending in that year, in period order."""
    if ranking.pk is None:
        return ""
    year = ranking.ends_on.year
    n = (Ranking.objects.filter(version__scheme=ranking.version.scheme, ends_on__year=year)
         .filter(ends_on__lt=ranking.ends_on).values("period").distinct().count()) + 1
    return gbt9704.doc_number("攻坚考核", year, n)


def _flag(row: dict) -> str:
    return (FLAG_LABELS[row["flag"]] + (" 流动红旗" if row["rolling_red_flag"] else "")).strip()


def bulletin(ranking: Ranking) -> gbt9704.OfficialDocument:
    from gongjian.reporting.documents import organ_name

    district = _district()
    organ = organ_name(district) if district else "整治攻坚指挥部"
    p = _period(ranking)
    rows = ranking.results
    scores = [Decimal(r["score"]) for r in rows]
    body: list = [gbt9704.Heading("一、总体情况", 1)]
    if rows:
        avg = (sum(scores) / len(scores)).quantize(Decimal("0.01"))
        grades = {g: sum(1 for r in rows if r["grade"] == g) for g in "ABCDE"}
        body.append(f"按照《{ranking.version.scheme.title}》(第{ranking.version.number}版)，对{len(rows)}个单位"
                    f"{p.label}整治攻坚工作进行了考核，平均得分{avg}分，最高{max(scores)}分，最低{min(scores)}分；"
                    + "，".join(f"{g}等{n}个" for g, n in grades.items() if n) + "。")
    else:
        body.append("本期无参加考核的单位。")
    body.append(gbt9704.Heading("二、考核排名", 1))
    if rows:
        body.append(gbt9704.Table(["名次", "单位", "得分", "等级", "红黑旗"],
                                  [[("并列" if sum(x["rank"] == r["rank"] for x in rows) > 1 else "") + str(r["rank"]),
                                    r["unit"], r["score"], r["grade"], _flag(r)] for r in rows],
                                  widths_mm=(20, 60, 25, 20, 31), caption=f"{p.label}考核排名"))
    red = [r["unit"] for r in rows if r["flag"] == "red"]
    black = [r["unit"] for r in rows if r["flag"] == "black"]
    rolling = [r["unit"] for r in rows if r["rolling_red_flag"]]
    body.append(gbt9704.Heading("三、红旗单位", 1))
    body.append(("授予" + "、".join(red) + "红旗" + (f"，流动红旗由{'、'.join(rolling)}获得" if rolling else "") + "。")
                if red else "本期未评出红旗单位。")
    body.append(gbt9704.Heading("四、黑旗单位", 1))
    body.append(("对" + "、".join(black) + "予以黑旗通报批评，请对照失分问题限期整改，"
                 "并于下周一前将整改情况报区整治攻坚指挥部。") if black else "本期无黑旗单位。")
    return gbt9704.OfficialDocument(
        organ=organ, number=bulletin_number(ranking),
        title=f"关于{p.label}整治攻坚考核排名情况的通报" + ("" if ranking.pk else "(临时)"),
        recipients="各街道(乡镇、办事处)，区直有关部门", body=body, signature=organ, date=ranking.ends_on,
        printed_by=f"{organ}办公室", printed_on=ranking.ends_on, copy_to=["区委办公室", "区政府办公室"])


def bulletin_docx(ranking: Ranking) -> bytes:
    buf = io.BytesIO()
    gbt9704.write_docx(bulletin(ranking), buf)
    return buf.getvalue()


def table_xlsx(ranking: Ranking) -> bytes:
    """The ranking with one column per rule (its points), the score, grade and flags."""
    rules = ranking.version.definition["rules"]
    p = _period(ranking)
    buf = io.BytesIO()
    wb = xlsxwriter.Workbook(buf, {"in_memory": True})
    ws = wb.add_worksheet("考核排名")
    title = wb.add_format({"bold": True, "font_size": 14, "align": "center", "valign": "vcenter"})
    head = wb.add_format({"bold": True, "border": 1, "align": "center", "valign": "vcenter", "text_wrap": True,
                          "bg_color": "#EEEEEE"})
    cell = wb.add_format({"border": 1})
    num = wb.add_format({"border": 1, "num_format": "0.00"})
    headers = ["名次", "单位", *[r["label"] for r in rules], "得分", "等级", "红黑旗"]
    ws.merge_range(0, 0, 0, len(headers) - 1,
                   f"{p.label}考核排名({ranking.version.scheme.title} 第{ranking.version.number}版)", title)
    ws.set_row(0, 28)
    ws.write_row(1, 0, headers, head)
    for i, r in enumerate(ranking.results, start=2):
        ws.write_number(i, 0, r["rank"], cell)
        ws.write_string(i, 1, r["unit"], cell)
        values = {line["code"]: line["value"] for line in r["lines"]}
        for j, rule in enumerate(rules, start=2):
            ws.write_number(i, j, float(values[rule["code"]]), num)
        ws.write_number(i, len(rules) + 2, float(r["score"]), num)
        ws.write_string(i, len(rules) + 3, r["grade"], cell)
        ws.write_string(i, len(rules) + 4, _flag(r), cell)
    ws.set_column(0, 0, 6)
    ws.set_column(1, 1, 20)
    ws.set_column(2, len(headers) - 1, 11)
    ws.freeze_panes(2, 2)
    ws.autofilter(1, 0, 1 + len(ranking.results), len(headers) - 1)
    ws.set_landscape()
    ws.fit_to_pages(1, 0)
    ws.repeat_rows(1)
    wb.close()
    return buf.getvalue()
