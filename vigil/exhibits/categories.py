"""The editable table that maps a hash set's category numbers to the UK's categories.

Pure: no Django. The table lives in ``categories.toml`` (or the file named by the caller), so a
force can correct it without a code change; its ``version`` is stored with every imported set.
"""

import tomllib
from dataclasses import dataclass
from pathlib import Path

DEFAULT_TABLE = Path(__file__).with_name("categories.toml")
UK_CATEGORIES = ("A", "B", "C")
# Most severe first: a file matching hashes of two categories counts under the more severe.
SEVERITY = {"A": 0, "B": 1, "C": 2}


@dataclass(frozen=True)
class CategoryTable:
    """One profile of the table: category number (as text) to a UK category or named class."""

    version: str
    profile: str
    mapping: dict[str, str]

    def name(self, raw) -> str:
        """The UK category (A, B, C) or named class for a set's raw category (number or name)."""
        if raw is None:
            return "uncategorised"
        text = str(raw).strip()
        if not text:
            return "uncategorised"
        if text.upper() in UK_CATEGORIES:
            return text.upper()
        if text.lstrip("-").isdigit():
            return self.mapping.get(str(int(text)), f"unmapped:{int(text)}")
        return text.lower()


def load(path: Path | str | None = None, profile: str | None = None) -> CategoryTable:
    """The table's profile (default: the table's ``default_profile``)."""
    data = tomllib.loads(Path(path or DEFAULT_TABLE).read_text(encoding="utf-8"))
    chosen = profile or data.get("default_profile", "uk")
    profiles = data.get("profiles", {})
    if chosen not in profiles:
        raise ValueError(f"the category table has no profile {chosen!r} ({', '.join(profiles)})")
    mapping = {str(key): str(value) for key, value in profiles[chosen].items()}
    return CategoryTable(version=str(data.get("version", "")), profile=chosen, mapping=mapping)


def bucket(category: str) -> str:
    """The triage answer's bucket for a category: A, B, C or other."""
    return category if category in UK_CATEGORIES else "other"


def most_severe(categories) -> str:
    """Of several categories, the most severe (A before B before C before any other class)."""
    return min(categories, key=lambda name: (SEVERITY.get(name, 3), name))
