from django.conf import settings
from django.shortcuts import redirect
from django.urls import reverse
from django.utils import translation

from .second_factor import BY_PROVIDER

# Pages a person must reach before their second factor is verified.
_OPEN_PREFIXES = ("/accounts/", "/static/")


class SecondFactorMiddleware:
    """Roles that must use a second factor reach nothing until it is set up and verified."""

    def __init__(self, get_response):
        self.get_response = get_response

    def __call__(self, request):
        user = getattr(request, "user", None)
        if (
            user is not None
            and user.is_authenticated
            and user.role in settings.VIGIL_SECOND_FACTOR_ROLES
            and not user.is_verified()
            and not request.session.get(BY_PROVIDER)
            and not request.path.startswith(_OPEN_PREFIXES)
        ):
            if request.path.startswith("/api/"):
                from django.http import JsonResponse

                return JsonResponse(
                    {"error": "your role must verify a second factor; sign in on the web first"},
                    status=403,
                )
            has_device = user.totpdevice_set.filter(confirmed=True).exists()
            target = "accounts:second-factor" if has_device else "accounts:second-factor-setup"
            return redirect(f"{reverse(target)}?next={request.get_full_path()}")
        return self.get_response(request)


class UserLanguageMiddleware:
    """A signed-in person sees Vigil in the language they chose, whatever their browser asks.

    Before they choose (and before anyone signs in) Django's LocaleMiddleware has already picked
    one from the language cookie or the browser's Accept-Language.
    """

    def __init__(self, get_response):
        self.get_response = get_response

    def __call__(self, request):
        user = getattr(request, "user", None)
        chosen = getattr(user, "language", "") if user is not None and user.is_authenticated else ""
        if chosen and chosen != translation.get_language():
            translation.activate(chosen)
            request.LANGUAGE_CODE = translation.get_language()
        return self.get_response(request)
