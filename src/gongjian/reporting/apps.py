from django.apps import AppConfig


class ReportingConfig(AppConfig):
    name = "gongjian.reporting"
    label = "reporting"
    verbose_name = "日报与公文 / Daily figures and documents"
