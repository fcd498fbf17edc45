"""Normalising identifiers so the same account, phone or device matches across referrals.

Pure functions, no Django. Normalisation is deliberately conservative: a false link between
two people is worse than a missed one, so nothing is guessed (no dropping of "+tags" or dots
in email addresses, no fuzzy names).
"""

import ipaddress
import re
import unicodedata
from collections.abc import Callable
from datetime import date
from urllib.parse import urlsplit, urlunsplit

import phonenumbers

_SPACE = re.compile(r"\s+")
_DEVICE_NOISE = re.compile(r"[\s\-.:]")
_DEVICE_WITH_TYPE = re.compile(r"^([A-Za-z]{2,12})\s*[:=\s]\s*(\S.*)$")


def normalise_email(value: str) -> str:
    return value.strip().lower()


def normalise_phone(value: str, default_region: str = "GB") -> str:
    """E.164 where the number parses (UK by default); otherwise its digits."""
    try:
        number = phonenumbers.parse(value, default_region)
    except phonenumbers.NumberParseException:
        return re.sub(r"\D", "", value)
    if not phonenumbers.is_possible_number(number):
        return re.sub(r"\D", "", value)
    return phonenumbers.format_number(number, phonenumbers.PhoneNumberFormat.E164)


def normalise_username(value: str) -> str:
    return value.strip().lstrip("@").casefold()


def normalise_service(value: str) -> str:
    return _SPACE.sub("", value).casefold()


def normalise_ip(value: str) -> str:
    try:
        return str(ipaddress.ip_address(value.strip()))
    except ValueError:
        return value.strip().lower()


def normalise_device(value: str) -> str:
    """``IMEI:35 4123-456789012`` and ``imei 354123456789012`` become ``IMEI:354123456789012``."""
    text = value.strip()
    typed = _DEVICE_WITH_TYPE.match(text)
    if typed:
        return f"{typed.group(1).upper()}:{_DEVICE_NOISE.sub('', typed.group(2)).upper()}"
    return _DEVICE_NOISE.sub("", text).upper()


def device_number(normalised: str) -> str:
    """The device's own number, whatever type label the source put before it."""
    return normalised.rpartition(":")[2]


def normalise_profile_url(value: str) -> str:
    parts = urlsplit(value.strip())
    path = parts.path.rstrip("/")
    return urlunsplit((parts.scheme.lower(), parts.netloc.lower(), path, parts.query, ""))


NORMALISERS = {
    "email": normalise_email,
    "phone": normalise_phone,
    "username": normalise_username,
    "account_id": lambda value: value.strip(),
    "ip": normalise_ip,
    "device": normalise_device,
    "profile_url": normalise_profile_url,
    # A type Vigil did not know: kept as written, never a match key.
    "other": lambda value: value.strip(),
}


def normalise(kind: str, value: str) -> str:
    return NORMALISERS[kind](value)


def name_key(first_name: str, last_name: str) -> str:
    """Letters only, accents and case removed: "Seán O'Brien" and "sean obrien" agree."""
    text = unicodedata.normalize("NFKD", f"{first_name} {last_name}")
    letters = "".join(ch for ch in text if ch.isalpha() or ch == " ")
    return _SPACE.sub(" ", letters).strip().casefold()


def address_key(line1: str, postcode: str) -> str:
    """The first line and postcode, spaces, punctuation and case removed: "12 Acacia Ave., ab1
    2cd" and "12 acacia ave AB12CD" agree. Blank unless both are known: a postcode alone
    covers a street, not a home."""
    postcode = "".join(ch for ch in postcode if ch.isalnum()).upper()
    text = unicodedata.normalize("NFKD", line1)
    line = "".join(ch for ch in text if ch.isalnum()).casefold()
    return f"{line}:{postcode}" if line and postcode else ""


def match_keys(
    identifiers: list[tuple[str, str, str]],
    first_name: str,
    last_name: str,
    date_of_birth: date | None,
    addresses: list[tuple[str, str]] = (),
) -> list[tuple[str, str, str]]:
    """The keys a person can be matched on, as (reason, key, what matched).

    ``identifiers`` are (kind, normalised value, service); ``addresses`` are (first line,
    postcode). IP addresses are not keys: many people share one address behind a router or a
    carrier's NAT.
    """
    keys: dict[str, tuple[str, str, str]] = {}
    for kind, value, service in identifiers:
        if not value:
            continue
        if kind in {"email", "phone"}:
            keys[f"{kind}:{value}"] = (kind, f"{kind}:{value}", value)
        elif kind == "device":
            number = device_number(value)
            keys[f"device:{number}"] = (kind, f"device:{number}", value)
        elif kind in {"username", "account_id"}:
            at = normalise_service(service)
            keys[f"{kind}:{at}:{value}"] = (
                kind,
                f"{kind}:{at}:{value}",
                f"{value} at {service}" if service else f"{value} (service not named)",
            )
    for line1, postcode in addresses:
        home = address_key(line1, postcode)
        if home:
            shown = f"{line1.strip()}, {postcode.strip().upper()}"
            keys[f"address:{home}"] = ("address", f"address:{home}", shown)
    name = name_key(first_name, last_name)
    if date_of_birth and " " in name:
        key = f"name_dob:{name}:{date_of_birth.isoformat()}"
        keys[key] = ("name_dob", key, f"{name.title()}, born {date_of_birth:%d %B %Y}")
    return list(keys.values())


def search_name(first_name: str, last_name: str) -> str:
    """A name as search compares it: letters and digits only, accents and case removed, words
    one space apart ("Seán  O'Brien" becomes "sean obrien")."""
    text = unicodedata.normalize("NFKD", f"{first_name} {last_name}")
    kept = "".join(
        ch if ch.isalnum() else ("" if unicodedata.combining(ch) or ch in "'’" else " ")
        for ch in text
    )
    return _SPACE.sub(" ", kept).strip().casefold()


def postcode_key(value: str) -> str:
    """A postcode without its spaces, in capitals: "ab1 2cd" and "AB12CD" agree."""
    return "".join(ch for ch in value if not ch.isspace()).upper()


def name_trigrams(text: str) -> set[str]:
    """The trigrams PostgreSQL's pg_trgm takes from a text: each word padded with two spaces
    before and one after, so word order does not matter."""
    found: set[str] = set()
    for word in search_name(text, "").split():
        padded = f"  {word} "
        found.update(padded[index : index + 3] for index in range(len(padded) - 2))
    return found


def name_similarity(query: str, name: str) -> float:
    """How alike a searched-for name and a held name are, from 0 to 1.

    The larger of pg_trgm's similarity of the whole names (shared trigrams over all trigrams:
    "Smith John" is "John Smith", "Jon Smiht" is close) and how well every word searched for
    matches one word of the name on its own ("smith" finds "John Smith").
    """
    return name_scorer(query)(name)


def name_scorer(query: str) -> Callable[[str], float]:
    """``name_similarity`` with the query read once, for scoring many names against it."""
    whole_query = name_trigrams(query)
    wanted_words = [name_trigrams(word) for word in search_name(query, "").split()]

    scores: dict[str, float] = {}

    def score(name: str) -> float:
        # Common names recur among the candidates ("sean mellor" 27 times in a million).
        if name not in scores:
            scores[name] = _score(name)
        return scores[name]

    def _score(name: str) -> float:
        whole_name = name_trigrams(name)
        if not whole_query or not whole_name:
            return 0.0
        whole = len(whole_query & whole_name) / len(whole_query | whole_name)
        words = [name_trigrams(word) for word in search_name(name, "").split()]
        per_word = [
            max(len(wanted & held) / len(wanted | held) for held in words)
            for wanted in wanted_words
        ]
        # A word found on its own counts for less than the whole name: "smith" is many people.
        return round(max(whole, 0.9 * min(per_word)), 3)

    return score


# The words of a first line written short, as the Royal Mail's own forms abbreviate them; each
# is read as the whole word, so "12, High St." and "12 High Street" are one home.
STREET_WORDS = {
    "apt": "apartment",
    "ave": "avenue",
    "av": "avenue",
    "bldg": "building",
    "cl": "close",
    "cres": "crescent",
    "ct": "court",
    "dr": "drive",
    "flt": "flat",
    "gdns": "gardens",
    "gr": "grove",
    "gro": "grove",
    "ho": "house",
    "hse": "house",
    "la": "lane",
    "ln": "lane",
    "pde": "parade",
    "pk": "park",
    "pl": "place",
    "rd": "road",
    "sq": "square",
    "st": "street",
    "ter": "terrace",
    "terr": "terrace",
    "wk": "walk",
}
# Words that name a home inside a building: a first line of only these and numbers ("Flat 3")
# is read with the line after it ("Flat 3, 12 High Street").
_INSIDE_WORDS = {"flat", "apartment", "unit", "room", "floor", "no", "number"}
_POSTCODE_IN_TEXT = re.compile(r"\b([A-Z]{1,2}[0-9][A-Z0-9]?)\s*([0-9][A-Z]{2})\b", re.IGNORECASE)


def home_line(line1: str, line2: str = "") -> tuple[str, ...]:
    """The first line of an address as words to compare: accents, case and punctuation gone,
    short street words written out ("12, High St." is ``("12", "high", "street")``). A first
    line that only names a flat ("Flat 3") is read with the second line."""

    def words(text: str) -> list[str]:
        text = unicodedata.normalize("NFKD", text)
        kept = "".join(
            ch if ch.isalnum() else ("" if unicodedata.combining(ch) or ch in "'’" else " ")
            for ch in text
        ).casefold()
        return [STREET_WORDS.get(word, word) for word in kept.split()]

    first = words(line1)
    if first and all(word.isdigit() or word in _INSIDE_WORDS or len(word) == 1 for word in first):
        first += words(line2)
    return tuple(first)


def postcode_in(text: str) -> str:
    """The last UK postcode written in an address, as ``postcode_key`` gives it ("" if none)."""
    found = _POSTCODE_IN_TEXT.findall(text or "")
    return (found[-1][0] + found[-1][1]).upper() if found else ""


def same_home(held: tuple[str, ...], given: tuple[str, ...]) -> bool:
    """Whether two first lines (``home_line``) at one postcode are the same home: one is the
    other's start, word for word ("12 High Street" and "12 High Street, Exampleton"), so
    "12 High Street" is never "2 High Street" or "Flat 2, 12 High Street". A town written after
    the street cannot be told from more of the street, so "12 High Street Mews" counts as
    "12 High Street" too: a wrong match shows a child to check, a missed one hides them. A
    postcode alone is never a home: both lines must be known."""
    if not held or not given:
        return False
    shorter = min(len(held), len(given))
    return held[:shorter] == given[:shorter]
