from django.http import HttpResponseBadRequest, JsonResponse
from django.shortcuts import render

from .asof import AsOfError


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
