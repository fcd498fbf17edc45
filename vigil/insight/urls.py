from django.urls import path

from . import views

app_name = "insight"

urlpatterns = [
    path("", views.dashboard, name="dashboard"),
    path("charts/<slug:key>.png", views.chart, name="chart"),
    path("export/<slug:key>.<str:kind>", views.export, name="export"),
]
