from django.urls import path

from gongjian.inspection import views

app_name = "inspection"

urlpatterns: list = [
    path("inspections/", views.inspection_list, name="list"),
    path("inspections/new/", views.inspection_new, name="new"),
    path("inspections/<int:pk>/", views.inspection_detail, name="detail"),
    path("inspections/<int:pk>/findings/", views.finding_new, name="finding_new"),
]
