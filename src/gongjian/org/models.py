"""Organisation: the unit tree, people and their roles, leaders' 分包, grids, API tokens."""

from __future__ import annotations

import functools

from django.contrib.auth.models import AbstractUser
from django.contrib.auth.models import UserManager as DjangoUserManager
from django.core.validators import RegexValidator
from django.db import models
from django.db.models import Q
from django.utils.translation import gettext_noop

from gongjian.core.scoping import ScopedQuerySet


class UnitKind(models.TextChoices):
    DISTRICT = "district", gettext_noop("区/县")
    STREET = "street", gettext_noop("街道")
    TOWNSHIP = "township", gettext_noop("乡镇")
    OFFICE = "office", gettext_noop("办事处")
    VILLAGE = "village", gettext_noop("村")
    COMMUNITY = "community", gettext_noop("社区")
    BUREAU = "bureau", gettext_noop("区直部门")
    COMMAND = "command", gettext_noop("指挥部")
    WORKGROUP = "workgroup", gettext_noop("工作组")


# Which kinds a unit of each kind may sit under (None = may be a root).
ALLOWED_PARENT_KINDS: dict[str, set[str | None]] = {
    UnitKind.DISTRICT: {None, UnitKind.DISTRICT},
    UnitKind.STREET: {UnitKind.DISTRICT},
    UnitKind.TOWNSHIP: {UnitKind.DISTRICT},
    UnitKind.OFFICE: {UnitKind.DISTRICT, UnitKind.STREET, UnitKind.TOWNSHIP},
    UnitKind.VILLAGE: {UnitKind.STREET, UnitKind.TOWNSHIP, UnitKind.OFFICE},
    UnitKind.COMMUNITY: {UnitKind.STREET, UnitKind.TOWNSHIP, UnitKind.OFFICE},
    UnitKind.BUREAU: {UnitKind.DISTRICT},
    UnitKind.COMMAND: {UnitKind.DISTRICT},
    UnitKind.WORKGROUP: {UnitKind.COMMAND, UnitKind.BUREAU, UnitKind.DISTRICT},
}

# Units whose members, in a commanding, inspecting or leading role, see the whole district.
DISTRICT_LEVEL_KINDS = {UnitKind.DISTRICT, UnitKind.COMMAND, UnitKind.WORKGROUP}


class Role(models.TextChoices):
    ADMIN = "admin", gettext_noop("管理员")
    COMMANDER = "commander", gettext_noop("指挥部")
    INSPECTOR = "inspector", gettext_noop("督查员")
    HANDLER = "handler", gettext_noop("经办人")
    GRID_WORKER = "grid_worker", gettext_noop("网格员")
    LEADER = "leader", gettext_noop("领导")
    VIEWER = "viewer", gettext_noop("只读")


DISTRICT_WIDE_ROLES = {Role.COMMANDER, Role.INSPECTOR, Role.LEADER}

division_code_validator = RegexValidator(r"^\d{12}$", "区划代码应为12位数字 / division code must be 12 digits")


class Unit(models.Model):
    scope_unit_field = ""

    name = models.CharField("名称", max_length=100)
    short_name = models.CharField("简称", max_length=50, blank=True)
    kind = models.CharField("类型", max_length=16, choices=UnitKind.choices)
    parent = models.ForeignKey("self", verbose_name="上级单位", null=True, blank=True,
                               on_delete=models.PROTECT, related_name="children")
    division_code = models.CharField("区划代码", max_length=12, blank=True,
                                     validators=[division_code_validator])
    order = models.PositiveIntegerField("排序", default=0)
    # Materialised path of ids, "/1/5/12/": a subtree is path__startswith.
    path = models.CharField("路径", max_length=255, db_index=True, editable=False, default="")
    depth = models.PositiveSmallIntegerField("层级", default=0, editable=False)
    is_active = models.BooleanField("启用", default=True)
    created_at = models.DateTimeField("创建时间", auto_now_add=True)
    updated_at = models.DateTimeField("更新时间", auto_now=True)

    objects = ScopedQuerySet.as_manager()

    class Meta:
        verbose_name = "单位"
        verbose_name_plural = "单位"
        ordering = ["depth", "order", "name"]
        constraints = [
            models.UniqueConstraint(fields=["parent", "name"], name="unit_unique_name_in_parent"),
            models.UniqueConstraint(fields=["division_code"], condition=~Q(division_code=""),
                                    name="unit_unique_division_code"),
        ]

    def __str__(self) -> str:
        return self.name

    @property
    def ancestor_ids(self) -> list[int]:
        return [int(p) for p in self.path.strip("/").split("/") if p][:-1]

    def is_descendant_of(self, other: Unit) -> bool:
        return self.path.startswith(other.path) and self.pk != other.pk

    def subtree(self):
        return Unit.objects.filter(path__startswith=self.path)

    @property
    def is_district_level(self) -> bool:
        return self.kind in DISTRICT_LEVEL_KINDS

    def snapshot(self) -> dict:
        return {
            "name": self.name, "short_name": self.short_name, "kind": self.kind,
            "parent": self.parent_id, "division_code": self.division_code, "order": self.order,
            "is_active": self.is_active,
        }


class UserManager(DjangoUserManager.from_queryset(ScopedQuerySet)):
    pass


class User(AbstractUser):
    """A person: a Django user with a unit and one or more roles."""

    scope_unit_field = "unit"

    name = models.CharField("姓名", max_length=50, blank=True)
    unit = models.ForeignKey(Unit, verbose_name="所属单位", null=True, blank=True,
                             on_delete=models.PROTECT, related_name="members")
    phone = models.CharField("手机号", max_length=20, blank=True)
    title = models.CharField("职务", max_length=50, blank=True)

    objects = UserManager()

    class Meta:
        verbose_name = "人员"
        verbose_name_plural = "人员"
        ordering = ["username"]
        constraints = [
            # Only the installation's superuser may stand outside the unit tree.
            models.CheckConstraint(condition=Q(is_superuser=True) | Q(unit__isnull=False),
                                   name="user_has_unit_unless_superuser"),
        ]

    def __str__(self) -> str:
        return f"{self.name or self.username}"

    @functools.cached_property
    def role_codes(self) -> frozenset[str]:
        if not self.pk:
            return frozenset()
        return frozenset(self.role_assignments.values_list("role", flat=True))

    def has_role(self, *roles: str) -> bool:
        return bool(self.role_codes.intersection(roles))

    @property
    def is_admin(self) -> bool:
        return self.is_superuser or self.has_role(Role.ADMIN)

    @property
    def sees_everything(self) -> bool:
        if not self.is_active:
            return False
        if self.is_admin:
            return True
        return bool(self.unit_id and self.unit.is_district_level
                    and self.role_codes.intersection(DISTRICT_WIDE_ROLES))

    def scope_paths(self) -> list[str] | None:
        """Unit-path prefixes this user may read, or None for everything."""
        cached = getattr(self, "_scope_paths", False)
        if cached is not False:
            return cached
        if self.sees_everything:
            paths = None
        else:
            raw = []
            if self.unit_id:
                raw.append(self.unit.path)
            raw += list(
                Unit.objects.filter(leader_assignments__leader=self).values_list("path", flat=True)
            )
            # Drop prefixes already covered by a shorter one.
            paths = []
            for p in sorted(set(raw), key=len):
                if not any(p.startswith(q) for q in paths):
                    paths.append(p)
        self._scope_paths = paths
        return paths

    def role_labels(self) -> list[str]:
        return [Role(r).label for r in Role.values if r in self.role_codes]


class RoleAssignment(models.Model):
    user = models.ForeignKey(User, verbose_name="人员", on_delete=models.CASCADE,
                             related_name="role_assignments")
    role = models.CharField("角色", max_length=16, choices=Role.choices)

    class Meta:
        verbose_name = "角色"
        verbose_name_plural = "角色"
        constraints = [models.UniqueConstraint(fields=["user", "role"], name="role_unique_per_user")]

    def __str__(self) -> str:
        return f"{self.user} · {self.get_role_display()}"


class LeaderAssignment(models.Model):
    """分包: a leader answers for a unit (and so sees and is told about its subtree)."""

    scope_unit_field = "unit"

    leader = models.ForeignKey(User, verbose_name="领导", on_delete=models.CASCADE,
                               related_name="leader_assignments")
    unit = models.ForeignKey(Unit, verbose_name="分包单位", on_delete=models.CASCADE,
                             related_name="leader_assignments")
    note = models.CharField("说明", max_length=200, blank=True)
    created_at = models.DateTimeField("创建时间", auto_now_add=True)

    objects = ScopedQuerySet.as_manager()

    class Meta:
        verbose_name = "领导分包"
        verbose_name_plural = "领导分包"
        constraints = [models.UniqueConstraint(fields=["leader", "unit"], name="leader_unit_unique")]

    def __str__(self) -> str:
        return f"{self.leader} 分包 {self.unit}"


class Grid(models.Model):
    """网格: an area owned by a unit, with grid workers and a polygon (GeoJSON, WGS-84)."""

    scope_unit_field = "unit"

    code = models.CharField("网格编码", max_length=32, unique=True)
    name = models.CharField("网格名称", max_length=100)
    unit = models.ForeignKey(Unit, verbose_name="责任单位", on_delete=models.PROTECT,
                             related_name="grids")
    workers = models.ManyToManyField(User, verbose_name="网格员", blank=True, related_name="grids")
    geometry = models.JSONField("范围(GeoJSON)")
    min_lng = models.FloatField(editable=False)
    min_lat = models.FloatField(editable=False)
    max_lng = models.FloatField(editable=False)
    max_lat = models.FloatField(editable=False)
    area_m2 = models.FloatField("面积(平方米)", editable=False, default=0)
    created_at = models.DateTimeField("创建时间", auto_now_add=True)
    updated_at = models.DateTimeField("更新时间", auto_now=True)

    objects = ScopedQuerySet.as_manager()

    class Meta:
        verbose_name = "网格"
        verbose_name_plural = "网格"
        ordering = ["code"]

    def __str__(self) -> str:
        return f"{self.code} {self.name}"

    def snapshot(self) -> dict:
        return {"code": self.code, "name": self.name, "unit": self.unit_id,
                "geometry": self.geometry}


class ApiToken(models.Model):
    """A bearer token for apps and devices; only its SHA-256 digest is stored."""

    scope_unit_field = "user__unit"

    user = models.ForeignKey(User, verbose_name="人员", on_delete=models.CASCADE,
                             related_name="api_tokens")
    name = models.CharField("名称", max_length=100)
    prefix = models.CharField("前缀", max_length=12)
    digest = models.CharField(max_length=64, unique=True)
    created_at = models.DateTimeField("创建时间", auto_now_add=True)
    expires_at = models.DateTimeField("过期时间", null=True, blank=True)
    last_used_at = models.DateTimeField("最近使用", null=True, blank=True)
    revoked_at = models.DateTimeField("吊销时间", null=True, blank=True)

    objects = ScopedQuerySet.as_manager()

    class Meta:
        verbose_name = "API 令牌"
        verbose_name_plural = "API 令牌"
        ordering = ["-created_at"]

    def __str__(self) -> str:
        return f"{self.name} ({self.prefix}…)"

    @property
    def is_live(self) -> bool:
        from django.utils import timezone

        if self.revoked_at:
            return False
        return not (self.expires_at and self.expires_at <= timezone.now())
