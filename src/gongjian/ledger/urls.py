from django.urls import path

from gongjian.ledger.views import case
from gongjian.ledger.views import map as map_views

app_name = "ledger"

urlpatterns: list = [
    path("cases/<int:pk>/", case.detail, name="case"),
    path("map/", map_views.page, name="map"),
    path("map/cases.json", map_views.cases_json, name="map_cases"),
    path("map/grids.json", map_views.grids_json, name="map_grids"),
]
