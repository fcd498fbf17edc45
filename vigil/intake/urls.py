from django.urls import path

from vigil.referrals.recordings import page_urls

from . import requests, research, views

app_name = "intake"

urlpatterns = [
    path("import/", views.import_referrals, name="import"),
    path("unknown-values/", views.unknown_words, name="unknown-values"),
    *page_urls(research.RECORDINGS),
    *page_urls(requests.RECORDINGS),
]
