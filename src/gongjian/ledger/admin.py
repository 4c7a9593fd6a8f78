"""Django admin for the ledger's master data: campaigns, their categories and escalation ladders.

Forms validate with the services' own checks (a DomainError becomes a form error on its field); saving
and deleting call the services, so an admin edit is permission-checked and audited like any other
write. Cases themselves are not edited here: they move only through the closed loop.
"""

from __future__ import annotations

from django import forms
from django.contrib import admin, messages
from django.core.exceptions import ValidationError
from django.db import transaction
from django.db.models import Count

from gongjian.core.admin import RoleAdminMixin
from gongjian.core.errors import DomainError
from gongjian.ledger import services
from gongjian.ledger.models import Campaign, Category, EscalationRule


class _ServiceForm(forms.ModelForm):
    """Runs the service inside ``clean`` (in a savepoint that is rolled back) so that its refusal shows
    on the form, next to the field it names, instead of as a server error after the form was accepted."""

    def dry_run(self, call) -> None:
        try:
            with transaction.atomic():
                call()
                transaction.set_rollback(True)
        except DomainError as exc:
            field = exc.field if exc.field in self.fields else None
            raise ValidationError({field: exc.message} if field else exc.message) from None


class CampaignForm(_ServiceForm):
    class Meta:
        model = Campaign
        fields = ["name", "serial_prefix", "command_unit", "starts_on", "ends_on", "description", "targets",
                  "is_active"]

    def clean(self):
        data = super().clean()
        if self.errors:
            return data
        if self.instance.pk:
            changes = {k: data[k] for k in self.changed_data}
            self.dry_run(lambda: services.campaign_update(actor=self.actor, campaign=self.instance, **changes))
        else:
            self.dry_run(lambda: services.campaign_create(actor=self.actor, **_create_args(data)))
        return data


def _create_args(data) -> dict:
    return {k: data[k] for k in ("name", "serial_prefix", "command_unit", "starts_on", "ends_on",
                                 "description", "targets")}


class CategoryInline(RoleAdminMixin, admin.TabularInline):
    """Categories are listed on the campaign page; they are added and changed on their own page."""

    model = Category
    fields = ("name", "parent", "default_workdays", "order")
    readonly_fields = fields
    extra = 0
    can_delete = False
    show_change_link = True

    def has_add_permission(self, request, obj=None):
        return False


class EscalationRuleInline(RoleAdminMixin, admin.TabularInline):
    model = EscalationRule
    fields = ("level", "overdue_workdays", "notify_leader")
    readonly_fields = fields
    extra = 0
    can_delete = False
    show_change_link = True

    def has_add_permission(self, request, obj=None):
        return False


class _ActorMixin:
    """Hands the signed-in person to the form, which checks the service with them as the actor."""

    def get_form(self, request, obj=None, change=False, **kwargs):
        form = super().get_form(request, obj, change=change, **kwargs)

        class WithActor(form):
            actor = request.user

        return WithActor


@admin.register(Campaign)
class CampaignAdmin(_ActorMixin, RoleAdminMixin, admin.ModelAdmin):
    form = CampaignForm
    list_display = ("name", "serial_prefix", "command_unit", "starts_on", "ends_on", "is_active", "n_cases")
    list_filter = ("is_active", "command_unit")
    search_fields = ("name", "serial_prefix", "description")
    date_hierarchy = "starts_on"
    inlines = [CategoryInline, EscalationRuleInline]

    def get_queryset(self, request):
        return super().get_queryset(request).annotate(case_count=Count("cases"))

    @admin.display(description="案件数", ordering="case_count")
    def n_cases(self, obj):
        return obj.case_count

    def has_delete_permission(self, request, obj=None):
        return False  # a campaign's cases and documents keep referring to it; end it with 进行中 off

    def save_model(self, request, obj, form, change):
        data = form.cleaned_data
        if not change:
            saved = services.campaign_create(actor=request.user, **_create_args(data))
            obj.pk = saved.pk
            return
        changes = {k: data[k] for k in form.changed_data}
        if changes:
            services.campaign_update(actor=request.user, campaign=obj, **changes)


class CategoryForm(_ServiceForm):
    class Meta:
        model = Category
        fields = ["campaign", "parent", "name", "default_workdays", "order"]

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        if self.instance.pk:
            self.fields["campaign"].disabled = True
            self.fields["parent"].queryset = Category.objects.filter(campaign_id=self.instance.campaign_id)
        self.fields["parent"].queryset = self.fields["parent"].queryset.select_related("parent", "campaign")

    def clean(self):
        data = super().clean()
        if self.errors:
            return data
        if self.instance.pk:
            changes = {k: data[k] for k in self.changed_data if k != "campaign"}
            self.dry_run(lambda: services.category_update(actor=self.actor, category=self.instance, **changes))
        else:
            self.dry_run(lambda: services.category_create(
                actor=self.actor, campaign=data["campaign"], parent=data.get("parent"), name=data["name"],
                default_workdays=data["default_workdays"], order=data["order"]))
        return data


@admin.register(Category)
class CategoryAdmin(_ActorMixin, RoleAdminMixin, admin.ModelAdmin):
    form = CategoryForm
    list_display = ("__str__", "campaign", "default_workdays", "order", "n_cases")
    list_filter = ("campaign",)
    search_fields = ("name", "parent__name")
    list_select_related = ("campaign", "parent")
    ordering = ("campaign", "parent__name", "order", "name")

    def get_queryset(self, request):
        return super().get_queryset(request).annotate(case_count=Count("cases"))

    @admin.display(description="案件数", ordering="case_count")
    def n_cases(self, obj):
        return obj.case_count

    def save_model(self, request, obj, form, change):
        data = form.cleaned_data
        if not change:
            saved = services.category_create(actor=request.user, campaign=data["campaign"],
                                             parent=data.get("parent"), name=data["name"],
                                             default_workdays=data["default_workdays"], order=data["order"])
            obj.pk = saved.pk
            return
        changes = {k: data[k] for k in form.changed_data if k != "campaign"}
        if changes:
            services.category_update(actor=request.user, category=obj, **changes)

    def delete_model(self, request, obj):
        try:
            services.category_delete(actor=request.user, category=obj)
        except DomainError as exc:
            self.message_user(request, exc.message, messages.ERROR)

    def delete_queryset(self, request, queryset):
        for category in queryset:
            try:
                services.category_delete(actor=request.user, category=category)
            except DomainError as exc:
                self.message_user(request, exc.message, messages.ERROR)


class EscalationRuleForm(_ServiceForm):
    class Meta:
        model = EscalationRule
        fields = ["campaign", "level", "overdue_workdays", "notify_leader"]

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        if self.instance.pk:
            self.fields["campaign"].disabled = True
            self.fields["level"].disabled = True

    def clean(self):
        data = super().clean()
        if self.errors:
            return data
        if not self.instance.pk and EscalationRule.objects.filter(campaign=data["campaign"],
                                                                  level=data["level"]).exists():
            raise ValidationError({"level": "该专项行动已有这一等级的规则，请修改那条规则"})
        self.dry_run(lambda: services.escalation_rule_set(
            actor=self.actor, campaign=data["campaign"], level=data["level"],
            overdue_workdays=data["overdue_workdays"], notify_leader=data["notify_leader"]))
        return data

    def validate_unique(self):
        """Checked in clean with a clearer message."""


@admin.register(EscalationRule)
class EscalationRuleAdmin(_ActorMixin, RoleAdminMixin, admin.ModelAdmin):
    form = EscalationRuleForm
    list_display = ("campaign", "level", "overdue_workdays", "notify_leader")
    list_filter = ("campaign", "level")
    list_select_related = ("campaign",)

    def save_model(self, request, obj, form, change):
        data = form.cleaned_data
        saved = services.escalation_rule_set(actor=request.user, campaign=data["campaign"], level=data["level"],
                                             overdue_workdays=data["overdue_workdays"],
                                             notify_leader=data["notify_leader"])
        obj.pk = saved.pk

    def delete_model(self, request, obj):
        services.escalation_rule_delete(actor=request.user, rule=obj)

    def delete_queryset(self, request, queryset):
        for rule in queryset:
            services.escalation_rule_delete(actor=request.user, rule=rule)
