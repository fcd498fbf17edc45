from django.urls import path

from . import views

app_name = "insight"

urlpatterns = [
    path("", views.dashboard, name="dashboard"),
    path("charts/<slug:key>.png", views.chart, name="chart"),
    path("export/<slug:key>.<str:kind>", views.export, name="export"),
    path("prepare/inspection.pdf", views.prepare_inspection_pack, name="prepare-inspection"),
    path("reports/<int:report_id>/", views.prepared_report, name="prepared-report"),
    path("reports/", views.prepared_reports, name="prepared-reports"),
]
