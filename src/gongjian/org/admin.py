"""Django admin for the organisation's master data.

Forms validate with the same checks the services use; saving calls the services, so an admin edit is
permission-checked and audited like any other write. Deleting units and people is not offered (they
are deactivated instead, so history keeps its references).
"""

from __future__ import annotations

import json

from django import forms
from django.contrib import admin
from django.core.exceptions import ValidationError

from gongjian.core.admin import RoleAdminMixin
from gongjian.core.errors import DomainError
from gongjian.org import services
from gongjian.org.models import ApiToken, Grid, LeaderAssignment, Role, Unit, User


def _as_validation_error(exc: DomainError) -> ValidationError:
    return ValidationError({exc.field: exc.message} if exc.field else exc.message)


class UnitForm(forms.ModelForm):
    class Meta:
        model = Unit
        fields = ["name", "short_name", "kind", "parent", "division_code", "order", "is_active"]

    def clean(self):
        data = super().clean()
        kind, parent = data.get("kind"), data.get("parent")
        try:
            if kind:
                services._check_parent(kind, parent)
            if parent is not None and self.instance.pk and (
                    parent.pk == self.instance.pk or parent.path.startswith(self.instance.path)):
                raise DomainError("不能把单位放到它自己或它的下级之下 / cannot be its own ancestor",
                                  field="parent")
        except DomainError as exc:
            raise _as_validation_error(exc) from None
        return data


@admin.register(Unit)
class UnitAdmin(RoleAdminMixin, admin.ModelAdmin):
    form = UnitForm
    list_display = ("name", "kind", "parent", "division_code", "order", "is_active")
    list_filter = ("kind", "is_active")
    list_select_related = ("parent",)
    search_fields = ("name", "short_name", "division_code")
    ordering = ("path",)

    def has_delete_permission(self, request, obj=None):
        return False

    def save_model(self, request, obj, form, change):
        data = form.cleaned_data
        if not change:
            saved = services.unit_create(actor=request.user, name=data["name"], kind=data["kind"],
                                         parent=data["parent"], division_code=data["division_code"],
                                         order=data["order"], short_name=data["short_name"])
            obj.pk = saved.pk
            return
        if "parent" in form.changed_data:
            services.unit_move(actor=request.user, unit=obj, parent=data["parent"])
        fields = {k: data[k] for k in form.changed_data if k != "parent"}
        if fields:
            services.unit_update(actor=request.user, unit=obj, **fields)


class UserForm(forms.ModelForm):
    roles = forms.MultipleChoiceField(label="角色", choices=Role.choices, required=False,
                                      widget=forms.CheckboxSelectMultiple)
    password = forms.CharField(label="密码", required=False, widget=forms.PasswordInput,
                               help_text="新建时必填；修改时留空表示不改密码")

    class Meta:
        model = User
        fields = ["username", "name", "unit", "title", "phone", "email", "is_active"]

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        if self.instance.pk:
            self.fields["roles"].initial = sorted(self.instance.role_codes)
            self.fields["username"].disabled = True

    def clean(self):
        data = super().clean()
        if not self.instance.pk and not data.get("password"):
            self.add_error("password", "新建人员必须设置密码")
        if data.get("unit") is None and not self.instance.is_superuser:
            self.add_error("unit", "人员必须属于一个单位")
        if data.get("password"):
            probe = User(username=data.get("username") or self.instance.username, name=data.get("name", ""))
            try:
                services._check_password(data["password"], probe)
            except DomainError as exc:
                self.add_error("password", exc.message)
        return data


@admin.register(User)
class UserAdmin(RoleAdminMixin, admin.ModelAdmin):
    form = UserForm
    list_display = ("username", "name", "unit", "title", "is_active")
    list_select_related = ("unit",)
    list_filter = ("is_active", "role_assignments__role")
    search_fields = ("username", "name", "phone")

    def has_delete_permission(self, request, obj=None):
        return False

    def save_model(self, request, obj, form, change):
        data = form.cleaned_data
        if not change:
            saved = services.user_create(
                actor=request.user, username=data["username"], password=data["password"],
                unit=data["unit"], roles=data["roles"], name=data["name"], phone=data["phone"],
                email=data["email"], title=data["title"])
            obj.pk = saved.pk
            return
        services.user_update(actor=request.user, user=obj, roles=data["roles"],
                             **{k: data[k] for k in ("unit", "name", "phone", "email", "title",
                                                     "is_active")})
        if data.get("password"):
            services.user_set_password(actor=request.user, user=obj, password=data["password"])


class GridForm(forms.ModelForm):
    geometry = forms.CharField(label="范围(GeoJSON)", widget=forms.Textarea(attrs={"rows": 6}),
                               help_text="GeoJSON 的 Polygon 或 MultiPolygon，坐标为 WGS-84 的[经度, 纬度]")

    class Meta:
        model = Grid
        fields = ["code", "name", "unit", "workers", "geometry"]

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        if self.instance.pk:
            self.initial["geometry"] = json.dumps(self.instance.geometry, ensure_ascii=False)
            self.fields["code"].disabled = True

    def clean_geometry(self):
        try:
            value = json.loads(self.cleaned_data["geometry"])
        except json.JSONDecodeError as exc:
            raise ValidationError(f"不是有效的 JSON：第 {exc.lineno} 行第 {exc.colno} 列 {exc.msg}") from None
        try:
            services._validated_grid_geometry(value, exclude=self.instance.pk)
        except DomainError as exc:
            raise ValidationError(exc.message) from None
        return value


@admin.register(Grid)
class GridAdmin(RoleAdminMixin, admin.ModelAdmin):
    form = GridForm
    list_display = ("code", "name", "unit", "area_m2")
    search_fields = ("code", "name")
    list_filter = ("unit",)

    def save_model(self, request, obj, form, change):
        data = form.cleaned_data
        if not change:
            saved = services.grid_create(actor=request.user, code=data["code"], name=data["name"],
                                         unit=data["unit"], geometry=data["geometry"], workers=data["workers"])
            obj.pk = saved.pk
        else:
            services.grid_update(actor=request.user, grid=obj, name=data["name"], unit=data["unit"],
                                 geometry=data["geometry"], workers=data["workers"])

    def save_related(self, request, form, formsets, change):
        """Workers were set by the service."""

    def delete_model(self, request, obj):
        services.grid_delete(actor=request.user, grid=obj)

    def delete_queryset(self, request, queryset):
        for grid in queryset:
            services.grid_delete(actor=request.user, grid=grid)


@admin.register(LeaderAssignment)
class LeaderAssignmentAdmin(RoleAdminMixin, admin.ModelAdmin):
    list_display = ("leader", "unit", "note")
    list_select_related = ("leader", "unit")
    fields = ("leader", "unit", "note")
    list_filter = ("unit",)
    search_fields = ("leader__name", "leader__username", "unit__name")

    def has_change_permission(self, request, obj=None):
        return False

    def save_model(self, request, obj, form, change):
        data = form.cleaned_data
        saved = services.leader_assign(actor=request.user, leader=data["leader"], unit=data["unit"],
                                       note=data["note"])
        obj.pk = saved.pk

    def delete_model(self, request, obj):
        services.leader_unassign(actor=request.user, assignment=obj)

    def delete_queryset(self, request, queryset):
        for la in queryset:
            services.leader_unassign(actor=request.user, assignment=la)


@admin.register(ApiToken)
class ApiTokenAdmin(RoleAdminMixin, admin.ModelAdmin):
    """Tokens are issued by their owners on the 令牌 page; here they can be seen and revoked."""

    list_display = ("name", "user", "prefix", "created_at", "last_used_at", "revoked_at")
    readonly_fields = ("name", "user", "prefix", "created_at", "expires_at", "last_used_at", "revoked_at")
    exclude = ("digest",)
    actions = ["revoke"]

    def has_add_permission(self, request):
        return False

    def has_delete_permission(self, request, obj=None):
        return False

    @admin.action(description="吊销所选令牌")
    def revoke(self, request, queryset):
        for token in queryset.filter(revoked_at__isnull=True):
            services.token_revoke(actor=request.user, token=token)


