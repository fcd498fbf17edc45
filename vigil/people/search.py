"""Search: one box that finds referrals by whom and what they concern.

A query is read as every kind it could be (an e-mail address, a phone number, an IP address,
an MD5 or SHA-1 hash, a postcode, a reference, a username, a name), each normalised exactly as
deconfliction normalises what it stores, and each kind is one indexed lookup. Every lookup
starts from ``restrict``: a referral the searcher may not see is never found, counted or
scored. Names are matched by trigrams (pg_trgm on PostgreSQL, an FTS5 trigram table on SQLite;
see ``fulltext``) and scored by one rule in Python, ``normalise.name_similarity``, on both.
"""

import ipaddress
import re
from datetime import datetime

from django.contrib.postgres.lookups import TrigramSimilar, TrigramWordSimilar
from django.db import connection
from django.db.models import F, Q, Value
from django.utils.translation import gettext as _

from vigil.audit import services as audit
from vigil.audit.choices import AuditAction as Audit
from vigil.core.permissions import require
from vigil.core.roles import Action
from vigil.referrals.models import Material, Referral

from .fulltext import padded
from .models import Address, Identifier, Person
from .normalise import (
    name_scorer,
    normalise_email,
    normalise_ip,
    normalise_phone,
    normalise_username,
    postcode_key,
    search_name,
)

LIMIT = 50
# Below this a name is not offered as a match (pg_trgm's own default threshold).
NAME_THRESHOLD = 0.3
# Names scored per query, best first by the database's own ranking, before the rule scores them.
NAME_CANDIDATES = 200
# On PostgreSQL the candidates come unordered, so more are read (see ``_names``).
PG_NAME_CANDIDATES = 2000
MAX_QUERY = 200

_EMAIL = re.compile(r"[^@\s]+@[^@\s]+\.[^@\s]+")
_PHONE = re.compile(r"\+?[\d\s().\-]{7,24}")
_MD5 = re.compile(r"[0-9a-fA-F]{32}")
_SHA1 = re.compile(r"[0-9a-fA-F]{40}")
_POSTCODE = re.compile(r"[A-Za-z]{1,2}\d[A-Za-z\d]?\s*\d[A-Za-z]{2}")
_TOKEN = re.compile(r"\S+")


def readings(query: str) -> list[tuple[str, str]]:
    """Every kind the query could be, as (kind, the value to look up), normalised as
    deconfliction normalises what it stores."""
    text = query.strip()
    found: list[tuple[str, str]] = []
    if _EMAIL.fullmatch(text):
        found.append(("email", normalise_email(text)))
    if _MD5.fullmatch(text):
        found.append(("md5", text.lower()))
    if _SHA1.fullmatch(text):
        found.append(("sha1", text.lower()))
    if _is_ip(text):
        found.append(("ip", normalise_ip(text)))
    elif _PHONE.fullmatch(text) and sum(ch.isdigit() for ch in text) >= 7:
        found.append(("phone", normalise_phone(text)))
    if _POSTCODE.fullmatch(text):
        found.append(("postcode", postcode_key(text)))
    if _TOKEN.fullmatch(text):
        found.append(("reference", text))
        if not _EMAIL.fullmatch(text):
            found.append(("username", normalise_username(text)))
    # A name has letters and no digits; an e-mail address is not also tried as a name.
    if (
        any(ch.isalpha() for ch in text)
        and not any(ch.isdigit() or ch == "@" for ch in text)
        and len(search_name(text, "")) >= 2
    ):
        found.append(("name", search_name(text, "")))
    return found


def _is_ip(text: str) -> bool:
    try:
        ipaddress.ip_address(text)
    except ValueError:
        return False
    return True


def search(actor, query: str, *, as_of: datetime, limit: int = LIMIT) -> list[dict]:
    """The referrals this actor may see that the query finds, best match first.

    Each item is ``{"kind", "referral_id", "source_reference", "force", "person",
    "person_id", "matched_on", "score"}`` (``person`` and ``person_id`` are ``None`` for a
    match on the referral itself: its reference or its material). The search is audited with
    what it found.
    """
    require(actor, Action.REFERRAL_VIEW)
    text = query.strip()[:MAX_QUERY]
    items: dict[tuple, dict] = {}
    for kind, value in readings(text) if len(text) >= 2 else []:
        for item in _FINDERS[kind](actor, value):
            key = (item["kind"], item["referral_id"], item["person"], item["matched_on"])
            items.setdefault(key, item)
    found = sorted(items.values(), key=lambda item: (-item["score"], -item["referral_id"]))
    found = found[:limit]
    audit.record(
        actor,
        Audit.SEARCHED,
        at=as_of,
        detail=text[:500],
        after={"query": text, "referrals": sorted({item["referral_id"] for item in found})},
    )
    return found


def _item(kind: str, referral, person, matched_on: str, score: float) -> dict:
    return {
        "kind": kind,
        "referral_id": referral.pk,
        "source_reference": referral.source_reference,
        "force": referral.force.code,
        "person": person.display_name if person is not None else None,
        "person_id": person.pk if person is not None else None,
        "matched_on": matched_on,
        "score": score,
    }


def _identifiers(kind: str):
    def find(actor, value: str) -> list[dict]:
        rows = (
            Identifier.objects.restrict(actor)
            .filter(kind=kind, normalised=value)
            .select_related("person__referral__force")[:LIMIT]
        )
        return [
            _item(
                kind, row.person.referral, row.person, f"{row.get_kind_display()}: {row.value}", 1
            )
            for row in rows
        ]

    return find


def _postcodes(actor, value: str) -> list[dict]:
    rows = (
        Address.objects.restrict(actor)
        .filter(postcode_key=value)
        .select_related("person__referral__force")[:LIMIT]
    )
    return [
        _item(
            "postcode",
            row.person.referral,
            row.person,
            _("Address: %(address)s") % {"address": row},
            1,
        )
        for row in rows
    ]


def _references(actor, value: str) -> list[dict]:
    rows = (
        Referral.objects.restrict(actor)
        .filter(source_reference__in={value, value.upper(), value.lower()})
        .select_related("force")[:LIMIT]
    )
    return [
        _item(
            "reference",
            row,
            None,
            _("Reference: %(reference)s") % {"reference": row.source_reference},
            1,
        )
        for row in rows
    ]


def _hashes(kind: str):
    def find(actor, value: str) -> list[dict]:
        rows = (
            Material.objects.restrict(actor)
            .filter(Q(**{kind: value}) | Q(**{kind: value.upper()}))
            .select_related("referral__force")[:LIMIT]
        )
        return [_item(kind, row.referral, None, f"{kind.upper()}: {value}", 1) for row in rows]

    return find


def _names(actor, value: str) -> list[dict]:
    # The candidates are read lean (id, referral, folded name) and scored; only the best are
    # read whole, so a common name costs its scoring, not hundreds of referrals read in full.
    if connection.vendor == "postgresql":
        folded = Value(value)
        similar = Q(TrigramSimilar(F("search_name"), folded)) | Q(
            TrigramWordSimilar(F("search_name"), folded)
        )
        # Each part its own query, so the actor's force's own trigram index serves the first
        # (``fulltext.ensure_force``). Unordered: ordering by similarity in SQL leads the
        # planner to a sequential scan of every person; the rule below orders what is found.
        candidates = set()
        for part in Person.objects.restrict_in_parts(actor):
            rows = part.filter(similar).order_by().values_list("pk", "referral_id", "search_name")
            candidates.update(rows[:PG_NAME_CANDIDATES])
    else:
        candidates = (
            Person.objects.restrict(actor)
            .extra(
                tables=["people_person_search"],
                where=[
                    "people_person_search.rowid = people_person.id",
                    "people_person_search MATCH %s",
                ],
                params=[_fts_query(value)],
                order_by=["people_person_search.rank"],
            )
            .values_list("pk", "referral_id", "search_name")[:NAME_CANDIDATES]
        )
    score = name_scorer(value)
    scored = [(score(name), referral_id, pk) for pk, referral_id, name in candidates]
    # Best first as ``search`` orders its items, so the ones kept are the ones it would show.
    best = sorted(
        (row for row in scored if row[0] >= NAME_THRESHOLD), key=lambda row: (-row[0], -row[1])
    )[:LIMIT]
    people = (
        Person.objects.restrict(actor)
        .select_related("referral__force")
        .in_bulk([pk for _, _, pk in best])
    )
    return [
        _item("name", people[pk].referral, people[pk], people[pk].display_name, points)
        for points, _, pk in best
        if pk in people
    ]


def _fts_query(value: str) -> str:
    """Any of the query's trigrams, each word padded as the FTS table's names are."""
    text = padded(value)
    grams = {text[index : index + 3] for index in range(len(text) - 2)}
    grams = {gram for gram in grams if gram.strip() and "  " not in gram}
    return " OR ".join(f'"{gram}"' for gram in sorted(grams))


_FINDERS = {
    "email": _identifiers("email"),
    "phone": _identifiers("phone"),
    "username": _identifiers("username"),
    "ip": _identifiers("ip"),
    "postcode": _postcodes,
    "reference": _references,
    "md5": _hashes("md5"),
    "sha1": _hashes("sha1"),
    "name": _names,
}
