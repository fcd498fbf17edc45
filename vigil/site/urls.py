from django.urls import path

from . import views

app_name = "site"

urlpatterns = [
    path("", views.referral_list, name="referral-list"),
    path("<int:referral_id>/", views.referral_detail, name="referral-detail"),
]
