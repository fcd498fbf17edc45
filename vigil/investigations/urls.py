from django.urls import path

from . import views

app_name = "investigations"

urlpatterns = [
    path("<int:referral_id>/allocation/", views.allocate, name="allocate"),
    path("<int:referral_id>/actions/", views.record_action, name="action"),
    path("<int:referral_id>/reviews/", views.record_review, name="review"),
    path("<int:referral_id>/social-care/", views.social_care, name="social-care"),
    path("<int:referral_id>/strategy-discussions/", views.strategy, name="strategy"),
    path("<int:referral_id>/lado/", views.lado, name="lado"),
]
