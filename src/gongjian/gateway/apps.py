from django.apps import AppConfig


class GatewayConfig(AppConfig):
    name = "gongjian.gateway"
    label = "gateway"
    verbose_name = "HJ 212 网关 / HJ 212 gateway"
