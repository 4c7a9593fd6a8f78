from django.apps import AppConfig


class JobsConfig(AppConfig):
    name = "gongjian.jobs"
    label = "jobs"
    verbose_name = "后台任务 / background work"
