"""Single sign-on through OpenID Connect for forces that use it.

Only people already set up in Vigil (with a role and a force) can sign in this way; the identity
provider proves who they are, Vigil decides what they may see.
"""

from mozilla_django_oidc.auth import OIDCAuthenticationBackend


class ExistingUsersOnly(OIDCAuthenticationBackend):
    def filter_users_by_claims(self, claims):
        email = (claims.get("email") or "").strip()
        if not email:
            return self.UserModel.objects.none()
        return self.UserModel.objects.filter(email__iexact=email, is_active=True)

    def create_user(self, claims):  # pragma: no cover - OIDC_CREATE_USER is off
        return None
