from django.urls import path

from vigil.referrals.recordings import page_urls

from . import requests, research, views

app_name = "intake"

urlpatterns = [
    path("import/", views.import_referrals, name="import"),
    *page_urls(research.RECORDINGS),
    *page_urls(requests.RECORDINGS),
]
