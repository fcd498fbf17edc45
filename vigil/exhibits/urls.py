from django.urls import path

from vigil.referrals.recordings import page_urls

from . import queue, views

app_name = "exhibits"

urlpatterns = [
    path("devices/", views.device_queue, name="queue"),
    path("devices/<int:exhibit_id>/", views.exhibit, name="exhibit"),
    *page_urls(queue.RECORDINGS),
]
