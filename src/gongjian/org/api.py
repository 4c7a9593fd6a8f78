"""REST endpoints of the organisation domain. Thin: scope, call a service, shape the answer."""

from __future__ import annotations

from django.db import transaction
from ninja import Router, Status

from gongjian.core.errors import Invalid
from gongjian.core.scoping import get_visible
from gongjian.org import selectors, services
from gongjian.org.models import ApiToken, Grid, LeaderAssignment, Unit, User
from gongjian.org.permissions import can_manage_grids, can_manage_org, require
from gongjian.org.schemas import (
    GridIn,
    GridOut,
    GridPatch,
    LeaderAssignmentIn,
    LeaderAssignmentOut,
    LocateOut,
    MeOut,
    TokenCreated,
    TokenIn,
    TokenOut,
    UnitIn,
    UnitMoveIn,
    UnitOut,
    UnitPatch,
    UserIn,
    UserOut,
    UserPatch,
)

router = Router(tags=["组织机构 / organisation"])


# Writes check the role before resolving the units a body names, so a person without the role
# hears "not permitted" rather than a detail about a unit they cannot see.


def _unit(request, pk, field="unit_id") -> Unit:
    """A unit the caller can see; an unknown or out-of-scope id is a 400 naming the field."""
    unit = Unit.objects.visible_to(request.auth).filter(pk=pk).first()
    if unit is None:
        raise Invalid(f"找不到单位 {pk} / unknown unit", field=field)
    return unit


def _users(request, ids, field) -> list[User]:
    found = {u.pk: u for u in User.objects.visible_to(request.auth).filter(pk__in=ids)}
    missing = [i for i in ids if i not in found]
    if missing:
        raise Invalid(f"找不到人员 {missing} / unknown users", field=field)
    return [found[i] for i in ids]


# -- units


@router.get("/units", response=list[UnitOut], summary="单位列表(范围内)")
def list_units(request, kind: str | None = None, parent_id: int | None = None):
    qs = selectors.units_visible(request.auth)
    if kind:
        qs = qs.filter(kind=kind)
    if parent_id is not None:
        qs = qs.filter(parent_id=parent_id)
    return qs.order_by("depth", "order", "name")


@router.get("/units/{int:unit_id}", response=UnitOut, summary="单位详情")
def get_unit(request, unit_id: int):
    return get_visible(Unit.objects, request.auth, pk=unit_id)


@router.post("/units", response={201: UnitOut}, summary="新建单位(管理员)")
def create_unit(request, body: UnitIn):
    require(can_manage_org(request.auth), "新建单位")
    parent = _unit(request, body.parent_id, "parent_id") if body.parent_id is not None else None
    unit = services.unit_create(actor=request.auth, name=body.name, kind=body.kind, parent=parent,
                                division_code=body.division_code, order=body.order,
                                short_name=body.short_name)
    return Status(201, unit)


@router.patch("/units/{int:unit_id}", response=UnitOut, summary="修改单位(管理员)")
def update_unit(request, unit_id: int, body: UnitPatch):
    unit = get_visible(Unit.objects, request.auth, pk=unit_id)
    return services.unit_update(actor=request.auth, unit=unit, **body.dict(exclude_unset=True))


@router.post("/units/{int:unit_id}/move", response=UnitOut, summary="调整单位隶属(管理员)")
def move_unit(request, unit_id: int, body: UnitMoveIn):
    unit = get_visible(Unit.objects, request.auth, pk=unit_id)
    require(can_manage_org(request.auth), "调整单位隶属")
    parent = _unit(request, body.parent_id, "parent_id") if body.parent_id is not None else None
    return services.unit_move(actor=request.auth, unit=unit, parent=parent, reason=body.reason)


# -- people


@router.get("/me", response=MeOut, summary="当前用户")
def me(request):
    return selectors.users_visible(request.auth).get(pk=request.auth.pk) if request.auth.unit_id \
        else request.auth


@router.get("/users", response=list[UserOut], summary="人员列表(范围内)")
def list_users(request, unit_id: int | None = None, role: str | None = None):
    qs = selectors.users_visible(request.auth)
    if unit_id is not None:
        qs = qs.filter(unit_id=unit_id)
    if role:
        qs = qs.filter(role_assignments__role=role)
    return qs.order_by("username")


@router.get("/users/{int:user_id}", response=UserOut, summary="人员详情")
def get_user(request, user_id: int):
    return get_visible(selectors.users_visible(request.auth), request.auth, pk=user_id)


@router.post("/users", response={201: UserOut}, summary="新建人员(管理员)")
def create_user(request, body: UserIn):
    require(can_manage_org(request.auth), "新建人员")
    unit = _unit(request, body.unit_id)
    user = services.user_create(actor=request.auth, username=body.username, password=body.password,
                                unit=unit, roles=body.roles, name=body.name, phone=body.phone,
                                email=body.email, title=body.title)
    return Status(201, selectors.users_visible(request.auth).get(pk=user.pk))


@router.patch("/users/{int:user_id}", response=UserOut, summary="修改人员(管理员)")
def update_user(request, user_id: int, body: UserPatch):
    user = get_visible(User.objects, request.auth, pk=user_id)
    require(can_manage_org(request.auth), "修改人员")
    changes = body.dict(exclude_unset=True)
    roles = changes.pop("roles", None)
    if "unit_id" in changes:
        changes["unit"] = _unit(request, changes.pop("unit_id"))
    services.user_update(actor=request.auth, user=user, roles=roles, **changes)
    return selectors.users_visible(request.auth).get(pk=user.pk)


# -- 分包


@router.get("/leader-assignments", response=list[LeaderAssignmentOut], summary="领导分包")
def list_leader_assignments(request):
    return selectors.leader_assignments_visible(request.auth)


@router.post("/leader-assignments", response={201: LeaderAssignmentOut}, summary="设置分包(管理员)")
def create_leader_assignment(request, body: LeaderAssignmentIn):
    require(can_manage_org(request.auth), "设置领导分包")
    leader = _users(request, [body.leader_id], "leader_id")[0]
    unit = _unit(request, body.unit_id)
    return Status(201, services.leader_assign(actor=request.auth, leader=leader, unit=unit,
                                             note=body.note))


@router.delete("/leader-assignments/{int:assignment_id}", response={204: None}, summary="取消分包(管理员)")
def delete_leader_assignment(request, assignment_id: int):
    la = get_visible(LeaderAssignment.objects, request.auth, pk=assignment_id)
    services.leader_unassign(actor=request.auth, assignment=la)
    return Status(204, None)


# -- grids


@router.get("/grids", response=list[GridOut], summary="网格列表(范围内)")
def list_grids(request, unit_id: int | None = None):
    qs = selectors.grids_visible(request.auth).prefetch_related("workers")
    if unit_id is not None:
        qs = qs.filter(unit__path__startswith=_unit(request, unit_id).path)
    return qs


@router.get("/grids/locate", response=LocateOut, summary="坐标定位网格(WGS-84)")
def locate(request, lng: float, lat: float):
    if not (-180 <= lng <= 180 and -90 <= lat <= 90):
        raise Invalid("坐标超出范围：经度 -180~180，纬度 -90~90 / coordinates out of range", field="lng")
    grid = selectors.locate_grid(lng, lat)
    if grid is None or not Grid.objects.visible_to(request.auth).filter(pk=grid.pk).exists():
        return {"found": False, "grid": None}
    return {"found": True, "grid": grid}


@router.get("/grids/{int:grid_id}", response=GridOut, summary="网格详情")
def get_grid(request, grid_id: int):
    return get_visible(selectors.grids_visible(request.auth), request.auth, pk=grid_id)


@router.post("/grids", response={201: GridOut}, summary="新建网格")
def create_grid(request, body: GridIn):
    require(can_manage_grids(request.auth), "新建网格")
    unit = _unit(request, body.unit_id)
    workers = _users(request, body.worker_ids, "worker_ids")
    grid = services.grid_create(actor=request.auth, code=body.code, name=body.name, unit=unit,
                                geometry=body.geometry, workers=workers)
    return Status(201, grid)


@router.patch("/grids/{int:grid_id}", response=GridOut, summary="修改网格")
def update_grid(request, grid_id: int, body: GridPatch):
    grid = get_visible(Grid.objects, request.auth, pk=grid_id)
    require(can_manage_grids(request.auth), "修改网格")
    changes = body.dict(exclude_unset=True)
    unit = _unit(request, changes["unit_id"]) if changes.get("unit_id") is not None else None
    workers = _users(request, changes["worker_ids"], "worker_ids") if changes.get("worker_ids") is not None \
        else None
    return services.grid_update(actor=request.auth, grid=grid, name=changes.get("name"), unit=unit,
                                geometry=changes.get("geometry"), workers=workers)


@router.delete("/grids/{int:grid_id}", response={204: None}, summary="删除网格")
def delete_grid(request, grid_id: int):
    grid = get_visible(Grid.objects, request.auth, pk=grid_id)
    services.grid_delete(actor=request.auth, grid=grid)
    return Status(204, None)


# -- API tokens (one's own)

tokens = Router(tags=["令牌 / tokens"])


@tokens.get("", response=list[TokenOut], summary="我的 API 令牌")
def list_tokens(request):
    return ApiToken.objects.filter(user=request.auth)


@tokens.post("", response={201: TokenCreated}, summary="签发 API 令牌(只显示一次)")
def create_token(request, body: TokenIn):
    with transaction.atomic():
        token, plain = services.token_create(actor=request.auth, user=request.auth, name=body.name,
                                             expires_at=body.expires_at)
    token.token = plain
    return Status(201, token)


@tokens.delete("/{int:token_id}", response=TokenOut, summary="吊销 API 令牌")
def revoke_token(request, token_id: int):
    token = get_visible(ApiToken.objects.filter(user=request.auth), request.auth, pk=token_id)
    return services.token_revoke(actor=request.auth, token=token)
