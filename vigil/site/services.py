"""The referral as one whole: every part's record of it, for the page, the API and the CLI."""

from datetime import datetime

from vigil.accounts.actors import Actor
from vigil.clocks import services as clocks_services
from vigil.intake.requests import requests_detail
from vigil.investigations.services import investigation_detail, timeline
from vigil.people import services as people_services
from vigil.referrals.models import Referral
from vigil.risk import services as risk_services


def referral_detail(referral: Referral, viewer: Actor, *, as_of: datetime) -> dict:
    """Everything held on a referral as plain data (the API, ``vigil referral show --json``)."""
    people = people_services.people_detail(referral, as_of=as_of)
    investigation = investigation_detail(referral, as_of=as_of, viewer=viewer)
    investigation["timeline"] = timeline(investigation, risk_services.risk_history(referral))
    return {
        "id": referral.pk,
        "source": referral.source,
        "source_reference": referral.source_reference,
        "received_at": referral.received_at.isoformat(),
        "force": referral.force.code,
        "status": referral.status,
        "summary": referral.summary,
        "incident": {
            "type": referral.incident_type,
            "type_as_given": referral.incident_type_text,
            "occurred_at": (
                referral.incident_occurred_at.isoformat() if referral.incident_occurred_at else None
            ),
            "platform": referral.platform,
            "escalated": referral.escalated,
            "escalation_reason": referral.escalation_reason,
            "annotations": referral.annotations,
            "details": referral.incident_details,
        },
        "indicators": referral.indicators,
        "source_details": referral.source_details,
        "material": [
            {
                "kind": item.kind,
                "count": item.count,
                "category": item.category or None,
                "industry_classification": item.industry_classification or None,
                "md5": item.md5 or None,
                "sha1": item.sha1 or None,
                "pdq": item.pdq or None,
                "photodna": item.photodna or None,
                "annotations": item.annotations,
                "file_name": item.file_name,
                "file_id": item.file_id,
                "details": item.details,
            }
            for item in referral.material.all()
        ],
        "subjects": people,
        "access": people_services.access_detail(referral),
        "linked_referrals": people_services.linked_referrals(referral, viewer),
        "documents": [
            {
                "name": name,
                "media_type": media_type,
                "size": size,
                "sha256": sha256,
                "supplementary": supplementary,
                "received_at": received_at.isoformat() if received_at else None,
            }
            for name, media_type, size, sha256, supplementary, received_at in (
                referral.documents.values_list(
                    "name", "media_type", "size", "sha256", "supplementary", "received_at"
                )
            )
        ],
        "research": people_services.research_detail(referral),
        "intake_warnings": referral.intake_warnings,
        "words_unknown": sum(1 for w in referral.intake_warnings if not w.get("resolved_to")),
        "unmapped": referral.unmapped,
        "risk": risk_services.risk_summary(referral, as_of=as_of),
        "clocks": clocks_services.referral_clocks(referral, as_of=as_of),
        "data_requests": requests_detail(referral, as_of=as_of),
        **investigation,
        "imported_at": referral.imported_at.isoformat(),
        "imported_by": referral.imported_by_name,
    }
