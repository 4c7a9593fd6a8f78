from django.urls import path

from gongjian.reporting import views

app_name = "reporting"

urlpatterns: list = [
    path("daily/", views.daily, name="daily"),
    path("daily/extract/", views.daily_extract, name="daily_extract"),
    path("daily/overview/", views.overview, name="overview"),
    path("documents/", views.documents, name="documents"),
    path("documents/generate/", views.documents_generate, name="documents_generate"),
    path("documents/<int:pk>/file/", views.document_file, name="document_file"),
    path("documents/<int:pk>/pdf/", views.document_file, {"which": "pdf"}, name="document_pdf"),
    path("cases/<int:pk>/notice/", views.case_notice, name="case_notice"),
]
