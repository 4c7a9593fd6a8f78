"""Every write in the organisation domain: validated, permission-checked, atomic, audited."""

from __future__ import annotations

import hashlib
import secrets
from collections.abc import Iterable

from django.contrib.auth.password_validation import validate_password
from django.core.exceptions import ValidationError
from django.db import IntegrityError, transaction
from django.db.models import F, Value
from django.db.models.functions import Concat, Length, Substr
from django.utils import timezone

from gongjian.core import audit
from gongjian.core.errors import Conflict, Invalid
from gongjian.org import geo
from gongjian.org.models import (
    ALLOWED_PARENT_KINDS,
    ApiToken,
    Grid,
    LeaderAssignment,
    Role,
    RoleAssignment,
    Unit,
    UnitKind,
    User,
    division_code_validator,
)
from gongjian.org.permissions import can_manage_grids, can_manage_org, require

# ---------------------------------------------------------------- units


def _check_kind(kind: str) -> None:
    if kind not in UnitKind.values:
        names = "、".join(UnitKind.labels)
        raise Invalid(f"单位类型“{kind}”无效，应为：{names} / unknown unit kind", field="kind")


def _check_parent(kind: str, parent: Unit | None) -> None:
    allowed = ALLOWED_PARENT_KINDS[kind]
    parent_kind = parent.kind if parent else None
    if parent_kind not in allowed:
        kind_label = UnitKind(kind).label
        if parent is None:
            raise Invalid(f"{kind_label}必须有上级单位 / a {kind} needs a parent unit", field="parent")
        raise Invalid(f"{kind_label}不能设在{parent.get_kind_display()}“{parent.name}”之下 / "
                      f"a {kind} cannot sit under a {parent.kind}", field="parent")


def _check_division_code(code: str, *, exclude: int | None = None) -> None:
    if not code:
        return
    try:
        division_code_validator(code)
    except ValidationError:
        raise Invalid("区划代码应为12位数字 / division code must be 12 digits",
                      field="division_code") from None
    clash = Unit.objects.filter(division_code=code).exclude(pk=exclude).first()
    if clash:
        raise Conflict(f"区划代码 {code} 已被“{clash.name}”使用 / division code already used",
                       field="division_code")


def _check_name(name: str, parent: Unit | None, *, exclude: int | None = None) -> str:
    name = (name or "").strip()
    if not name:
        raise Invalid("单位名称不能为空 / name is required", field="name")
    if len(name) > 100:
        raise Invalid("单位名称不能超过100个字 / name too long", field="name")
    if Unit.objects.filter(parent=parent, name=name).exclude(pk=exclude).exists():
        where = f"“{parent.name}”下" if parent else "顶层"
        raise Conflict(f"{where}已有名为“{name}”的单位 / a sibling already has this name", field="name")
    return name


@transaction.atomic
def unit_create(*, actor, name: str, kind: str, parent: Unit | None = None,
                division_code: str = "", order: int = 0, short_name: str = "") -> Unit:
    require(can_manage_org(actor), "新建单位")
    _check_kind(kind)
    _check_parent(kind, parent)
    name = _check_name(name, parent)
    _check_division_code(division_code)
    unit = Unit.objects.create(name=name, kind=kind, parent=parent, division_code=division_code,
                               order=order, short_name=short_name.strip(),
                               depth=(parent.depth + 1) if parent else 0)
    unit.path = f"{parent.path if parent else '/'}{unit.pk}/"
    unit.save(update_fields=["path"])
    audit.record(actor=actor, action="unit.create", obj=unit, after=unit.snapshot())
    return unit


@transaction.atomic
def unit_update(*, actor, unit: Unit, **changes) -> Unit:
    """Change name, short_name, kind, division_code, order or is_active (not the parent)."""
    require(can_manage_org(actor), "修改单位")
    allowed = {"name", "short_name", "kind", "division_code", "order", "is_active"}
    unknown = set(changes) - allowed
    if unknown:
        raise Invalid(f"不能修改字段：{'、'.join(sorted(unknown))} / cannot change these fields")
    unit = Unit.objects.select_for_update().get(pk=unit.pk)
    before = unit.snapshot()
    if "kind" in changes:
        _check_kind(changes["kind"])
        _check_parent(changes["kind"], unit.parent)
        for child in unit.children.all():
            _check_parent(child.kind, Unit(kind=changes["kind"], name=unit.name))
    if "name" in changes:
        changes["name"] = _check_name(changes["name"], unit.parent, exclude=unit.pk)
    if "division_code" in changes:
        changes["division_code"] = (changes["division_code"] or "").strip()
        _check_division_code(changes["division_code"], exclude=unit.pk)
    for k, v in changes.items():
        setattr(unit, k, v)
    unit.save()
    audit.record(actor=actor, action="unit.update", obj=unit, before=before, after=unit.snapshot())
    return unit


@transaction.atomic
def unit_move(*, actor, unit: Unit, parent: Unit | None, reason: str = "") -> Unit:
    """Put a unit (and its whole subtree) under another parent."""
    require(can_manage_org(actor), "调整单位隶属")
    unit = Unit.objects.select_for_update().get(pk=unit.pk)
    if parent is not None:
        parent = Unit.objects.get(pk=parent.pk)
        if parent.pk == unit.pk or parent.path.startswith(unit.path):
            raise Invalid(f"不能把“{unit.name}”放到它自己或它的下级“{parent.name}”之下 / "
                          "a unit cannot be placed under itself or its own descendant", field="parent")
    _check_parent(unit.kind, parent)
    _check_name(unit.name, parent, exclude=unit.pk)
    before = unit.snapshot()
    old_path, old_depth = unit.path, unit.depth
    new_path = f"{parent.path if parent else '/'}{unit.pk}/"
    depth_shift = ((parent.depth + 1) if parent else 0) - old_depth
    # Rewrite the whole subtree's paths in one statement.
    Unit.objects.filter(path__startswith=old_path).update(
        path=Concat(Value(new_path), Substr(F("path"), Length(Value(old_path)) + 1)),
        depth=F("depth") + depth_shift,
    )
    Unit.objects.filter(pk=unit.pk).update(parent=parent)
    unit.refresh_from_db()
    audit.record(actor=actor, action="unit.move", obj=unit, before=before, after=unit.snapshot(),
                 reason=reason)
    return unit


def unit_by_ref(ref, *, field: str = "unit") -> Unit:
    """Find a unit by id, division code or exact name; a clear error otherwise."""
    if isinstance(ref, Unit):
        return ref
    text = str(ref).strip()
    qs = Unit.objects.all()
    unit = None
    if text.isdigit() and len(text) == 12:
        unit = qs.filter(division_code=text).first()
    if unit is None and text.isdigit():
        unit = qs.filter(pk=int(text)).first()
    if unit is None:
        matches = list(qs.filter(name=text)[:2])
        if len(matches) > 1:
            raise Invalid(f"有多个名为“{text}”的单位，请用编号或区划代码 / ambiguous unit name", field=field)
        unit = matches[0] if matches else None
    if unit is None:
        raise Invalid(f"找不到单位“{text}” / unknown unit", field=field)
    return unit


# ---------------------------------------------------------------- people


def _clean_roles(roles: Iterable[str]) -> list[str]:
    roles = list(dict.fromkeys(roles))
    bad = [r for r in roles if r not in Role.values]
    if bad:
        raise Invalid(f"未知角色：{'、'.join(map(str, bad))}，可选：{'、'.join(Role.values)} / unknown role",
                      field="roles")
    return roles


def _user_snapshot(user: User) -> dict:
    return {"username": user.username, "name": user.name, "unit": user.unit_id,
            "roles": sorted(user.role_assignments.values_list("role", flat=True)),
            "phone": user.phone, "email": user.email, "title": user.title,
            "is_active": user.is_active, "is_superuser": user.is_superuser}


def _check_password(password: str, user: User) -> None:
    try:
        validate_password(password, user)
    except ValidationError as exc:
        raise Invalid("密码不符合要求：" + "；".join(exc.messages), field="password") from None


@transaction.atomic
def user_create(*, actor, username: str, password: str, unit: Unit | None, roles: Iterable[str] = (),
                name: str = "", phone: str = "", email: str = "", title: str = "",
                is_superuser: bool = False, check_password: bool = True) -> User:
    require(can_manage_org(actor), "新建人员")
    username = (username or "").strip()
    if not username:
        raise Invalid("账号不能为空 / username is required", field="username")
    if User.objects.filter(username=username).exists():
        raise Conflict(f"账号“{username}”已存在 / username already exists", field="username")
    if unit is None and not is_superuser:
        raise Invalid("人员必须属于一个单位 / a user must belong to a unit", field="unit")
    roles = _clean_roles(roles)
    user = User(username=username, name=name.strip(), unit=unit, phone=phone.strip(),
                email=email.strip(), title=title.strip(), is_superuser=is_superuser,
                is_staff=is_superuser or Role.ADMIN in roles)
    if check_password:
        _check_password(password, user)
    user.set_password(password)
    try:
        with transaction.atomic():
            user.save()
    except IntegrityError as exc:
        raise Conflict(f"无法保存人员：{exc} / could not save user") from None
    RoleAssignment.objects.bulk_create([RoleAssignment(user=user, role=r) for r in roles])
    audit.record(actor=actor, action="user.create", obj=user, after=_user_snapshot(user))
    return user


@transaction.atomic
def user_update(*, actor, user: User, roles: Iterable[str] | None = None, **changes) -> User:
    """Change unit, name, phone, email, title, is_active and/or the set of roles."""
    require(can_manage_org(actor), "修改人员")
    allowed = {"unit", "name", "phone", "email", "title", "is_active"}
    unknown = set(changes) - allowed
    if unknown:
        raise Invalid(f"不能修改字段：{'、'.join(sorted(unknown))} / cannot change these fields")
    user = User.objects.select_for_update().get(pk=user.pk)
    before = _user_snapshot(user)
    if "unit" in changes and changes["unit"] is None and not user.is_superuser:
        raise Invalid("人员必须属于一个单位 / a user must belong to a unit", field="unit")
    for k, v in changes.items():
        setattr(user, k, v.strip() if isinstance(v, str) else v)
    if roles is not None:
        roles = _clean_roles(roles)
        user.role_assignments.exclude(role__in=roles).delete()
        have = set(user.role_assignments.values_list("role", flat=True))
        RoleAssignment.objects.bulk_create([RoleAssignment(user=user, role=r) for r in roles if r not in have])
        user.is_staff = user.is_superuser or Role.ADMIN in roles
    user.save()
    user.__dict__.pop("role_codes", None)
    audit.record(actor=actor, action="user.update", obj=user, before=before, after=_user_snapshot(user))
    return user


@transaction.atomic
def user_set_password(*, actor, user: User, password: str) -> User:
    if actor is not None and actor.pk != user.pk:
        require(can_manage_org(actor), "重置他人密码")
    _check_password(password, user)
    user = User.objects.select_for_update().get(pk=user.pk)
    user.set_password(password)
    user.save(update_fields=["password"])
    # The hash itself never goes into the audit log.
    audit.record(actor=actor, action="user.set_password", obj=user)
    return user


# ---------------------------------------------------------------- 分包


@transaction.atomic
def leader_assign(*, actor, leader: User, unit: Unit, note: str = "") -> LeaderAssignment:
    require(can_manage_org(actor), "设置领导分包")
    if not leader.has_role(Role.LEADER):
        raise Invalid(f"“{leader}”没有领导角色，不能分包单位 / only leaders take 分包", field="leader")
    if LeaderAssignment.objects.filter(leader=leader, unit=unit).exists():
        raise Conflict(f"“{leader}”已分包“{unit}” / already assigned", field="unit")
    la = LeaderAssignment.objects.create(leader=leader, unit=unit, note=note.strip())
    audit.record(actor=actor, action="leader.assign", obj=la,
                 after={"leader": leader.pk, "unit": unit.pk, "note": la.note})
    return la


@transaction.atomic
def leader_unassign(*, actor, assignment: LeaderAssignment, reason: str = "") -> None:
    require(can_manage_org(actor), "取消领导分包")
    before = {"leader": assignment.leader_id, "unit": assignment.unit_id, "note": assignment.note}
    audit.record(actor=actor, action="leader.unassign", obj=assignment, before=before, reason=reason)
    assignment.delete()


# ---------------------------------------------------------------- grids


def _validated_grid_geometry(geometry, *, exclude: int | None = None):
    geom = geo.parse_polygon(geometry)
    min_x, min_y, max_x, max_y = geom.bounds
    candidates = Grid.objects.filter(min_lng__lte=max_x, max_lng__gte=min_x, min_lat__lte=max_y,
                                     max_lat__gte=min_y).exclude(pk=exclude)
    for other in candidates.only("pk", "code", "name", "geometry"):
        if geo.interiors_overlap(geom, geo.parse_polygon(other.geometry)):
            raise Conflict(f"网格范围与网格“{other.code} {other.name}”重叠 / overlaps grid {other.code}",
                           field="geometry", details={"grid": other.code})
    return geom


def _apply_geometry(grid: Grid, geom) -> None:
    grid.geometry = geo.normalised_geojson(geom)
    grid.min_lng, grid.min_lat, grid.max_lng, grid.max_lat = geom.bounds
    grid.area_m2 = round(geo.area_m2(geom), 1)


def _check_workers(workers: Iterable[User], unit: Unit) -> list[User]:
    workers = list(workers)
    for w in workers:
        if not w.has_role(Role.GRID_WORKER):
            raise Invalid(f"“{w}”不是网格员 / not a grid worker", field="workers")
    return workers


@transaction.atomic
def grid_create(*, actor, code: str, name: str, unit: Unit, geometry, workers: Iterable[User] = ()) -> Grid:
    require(can_manage_grids(actor), "新建网格")
    code = (code or "").strip()
    if not code:
        raise Invalid("网格编码不能为空 / code is required", field="code")
    if Grid.objects.filter(code=code).exists():
        raise Conflict(f"网格编码 {code} 已存在 / grid code already exists", field="code")
    if not (name or "").strip():
        raise Invalid("网格名称不能为空 / name is required", field="name")
    geom = _validated_grid_geometry(geometry)
    workers = _check_workers(workers, unit)
    grid = Grid(code=code, name=name.strip(), unit=unit)
    _apply_geometry(grid, geom)
    grid.save()
    grid.workers.set(workers)
    audit.record(actor=actor, action="grid.create", obj=grid,
                 after=grid.snapshot() | {"workers": sorted(w.pk for w in workers)})
    return grid


@transaction.atomic
def grid_update(*, actor, grid: Grid, name: str | None = None, unit: Unit | None = None,
                geometry=None, workers: Iterable[User] | None = None) -> Grid:
    require(can_manage_grids(actor), "修改网格")
    grid = Grid.objects.select_for_update().get(pk=grid.pk)
    before = grid.snapshot() | {"workers": sorted(grid.workers.values_list("pk", flat=True))}
    if name is not None:
        if not name.strip():
            raise Invalid("网格名称不能为空 / name is required", field="name")
        grid.name = name.strip()
    if unit is not None:
        grid.unit = unit
    if geometry is not None:
        _apply_geometry(grid, _validated_grid_geometry(geometry, exclude=grid.pk))
    grid.save()
    if workers is not None:
        grid.workers.set(_check_workers(workers, grid.unit))
    after = grid.snapshot() | {"workers": sorted(grid.workers.values_list("pk", flat=True))}
    audit.record(actor=actor, action="grid.update", obj=grid, before=before, after=after)
    return grid


@transaction.atomic
def grid_delete(*, actor, grid: Grid, reason: str = "") -> None:
    require(can_manage_grids(actor), "删除网格")
    audit.record(actor=actor, action="grid.delete", obj=grid, before=grid.snapshot(), reason=reason)
    grid.delete()


# ---------------------------------------------------------------- API tokens

TOKEN_PREFIX = "gj_"


def token_digest(plain: str) -> str:
    return hashlib.sha256(plain.encode("utf-8")).hexdigest()


@transaction.atomic
def token_create(*, actor, user: User, name: str, expires_at=None) -> tuple[ApiToken, str]:
    """Issue a token; the plain text is returned once and never stored."""
    if actor is not None and actor.pk != user.pk:
        require(can_manage_org(actor), "为他人签发令牌")
    name = (name or "").strip()
    if not name:
        raise Invalid("请给令牌起个名字(如“扬尘监测设备”) / a token needs a name", field="name")
    if expires_at is not None and expires_at <= timezone.now():
        raise Invalid("过期时间必须在将来 / expiry must be in the future", field="expires_at")
    plain = TOKEN_PREFIX + secrets.token_urlsafe(32)
    token = ApiToken.objects.create(user=user, name=name[:100], prefix=plain[:10],
                                    digest=token_digest(plain), expires_at=expires_at)
    audit.record(actor=actor, action="token.create", obj=token,
                 after={"user": user.pk, "name": token.name, "prefix": token.prefix,
                        "expires_at": expires_at})
    return token, plain


@transaction.atomic
def token_revoke(*, actor, token: ApiToken, reason: str = "") -> ApiToken:
    if actor is not None and actor.pk != token.user_id:
        require(can_manage_org(actor), "吊销他人令牌")
    token = ApiToken.objects.select_for_update().get(pk=token.pk)
    if token.revoked_at:
        raise Conflict("令牌已被吊销 / token already revoked")
    token.revoked_at = timezone.now()
    token.save(update_fields=["revoked_at"])
    audit.record(actor=actor, action="token.revoke", obj=token, reason=reason,
                 after={"revoked_at": token.revoked_at})
    return token


def token_authenticate(plain: str) -> User | None:
    """The user a bearer token belongs to, or None. Notes last use at most once a minute."""
    if not plain or not plain.startswith(TOKEN_PREFIX) or len(plain) > 200:
        return None
    token = ApiToken.objects.select_related("user", "user__unit").filter(digest=token_digest(plain)).first()
    if token is None or not token.is_live or not token.user.is_active:
        return None
    now = timezone.now()
    if token.last_used_at is None or (now - token.last_used_at).total_seconds() > 60:
        ApiToken.objects.filter(pk=token.pk).update(last_used_at=now)
    return token.user
