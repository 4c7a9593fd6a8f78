from django.contrib import admin

from gongjian.core.models import AuditEvent


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
