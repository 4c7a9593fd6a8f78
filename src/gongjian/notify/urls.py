from django.urls import path

from gongjian.notify import views

app_name = "notify"

urlpatterns: list = [
    path("inbox/", views.inbox, name="inbox"),
    path("inbox/<int:pk>/read/", views.inbox_read, name="inbox_read"),
    path("inbox/read-all/", views.inbox_read_all, name="inbox_read_all"),
    path("notify/deliveries/", views.deliveries, name="deliveries"),
    path("notify/deliveries/<int:pk>/", views.delivery, name="delivery"),
    path("notify/deliveries/<int:pk>/resend/", views.delivery_resend, name="delivery_resend"),
]
