from django.urls import path

from gongjian.ledger.views import case, report, table
from gongjian.ledger.views import map as map_views

app_name = "ledger"

urlpatterns: list = [
    path("cases/<int:pk>/", case.detail, name="case"),
    path("cases/<int:pk>/moves/<str:action>/", case.move, name="case_move"),
    path("cases/<int:pk>/extension/", case.extension_request, name="case_extension"),
    path("cases/<int:pk>/extensions/<int:ext_pk>/decide/", case.extension_decide, name="case_extension_decide"),
    path("cases/<int:pk>/comments/", case.comment, name="case_comment"),
    path("evidence/<int:pk>/file/", case.evidence_file, name="evidence_file"),
    path("report/", report.report, name="report"),
    path("report/mine/", report.my_reports, name="my_reports"),
    path("ledger/", table.ledger_list, name="list"),
    path("ledger/export.xlsx", table.ledger_export, name="export"),
    path("ledger/import/", table.ledger_import, name="import"),
    path("ledger/assign/", table.bulk_assign, name="bulk_assign"),
    path("map/", map_views.page, name="map"),
    path("map/cases.json", map_views.cases_json, name="map_cases"),
    path("map/grids.json", map_views.grids_json, name="map_grids"),
]
