from django.urls import path

from gongjian.assessment import views

app_name = "assessment"

urlpatterns = [
    path("", views.ranking, name="ranking"),
    path("bulletin.docx", views.bulletin, name="bulletin"),
    path("ranking.xlsx", views.table, name="table"),
    path("units/<int:unit_id>/", views.unit_detail, name="unit"),
    path("units/<int:unit_id>/rules/<str:code>/cases/", views.rule_cases, name="rule_cases"),
]
