"""Single sign-on: what an identity provider's claims make of a person in Vigil.

Pure: no Django. The mapping is a TOML file (named by ``VIGIL_OIDC_CLAIMS``) or the defaults
below; ``docs/security.md`` describes it. ``map_claims`` turns one sign-in's claims into the
username, e-mail, name, role and force Vigil gives that person, or refuses them with a reason
that can be shown to them (``Unmapped``).

Rules:

- the claims must carry a subject (``sub``) and a username (the username claim, or failing it
  the e-mail address);
- the role claim (a string or a list, e.g. the person's groups) must give exactly one Vigil
  role through the role map: values the map does not name are ignored, none left or two
  different roles is a refusal. Without a role map the claim's values are Vigil's role names;
- the force claim likewise gives exactly one force code through the force map (without a force
  map the values are force codes); a provider that serves one force names it as
  ``default_force`` and then needs no force claim;
- regional oversight is never given by single sign-on (it needs a region, not a force): those
  users are set up by hand.
"""

import re
import tomllib
from collections.abc import Iterable
from dataclasses import dataclass, field
from pathlib import Path

# Roles single sign-on never gives (set up by hand).
NOT_BY_SINGLE_SIGN_ON = frozenset({"regional_oversight"})
_USERNAME = re.compile(r"^[\w.@+-]{1,150}$")


def gettext_noop(message: str) -> str:
    """Marks a message for the Welsh catalogue (``makemessages`` finds it by this name). This
    module is pure and knows no language: the message is translated where it is read
    (``vigil.accounts.reasons``)."""
    return message


@dataclass(frozen=True)
class Reason:
    """Why the claims give someone no place in Vigil: a message with named placeholders and
    their values, in English until it is read."""

    message: str
    params: dict = field(default_factory=dict)

    def __str__(self) -> str:
        return self.message % self.params if self.params else self.message


def reason(message: str, **params) -> Reason:
    return Reason(message, params)


class Unmapped(ValueError):
    """The claims do not give this person a place in Vigil; the ``Reason`` says why, to them."""


@dataclass(frozen=True)
class ClaimMapping:
    subject_claim: str = "sub"
    username_claim: str = "preferred_username"
    email_claim: str = "email"
    role_claim: str = "groups"
    force_claim: str = "force"
    # Claim value -> Vigil role name; empty: the values are Vigil role names.
    roles: dict[str, str] = field(default_factory=dict)
    # Claim value -> force code; empty: the values are force codes.
    forces: dict[str, str] = field(default_factory=dict)
    # The force everyone this provider signs in belongs to, when it serves one force.
    default_force: str = ""
    # Authentication method references (``amr`` in the ID token) that count as Vigil's second
    # factor for the roles that must use one. Empty: they always use Vigil's own.
    second_factor_amr: frozenset[str] = frozenset()
    # Hand-made users without a link are linked at their first single sign-on by e-mail.
    link_by_email: bool = True


@dataclass(frozen=True)
class Mapped:
    subject: str
    username: str
    email: str
    first_name: str
    last_name: str
    role: str
    force_code: str


def parse_mapping(data: dict, *, roles: Iterable[str]) -> ClaimMapping:
    """The mapping in a TOML file's table; ``ValueError`` says what is wrong with it."""
    known = set(roles)
    claims = data.get("claims", {})
    unknown_keys = set(data) - {
        "claims",
        "roles",
        "forces",
        "default_force",
        "second_factor_amr",
        "link_by_email",
    }
    if unknown_keys:
        raise ValueError(f"unknown keys in the claims mapping: {', '.join(sorted(unknown_keys))}")
    names = {"subject", "username", "email", "roles", "force"}
    if not isinstance(claims, dict) or set(claims) - names:
        raise ValueError(f"[claims] names which claim carries each of: {', '.join(sorted(names))}")
    role_map = {str(k): str(v) for k, v in data.get("roles", {}).items()}
    for value, role in role_map.items():
        if role not in known:
            raise ValueError(f"[roles] {value!r} = {role!r}: Vigil has no role {role!r}")
        if role in NOT_BY_SINGLE_SIGN_ON:
            raise ValueError(f"[roles] {value!r}: {role} is never given by single sign-on")
    force_map = {str(k): _code(v) for k, v in data.get("forces", {}).items()}
    amr = data.get("second_factor_amr", [])
    if not isinstance(amr, list):
        raise ValueError('second_factor_amr is a list of amr values, e.g. ["mfa"]')
    return ClaimMapping(
        subject_claim=str(claims.get("subject", "sub")),
        username_claim=str(claims.get("username", "preferred_username")),
        email_claim=str(claims.get("email", "email")),
        role_claim=str(claims.get("roles", "groups")),
        force_claim=str(claims.get("force", "force")),
        roles=role_map,
        forces=force_map,
        default_force=_code(data.get("default_force", "")),
        second_factor_amr=frozenset(str(value) for value in amr),
        link_by_email=bool(data.get("link_by_email", True)),
    )


def load_mapping(path: str | Path | None, *, roles: Iterable[str]) -> ClaimMapping:
    """The mapping in the TOML file at ``path``, or the defaults when there is none."""
    if not path:
        return ClaimMapping()
    return parse_mapping(tomllib.loads(Path(path).read_text(encoding="utf-8")), roles=roles)


def _code(value) -> str:
    return str(value).strip().upper()


def _values(claims: dict, name: str) -> list[str]:
    value = claims.get(name)
    if value is None:
        return []
    if isinstance(value, str):
        value = [value]
    if not isinstance(value, list):
        return []
    return [str(item).strip() for item in value if str(item).strip()]


def _text(claims: dict, name: str) -> str:
    value = claims.get(name)
    return value.strip() if isinstance(value, str) else ""


def map_claims(claims: dict, mapping: ClaimMapping, *, roles: Iterable[str]) -> Mapped:
    """The place in Vigil the claims give this person, or ``Unmapped`` saying why there is none."""
    subject = _text(claims, mapping.subject_claim)
    if not subject:
        raise Unmapped(
            reason(gettext_noop("The identity provider did not say who you are (no subject)."))
        )
    email = _text(claims, mapping.email_claim)
    username = _text(claims, mapping.username_claim) or email
    if not username:
        raise Unmapped(
            reason(
                gettext_noop(
                    "The identity provider gave no username (%(claim)s) and no e-mail address."
                ),
                claim=mapping.username_claim,
            )
        )
    if not _USERNAME.match(username):
        raise Unmapped(
            reason(
                gettext_noop(
                    "The username the identity provider gave is not one Vigil can use "
                    "(letters, digits and @ . + - _ only, at most 150)."
                )
            )
        )
    role = _one_role(claims, mapping, set(roles))
    force_code = _one_force(claims, mapping)
    return Mapped(
        subject=subject,
        username=username,
        email=email,
        first_name=_text(claims, "given_name")[:150],
        last_name=_text(claims, "family_name")[:150],
        role=role,
        force_code=force_code,
    )


def _one_role(claims: dict, mapping: ClaimMapping, known: set[str]) -> str:
    values = _values(claims, mapping.role_claim)
    if not values:
        raise Unmapped(
            reason(
                gettext_noop(
                    "The identity provider did not say what your role is (claim %(claim)s)."
                ),
                claim=repr(mapping.role_claim),
            )
        )
    if mapping.roles:
        found = {mapping.roles[value] for value in values if value in mapping.roles}
    else:
        found = {value for value in values if value in known}
    found -= NOT_BY_SINGLE_SIGN_ON
    if not found:
        raise Unmapped(
            reason(
                gettext_noop("None of your %(claim)s (%(values)s) gives a role in Vigil."),
                claim=mapping.role_claim,
                values=", ".join(sorted(values)),
            )
        )
    if len(found) > 1:
        raise Unmapped(
            reason(
                gettext_noop(
                    "Your %(claim)s give more than one role in Vigil (%(roles)s); a person has one."
                ),
                claim=mapping.role_claim,
                roles=", ".join(sorted(found)),
            )
        )
    return found.pop()


def _one_force(claims: dict, mapping: ClaimMapping) -> str:
    values = _values(claims, mapping.force_claim)
    if not values:
        if mapping.default_force:
            return mapping.default_force
        raise Unmapped(
            reason(
                gettext_noop(
                    "The identity provider did not say which force you are in (claim %(claim)s)."
                ),
                claim=repr(mapping.force_claim),
            )
        )
    if mapping.forces:
        found = {mapping.forces[value] for value in values if value in mapping.forces}
    else:
        found = {_code(value) for value in values}
    if not found:
        raise Unmapped(
            reason(
                gettext_noop("Your %(claim)s (%(values)s) is not a force in Vigil."),
                claim=mapping.force_claim,
                values=", ".join(sorted(values)),
            )
        )
    if len(found) > 1:
        raise Unmapped(
            reason(
                gettext_noop("Your %(claim)s names more than one force (%(forces)s)."),
                claim=mapping.force_claim,
                forces=", ".join(sorted(found)),
            )
        )
    return found.pop()


def second_factor_asserted(id_token: dict, mapping: ClaimMapping) -> bool:
    """Whether the provider says it checked a second factor, in a way the mapping accepts."""
    if not mapping.second_factor_amr:
        return False
    amr = id_token.get("amr")
    if not isinstance(amr, list):
        return False
    return bool(mapping.second_factor_amr & {str(value) for value in amr})
