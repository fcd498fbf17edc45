from django.urls import path

from vigil.referrals.recordings import page_urls

from . import services, views

app_name = "risk"

urlpatterns = [
    *page_urls(services.RECORDINGS),
    path("assurance/", views.assurance, name="assurance"),
    path("quality-checks/", views.quality_checks, name="quality-checks"),
]
