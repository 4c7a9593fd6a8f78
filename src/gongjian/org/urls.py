from django.urls import path

from gongjian.org import views

app_name = "org"
urlpatterns = [
    path("units/", views.units, name="units"),
    path("units/<int:pk>/", views.unit_detail, name="unit"),
    path("grids/", views.grids, name="grids"),
    path("grids/locate/", views.locate, name="locate"),
]
