"""Admin for scoring schemes. The rules are edited as JSON on the scheme's page; saving calls
``services.scheme_save``, which adds a version when the rules changed (old versions and the rankings made with
them are never rewritten). Versions and rankings are read-only here."""

from __future__ import annotations

import json

from django import forms
from django.contrib import admin
from django.core.exceptions import ValidationError
from django.db import transaction

from gongjian.assessment import services
from gongjian.assessment.models import Ranking, Scheme, SchemeVersion
from gongjian.core.admin import RoleAdminMixin
from gongjian.core.errors import DomainError

EXAMPLE = {
    "base": 100,
    "rules": [
        {"code": "city", "label": "市级督查发现问题", "type": "case", "set": "found", "sources": ["city"],
         "points": -1, "cap": 10},
        {"code": "false", "label": "虚假整改", "type": "case", "set": "reworked", "points": -2},
        {"code": "ontime", "label": "按期结案", "type": "case", "set": "closed_on_time", "points": 0.5, "cap": 5},
        {"code": "daily", "label": "日报缺报", "type": "daily_missing", "points": -1, "cap": 5},
    ],
    "grades": {"A": 90, "B": 75, "C": 60, "D": 40}, "red_flags": 3, "black_flags": 3,
}


class SchemeForm(forms.ModelForm):
    definition = forms.CharField(label="规则定义(JSON)", widget=forms.Textarea(attrs={"rows": 24, "cols": 100}),
                                 help_text="保存时若规则有改动，新增一个版本；旧版本和用它算出的排名不变。"
                                           "规则类型：case(按案件)、indicator(按指标比率)、daily_missing(按日报缺报天数)、"
                                           "air_rank(按乡镇空气质量排名，method 为 composite、pm25、good_days 或 yoy)。")
    note = forms.CharField(label="修订说明", required=False, max_length=200)

    class Meta:
        model = Scheme
        fields = ["name", "title", "is_default"]

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        latest = self.instance.latest() if self.instance.pk else None
        self.initial["definition"] = json.dumps(latest.definition if latest else EXAMPLE, ensure_ascii=False,
                                                indent=2)
        if self.instance.pk:
            self.fields["name"].disabled = True

    def clean(self):
        data = super().clean()
        if self.errors:
            return data
        try:
            data["parsed"] = json.loads(data["definition"])
        except json.JSONDecodeError as exc:
            raise ValidationError({"definition": f"第 {exc.lineno} 行第 {exc.colno} 列：JSON 格式错误({exc.msg})"}) \
                from None
        try:
            with transaction.atomic():
                services.scheme_save(actor=self.actor, name=data["name"], definition=data["parsed"],
                                     title=data["title"])
                transaction.set_rollback(True)
        except DomainError as exc:
            field = exc.field if exc.field in self.fields else "definition"
            raise ValidationError({field: exc.message}) from None
        return data


class VersionInline(RoleAdminMixin, admin.TabularInline):
    model = SchemeVersion
    fields = ("number", "note", "created_by", "created_at")
    readonly_fields = fields
    extra = 0
    can_delete = False
    show_change_link = True

    def has_add_permission(self, request, obj=None):
        return False


@admin.register(Scheme)
class SchemeAdmin(RoleAdminMixin, admin.ModelAdmin):
    form = SchemeForm
    list_display = ("name", "title", "is_default", "current_version")
    inlines = [VersionInline]

    @admin.display(description="当前版本")
    def current_version(self, obj):
        latest = obj.latest()
        return latest.number if latest else "—"

    def get_form(self, request, obj=None, change=False, **kwargs):
        form = super().get_form(request, obj, change=change, **kwargs)

        class WithActor(form):
            actor = request.user

        return WithActor

    def save_model(self, request, obj, form, change):
        data = form.cleaned_data
        version = services.scheme_save(actor=request.user, name=data["name"], definition=data["parsed"],
                                       title=data["title"], note=data.get("note", ""),
                                       is_default=data["is_default"])
        obj.pk = version.scheme.pk
        obj.refresh_from_db()

    def has_delete_permission(self, request, obj=None):
        return False  # rankings refer to its versions


@admin.register(SchemeVersion)
class SchemeVersionAdmin(RoleAdminMixin, admin.ModelAdmin):
    list_display = ("scheme", "number", "note", "created_by", "created_at")
    list_filter = ("scheme",)
    readonly_fields = ("scheme", "number", "definition", "note", "created_by", "created_at")
    fields = readonly_fields

    def has_add_permission(self, request):
        return False

    def has_change_permission(self, request, obj=None):
        return False

    def has_delete_permission(self, request, obj=None):
        return False


@admin.register(Ranking)
class RankingAdmin(RoleAdminMixin, admin.ModelAdmin):
    list_display = ("period", "version", "starts_on", "ends_on", "computed_at")
    list_filter = ("version__scheme", "kind")
    readonly_fields = ("period", "kind", "starts_on", "ends_on", "version", "computed_by", "computed_at", "results",
                       "inputs")
    fields = readonly_fields

    def has_add_permission(self, request):
        return False

    def has_change_permission(self, request, obj=None):
        return False

    def has_delete_permission(self, request, obj=None):
        return False
