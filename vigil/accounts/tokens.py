"""API tokens: created once and shown once, stored as a SHA-256 hash, revocable."""

import hashlib
import secrets
from datetime import datetime

from django.db import transaction
from django.utils import timezone

from .models import ApiToken, User

PREFIX = "vgl_"


def _hash(key: str) -> str:
    return hashlib.sha256(key.encode("utf-8")).hexdigest()


def create_token(user: User, name: str, *, as_of: datetime) -> tuple[ApiToken, str]:
    """Make a token for ``user``; the key is returned here and never again."""
    key = PREFIX + secrets.token_urlsafe(32)
    with transaction.atomic():
        token = ApiToken.objects.create(
            user=user, name=name, prefix=key[:12], key_hash=_hash(key), created_at=as_of
        )
    return token, key


def user_for_key(key: str) -> User | None:
    """The active user a presented key belongs to, or None if it is unknown or revoked."""
    if not key.startswith(PREFIX):
        return None
    token = (
        ApiToken.objects.select_related("user", "user__force")
        .filter(key_hash=_hash(key), revoked_at__isnull=True)
        .first()
    )
    if token is None or not token.user.is_active:
        return None
    ApiToken.objects.filter(pk=token.pk).update(last_used_at=timezone.now())
    return token.user


def revoke_token(token: ApiToken, *, as_of: datetime) -> None:
    ApiToken.objects.filter(pk=token.pk, revoked_at__isnull=True).update(revoked_at=as_of)
