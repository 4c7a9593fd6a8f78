from django.contrib import admin

from gongjian.core.models import AuditEvent


@admin.register(AuditEvent)
class AuditEventAdmin(admin.ModelAdmin):
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
