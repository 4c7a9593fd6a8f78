"""Factories: a small district with two streets and one user per role, built through the services."""

from __future__ import annotations

import itertools
from dataclasses import dataclass, field

from gongjian.org import services
from gongjian.org.models import Grid, Role, Unit, UnitKind, User

PASSWORD = "test-pass-9834"
_seq = itertools.count(1)


def square(lng: float, lat: float, size: float = 0.01) -> dict:
    return {"type": "Polygon", "coordinates": [[[lng, lat], [lng + size, lat], [lng + size, lat + size],
                                                [lng, lat + size], [lng, lat]]]}


def make_unit(name: str | None = None, kind: str = UnitKind.COMMUNITY, parent: Unit | None = None,
              **kw) -> Unit:
    return services.unit_create(actor=None, name=name or f"单位{next(_seq)}", kind=kind, parent=parent, **kw)


def make_user(unit: Unit | None, *roles: str, username: str | None = None, **kw) -> User:
    return services.user_create(actor=None, username=username or f"user{next(_seq)}", password=PASSWORD,
                                unit=unit, roles=roles, name=kw.pop("name", "测试"), check_password=False, **kw)


def make_grid(unit: Unit, lng: float, lat: float, size: float = 0.01, code: str | None = None) -> Grid:
    return services.grid_create(actor=None, code=code or f"G{next(_seq):05d}", name="网格", unit=unit,
                                geometry=square(lng, lat, size))


@dataclass
class District:
    root: Unit
    command: Unit
    bureau: Unit
    street_a: Unit
    street_b: Unit
    community_a: Unit
    community_b: Unit
    users: dict[str, User] = field(default_factory=dict)
    grid_a: Grid | None = None
    grid_b: Grid | None = None

    def __getitem__(self, key: str) -> User:
        return self.users[key]


def make_district() -> District:
    root = make_unit("测试区", UnitKind.DISTRICT, division_code="410899000000")
    command = make_unit("指挥部", UnitKind.COMMAND, root)
    bureau = make_unit("城管局", UnitKind.BUREAU, root)
    street_a = make_unit("甲街道", UnitKind.STREET, root)
    street_b = make_unit("乙街道", UnitKind.STREET, root)
    community_a = make_unit("甲一社区", UnitKind.COMMUNITY, street_a)
    community_b = make_unit("乙一社区", UnitKind.COMMUNITY, street_b)
    d = District(root, command, bureau, street_a, street_b, community_a, community_b)
    d.users = {
        "admin": make_user(root, Role.ADMIN, username="t_admin"),
        "commander": make_user(command, Role.COMMANDER, username="t_commander"),
        "inspector": make_user(command, Role.INSPECTOR, username="t_inspector"),
        "leader": make_user(root, Role.LEADER, username="t_leader"),
        "bureau_leader": make_user(bureau, Role.LEADER, username="t_bureau_leader"),
        "handler_a": make_user(street_a, Role.HANDLER, username="t_handler_a"),
        "handler_b": make_user(street_b, Role.HANDLER, username="t_handler_b"),
        "grid_worker_a": make_user(community_a, Role.GRID_WORKER, username="t_grid_a"),
        "viewer_a": make_user(street_a, Role.VIEWER, username="t_viewer_a"),
    }
    services.leader_assign(actor=None, leader=d.users["bureau_leader"], unit=street_b)
    d.grid_a = make_grid(community_a, 113.20, 35.20)
    d.grid_b = make_grid(community_b, 113.21, 35.20)
    return d
