"""Adding forces and users: each change checked, done in one transaction and audited."""

from datetime import datetime

from django.contrib.auth.password_validation import validate_password
from django.db import transaction

from vigil.audit.choices import AuditAction
from vigil.audit.services import record
from vigil.core.permissions import require
from vigil.core.roles import Action, Role

from .actors import Actor
from .models import Force, User
from .tokens import create_token, revoke_token


def add_force(
    actor: Actor, code: str, name: str, *, region: str = "", contact: str = "", as_of: datetime
) -> tuple[Force, str]:
    """Add a force, or bring an existing one's name, region and contact up to date (a region or
    contact left blank is kept as it was).

    ``contact`` is whom another force contacts about a child this force holds information on
    (its referral unit or single point of contact).

    Returns the force and ``added``, ``changed`` or ``unchanged``, so running it twice is safe.
    """
    require(actor, Action.FORCE_MANAGE)
    code = code.strip().upper()
    if not code or not code.replace("-", "").isalnum():
        raise ValueError(f"a force code is letters and digits, not {code!r}")
    with transaction.atomic():
        force = Force.objects.select_for_update().filter(code=code).first()
        if force is None:
            force = Force.objects.create(
                code=code, name=name.strip(), region=region.strip(), contact=contact.strip()
            )
            record(
                actor,
                AuditAction.FORCE_ADDED,
                force,
                at=as_of,
                force_code=code,
                after=_force_fields(force),
            )
            return force, "added"
        before = _force_fields(force)
        force.name = name.strip()
        force.region = region.strip() or force.region
        force.contact = contact.strip() or force.contact
        if _force_fields(force) == before:
            return force, "unchanged"
        force.save()
        record(
            actor,
            AuditAction.FORCE_CHANGED,
            force,
            at=as_of,
            force_code=code,
            before=before,
            after=_force_fields(force),
        )
        return force, "changed"


def _force_fields(force: Force) -> dict:
    return {
        "code": force.code,
        "name": force.name,
        "region": force.region,
        "contact": force.contact,
    }


def add_user(
    actor: Actor,
    username: str,
    *,
    role: str,
    password: str,
    force_code: str = "",
    region: str = "",
    first_name: str = "",
    last_name: str = "",
    email: str = "",
    team: str = "",
    as_of: datetime,
    check_password: bool = True,
) -> User:
    """Add a user in one role and one force (or, for regional oversight, one region)."""
    require(actor, Action.USER_MANAGE)
    if role not in Role.values:
        raise ValueError(f"unknown role {role!r}; roles are: {', '.join(Role.values)}")
    force = None
    if force_code:
        force = Force.objects.filter(code=force_code.strip().upper()).first()
        if force is None:
            raise ValueError(f"force {force_code!r} is not known to Vigil")
    if role == Role.REGIONAL_OVERSIGHT and not region:
        raise ValueError("a regional oversight user needs a region")
    if role != Role.REGIONAL_OVERSIGHT and force is None:
        raise ValueError("this role needs a force")
    user = User(
        username=username,
        role=role,
        force=force,
        region=region or (force.region if force else ""),
        first_name=first_name,
        last_name=last_name,
        email=email,
        team=team,
    )
    if check_password:
        validate_password(password, user)
    user.set_password(password)
    with transaction.atomic():
        if User.objects.filter(username=username).exists():
            raise ValueError(f"there is already a user called {username!r}")
        user.save()
        record(
            actor,
            AuditAction.USER_ADDED,
            user,
            at=as_of,
            force_code=force.code if force else "",
            after={
                "username": username,
                "role": role,
                "force": force_code,
                "region": user.region,
                "team": team,
            },
        )
    return user


def set_email_digest(actor: Actor, user: User, daily: bool, *, as_of: datetime) -> User:
    """Whether ``user`` gets one e-mail a day (``daily``) or one per notification: their own
    choice, or an administrator's."""
    if not (isinstance(actor, User) and actor.pk == user.pk):
        require(actor, Action.USER_MANAGE)
    with transaction.atomic():
        before = User.objects.select_for_update().get(pk=user.pk).email_digest
        if before != daily:
            User.objects.filter(pk=user.pk).update(email_digest=daily)
            record(
                actor,
                AuditAction.USER_CHANGED,
                user,
                at=as_of,
                force_code=user.force.code if user.force_id else "",
                before={"email_digest": before},
                after={"email_digest": daily},
            )
    user.email_digest = daily
    return user


def issue_token(actor: Actor, user: User, name: str, *, as_of: datetime):
    """Create an API token for ``user`` (themselves, or by an administrator); key shown once."""
    if not (isinstance(actor, User) and actor.pk == user.pk):
        require(actor, Action.USER_MANAGE)
    with transaction.atomic():
        token, key = create_token(user, name, as_of=as_of)
        record(
            actor,
            AuditAction.TOKEN_CREATED,
            token,
            at=as_of,
            after={"user": user.username, "name": name, "prefix": token.prefix},
        )
    return token, key


def withdraw_token(actor: Actor, token, *, as_of: datetime) -> None:
    if not (isinstance(actor, User) and actor.pk == token.user_id):
        require(actor, Action.USER_MANAGE)
    with transaction.atomic():
        revoke_token(token, as_of=as_of)
        record(
            actor,
            AuditAction.TOKEN_REVOKED,
            token,
            at=as_of,
            after={"user": token.user.username, "prefix": token.prefix},
        )
