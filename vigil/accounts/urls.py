from django.conf import settings
from django.contrib.auth import views as auth_views
from django.urls import include, path

from . import views

app_name = "accounts"

urlpatterns = [
    path(
        "login/",
        auth_views.LoginView.as_view(template_name="accounts/login.html"),
        name="login",
    ),
    path("logout/", auth_views.LogoutView.as_view(), name="logout"),
    path("two-factor/", views.verify, name="second-factor"),
    path("two-factor/setup/", views.setup, name="second-factor-setup"),
    path("settings/", views.preferences, name="preferences"),
]

if settings.VIGIL_OIDC:
    urlpatterns.append(path("oidc/", include("mozilla_django_oidc.urls")))
