"""Reading forces and users for pages and commands (which never query the models themselves)."""

from .models import ApiToken, Force, User


def forces():
    return Force.objects.order_by("code")


def force_named(code: str) -> Force | None:
    return Force.objects.filter(code=code.strip().upper()).first()


def other_forces(force_id: int | None):
    return forces().exclude(pk=force_id)


def forces_with_ids(ids):
    return forces().filter(pk__in=ids)


def users():
    return User.objects.select_related("force").order_by("username")


def user_named(username: str, *, active_only: bool = True) -> User | None:
    found = User.objects.filter(username=username)
    if active_only:
        found = found.filter(is_active=True)
    return found.first()


def colleagues(force_id: int | None, *, roles=None):
    """The active people of a force (to allocate to, to name on a restricted referral)."""
    found = User.objects.filter(force_id=force_id, is_active=True)
    if roles:
        found = found.filter(role__in=roles)
    return found.order_by("username")


def teams(force_id: int | None) -> list[str]:
    """The teams a force's active people belong to, by name."""
    return sorted(
        set(
            User.objects.filter(force_id=force_id, is_active=True)
            .exclude(team="")
            .values_list("team", flat=True)
        )
    )


def token_with_prefix(prefix: str) -> ApiToken | None:
    return ApiToken.objects.filter(prefix=prefix).first()
