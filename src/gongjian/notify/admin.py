"""Channels and subscriptions are managed here by administrators, each save through the audited
service; deliveries are read-only (the 发送记录 page has 重新发送)."""

from django import forms
from django.contrib import admin
from django.core.exceptions import ValidationError

from gongjian.core.admin import RoleAdminMixin
from gongjian.core.errors import DomainError
from gongjian.notify import services
from gongjian.notify.models import Channel, Delivery, DeliveryAttempt, Subscription


class ChannelForm(forms.ModelForm):
    secret = forms.CharField(
        label="密钥", required=False, strip=True,
        widget=forms.PasswordInput(render_value=False, attrs={"autocomplete": "new-password"}),
        help_text="钉钉加签密钥(SEC 开头)或 Webhook 签名密钥。已设置的密钥不会显示；留空表示不修改。")
    clear_secret = forms.BooleanField(label="清除密钥", required=False)

    class Meta:
        model = Channel
        fields = ["name", "kind", "url", "unit", "is_active", "rate_limit"]

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        self._stored_secret = self.instance.secret  # the admin also binds the model field: keep it aside
        if self.instance.pk and self.instance.secret:
            self.fields["secret"].help_text = f"当前：{self.instance.secret_masked}。留空表示不修改。"

    def clean_url(self):
        try:
            return services.validate_url(self.cleaned_data.get("url", ""))
        except DomainError as exc:
            raise ValidationError(exc.message.rsplit(" / ", 1)[0]) from None

    def save(self, commit=True):
        channel = super().save(commit=False)
        if self.cleaned_data.get("clear_secret"):
            channel.secret = ""
        else:
            channel.secret = self.cleaned_data.get("secret") or self._stored_secret
        return channel


@admin.register(Channel)
class ChannelAdmin(RoleAdminMixin, admin.ModelAdmin):
    form = ChannelForm
    list_display = ("name", "kind", "unit", "masked_url", "secret_masked", "rate_limit", "is_active")
    list_filter = ("kind", "is_active")
    search_fields = ("name",)
    autocomplete_fields = ()

    @admin.display(description="地址")
    def masked_url(self, obj):
        from gongjian.notify.models import mask_url

        return mask_url(obj.url)

    @admin.display(description="密钥")
    def secret_masked(self, obj):
        return obj.secret_masked or "—"

    def has_delete_permission(self, request, obj=None):
        return False  # deliveries refer to it: switch it off instead

    def save_model(self, request, obj, form, change):
        services.channel_save(actor=request.user, channel=obj)


class SubscriptionForm(forms.ModelForm):
    class Meta:
        model = Subscription
        fields = ["user", "unit", "topic", "channel"]

    def clean(self):
        data = super().clean()
        probe = Subscription(user=data.get("user"), unit=data.get("unit"), topic=data.get("topic") or "",
                             channel=data.get("channel"))
        if bool(probe.user_id) == bool(probe.unit_id):
            raise ValidationError("请指定人员或单位之一(不能两者都填或都不填)")
        if probe.unit_id and not probe.channel_id:
            self.add_error("channel", "单位订阅需要选择渠道(群机器人或 Webhook)")
        return data


@admin.register(Subscription)
class SubscriptionAdmin(RoleAdminMixin, admin.ModelAdmin):
    form = SubscriptionForm
    list_display = ("__str__", "user", "unit", "topic", "channel", "created_at")
    list_filter = ("topic",)

    def save_model(self, request, obj, form, change):
        services.subscription_save(actor=request.user, subscription=obj)

    def delete_model(self, request, obj):
        services.subscription_delete(actor=request.user, subscription=obj)

    def delete_queryset(self, request, queryset):
        for obj in queryset:
            services.subscription_delete(actor=request.user, subscription=obj)


class AttemptInline(admin.TabularInline):
    model = DeliveryAttempt
    fields = ("number", "started_at", "finished_at", "ok", "error")
    readonly_fields = fields
    extra = 0
    can_delete = False

    def has_add_permission(self, request, obj=None):
        return False


@admin.register(Delivery)
class DeliveryAdmin(RoleAdminMixin, admin.ModelAdmin):
    list_display = ("id", "status", "kind", "channel", "user", "unit", "topic", "title", "attempts",
                    "created_at", "sent_at")
    list_filter = ("status", "kind", "topic")
    search_fields = ("title", "last_error")
    inlines = [AttemptInline]
    exclude = ("lines",)

    def has_add_permission(self, request):
        return False

    def has_change_permission(self, request, obj=None):
        return False

    def has_delete_permission(self, request, obj=None):
        return False
