from django.urls import path

from gongjian.jobs import views

app_name = "jobs"

urlpatterns = [
    path("", views.status, name="status"),
    path("<str:name>/run/", views.run, name="run"),
]
