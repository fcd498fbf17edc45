"""Adding forces and users: each change checked, done in one transaction and audited."""

from datetime import datetime

from django.conf import settings
from django.contrib.auth.password_validation import validate_password
from django.db import IntegrityError, transaction
from django.utils import translation
from django.utils.translation import gettext_noop

from vigil.audit.choices import AuditAction
from vigil.audit.services import record
from vigil.core.actors import SystemActor
from vigil.core.permissions import require
from vigil.core.roles import Action, Role

from .actors import Actor
from .claims import ClaimMapping, Mapped, Unmapped, map_claims
from .models import Force, User
from .reasons import reason, said
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


def set_language(actor: Actor, user: User, language: str, *, as_of: datetime) -> User:
    """The language ``user`` sees Vigil in and is e-mailed in: their own choice, or an
    administrator's. One of ``settings.LANGUAGES``."""
    if language not in dict(settings.LANGUAGES):
        raise ValueError(f"Vigil has no language {language!r}")
    if not (isinstance(actor, User) and actor.pk == user.pk):
        require(actor, Action.USER_MANAGE)
    with transaction.atomic():
        before = User.objects.select_for_update().get(pk=user.pk).language
        if before != language:
            User.objects.filter(pk=user.pk).update(language=language)
            record(
                actor,
                AuditAction.USER_CHANGED,
                user,
                at=as_of,
                force_code=user.force.code if user.force_id else "",
                before={"language": before},
                after={"language": language},
            )
    user.language = language
    return user


def set_active(actor: Actor, username: str, active: bool, *, as_of: datetime) -> tuple[User, bool]:
    """Switch a user on (they may sign in again, single sign-on too) or off (they may not).

    Returns the user and whether anything changed, so running it twice is safe.
    """
    require(actor, Action.USER_MANAGE)
    with transaction.atomic():
        user = User.objects.select_for_update().filter(username=username).first()
        if user is None:
            raise ValueError(f"there is no user called {username!r}")
        if user.is_active == active:
            return user, False
        user.is_active = active
        user.save(update_fields=["is_active"])
        record(
            actor,
            AuditAction.USER_CHANGED,
            user,
            at=as_of,
            force_code=user.force.code if user.force else "",
            before={"is_active": not active},
            after={"is_active": active},
        )
    return user, True


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


# Whom the audit trail names for what single sign-on does to accounts.
SINGLE_SIGN_ON = SystemActor("single sign-on")


class SignInRefused(Exception):
    """Single sign-on will not let this person in; the message says why, to them."""


def sign_in_by_sso(claims: dict, mapping: ClaimMapping, *, as_of: datetime) -> User:
    """The Vigil user the identity provider's claims vouch for, brought up to date.

    The first sign-in of someone unknown creates them (role and force from the claims, no usable
    password: they sign in only through the provider). A later sign-in changes their role, force,
    name and e-mail to what the claims say now. A hand-made user without a link is linked by
    e-mail at their first single sign-on (unless the mapping says not to). Claims that no longer
    give a place in Vigil switch a known user off; a switched-off user stays refused until an
    administrator switches them on. Every change is audited with what it was and what it became;
    every refusal is audited as a failed sign-in. Raises ``SignInRefused``.
    """
    for attempt in range(2):
        try:
            with transaction.atomic():
                user, refusal = _sso_user(claims, mapping, as_of=as_of)
            break
        except IntegrityError:
            # The same person's first sign-in in two tabs at once: the second finds the user
            # the first created.
            if attempt:
                raise SignInRefused(
                    reason(gettext_noop("Vigil could not set you up just now. Try again."))
                ) from None
    if refusal:
        with translation.override(settings.LANGUAGE_CODE):  # the trail is kept in English
            detail = f"single sign-on refused: {refusal}"[:500]
        record(
            None,
            AuditAction.LOGIN_FAILED,
            object_type="accounts.user",
            object_id=str(user.pk) if user else "",
            at=as_of,
            detail=detail,
        )
        raise SignInRefused(refusal)
    return user


def _sso_user(claims: dict, mapping: ClaimMapping, *, as_of: datetime):
    subject = claims.get(mapping.subject_claim)
    subject = subject.strip() if isinstance(subject, str) else ""
    user = None
    if subject:
        user = User.objects.select_for_update().filter(sso_subject=subject).first()
    if user is None and subject and mapping.link_by_email:
        user = _unlinked_by_email(claims, mapping)
    try:
        mapped = map_claims(claims, mapping, roles=Role.values)
        force = Force.objects.filter(code=mapped.force_code).first()
        if force is None:
            raise Unmapped(
                reason(
                    gettext_noop("Your force (%(force)s) is not set up in Vigil."),
                    force=mapped.force_code,
                )
            )
    except Unmapped as unmapped:
        why = said(unmapped.args[0])
        if user is not None and user.sso_subject and user.is_active:
            _switch_off(user, why, as_of=as_of)
        return user, why
    if user is None:
        if User.objects.filter(username=mapped.username).exists():
            return None, reason(
                gettext_noop(
                    "There is already a Vigil user called %(username)s who does not sign in "
                    "through your identity provider. Ask your Vigil administrator."
                ),
                username=mapped.username,
            )
        return _provision(mapped, force, as_of=as_of), ""
    if not user.is_active:
        return user, reason(
            gettext_noop("Your Vigil account is switched off. Ask your Vigil administrator.")
        )
    _bring_up_to_date(user, mapped, force, as_of=as_of)
    return user, ""


def _unlinked_by_email(claims: dict, mapping: ClaimMapping) -> User | None:
    email = claims.get(mapping.email_claim)
    if not isinstance(email, str) or not email.strip() or claims.get("email_verified") is False:
        return None
    found = list(
        User.objects.select_for_update().filter(email__iexact=email.strip(), sso_subject="")[:2]
    )
    return found[0] if len(found) == 1 else None


def _sso_fields(user: User) -> dict:
    return {
        "username": user.username,
        "role": user.role,
        "force": user.force.code if user.force else "",
        "email": user.email,
        "first_name": user.first_name,
        "last_name": user.last_name,
        "is_active": user.is_active,
        "sso_subject": user.sso_subject,
    }


def _provision(mapped: Mapped, force: Force, *, as_of: datetime) -> User:
    user = User(
        username=mapped.username,
        role=mapped.role,
        force=force,
        region=force.region,
        first_name=mapped.first_name,
        last_name=mapped.last_name,
        email=mapped.email,
        sso_subject=mapped.subject,
    )
    user.set_unusable_password()
    user.save()
    record(
        SINGLE_SIGN_ON,
        AuditAction.USER_ADDED,
        user,
        at=as_of,
        force_code=force.code,
        after=_sso_fields(user),
        detail="provisioned at first single sign-on",
    )
    return user


def _bring_up_to_date(user: User, mapped: Mapped, force: Force, *, as_of: datetime) -> None:
    before = _sso_fields(user)
    user.role = mapped.role
    if user.force_id != force.pk:
        user.force = force
        user.region = force.region
    user.email = mapped.email or user.email
    user.first_name = mapped.first_name or user.first_name
    user.last_name = mapped.last_name or user.last_name
    user.sso_subject = mapped.subject
    after = _sso_fields(user)
    if after == before:
        return
    user.save()
    changed = sorted(key for key in after if after[key] != before[key])
    record(
        SINGLE_SIGN_ON,
        AuditAction.USER_CHANGED,
        user,
        at=as_of,
        force_code=force.code,
        before={key: before[key] for key in changed},
        after={key: after[key] for key in changed},
        detail="claims at single sign-on",
    )


def _switch_off(user: User, why: str, *, as_of: datetime) -> None:
    with translation.override(settings.LANGUAGE_CODE):  # the trail is kept in English
        detail = f"switched off at single sign-on: {why}"[:500]
    user.is_active = False
    user.save(update_fields=["is_active"])
    record(
        SINGLE_SIGN_ON,
        AuditAction.USER_CHANGED,
        user,
        at=as_of,
        force_code=user.force.code if user.force else "",
        before={"is_active": True},
        after={"is_active": False},
        detail=detail,
    )
