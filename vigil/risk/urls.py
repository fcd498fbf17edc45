from django.urls import path

from . import views

app_name = "risk"

urlpatterns = [
    path(
        "referrals/<int:referral_id>/household-members/",
        views.add_household_member,
        name="household-member",
    ),
    path("referrals/<int:referral_id>/access/", views.add_access, name="access"),
    path("referrals/<int:referral_id>/history/", views.add_history, name="history"),
    path("referrals/<int:referral_id>/indicators/", views.add_referral_indicator, name="indicator"),
    path(
        "referrals/<int:referral_id>/people/<str:ref>/",
        views.correct_suspect,
        name="correct-person",
    ),
    path("referrals/<int:referral_id>/overrides/", views.propose_override, name="propose-override"),
    path("overrides/<int:override_id>/decision/", views.decide_override, name="decide-override"),
    path("assurance/", views.assurance, name="assurance"),
    path("quality-checks/", views.quality_checks, name="quality-checks"),
]
