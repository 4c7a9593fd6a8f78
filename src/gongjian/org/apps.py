from django.apps import AppConfig
from django.utils.translation import gettext_lazy as _


class OrgConfig(AppConfig):
    name = "gongjian.org"
    label = "org"
    verbose_name = _("组织机构")

    def ready(self):
        from gongjian.org import signals  # noqa: F401  (login/logout audit)
