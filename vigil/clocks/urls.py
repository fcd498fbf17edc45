from django.urls import path

from . import views

app_name = "clocks"

urlpatterns = [
    path("", views.worklist, name="worklist"),
    path("worklist.csv", views.worklist_csv, name="worklist-csv"),
    path("breaches/", views.breaches, name="breaches"),
    path("notifications/", views.notifications, name="notifications"),
    path("notifications/mail/", views.mail_failures, name="mail-failures"),
    path("notifications/mail/<int:notification_id>/retry/", views.retry_email, name="mail-retry"),
]
