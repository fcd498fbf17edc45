from django.urls import path

from vigil.referrals.recordings import page_urls

from . import services, views

app_name = "investigations"

urlpatterns = [
    *page_urls(services.RECORDINGS),
    path("allocate/", views.bulk_allocate, name="bulk-allocate"),
    path("<int:referral_id>/join/", views.join, name="join"),
    path("<int:referral_id>/leave-investigation/", views.leave, name="leave-investigation"),
]
