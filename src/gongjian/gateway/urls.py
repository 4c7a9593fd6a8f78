from django.urls import path

from gongjian.gateway import views

app_name = "gateway"

urlpatterns = [
    path("", views.status, name="status"),
]
