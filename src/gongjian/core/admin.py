from django import forms
from django.contrib import admin
from django.core.exceptions import ValidationError
from django.db import models
from django.urls import reverse
from django.utils.html import format_html

from gongjian.core import calendar
from gongjian.core.errors import DomainError
from gongjian.core.models import AuditEvent, CalendarDay, HolidayYear


class RoleAdminMixin:
    """Admin pages follow gongjian's roles: people with the 管理员 role (or the superuser) manage
    master data; Django's per-model permission table is not used."""

    def _is_admin(self, request) -> bool:
        user = request.user
        return user.is_active and getattr(user, "is_admin", False)

    def has_module_permission(self, request):
        return self._is_admin(request)

    def has_view_permission(self, request, obj=None):
        return self._is_admin(request)

    def has_add_permission(self, request):
        return self._is_admin(request)

    def has_change_permission(self, request, obj=None):
        return self._is_admin(request)

    def has_delete_permission(self, request, obj=None):
        return self._is_admin(request)


@admin.register(AuditEvent)
class AuditEventAdmin(RoleAdminMixin, admin.ModelAdmin):
    """Read-only: events cannot be added, changed or deleted through the admin."""

    list_display = ("seq", "created_at", "actor_name", "action", "object_type", "object_id", "object_repr",
                    "client_ip")
    list_filter = ("action", "object_type")
    search_fields = ("object_repr", "actor_name", "object_id", "reason")
    ordering = ("-seq",)

    def has_add_permission(self, request):
        return False

    def has_change_permission(self, request, obj=None):
        return False

    def has_delete_permission(self, request, obj=None):
        return False


class HolidayYearForm(forms.ModelForm):
    """A year's schedule is edited as the import file's text, so the admin page and `gongjian holidays
    import` share one parser and one service (replace the whole year, audited)."""

    schedule = forms.CharField(
        label="安排", widget=forms.Textarea(attrs={"rows": 30, "cols": 60, "style": "font-family: monospace"}),
        help_text="每行一天，只写与“周一至周五上班”不同的日子：2027-01-01,休,元旦 / 2027-02-07,班,春节调休；"
                  "# 之后为注释。保存时整年替换并记入审计。")

    class Meta:
        model = HolidayYear
        fields = ["year", "notice"]

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        if self.instance.pk:
            self.fields["year"].disabled = True
            self.initial["schedule"] = calendar.schedule_text(self.instance)

    def clean(self):
        data = super().clean()
        year, text = data.get("year"), data.get("schedule")
        if year is None or text is None:
            return data
        try:
            parsed = calendar.parse_holiday_file(text, year=year)
        except DomainError as exc:
            problems = [f"第 {e['line']} 行：{e['error']}" for e in exc.details or []]
            raise ValidationError({"schedule": problems or [exc.message]}) from None
        if not any(d.is_exception for d in parsed.days):
            self.add_error("schedule", "没有任何放假的工作日或上班的周末")
        data["parsed_days"] = parsed.days
        return data


@admin.register(HolidayYear)
class HolidayYearAdmin(RoleAdminMixin, admin.ModelAdmin):
    """Add or replace a year's schedule. Saving goes through ``calendar.holidays_import`` (validated,
    atomic, audited); a year is not deleted here, because deadlines in it would then have no calendar."""

    form = HolidayYearForm
    list_display = ("year", "source", "day_count", "updated_at")
    readonly_fields = ("source", "created_at", "updated_at")
    ordering = ("-year",)

    def get_queryset(self, request):
        return super().get_queryset(request).annotate(n_days=models.Count("days"))

    @admin.display(description="调整天数")
    def day_count(self, obj):
        url = reverse("admin:core_calendarday_changelist") + f"?year__id__exact={obj.pk}"
        return format_html('<a href="{}">{}</a>', url, obj.n_days)

    def has_delete_permission(self, request, obj=None):
        return False

    def save_model(self, request, obj, form, change):
        data = form.cleaned_data
        result = calendar.holidays_import(
            actor=request.user, year=data["year"], days=data["parsed_days"],
            source=f"管理后台 {request.user.get_username()}", notice=data.get("notice", ""))
        obj.pk = result.holiday_year.pk

    def save_related(self, request, form, formsets, change):
        """The days were written by the service."""


@admin.register(CalendarDay)
class CalendarDayAdmin(RoleAdminMixin, admin.ModelAdmin):
    """Read-only list of the days; they are changed by editing or importing the year's schedule."""

    list_display = ("date", "weekday", "is_workday", "name", "year")
    list_filter = ("year", "is_workday")
    search_fields = ("name",)
    date_hierarchy = "date"

    @admin.display(description="星期")
    def weekday(self, obj):
        return "周" + calendar.WEEKDAYS[obj.date.weekday()]

    def has_add_permission(self, request):
        return False

    def has_change_permission(self, request, obj=None):
        return False

    def has_delete_permission(self, request, obj=None):
        return False
