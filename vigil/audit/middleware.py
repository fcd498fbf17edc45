import re
import uuid

from django.conf import settings
from django.core.exceptions import PermissionDenied
from django.utils import translation

from .context import origin
from .services import record_refusal

_REQUEST_ID = re.compile(r"^[A-Za-z0-9._-]{1,64}$")


class RequestContextMiddleware:
    """Gives every request an id (or keeps a well-formed one from the proxy) for the audit trail."""

    def __init__(self, get_response):
        self.get_response = get_response

    def __call__(self, request):
        offered = request.headers.get("X-Request-ID", "")
        request_id = offered if _REQUEST_ID.match(offered) else uuid.uuid4().hex
        channel = "api" if request.path.startswith("/api/") else "web"
        with origin(channel, request.META.get("REMOTE_ADDR", ""), request_id):
            request.request_id = request_id
            response = self.get_response(request)
        response["X-Request-ID"] = request_id
        return response

    def process_exception(self, request, exception):
        # Recorded here, after the refused service's transaction has rolled back, so the
        # refusal itself is never lost with it.
        if isinstance(exception, PermissionDenied):
            # The trail is kept in English, whatever language the refused person reads.
            with translation.override(settings.LANGUAGE_CODE):
                detail = str(exception)
            record_refusal(
                getattr(request, "user", None),
                getattr(exception, "action", "") or request.path[:64],
                detail=detail,
            )
        return None
