from django.urls import path

from gongjian.air import views

app_name = "air"

urlpatterns = [
    path("", views.ranking, name="ranking"),
    path("stations/<int:pk>/", views.station, name="station"),
    path("stations/<int:pk>/calendar/", views.station_calendar, name="calendar"),
    path("stations/<int:pk>/import/", views.station_import, name="import"),
]
