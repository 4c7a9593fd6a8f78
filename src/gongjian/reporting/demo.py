"""The demo district's daily figures, inspections and documents.

30 days of figures for most reporting units (a few have not reported today, so the overview has
something to chase), 10 inspections over the last two weeks (night ones with findings that became
cases), and the daily three generated for yesterday (docx and xlsx only, so `init --demo` stays fast).
Everything goes through the services, so the audit chain holds it like any other write. Loaded after
the ledger's demo (it needs the campaign); the figures are the same on every run.
"""

from __future__ import annotations

import datetime as dt
import random
import tempfile
from pathlib import Path

from django.conf import settings
from django.db import transaction
from django.utils import timezone

from gongjian.inspection import services as inspection_services
from gongjian.inspection.documents import write_night_report
from gongjian.inspection.models import Inspection, InspectionKind
from gongjian.ledger.models import Campaign
from gongjian.org.models import Unit, UnitKind, User
from gongjian.reporting import services
from gongjian.reporting.documents import generate_daily
from gongjian.reporting.models import DailyReport

DAYS = 30
MISSING_TODAY = 3   # units that have not reported yet today

# (kind, title, days ago, start hour, hours, places, [(title, category, street)])
INSPECTIONS = [
    (InspectionKind.NIGHT, "城区夜查第一组", 1, 21, 3, ["焦辉路渣土场", "丰收路工地", "塔南路夜市"],
     [("渣土车未密闭运输", "扬尘", "百间房街道"), ("夜市烧烤油烟直排", "油烟", "东方红街道")]),
    (InspectionKind.NIGHT, "城区夜查第二组", 1, 22, 2, ["新园路建材市场", "中原路废品站"],
     [("建材市场堆料未苫盖", "堆料围城", "中星街道")]),
    (InspectionKind.DAILY, "扬尘治理专项督查", 2, 9, 4, ["百间房街道工地", "东方红街道工地"], []),
    (InspectionKind.UNANNOUNCED, "散乱污企业暗访", 3, 14, 3, ["李万村", "定和村"],
     [("小作坊死灰复燃", "散乱污企业", "李万街道")]),
    (InspectionKind.NIGHT, "夜查渣土运输", 4, 22, 3, ["人民路", "焦作大道"],
     [("渣土车夜间抛洒", "建筑垃圾", "太行街道")]),
    (InspectionKind.CITY, "市督导组交办督查", 6, 9, 6, ["光亚街道", "新城街道"],
     [("背街小巷垃圾堆积", "生活垃圾", "光亚街道")]),
    (InspectionKind.JOINT, "联合执法行动", 8, 8, 5, ["焦东街道废品收购站"], []),
    (InspectionKind.NIGHT, "夜查油烟", 9, 20, 3, ["艺新街道烧烤街"],
     [("烧烤摊未安装油烟净化设施", "油烟", "艺新街道")]),
    (InspectionKind.DAILY, "垃圾围城回头看", 11, 9, 3, ["定和街道", "中星街道"], []),
    (InspectionKind.PROVINCE, "省暗访组发现问题核查", 13, 10, 4, ["新城街道"],
     [("河道沿线建筑垃圾", "建筑垃圾", "新城街道")]),
]


def is_loaded() -> bool:
    return DailyReport.objects.exists() or Inspection.objects.exists()


def _figures(rnd: random.Random, unit: Unit) -> tuple[list[dict], str]:
    big = unit.kind in (UnitKind.STREET, UnitKind.TOWNSHIP, UnitKind.OFFICE)
    people = rnd.randint(60, 260) if big else rnd.randint(10, 60)
    vehicles = max(1, people // rnd.randint(12, 25))
    garbage = rnd.randint(5, 80) if big else rnd.randint(0, 20)
    corners = rnd.randint(0, 12)
    figures = [{"metric": "personnel", "value": people, "approx": False},
               {"metric": "vehicles", "value": vehicles, "approx": False}]
    text = f"今日出动{people}人次，车辆{vehicles}台次"
    if garbage:
        figures.append({"metric": "garbage", "value": garbage, "approx": False})
        text += f"，清运垃圾{garbage}立方米"
    if corners:
        figures.append({"metric": "dead_corners", "value": corners, "approx": False})
        text += f"，清理卫生死角{corners}处"
    if big and rnd.random() < 0.4:
        net = rnd.randint(2, 40) * 100
        figures.append({"metric": "dust_net", "value": net, "approx": True})
        text += f"，覆盖防尘网{net}余平方米"
    if rnd.random() < 0.15:
        firms = rnd.randint(1, 3)
        figures.append({"metric": "closed_firms", "value": firms, "approx": False})
        text += f"，关停取缔散乱污企业{firms}家"
    return figures, text + "。"


@transaction.atomic
def load(log=print) -> bool:
    campaign = Campaign.objects.order_by("id").first()
    if campaign is None or is_loaded():
        return False
    rnd = random.Random(2026)
    users = {u.username: u for u in User.objects.all()}
    commander, inspector = users["zhihui"], users["ducha"]
    handlers = {"百间房街道": users.get("bjf_jingban"), "东方红街道": users.get("dfh_jingban")}
    today = services.today()
    units = list(Unit.objects.filter(kind__in=services.REPORTING_KINDS, is_active=True).order_by("path"))
    absent_today = {u.pk for u in units[-MISSING_TODAY:]}
    n = 0
    for back in range(DAYS - 1, -1, -1):
        day = today - dt.timedelta(days=back)
        for unit in units:
            if (back == 0 and unit.pk in absent_today) or rnd.random() < 0.06:
                continue
            figures, text = _figures(rnd, unit)
            services.daily_report_submit(actor=handlers.get(unit.name) or commander, unit=unit, date=day,
                                         figures=figures, text=text)
            n += 1
    log(f"  每日工作量 {n} 份(近 {DAYS} 天) / daily reports")

    cats = {c.name: c for c in campaign.categories.all()}
    by_name = {u.name: u for u in units}
    tz = timezone.get_current_timezone()
    findings = 0
    for kind, title, ago, hour, hours, places, problems in INSPECTIONS:
        starts = dt.datetime.combine(today - dt.timedelta(days=ago), dt.time(hour), tzinfo=tz)
        inspection = inspection_services.inspection_create(
            actor=inspector, kind=kind, campaign=campaign, title=title, starts_at=starts,
            ends_at=starts + dt.timedelta(hours=hours), lead=inspector, inspectors=[commander],
            places=places, summary=f"{title}，共检查点位{len(places)}个。")
        for problem, category, street in problems:
            inspection_services.finding_add(
                actor=inspector, inspection=inspection, category=cats[category], title=f"{street}{problem}",
                description=f"{title}发现：{problem}，请属地立即整改。", place=places[0], unit=by_name[street])
            findings += 1
    log(f"  督查 {len(INSPECTIONS)} 次，发现问题 {findings} 个 / inspections and findings")

    yesterday = today - dt.timedelta(days=1)
    work = Path(settings.MEDIA_ROOT) / "documents"
    work.mkdir(parents=True, exist_ok=True)
    with tempfile.TemporaryDirectory(dir=work, prefix="work-") as out:
        result = generate_daily(day=yesterday, out_dir=out, actor=commander, pdf=False)
        write_night_report(day=yesterday, out_dir=out, actor=commander, pdf=False)
    log(f"  公文 {len(result.documents) + 1} 份({yesterday:%Y-%m-%d} 日报三件套和夜查日报) / documents")
    return True

