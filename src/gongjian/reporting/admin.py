from django import forms
from django.contrib import admin

from gongjian.core.admin import RoleAdminMixin
from gongjian.reporting import services
from gongjian.reporting.models import Metric


class MetricForm(forms.ModelForm):
    class Meta:
        model = Metric
        fields = ["code", "name", "unit", "units", "keywords", "verbs", "max_value", "order", "is_active"]

    def clean_max_value(self):
        value = self.cleaned_data["max_value"]
        if value is None or value <= 0:
            raise forms.ValidationError("单日上限必须大于 0")
        return value


@admin.register(Metric)
class MetricAdmin(RoleAdminMixin, admin.ModelAdmin):
    """The daily-figures catalogue: administrators add metrics or switch them off (saved through the
    audited service; never deleted, since figures refer to them)."""

    form = MetricForm
    list_display = ("order", "name", "unit", "code", "units", "keywords", "max_value", "is_active")
    list_display_links = ("name",)
    list_filter = ("is_active",)
    search_fields = ("name", "code", "keywords")
    ordering = ("order", "id")

    def has_delete_permission(self, request, obj=None):
        return False

    def save_model(self, request, obj, form, change):
        services.metric_save(actor=request.user, metric=obj)
