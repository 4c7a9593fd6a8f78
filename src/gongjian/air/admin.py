"""Django admin for air quality: read-only lists. Stations, rules and readings are written through the
services (CLI `gongjian stations add`, the import page), so every write is permission-checked and audited."""

from __future__ import annotations

from django.contrib import admin

from gongjian.air.models import Exceedance, ExceedanceRule, Station


class _ReadOnly(admin.ModelAdmin):
    def has_add_permission(self, request):
        return False

    def has_change_permission(self, request, obj=None):
        return False

    def has_delete_permission(self, request, obj=None):
        return False


@admin.register(Station)
class StationAdmin(_ReadOnly):
    list_display = ["code", "name", "kind", "mn", "unit", "is_active"]
    list_filter = ["kind", "is_active"]
    search_fields = ["code", "name", "mn"]
    exclude = ["device_password"]


@admin.register(ExceedanceRule)
class ExceedanceRuleAdmin(_ReadOnly):
    list_display = ["name", "station_kind", "pollutant", "threshold", "hours", "campaign", "is_active"]


@admin.register(Exceedance)
class ExceedanceAdmin(_ReadOnly):
    list_display = ["station", "rule", "started_at", "ended_at", "case"]
    list_filter = ["rule"]
