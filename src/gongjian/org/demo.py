"""The demo district: 山阳区 (焦作市), the same data on every run.

Loaded through the services, so the demo's own history is in the audit chain like any other write.
Later features extend it (cases, inspections, figures, stations) from their own apps.
"""

from __future__ import annotations

import random
from dataclasses import dataclass

from django.db import transaction

from gongjian.org import services
from gongjian.org.models import Role, Unit, UnitKind, User

DEMO_PASSWORD = "gongjian-demo"
DISTRICT_CODE = "410811000000"

# Street offices (街道办事处) with plausible communities; division codes follow 4108110xx000.
STREETS: list[tuple[str, list[str]]] = [
    ("百间房街道", ["百间房社区", "墙南社区", "墙北社区", "焦北社区"]),
    ("东方红街道", ["东方红社区", "红旗社区", "工字社区", "友谊社区"]),
    ("太行街道", ["太行社区", "山阳社区", "建设社区"]),
    ("焦东街道", ["焦东社区", "民生社区", "福安社区"]),
    ("光亚街道", ["光亚社区", "新华社区", "人和社区"]),
    ("艺新街道", ["艺新社区", "文昌社区", "和平社区"]),
    ("定和街道", ["定和社区", "北苑社区", "南苑社区"]),
    ("中星街道", ["中星社区", "星光社区", "瑞丰社区"]),
    ("新城街道", ["新城社区", "迎宾社区", "锦祥社区"]),
    ("李万街道", ["李万村", "墙王村", "恩村"]),
]

BUREAUS = ["区城市管理局", "焦作市生态环境局山阳分局", "区住房和城乡建设局", "焦作市公安局山阳分局",
           "区市场监督管理局"]
WORKGROUPS = ["垃圾围城整治组", "堆料围城整治组", "废品围城整治组", "冶炼围城整治组", "涂料围城整治组"]


@dataclass(frozen=True)
class DemoUser:
    username: str
    name: str
    unit: str
    roles: tuple[str, ...]
    title: str
    purpose: str


USERS = [
    DemoUser("admin", "系统管理员", "山阳区", (Role.ADMIN,), "信息中心", "管理员：基础数据、人员、审计"),
    DemoUser("zhihui", "王建国", "山阳区整治攻坚指挥部", (Role.COMMANDER,), "指挥部办公室主任", "指挥部：立案、交办、督办"),
    DemoUser("ducha", "赵立新", "山阳区整治攻坚指挥部", (Role.INSPECTOR,), "督查室督查员", "督查员：督查、核查销号"),
    DemoUser("quzhang", "刘志强", "山阳区", (Role.LEADER,), "区长", "领导：全区，分包百间房、东方红街道"),
    DemoUser("juzhang", "陈卫东", "区城市管理局", (Role.LEADER,), "城管局局长", "领导：城管局，分包焦东、太行街道"),
    DemoUser("bjf_jingban", "李敏", "百间房街道", (Role.HANDLER,), "街道城管办干事", "经办人：百间房街道"),
    DemoUser("dfh_jingban", "张伟", "东方红街道", (Role.HANDLER,), "街道城管办干事", "经办人：东方红街道(看不到百间房)"),
    DemoUser("wangge", "孙丽", "墙南社区", (Role.GRID_WORKER,), "专职网格员", "网格员：墙南社区"),
    DemoUser("dfh_wangge", "周强", "红旗社区", (Role.GRID_WORKER,), "专职网格员", "网格员：红旗社区"),
    DemoUser("chakan", "吴静", "焦作市生态环境局山阳分局", (Role.VIEWER,), "科员", "只读：生态环境分局"),
]

LEADER_ASSIGNMENTS = [
    ("quzhang", "百间房街道", "区长分包"),
    ("quzhang", "东方红街道", "区长分包"),
    ("juzhang", "焦东街道", "城管局局长分包"),
    ("juzhang", "太行街道", "城管局局长分包"),
]

# Two streets with grids: a lattice of slightly jittered points, so neighbouring grids share edges
# exactly and never overlap. Around 山阳区's real position (lng 113.24–113.31, lat 35.20–35.23).
GRID_STREETS = ["百间房街道", "东方红街道"]
LNG0, LAT0, CELL_W, CELL_H = 113.245, 35.205, 0.0075, 0.0100
COLS_PER_STREET, ROWS = 4, 2


def _lattice() -> list[list[tuple[float, float]]]:
    rnd = random.Random(212)
    cols = COLS_PER_STREET * len(GRID_STREETS)
    pts = []
    for r in range(ROWS + 1):
        row = []
        for c in range(cols + 1):
            interior = 0 < r < ROWS and 0 < c < cols
            jx = rnd.uniform(-0.0012, 0.0012) if 0 < c < cols else 0.0
            jy = rnd.uniform(-0.0015, 0.0015) if interior else 0.0
            row.append((round(LNG0 + c * CELL_W + jx, 6), round(LAT0 + r * CELL_H + jy, 6)))
        pts.append(row)
    return pts


def grid_polygons() -> list[tuple[str, int, int, dict]]:
    """(street, column within street, row, GeoJSON polygon) for every demo grid."""
    pts = _lattice()
    out = []
    for s, street in enumerate(GRID_STREETS):
        for c in range(COLS_PER_STREET):
            for r in range(ROWS):
                cc = s * COLS_PER_STREET + c
                ring = [pts[r][cc], pts[r][cc + 1], pts[r + 1][cc + 1], pts[r + 1][cc], pts[r][cc]]
                out.append((street, c, r, {"type": "Polygon", "coordinates": [[list(p) for p in ring]]}))
    return out


def is_loaded() -> bool:
    return Unit.objects.filter(division_code=DISTRICT_CODE).exists()


@transaction.atomic
def load(actor=None, log=print) -> bool:
    """Load the demo district once; False (and nothing written) when it is already there."""
    if is_loaded():
        return False
    by_name: dict[str, Unit] = {}

    def add(name, kind, parent=None, code="", order=0, short=""):
        unit = services.unit_create(actor=actor, name=name, kind=kind, parent=parent, division_code=code,
                                    order=order, short_name=short)
        by_name[name] = unit
        return unit

    district = add("山阳区", UnitKind.DISTRICT, code=DISTRICT_CODE, short="山阳")
    command = add("山阳区整治攻坚指挥部", UnitKind.COMMAND, district, order=1, short="指挥部")
    for i, name in enumerate(WORKGROUPS):
        add(name, UnitKind.WORKGROUP, command, order=i)
    for i, name in enumerate(BUREAUS):
        add(name, UnitKind.BUREAU, district, order=10 + i)
    for i, (street, communities) in enumerate(STREETS):
        s = add(street, UnitKind.STREET, district, code=f"410811{i + 1:03d}000", order=100 + i,
                short=street.removesuffix("街道"))
        for j, community in enumerate(communities):
            kind = UnitKind.VILLAGE if community.endswith("村") else UnitKind.COMMUNITY
            add(community, kind, s, code=f"410811{i + 1:03d}{j + 1:03d}", order=j)
    log(f"  单位 {len(by_name)} 个 / units")

    users = {}
    for du in USERS:
        existing = User.objects.filter(username=du.username).first()
        if existing is not None:  # e.g. the admin made by a plain `init` before `init --demo`
            users[du.username] = existing
            continue
        users[du.username] = services.user_create(
            actor=actor, username=du.username, password=DEMO_PASSWORD, unit=by_name[du.unit], roles=du.roles,
            name=du.name, title=du.title, is_superuser=du.username == "admin", check_password=False)
    log(f"  人员 {len(users)} 个 / users")

    for leader, unit, note in LEADER_ASSIGNMENTS:
        services.leader_assign(actor=actor, leader=users[leader], unit=by_name[unit], note=note)

    workers_by_community = {"墙南社区": users["wangge"], "红旗社区": users["dfh_wangge"]}
    n = 0
    for street, c, r, polygon in grid_polygons():
        community = dict(STREETS)[street][c]
        unit = by_name[community]
        code = f"{unit.division_code}{r + 1:02d}"
        worker = workers_by_community.get(community)
        services.grid_create(actor=actor, code=code, name=f"{community}第{r + 1}网格", unit=unit,
                             geometry=polygon, workers=[worker] if worker else [])
        n += 1
    log(f"  网格 {n} 个 / grids")
    return True


def logins_text() -> str:
    width = max(len(u.username) for u in USERS)
    lines = [f"演示账号(密码均为 {DEMO_PASSWORD}) / demo logins (password {DEMO_PASSWORD}):"]
    for u in USERS:
        lines.append(f"  {u.username.ljust(width)}  {u.purpose}")
    return "\n".join(lines)
