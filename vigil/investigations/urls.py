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
    path("<int:referral_id>/releases/", views.release, name="release"),
    path("<int:referral_id>/close/", views.close, name="close"),
    path("<int:referral_id>/transfer/", views.transfer, name="transfer"),
    path("<int:referral_id>/status/", views.move, name="move"),
    path("<int:referral_id>/flags/", views.flags, name="flags"),
    path("<int:referral_id>/standards/", views.standard, name="standard"),
    path(
        "<int:referral_id>/social-care-decision/",
        views.social_care_decision,
        name="social-care-decision",
    ),
    path("<int:referral_id>/strategy-held/", views.strategy_held, name="strategy-held"),
    path("<int:referral_id>/welfare-plans/", views.welfare_plan, name="welfare-plan"),
    path("allocate/", views.bulk_allocate, name="bulk-allocate"),
]
