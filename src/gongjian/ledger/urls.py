from django.urls import path

from gongjian.ledger.views import case

app_name = "ledger"

urlpatterns: list = [
    path("cases/<int:pk>/", case.detail, name="case"),
]

from gongjian.ledger.views import table  # noqa: E402

urlpatterns += [
    path("ledger/", table.ledger_list, name="list"),
    path("ledger/export.xlsx", table.ledger_export, name="export"),
    path("ledger/import/", table.ledger_import, name="import"),
    path("ledger/assign/", table.bulk_assign, name="bulk_assign"),
]
