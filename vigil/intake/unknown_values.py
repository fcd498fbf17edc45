"""Words a document used that Vigil did not know: counted as they arrive, listed for an
administrator, and once an administrator says what one means, read so in every referral that
used it (and in every document that uses it from then on).

A referral is never refused for such a word: it is stored with the word kept as written and
read as ``other`` meanwhile, and graded provisional where the grade reads that field (risk
policy question V1), so the word's meaning is settled before anyone relies on the grade.
"""

from dataclasses import dataclass
from datetime import datetime

from django.db import transaction
from django.db.models import F
from django.http import Http404
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy

from vigil.accounts.actors import Actor
from vigil.audit.choices import AuditAction
from vigil.audit.services import record
from vigil.core.actors import SystemActor, actor_name
from vigil.core.permissions import require
from vigil.core.roles import Action
from vigil.people import services as people_services
from vigil.people.choices import (
    AccessKind,
    AddressKind,
    HistoryOutcome,
    HistoryType,
    IdentifierKind,
    PersonRole,
)
from vigil.referrals.changes import Conflict, RecordError, changing
from vigil.referrals.choices import (
    ImageCategory,
    IncidentType,
    Indicator,
    IndustryClassification,
    MaterialKind,
    Source,
)
from vigil.referrals.drafts import IntakeWarning
from vigil.referrals.models import Material, Referral

from .models import UnknownValue
from .native_json import VOCABULARIES, vocabulary

# The material fields as the administrator sees them, and as the material row holds them.
_MATERIAL_FIELDS = {
    "material_category": "category",
    "industry_classification": "industry_classification",
    "material_kind": "kind",
}
# A word's mapping changes a referral's facts, recorded as the mapping.
_MAPPING = {"permission": Action.FACTS_RECORD, "audit": AuditAction.UNKNOWN_VALUE_MAPPED}
FIELDS = tuple(dict.fromkeys(field for field, _ in VOCABULARIES.values()))
# Each field as the administrator reads it, and the vocabulary whose labels name its words.
_FIELD_LABELS = {
    "source": gettext_lazy("Source"),
    "incident_type": gettext_lazy("Incident type"),
    "indicator": gettext_lazy("Indicator"),
    "material_kind": gettext_lazy("Material kind"),
    "material_category": gettext_lazy("Material category"),
    "industry_classification": gettext_lazy("Industry classification"),
    "role": gettext_lazy("Role"),
    "identifier_type": gettext_lazy("Identifier type"),
    "address_kind": gettext_lazy("Address kind"),
    "history_type": gettext_lazy("History type"),
    "history_outcome": gettext_lazy("History outcome"),
    "access_kind": gettext_lazy("Access kind"),
}
_FIELD_WORDS = {
    "source": Source,
    "incident_type": IncidentType,
    "indicator": Indicator,
    "material_kind": MaterialKind,
    "material_category": ImageCategory,
    "industry_classification": IndustryClassification,
    "role": PersonRole,
    "identifier_type": IdentifierKind,
    "address_kind": AddressKind,
    "history_type": HistoryType,
    "history_outcome": HistoryOutcome,
    "access_kind": AccessKind,
}


def field_label(field: str) -> str:
    """A field of ``FIELDS`` in the reader's language."""
    return str(_FIELD_LABELS.get(field, field.replace("_", " ").capitalize()))


def meaning_label(field: str, word: str) -> str:
    """A word Vigil knows for a field, as its vocabulary names it in the reader's language."""
    words = _FIELD_WORDS.get(field)
    if words is not None and word in words.values:
        return str(words(word).label)
    return word.replace("_", " ")


def mappings() -> dict[tuple[str, str], str]:
    """What administrators have said the words mean: (field, word) to a word Vigil knows."""
    return {
        (field, value): mapped_to
        for field, value, mapped_to in UnknownValue.objects.exclude(mapped_to="").values_list(
            "field", "value", "mapped_to"
        )
    }


def count(warnings: list[IntakeWarning], *, at: datetime) -> None:
    """Count each unknown word once more (inside the caller's transaction): a word seen for the
    first time is added, unmapped, to the administrator's list."""
    seen: dict[tuple[str, str], int] = {}
    for warning in warnings:
        if warning.field in FIELDS and warning.value:
            key = (warning.field, warning.value[:200])
            seen[key] = seen.get(key, 0) + 1
    if not seen:
        return
    # Insert-or-ignore, then count: two imports meeting the same new word never collide.
    UnknownValue.objects.bulk_create(
        [
            UnknownValue(field=field, value=value, first_seen_at=at, last_seen_at=at, times_seen=0)
            for field, value in seen
        ],
        ignore_conflicts=True,
    )
    for (field, value), times in seen.items():
        UnknownValue.objects.filter(field=field, value=value).update(
            times_seen=F("times_seen") + times, last_seen_at=at
        )


def unknown_values(actor: Actor) -> list[UnknownValue]:
    """Every word not yet mapped first, most used first; then those mapped."""
    require(actor, Action.UNKNOWN_VALUES_MAP)
    rows = list(UnknownValue.objects.all())
    return sorted(
        rows, key=lambda row: (row.mapped_to != "", -row.times_seen, row.field, row.value)
    )


def choices() -> dict[str, list[str]]:
    """For each field, the words Vigil knows (what an unknown word may be mapped to)."""
    return {field: [word for word in vocabulary(field) if word != "other"] for field in FIELDS}


@dataclass
class Mapped:
    field: str
    value: str
    mapped_to: str
    referrals: int  # held referrals now reading the word so
    closed: int  # closed referrals left as they were

    def as_dict(self) -> dict:
        return {
            "field": self.field,
            "value": self.value,
            "mapped_to": self.mapped_to,
            "referrals": self.referrals,
            "closed": self.closed,
        }


def map_unknown_value(
    actor: Actor, field: str, value: str, mapped_to: str, *, as_of: datetime
) -> Mapped:
    """Say what a word means; every open referral that used it is read so from now on, through
    the guarded path (re-graded, its people matched again), and every document from now on."""
    require(actor, Action.UNKNOWN_VALUES_MAP)
    allowed = choices().get(field)
    if allowed is None:
        raise RecordError(
            _("%(field)s is not a field Vigil reads words of: %(values)s")
            % {"field": repr(field), "values": ", ".join(FIELDS)}
        )
    if mapped_to not in allowed:
        raise RecordError(
            _("%(field)s may be mapped to one of: %(values)s")
            % {"field": field, "values": ", ".join(allowed)}
        )
    with transaction.atomic():
        row = UnknownValue.objects.select_for_update().filter(field=field, value=value).first()
        if row is None:
            raise RecordError(
                _("Vigil has not met the %(field)s %(value)s")
                % {"field": field, "value": repr(value)}
            )
        before = row.mapped_to
        row.mapped_to, row.mapped_by_name, row.mapped_at = mapped_to, actor_name(actor), as_of
        row.save(update_fields=["mapped_to", "mapped_by_name", "mapped_at"])
        record(
            actor,
            AuditAction.UNKNOWN_VALUE_MAPPED,
            row,
            at=as_of,
            before={"mapped_to": before},
            after={"field": field, "value": value, "mapped_to": mapped_to},
        )
    result = Mapped(field, value, mapped_to, 0, 0)
    # The vocabulary is national, so the word is read so in every force's referrals; each is
    # changed on its own (and audited on its own) by Vigil on the administrator's word.
    system = SystemActor(name=f"{actor_name(actor)} (mapping a word)")
    for referral_id in _referrals_using(field, value):
        try:
            _read_word_as(system, referral_id, field, value, mapped_to, as_of)
            result.referrals += 1
        except Conflict:
            result.closed += 1
        except Http404:
            continue
    return result


def _referrals_using(field: str, value: str) -> list[int]:
    found = []
    rows = Referral.objects.exclude(intake_warnings=[]).values_list("pk", "intake_warnings")
    for referral_id, warnings in rows.iterator():
        if any(
            w.get("field") == field and w.get("value") == value and not w.get("resolved_to")
            for w in warnings
        ):
            found.append(referral_id)
    return found


def _read_word_as(actor, referral_id: int, field: str, value: str, meaning: str, as_of) -> None:
    with changing(actor, referral_id, as_of=as_of, **_MAPPING) as change:
        referral = change.referral
        unresolved = [w for w in referral.intake_warnings if not w.get("resolved_to")]
        changed = 0
        if field == "incident_type" and referral.incident_type_text == value:
            referral.incident_type = meaning
            changed = 1
        elif field == "indicator" and meaning not in referral.indicators:
            referral.indicators = [*referral.indicators, meaning]
            changed = 1
        elif field in _MATERIAL_FIELDS:
            column = _MATERIAL_FIELDS[field]
            changed = Material.objects.filter(
                referral=referral, **{f"details__{column}_as_written": value}
            ).update(**{column: meaning})
        else:
            access_words = {w["value"] for w in unresolved if w.get("field") == "access_kind"}
            changed = people_services.read_word_as(
                change, field, value, meaning, all_access=access_words == {value}
            )
        referral.intake_warnings = [
            {
                **w,
                "resolved_to": meaning,
                "resolved_at": as_of.isoformat(),
                "resolved_by": actor.name,
            }
            if w.get("field") == field and w.get("value") == value and not w.get("resolved_to")
            else w
            for w in referral.intake_warnings
        ]
        referral.save(update_fields=["incident_type", "indicators", "intake_warnings"])
        change.facts_changed(f"{field.replace('_', ' ')} {value!r} read as {meaning!r}")
        change.describe(
            after={"field": field, "value": value, "mapped_to": meaning, "records": changed}
        )
