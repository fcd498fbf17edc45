from django.urls import path

from vigil.referrals.recordings import page_urls

from . import requests, research, views

app_name = "intake"

urlpatterns = [
    path("import/", views.import_referrals, name="import"),
    path("import/batches/<int:batch_id>/", views.import_batch, name="import-batch"),
    path("unknown-values/", views.unknown_words, name="unknown-values"),
    *page_urls(research.RECORDINGS),
    *page_urls(requests.RECORDINGS),
]
