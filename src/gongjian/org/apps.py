from django.apps import AppConfig


class OrgConfig(AppConfig):
    name = "gongjian.org"
    label = "org"
    verbose_name = "组织机构 / Organisation"

    def ready(self):
        from gongjian.org import signals  # noqa: F401  (login/logout audit)
