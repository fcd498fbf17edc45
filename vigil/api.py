"""The JSON API at /api/v1/ (OpenAPI at /api/v1/openapi.json).

Routes stay thin: they call a service and turn its errors into responses here, in one place.
"""

import json

from django.conf import settings
from django.core.exceptions import PermissionDenied, ValidationError
from django.db import InterfaceError, OperationalError
from django.http import Http404
from django.http.multipartparser import MultiPartParserError
from django.utils import translation
from ninja import NinjaAPI, Router
from ninja.errors import AuthenticationError, HttpError
from ninja.errors import ValidationError as RequestInvalid
from ninja.parser import Parser
from ninja.security import HttpBearer, SessionAuth
from pydantic import ValidationError as SchemaError

from vigil.accounts.tokens import user_for_key
from vigil.audit.api import router as audit_router
from vigil.audit.services import record_refusal
from vigil.clocks.api import router as clocks_router
from vigil.core.asof import AsOfError
from vigil.core.middleware import database_unavailable
from vigil.core.schemas import Problem
from vigil.exhibits.api import router as exhibits_router
from vigil.insight.api import router as insight_router
from vigil.intake.api import router as intake_router  # and POST /referrals, data requests
from vigil.investigations.api import router as investigations_router
from vigil.people.api import router as people_router
from vigil.referrals.api import router as referrals_router
from vigil.referrals.changes import Conflict
from vigil.referrals.drafts import IntakeError
from vigil.risk.api import router as risk_router
from vigil.safeguarding.api import router as safeguarding_router
from vigil.site import api as site_api  # noqa: F401 - adds GET /referrals, /referrals/{id}, /people/{id}


class BearerToken(HttpBearer):
    """``Authorization: Bearer vgl_…`` with a token from ``vigil tokens create``."""

    openapi_scheme = "bearer"

    def authenticate(self, request, token):
        user = user_for_key(token)
        if user is not None:
            request.user = user
        return user


class SignedIn(SessionAuth):
    """The signed-in user's session. A request from no one is 401 (sign in, or send a token),
    not 403 "CSRF check failed": the CSRF check is for sessions, and there is none."""

    def _get_key(self, request):
        if not request.user.is_authenticated:
            return None
        return super()._get_key(request)


class NotAnObject(ValueError):
    """A JSON body that is a number, a string or a list, where every body is an object."""


class ObjectsOnly(Parser):
    # Without this a body of ``-32389`` reached a schema whose fields are all optional as an
    # object with no attributes, and was taken as an empty change.
    def parse_body(self, request):
        data = json.loads(request.body)
        if not isinstance(data, dict):
            raise NotAnObject("a JSON object ({…}) is expected")
        return data


api = NinjaAPI(
    title="Vigil",
    version="1",
    description=(
        "Referrals about online child sexual abuse: intake, people and deconfliction. "
        "Every call acts as the signed-in user (session) or the token's user, and sees only "
        "what that user's role and force allow."
    ),
    auth=[BearerToken(), SignedIn()],
    parser=ObjectsOnly(),
    urls_namespace="api",
)


@api.exception_handler(IntakeError)
def _refused(request, error: IntakeError):
    return api.create_response(
        request, {"error": error.message, "location": error.location}, status=422
    )


@api.exception_handler(Conflict)
def _conflict(request, error: Conflict):
    return api.create_response(request, {"error": error.message, "location": ""}, status=409)


@api.exception_handler(ValidationError)
def _invalid(request, error: ValidationError):
    return api.create_response(
        request, {"error": " ".join(error.messages), "location": ""}, status=422
    )


@api.exception_handler(AsOfError)
def _bad_as_of(request, error: AsOfError):
    return api.create_response(request, {"error": str(error), "location": "as_of"}, status=400)


@api.exception_handler(RequestInvalid)
def _request_invalid(request, error: RequestInvalid):
    # The same shape as every other refusal: what is wrong, and where (``query.until``,
    # ``body.referrals.0``), rather than pydantic's list.
    problem = error.errors[0] if error.errors else {"loc": (), "msg": "invalid"}
    message = str(problem.get("msg", "invalid")).removeprefix("Value error, ")
    return api.create_response(
        request,
        {"error": message, "location": ".".join(str(part) for part in problem.get("loc", ()))},
        status=422,
    )


@api.exception_handler(AuthenticationError)
def _not_signed_in(request, error):
    return api.create_response(
        request,
        {"error": "sign in, or send an API token (Authorization: Bearer …)", "location": ""},
        status=401,
    )


@api.exception_handler(Http404)
def _not_found(request, error):
    return api.create_response(request, {"error": "not found", "location": ""}, status=404)


@api.exception_handler(PermissionDenied)
def _forbidden(request, error):
    # The refused service's transaction has rolled back; the refusal is recorded on its own,
    # in English whatever language the client asked for.
    with translation.override(settings.LANGUAGE_CODE):
        detail = str(error)
    record_refusal(
        getattr(request, "user", None),
        getattr(error, "action", "") or request.path[:64],
        detail=detail,
    )
    return api.create_response(
        request, {"error": str(error) or "not allowed", "location": ""}, status=403
    )


@api.exception_handler(HttpError)
def _http_error(request, error: HttpError):
    # Ninja's own refusals (a body that is not JSON, not UTF-8): the same shape as ours.
    if isinstance(error.__cause__, NotAnObject):
        return api.create_response(
            request, {"error": str(error.__cause__), "location": "body"}, status=422
        )
    location = "body" if error.status_code == 400 else ""
    return api.create_response(
        request, {"error": str(error), "location": location}, status=error.status_code
    )


@api.exception_handler(MultiPartParserError)
def _form_unreadable(request, error):
    # A multipart body without its boundary, or cut short: the client's, not ours.
    return api.create_response(
        request, {"error": "the form data could not be read", "location": "body"}, status=400
    )


@api.exception_handler(OperationalError)
@api.exception_handler(InterfaceError)
def _database_gone(request, error):
    # The database refused or dropped the connection: 503, nothing was saved, try again.
    return database_unavailable(request, error)


@api.exception_handler(SchemaError)
def _schema_refused(request, error: SchemaError):
    problem = error.errors()[0] if error.errors() else {"loc": (), "msg": "invalid"}
    return api.create_response(
        request,
        {"error": problem["msg"], "location": ".".join(str(part) for part in problem["loc"])},
        status=422,
    )


WRITES = {"POST", "PUT", "PATCH", "DELETE"}


def declare_refusals(router: Router) -> None:
    """Add to every operation of ``router`` the refusals it can answer, each a ``Problem``, so
    the OpenAPI document says them all in one place rather than on each route:

    - 400: a body that is not JSON, or an ``as_of`` outside 1970–2199 or not a time;
    - 401: no session and no token; 403: the role or force may not do it;
    - 404: a record in the path that does not exist or that the caller may not see;
    - 409: a change to something changed since (writes only);
    - 422: a parameter or body field of the wrong shape, or a change the rules refuse;
    - 503: the database cannot be reached just now (nothing was saved; try again).
    """
    for path, view in router.path_operations.items():
        for operation in view.operations:
            statuses = [400, 401, 403, 422, 503]
            if "{" in path:
                statuses.append(404)
            if WRITES & set(operation.methods):
                statuses += [404, 409]
            for status in statuses:
                operation.response_models.setdefault(
                    status, operation._create_response_model(Problem)
                )


ROUTERS = (
    referrals_router,
    people_router,
    intake_router,
    risk_router,
    clocks_router,
    safeguarding_router,
    investigations_router,
    audit_router,
    insight_router,
    exhibits_router,
)
for router in (api.default_router, *ROUTERS):
    declare_refusals(router)
for router in ROUTERS:
    api.add_router("", router)

__all__ = ["api"]
