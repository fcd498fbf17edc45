from django.urls import path

from . import views

app_name = "intake"

urlpatterns = [
    path("import/", views.import_referrals, name="import"),
]
