"""The demo district's ledger: the 污染围城 campaign with cases in every status.

Cases go through the real services (so the audit chain and the timelines are real). Their dates are
then spread over the last weeks relative to the day the demo is loaded, so the deadline lights show
green, yellow and red and the dashboard's 30-day trend has reports and close-outs on many days;
points lie inside the demo grids; the cases themselves are the same on every run.
"""

from __future__ import annotations

import datetime as dt
import io
import random

from django.core.files.uploadedfile import SimpleUploadedFile
from django.db import transaction
from django.utils import timezone

from gongjian.ledger import services
from gongjian.ledger.models import Campaign, Case, EscalationLevel, Source
from gongjian.org.models import Unit, User

CAMPAIGN = "污染围城集中整治攻坚"

CATEGORIES = [
    {"name": "垃圾围城", "default_workdays": 3, "children": [{"name": "生活垃圾", "default_workdays": 2},
                                                          {"name": "建筑垃圾", "default_workdays": 3}]},
    {"name": "堆料围城", "default_workdays": 5},
    {"name": "废品围城", "default_workdays": 5},
    {"name": "冶炼围城", "default_workdays": 10},
    {"name": "涂料围城", "default_workdays": 10},
    {"name": "扬尘", "default_workdays": 3},
    {"name": "油烟", "default_workdays": 5},
    {"name": "散乱污企业", "default_workdays": 10},
    {"name": "违法建设", "default_workdays": 15},
    {"name": "占道经营", "default_workdays": 2},
    {"name": "户外广告", "default_workdays": 5},
]

LADDER = [
    {"level": EscalationLevel.WARNING, "overdue_workdays": 1},
    {"level": EscalationLevel.LISTED, "overdue_workdays": 3, "notify_leader": True},
    {"level": EscalationLevel.SUMMONS, "overdue_workdays": 5, "notify_leader": True},
    {"level": EscalationLevel.ACCOUNTABILITY, "overdue_workdays": 10, "notify_leader": True},
]

# (title, category, source, street, community)
PROBLEMS = [
    ("焦北社区路口生活垃圾堆积未清运", "生活垃圾", Source.DISTRICT_INSPECTION, "百间房街道", "焦北社区"),
    ("墙南社区空地建筑垃圾乱倒", "建筑垃圾", Source.NIGHT, "百间房街道", "墙南社区"),
    ("百间房社区废品收购站占道堆放", "废品围城", Source.CITY, "百间房街道", "百间房社区"),
    ("墙北社区工地裸土未覆盖防尘网", "扬尘", Source.MONITORING, "百间房街道", "墙北社区"),
    ("红旗社区沿街饭店油烟直排", "油烟", Source.PUBLIC, "东方红街道", "红旗社区"),
    ("工字社区小作坊喷漆无治污设施", "涂料围城", Source.UNANNOUNCED, "东方红街道", "工字社区"),
    ("东方红社区渣土车未密闭运输", "扬尘", Source.HOTLINE, "东方红街道", "东方红社区"),
    ("友谊社区背街小巷堆放杂物", "堆料围城", Source.SELF_CHECK, "东方红街道", "友谊社区"),
    ("焦东社区废旧金属冶炼点", "冶炼围城", Source.PROVINCE, "焦东街道", None),
    ("太行社区户外广告牌破损", "户外广告", Source.MEDIA, "太行街道", None),
    ("光亚社区门店占道经营", "占道经营", Source.DISTRICT_INSPECTION, "光亚街道", None),
    ("新城社区违建彩钢房", "违法建设", Source.CITY, "新城街道", None),
    ("李万村散乱污企业未关停", "散乱污企业", Source.PROVINCE, "李万街道", None),
    ("定和社区河道垃圾漂浮", "生活垃圾", Source.PUBLIC, "定和街道", None),
    ("中星社区建材市场堆料未苫盖", "堆料围城", Source.NIGHT, "中星街道", None),
    ("艺新社区烧烤摊油烟扰民", "油烟", Source.HOTLINE, "艺新街道", None),
]

# Rounds of PROBLEMS: the first three spread over every stage, the last one closed out.
ROUNDS = 4

# How far each demo case goes round the loop.
STAGES = ["reported", "registered", "rejected", "assigned", "returned", "rectifying", "rectifying_late",
          "submitted", "closed", "closed_rework", "long_term", "rectifying_extended"]


def _photo(seed: int, label: str) -> SimpleUploadedFile:
    from PIL import Image, ImageDraw

    rnd = random.Random(seed)
    img = Image.new("RGB", (640, 480), (rnd.randint(90, 160), rnd.randint(110, 170), rnd.randint(80, 140)))
    draw = ImageDraw.Draw(img)
    for _ in range(12):
        x, y = rnd.randint(0, 600), rnd.randint(0, 440)
        draw.rectangle([x, y, x + rnd.randint(20, 120), y + rnd.randint(10, 60)],
                       fill=(rnd.randint(60, 220), rnd.randint(60, 220), rnd.randint(60, 220)))
    draw.text((12, 12), label, fill=(255, 255, 255))
    buf = io.BytesIO()
    img.save(buf, "JPEG", quality=70)
    return SimpleUploadedFile(f"{label}.jpg", buf.getvalue(), content_type="image/jpeg")


def _point_in(unit: Unit, rnd: random.Random):
    """A point inside one of the unit's grids (chosen at random), so the map shows them spread out."""
    grids = list(unit.grids.order_by("code"))
    if not grids:
        return None, None
    from shapely.geometry import Point

    from gongjian.org.geo import parse_polygon

    poly = parse_polygon(rnd.choice(grids).geometry)
    min_x, min_y, max_x, max_y = poly.bounds
    for _ in range(50):
        x, y = round(rnd.uniform(min_x, max_x), 6), round(rnd.uniform(min_y, max_y), 6)
        if poly.contains(Point(x, y)):
            return x, y
    p = poly.representative_point()
    return round(p.x, 6), round(p.y, 6)


def is_loaded() -> bool:
    return Campaign.objects.filter(name=CAMPAIGN).exists()


@transaction.atomic
def load(log=print) -> bool:
    if is_loaded():
        return False
    rnd = random.Random(2016)
    users = {u.username: u for u in User.objects.all()}
    command = Unit.objects.get(name="山阳区整治攻坚指挥部")
    today = services.today()
    campaign = services.campaign_create(
        actor=users.get("zhihui"), name=CAMPAIGN, serial_prefix="山阳整治", command_unit=command,
        starts_on=today - dt.timedelta(days=40), ends_on=today + dt.timedelta(days=50),
        description="对辖区垃圾围城、堆料围城、废品围城、冶炼围城、涂料围城开展集中整治攻坚。",
        targets="一个月内完成台账问题整改销号；建立长效管理机制。", categories=CATEGORIES, escalation=LADDER)
    cats = {c.name: c for c in campaign.categories.all()}
    commander, inspector = users["zhihui"], users["ducha"]
    handlers = {"百间房街道": users["bjf_jingban"], "东方红街道": users["dfh_jingban"]}
    n = 0
    for round_no in range(ROUNDS):
        for i, (title, cat, source, street, community) in enumerate(PROBLEMS):
            # The last round is the month's finished work: closed out, for the dashboard's trend.
            stage = STAGES[(i + round_no * 5) % len(STAGES)] if round_no < ROUNDS - 1 else (
                "closed_rework" if i % 5 == 0 else "closed")
            unit = Unit.objects.get(name=community) if community else Unit.objects.get(name=street)
            lng, lat = _point_in(unit, rnd) if community else (None, None)
            reporter = users["wangge"] if street == "百间房街道" else (
                users["dfh_wangge"] if street == "东方红街道" else inspector)
            suffix = "" if round_no == 0 else f"（第{round_no + 1}批）"
            days_ago = rnd.randint(1, 30)
            case = services.case_report(
                actor=reporter, campaign=campaign, category=cats[cat], title=title + suffix, source=source,
                description=f"{title}，现场拍照取证，请属地立即整改。", address=f"{street}{community or ''}",
                lng=lng, lat=lat, unit=None if lng else unit,
                reported_at=timezone.now() - dt.timedelta(days=days_ago, hours=rnd.randint(0, 8)))
            n += 1
            services.evidence_add(actor=reporter, case=case, stage="before", upload=_photo(n, f"before-{n}"))
            if stage == "reported":
                continue
            if stage == "rejected":
                services.transition(actor=commander, case=case, action="reject", reason="经核实不属于整治范围")
                continue
            services.transition(actor=commander, case=case, action="register")
            if stage == "registered":
                continue
            handler = handlers.get(street)
            services.transition(actor=commander, case=case, action="assign", unit=case.unit or unit,
                                workdays=_within_schedule(today, cats[cat].default_workdays))
            if stage == "assigned":
                continue
            actor = handler or _street_handler(street)
            if stage == "returned":
                services.transition(actor=actor, case=case, action="return", reason="该点位属相邻社区管辖")
                continue
            services.transition(actor=actor, case=case, action="accept")
            if stage == "long_term":
                services.transition(actor=commander, case=case, action="hang", plan="结合棚户区改造一并拆除",
                                    review_on=today + dt.timedelta(days=60))
                continue
            if stage == "rectifying_extended":
                deadline = Case.objects.get(pk=case.pk).deadline
                extra = _within_schedule(deadline, 5)
                if extra:
                    ext = services.extension_request(
                        actor=actor, case=case, requested_deadline=services.deadline_after(deadline, extra),
                        reason="连续降雨，清运车辆无法进场")
                    services.extension_decide(actor=commander, extension=ext, approve=True, note="同意延期")
            if stage.startswith("rectifying"):
                if stage == "rectifying_late":
                    _age(case, rnd.randint(6, 15))
                elif stage == "rectifying" and i % 2:
                    _due_soon(case)
                continue
            services.evidence_add(actor=actor, case=case, stage="after", upload=_photo(n + 1000, f"after-{n}"))
            services.transition(actor=actor, case=case, action="submit")
            if stage == "submitted":
                continue
            if stage == "closed_rework":
                services.transition(actor=inspector, case=case, action="rework", reason="现场仍有残留，需彻底清理")
                services.transition(actor=actor, case=case, action="submit")
            services.transition(actor=inspector, case=case, action="close")
            _backdate_close(case, rnd)
    services.escalate()
    log(f"  专项行动 1 个，案件 {n} 件 / campaign and cases")
    return True


def _within_schedule(start: dt.date, workdays: int) -> int:
    """Working days for a demo deadline, kept inside the years that have a holiday schedule.

    Real deadlines refuse to guess a year without one; the demo must load on any day, including
    late December before the next year's schedule has been imported.
    """
    cal = services._calendar()
    last_covered = dt.date(max(cal.years), 12, 31)
    return max(0, min(workdays, cal.count(start, last_covered)))


def _street_handler(street: str):
    """Streets without a demo handler: the command post's own handler role stands in (admin)."""
    return User.objects.get(username="admin")


def _age(case: Case, workdays_back: int) -> None:
    """Move an assignment back in time so the case is overdue (demo only; not an audited change)."""
    assigned = services.today() - dt.timedelta(days=workdays_back + 7)
    deadline = services.deadline_after(assigned, case.category.default_workdays)
    Case.objects.filter(pk=case.pk).update(assigned_on=assigned, deadline=deadline,
                                           warn_on=services.warn_date(assigned, deadline))



def _backdate_close(case: Case, rnd: random.Random) -> None:
    """Spread a close-out over the days since the case was reported, so the dashboard's 30-day trend
    shows close-outs on many days (demo only; not an audited change). Most are on time, a few late."""
    case = Case.objects.select_related("category").get(pk=case.pk)
    now = timezone.now()
    days_open = max((now - case.reported_at).total_seconds() / 86400, 1.0)
    assigned_on = timezone.localtime(case.reported_at).date()
    span = case.category.default_workdays + 4  # calendar days, about the working days allowed
    deadline = assigned_on + dt.timedelta(days=span)
    late = rnd.random() < 0.2
    offset = span + rnd.uniform(1.5, 4) if late else rnd.uniform(0.5, min(days_open, span))
    closed_at = min(case.reported_at + dt.timedelta(days=offset), now - dt.timedelta(hours=1))
    Case.objects.filter(pk=case.pk).update(
        assigned_on=assigned_on, deadline=deadline, warn_on=min(deadline, assigned_on + dt.timedelta(days=1)),
        submitted_at=closed_at - dt.timedelta(hours=rnd.randint(2, 20)), closed_at=closed_at,
        submitted_on_time=timezone.localtime(closed_at).date() <= deadline,
        closed_on_time=timezone.localtime(closed_at).date() <= deadline)


def _due_soon(case: Case) -> None:
    """Put a running case past its 80 % mark, due tomorrow: a yellow light (demo only)."""
    on = services.today()
    Case.objects.filter(pk=case.pk).update(deadline=on + dt.timedelta(days=1), warn_on=on - dt.timedelta(days=1))
