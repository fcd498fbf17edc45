from django.conf import settings
from django.contrib import auth, messages
from django.contrib.auth.decorators import login_required
from django.shortcuts import redirect, render
from django.utils import timezone, translation
from django.utils.http import url_has_allowed_host_and_scheme
from django.utils.translation import gettext as _
from django.utils.translation import gettext_noop
from django.views.decorators.http import require_POST
from mozilla_django_oidc.views import OIDCAuthenticationCallbackView

from . import oidc, second_factor
from .reasons import reason
from .services import set_email_digest, set_language


def _next(request) -> str:
    target = request.GET.get("next") or request.POST.get("next") or "/"
    if url_has_allowed_host_and_scheme(target, allowed_hosts={request.get_host()}):
        return target
    return "/"


@login_required
def setup(request):
    """Add an authenticator app: scan the code, then enter a code from the app."""
    error = ""
    if request.method == "POST":
        device = request.user.totpdevice_set.filter(confirmed=False).first()
        if device and second_factor.confirm(request, device, request.POST.get("token", "")):
            return redirect(_next(request))
        error = _("That code is not right. Enter the 6-digit code your app shows now.")
    device = request.user.totpdevice_set.filter(confirmed=False).first()
    if device is None or request.method == "GET":
        device = second_factor.setup_device(request.user)
    return render(
        request,
        "accounts/second_factor_setup.html",
        {
            "qr": second_factor.qr_data_uri(device),
            "secret": second_factor.secret_text(device),
            "error": error,
            "next": _next(request),
        },
    )


@login_required
def verify(request):
    error = ""
    if request.method == "POST":
        if second_factor.verify(request, request.POST.get("token", "")):
            return redirect(_next(request))
        error = _("That code is not right. Enter the 6-digit code your app shows now.")
    return render(request, "accounts/second_factor.html", {"error": error, "next": _next(request)})


# Each language named in itself, for its radio's label (with its own ``lang``).
LANGUAGE_NAMES = [("en-gb", "English", "en-GB"), ("cy", "Cymraeg", "cy")]


@login_required
def preferences(request):
    """The signed-in person's own settings: the language Vigil speaks to them in, and how they
    are told by e-mail."""
    if request.method == "POST":
        if "language" in request.POST:
            language = request.POST["language"]
            if language in dict(settings.LANGUAGES):
                set_language(request.user, request.user, language, as_of=timezone.now())
                translation.activate(language)
                messages.info(request, _("Your language is saved."))
                return _remember_language(redirect("accounts:preferences"), language)
            messages.error(request, _("Choose a language."))
        else:
            choice = request.POST.get("email_digest")
            if choice in {"each", "daily"}:
                set_email_digest(
                    request.user, request.user, choice == "daily", as_of=timezone.now()
                )
                messages.info(
                    request,
                    _("You will get one e-mail a day listing your notifications.")
                    if choice == "daily"
                    else _("You will get an e-mail for each notification as it happens."),
                )
                return redirect("accounts:preferences")
            messages.error(request, _("Choose how you want to be told."))
    return render(
        request,
        "accounts/preferences.html",
        {
            "user": request.user,
            "languages": LANGUAGE_NAMES,
            "current_language": request.user.language or translation.get_language(),
        },
    )


@require_POST
def choose_language(request):
    """The header's language switch: remembered on a signed-in person's user, and in a cookie
    for the browser (so the sign-in page, too, stays in the language chosen)."""
    language = request.POST.get("language", "")
    response = redirect(_next(request))
    if language not in dict(settings.LANGUAGES):
        return response
    if request.user.is_authenticated:
        set_language(request.user, request.user, language, as_of=timezone.now())
    translation.activate(language)
    return _remember_language(response, language)


def _remember_language(response, language: str):
    """The browser keeps the language too, so the sign-in page stays in it."""
    response.set_cookie(
        settings.LANGUAGE_COOKIE_NAME,
        language,
        max_age=settings.LANGUAGE_COOKIE_AGE,
        path=settings.LANGUAGE_COOKIE_PATH,
        domain=settings.LANGUAGE_COOKIE_DOMAIN,
        secure=settings.LANGUAGE_COOKIE_SECURE,
        httponly=settings.LANGUAGE_COOKIE_HTTPONLY,
        samesite=settings.LANGUAGE_COOKIE_SAMESITE,
    )
    return response


SIGN_IN_INCOMPLETE = reason(gettext_noop("Your identity provider did not complete the sign-in."))


class SingleSignOnCallback(OIDCAuthenticationCallbackView):
    """The provider sends people back here: signed in, or shown why not (403, never a 500)."""

    def login_failure(self):
        why = getattr(self.request, oidc.REFUSAL, "") or SIGN_IN_INCOMPLETE
        # Whoever was signed in in this browser is not any more: a refused sign-in ends it.
        if self.request.user.is_authenticated:
            auth.logout(self.request)
        return render(self.request, "accounts/sso_refused.html", {"reason": why}, status=403)

    def login_success(self):
        response = super().login_success()
        # The provider's own check of a second factor counts, when the mapping accepts it.
        if getattr(self.request, oidc.SECOND_FACTOR, False):
            self.request.session[second_factor.BY_PROVIDER] = True
        return response
