from django.contrib import admin
from django.urls import include, path
from django.utils.translation import gettext_lazy as _
from django.views.i18n import JavaScriptCatalog

from gongjian.config.api import api

admin.site.site_header = _("攻坚指挥平台 后台管理")
admin.site.site_title = _("攻坚指挥平台")
admin.site.index_title = _("基础数据")

urlpatterns = [
    path("api/", api.urls),
    path("admin/", admin.site.urls),
    path("i18n/", include("django.conf.urls.i18n")),
    # The English of the pages' scripts (the djangojs catalogue), for gettext() in them.
    path("jsi18n/", JavaScriptCatalog.as_view(), name="javascript-catalog"),
    path("", include("gongjian.web.urls")),
    path("", include("gongjian.reporting.urls")),
    path("", include("gongjian.inspection.urls")),
    path("", include("gongjian.notify.urls")),
]
