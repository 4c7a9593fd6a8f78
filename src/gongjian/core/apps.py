from django.apps import AppConfig


class CoreConfig(AppConfig):
    name = "gongjian.core"
    label = "core"
    verbose_name = "核心 / Core"
