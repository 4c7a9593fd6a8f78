from __future__ import annotations

from datetime import datetime
from typing import Any

from ninja import Field, Schema


class UnitOut(Schema):
    id: int
    name: str
    short_name: str
    kind: str
    kind_label: str = Field(..., alias="get_kind_display")
    parent_id: int | None
    division_code: str
    order: int
    depth: int
    is_active: bool


class UnitIn(Schema):
    name: str
    kind: str
    parent_id: int | None = None
    division_code: str = ""
    order: int = 0
    short_name: str = ""


class UnitPatch(Schema):
    name: str | None = None
    short_name: str | None = None
    kind: str | None = None
    division_code: str | None = None
    order: int | None = None
    is_active: bool | None = None


class UnitMoveIn(Schema):
    parent_id: int | None
    reason: str = ""


class UserOut(Schema):
    id: int
    username: str
    name: str
    unit_id: int | None
    unit_name: str | None
    roles: list[str]
    phone: str
    title: str
    is_active: bool

    @staticmethod
    def resolve_unit_name(obj):
        return obj.unit.name if obj.unit_id else None

    @staticmethod
    def resolve_roles(obj):
        return sorted(r.role for r in obj.role_assignments.all())


class MeOut(UserOut):
    sees_everything: bool
    scope_unit_ids: list[int] | None

    @staticmethod
    def resolve_scope_unit_ids(obj):
        paths = obj.scope_paths()
        return None if paths is None else [int(p.strip("/").split("/")[-1]) for p in paths]


class UserIn(Schema):
    username: str
    password: str
    name: str = ""
    unit_id: int
    roles: list[str] = []
    phone: str = ""
    email: str = ""
    title: str = ""


class UserPatch(Schema):
    name: str | None = None
    unit_id: int | None = None
    roles: list[str] | None = None
    phone: str | None = None
    email: str | None = None
    title: str | None = None
    is_active: bool | None = None


class GridOut(Schema):
    id: int
    code: str
    name: str
    unit_id: int
    unit_name: str = Field(..., alias="unit.name")
    geometry: dict[str, Any]
    area_m2: float
    worker_ids: list[int]

    @staticmethod
    def resolve_worker_ids(obj):
        return sorted(w.pk for w in obj.workers.all())


class GridIn(Schema):
    code: str
    name: str
    unit_id: int
    geometry: Any
    worker_ids: list[int] = []


class GridPatch(Schema):
    name: str | None = None
    unit_id: int | None = None
    geometry: Any = None
    worker_ids: list[int] | None = None


class LocateOut(Schema):
    found: bool
    grid: GridOut | None = None


class LeaderAssignmentOut(Schema):
    id: int
    leader_id: int
    leader_name: str = Field(..., alias="leader.name")
    unit_id: int
    unit_name: str = Field(..., alias="unit.name")
    note: str


class LeaderAssignmentIn(Schema):
    leader_id: int
    unit_id: int
    note: str = ""


class TokenOut(Schema):
    id: int
    name: str
    prefix: str
    created_at: datetime
    expires_at: datetime | None
    last_used_at: datetime | None
    revoked_at: datetime | None


class TokenCreated(TokenOut):
    token: str = Field(..., description="只显示这一次 / shown only once")


class TokenIn(Schema):
    name: str
    expires_at: datetime | None = None
