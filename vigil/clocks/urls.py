from django.urls import path

from . import views

app_name = "clocks"

urlpatterns = [
    path("", views.worklist, name="worklist"),
    path("breaches/", views.breaches, name="breaches"),
    path("notifications/", views.notifications, name="notifications"),
]
