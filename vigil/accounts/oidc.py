"""Single sign-on through OpenID Connect: the provider proves who someone is, its claims say
what they are in Vigil.

The first sign-in provisions the person, later ones bring their role and force up to date, and
claims that no longer give a place in Vigil switch them off (``services.sign_in_by_sso``; the
mapping from claims to roles and forces is ``claims.py``, configured by ``VIGIL_OIDC_CLAIMS``).
A refusal is kept on the request for the callback page to show; it never becomes a 500.
"""

import functools
import logging

import requests
from django.conf import settings
from django.core.exceptions import SuspiciousOperation
from django.utils import timezone
from django.utils.translation import gettext_noop
from mozilla_django_oidc.auth import OIDCAuthenticationBackend

from vigil.core.roles import Role

from .claims import ClaimMapping, load_mapping, second_factor_asserted
from .reasons import reason
from .services import SignInRefused, sign_in_by_sso

logger = logging.getLogger(__name__)

# Where the backend leaves its outcome for the callback view, on the request: the reason is
# read in the reader's language (``claims.reason``).
REFUSAL = "vigil_sso_refusal"
SECOND_FACTOR = "vigil_sso_second_factor"
PROVIDER_FAILED = reason(
    gettext_noop("Vigil could not complete the sign-in with your identity provider. Try again.")
)
MISCONFIGURED = reason(
    gettext_noop("Single sign-on is not set up correctly in Vigil. Tell your Vigil administrator.")
)


@functools.cache
def _mapping(path: str) -> ClaimMapping:
    return load_mapping(path, roles=Role.values)


def claim_mapping() -> ClaimMapping:
    """The claims mapping in force (``VIGIL_OIDC_CLAIMS``, or the defaults)."""
    return _mapping(getattr(settings, "VIGIL_OIDC_CLAIMS", "") or "")


class ProvisioningBackend(OIDCAuthenticationBackend):
    """Signs people in, provisioning them at their first sign-in, from the provider's claims."""

    def authenticate(self, request, **kwargs):
        try:
            return super().authenticate(request, **kwargs)
        except (requests.RequestException, SuspiciousOperation) as error:
            # The provider was unreachable, refused the code or sent a token that did not
            # verify: no detail (it may carry personal data) beyond the kind of failure.
            logger.warning("single sign-on failed: %s", type(error).__name__)
            setattr(request, REFUSAL, PROVIDER_FAILED)
            return None

    def get_user(self, user_id):
        # As Django's own backend: a user switched off (by an administrator, or by claims that
        # stopped mapping) is signed out at their next request, whatever session they hold.
        user = super().get_user(user_id)
        return user if user is not None and user.is_active else None

    def verify_claims(self, claims):
        return True  # the mapping decides (sign_in_by_sso)

    def get_or_create_user(self, access_token, id_token, payload):
        try:
            mapping = claim_mapping()
        except (OSError, ValueError) as error:  # vigil check reports it at start (vigil.E101)
            logger.error("the single sign-on claims mapping cannot be used: %s", error)
            setattr(self.request, REFUSAL, MISCONFIGURED)
            return None
        claims = self.get_userinfo(access_token, id_token, payload)
        if not isinstance(claims, dict) or claims.get("sub") != payload.get("sub"):
            raise SuspiciousOperation("userinfo subject differs from the ID token's")
        try:
            user = sign_in_by_sso(claims, mapping, as_of=timezone.now())
        except SignInRefused as refused:
            setattr(self.request, REFUSAL, refused.args[0])
            return None
        setattr(self.request, SECOND_FACTOR, second_factor_asserted(payload, mapping))
        return user
