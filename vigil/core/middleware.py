import logging
from contextlib import suppress

from django.db import DatabaseError, InterfaceError, OperationalError, connections
from django.http import HttpResponse, HttpResponseBadRequest, JsonResponse
from django.shortcuts import render
from django.template.loader import render_to_string
from django.utils import translation

from .asof import AsOfError

log = logging.getLogger(__name__)


class SecurityHeadersMiddleware:
    """A strict Content-Security-Policy: scripts and styles only from Vigil's own static files.

    No inline script or style is allowed anywhere, so an injected ``<script>`` cannot run.
    """

    POLICY = "; ".join(
        [
            "default-src 'self'",
            "script-src 'self'",
            "style-src 'self'",
            "img-src 'self' data:",
            "font-src 'self'",
            "connect-src 'self'",
            "object-src 'none'",
            "base-uri 'none'",
            "frame-ancestors 'none'",
            "form-action 'self'",
        ]
    )

    def __init__(self, get_response):
        self.get_response = get_response

    def __call__(self, request):
        response = self.get_response(request)
        response.setdefault("Content-Security-Policy", self.POLICY)
        response.setdefault("Permissions-Policy", "camera=(), microphone=(), geolocation=()")
        response.setdefault("Cross-Origin-Opener-Policy", "same-origin")
        # Referral pages hold personal data: never keep them in a shared or browser cache.
        user = getattr(request, "user", None)
        if user is not None and user.is_authenticated:
            response.setdefault("Cache-Control", "no-store")
        return response


class RefuseNulCharacters:
    """Refuse text holding a NUL character before anything reads it.

    No person types one, PostgreSQL cannot store or compare it, and a request carrying one is a
    probe or a broken client: it gets a plain refusal (422 on the API, 400 on a page), never an
    error from deep inside.
    """

    MESSAGE = "text may not contain NUL characters"
    BODY_METHODS = {"POST", "PUT", "PATCH"}

    def __init__(self, get_response):
        self.get_response = get_response

    def __call__(self, request):
        where = self._nul_in(request)
        if where:
            if request.path.startswith("/api/"):
                return JsonResponse({"error": self.MESSAGE, "location": where}, status=422)
            return HttpResponseBadRequest(self.MESSAGE)
        return self.get_response(request)

    def _nul_in(self, request) -> str:
        if "%00" in request.get_full_path().lower() or "\x00" in request.path:
            return "query"
        content_type = request.content_type or ""
        # Uploaded files may hold any byte; their text is checked where it is read.
        if request.method in self.BODY_METHODS and not content_type.startswith("multipart/"):
            body = request.body.lower()
            if b"\x00" in body or b"\\u0000" in body or b"%00" in body:
                return "body"
        return ""


class RefuseBadAsOf:
    """A page asked "as of" a moment that is not one (``?as_of=yesterday``, year 1) says so:
    400 with the reason, never an error page."""

    def __init__(self, get_response):
        self.get_response = get_response

    def __call__(self, request):
        return self.get_response(request)

    def process_exception(self, request, exception):
        if not isinstance(exception, AsOfError):
            return None
        return render(request, "core/400.html", {"problem": str(exception)}, status=400)


# What a person or a client is told while the database cannot be reached.
DATABASE_GONE_MESSAGE = (
    "Vigil cannot reach its database just now; nothing you sent was saved; try again in a minute"
)
RETRY_AFTER_SECONDS = 60


def database_gone(error: BaseException | None) -> bool:
    """The database refused the connection, closed it, or dropped it half-way through.

    Whatever was being written then was in a transaction that never committed, so nothing of it
    is stored.
    """
    return isinstance(error, OperationalError | InterfaceError)


def database_unavailable(request, error: BaseException) -> HttpResponse:
    """503 with ``Retry-After``, saying plainly that nothing was saved: JSON on the API, a page
    elsewhere. The page is drawn without the request (no signed-in user, no menu): each of
    those would ask the database again. Its language is the one the browser's cookie or
    Accept-Language asks for, which needs no database either (a person's own choice is stored
    on their user, out of reach just now)."""
    log.warning("database unavailable for %s %s: %s", request.method, request.path, error)
    _discard_broken_connections()
    if request.path.startswith("/api/"):
        response = JsonResponse({"error": DATABASE_GONE_MESSAGE, "location": ""}, status=503)
    else:
        with translation.override(translation.get_language_from_request(request)):
            response = HttpResponse(render_to_string("core/503.html"), status=503)
    response["Retry-After"] = str(RETRY_AFTER_SECONDS)
    return response


def _discard_broken_connections() -> None:
    # Django also closes a connection that has failed when the request ends, and checks a kept
    # connection before reusing it (CONN_HEALTH_CHECKS); closing here makes sure the next
    # request on this thread connects afresh, once the database is back.
    for connection in connections.all(initialized_only=True):
        with suppress(DatabaseError):
            connection.close_if_unusable_or_obsolete()


class DatabaseUnavailable:
    """While the database cannot be reached, every page and API call answers 503 with a plain
    message, never an error page with a traceback, and service resumes by itself when the
    database is back (each request connects afresh; see ``CONN_HEALTH_CHECKS``).

    This catches what a view raises; what a middleware raises (loading the session, say)
    reaches ``handler500``, which gives the same answer (``vigil.core.views.server_error``).
    The API's own handler does the same for what its routes raise.
    """

    def __init__(self, get_response):
        self.get_response = get_response

    def __call__(self, request):
        return self.get_response(request)

    def process_exception(self, request, exception):
        if not database_gone(exception):
            return None
        return database_unavailable(request, exception)
