from django.urls import path

from gongjian.ledger.views import case

app_name = "ledger"

urlpatterns: list = [
    path("cases/<int:pk>/", case.detail, name="case"),
]
