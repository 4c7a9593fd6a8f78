from django.apps import AppConfig


class AirConfig(AppConfig):
    name = "gongjian.air"
    label = "air"
    verbose_name = "空气质量 / Air quality"
