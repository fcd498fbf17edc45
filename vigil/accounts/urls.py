from django.conf import settings
from django.contrib.auth import views as auth_views
from django.urls import path
from mozilla_django_oidc.views import OIDCAuthenticationRequestView

from . import views

app_name = "accounts"

urlpatterns = [
    path(
        "login/",
        auth_views.LoginView.as_view(
            template_name="accounts/login.html",
            extra_context={
                "single_sign_on": settings.VIGIL_OIDC,
                "single_sign_on_name": getattr(settings, "VIGIL_OIDC_NAME", ""),
            },
        ),
        name="login",
    ),
    path("logout/", auth_views.LogoutView.as_view(), name="logout"),
    path("two-factor/", views.verify, name="second-factor"),
    path("two-factor/setup/", views.setup, name="second-factor-setup"),
    path("settings/", views.preferences, name="preferences"),
    path("language/", views.choose_language, name="language"),
]

if settings.VIGIL_OIDC:
    urlpatterns += [
        path("oidc/authenticate/", OIDCAuthenticationRequestView.as_view(), name="oidc-start"),
        path("oidc/callback/", views.SingleSignOnCallback.as_view(), name="oidc-callback"),
    ]
