from django.contrib.auth import views as auth_views
from django.urls import include, path

from gongjian.core import views as core_views
from gongjian.web import views

urlpatterns = [
    path("", views.home, name="home"),
    path("login/", views.LoginView.as_view(), name="login"),
    path("logout/", auth_views.LogoutView.as_view(), name="logout"),
    path("account/tokens/", views.tokens, name="tokens"),
    path("audit/", core_views.audit_log, name="audit"),
    path("org/", include("gongjian.org.urls")),
    path("ranking/", include("gongjian.assessment.urls")),
    path("air/", include("gongjian.air.urls")),
    path("gateway/", include("gongjian.gateway.urls")),
    path("jobs/", include("gongjian.jobs.urls")),
    path("", include("gongjian.ledger.urls")),
]
