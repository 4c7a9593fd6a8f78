from django.apps import AppConfig


class WebConfig(AppConfig):
    name = "gongjian.web"
    label = "web"
    verbose_name = "页面 / Web"
