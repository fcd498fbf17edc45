from django.urls import path

from . import views

app_name = "intake"

urlpatterns = [
    path("", views.referral_list, name="referral-list"),
    path("import/", views.import_referrals, name="import"),
    path("<int:referral_id>/", views.referral_detail, name="referral-detail"),
]
