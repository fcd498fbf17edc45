"""Review dates by seriousness; deleting personal data at review, on approval, audited."""

from datetime import timedelta

import pytest
from dateutil.relativedelta import relativedelta
from django.core.exceptions import PermissionDenied
from django.core.management import call_command

from tests.conftest import london, low_risk, store
from vigil.audit.models import AuditEvent
from vigil.investigations import retention
from vigil.investigations.services import close
from vigil.people.models import Person
from vigil.referrals.changes import RecordError
from vigil.referrals.models import Referral

pytestmark = pytest.mark.django_db
RECEIVED = london(2016, 3, 1, 9, 0)


@pytest.fixture
def closed(make_user, forces):
    referral, _ = store(low_risk(RECEIVED), as_of=RECEIVED)
    close(
        make_user("investigator", "XF"),
        referral,
        outcome="18",
        rationale="No suspect could be identified.",
        as_of=RECEIVED + timedelta(days=30),
    )
    return Referral.objects.get(pk=referral.pk)


def test_the_review_date_follows_the_outcomes_group(closed):
    # Outcome 18 (no suspect identified) is Group 3: reviewed six years after closure.
    assert closed.review_at == RECEIVED + timedelta(days=30) + relativedelta(years=6)
    assert retention.retention_group("1")["review_years"] == 10


def test_the_report_lists_what_is_past_review(closed, make_user):
    head = make_user("unit_head", "XF")
    assert retention.report(head, as_of=closed.review_at - timedelta(days=1)) == []
    [row] = retention.report(head, as_of=closed.review_at + timedelta(days=1))
    assert (row["source_reference"], row["group"]) == ("NCA-2020-0001", "Group 3")


def test_deletion_needs_the_review_date_and_the_authority(closed, make_user):
    with pytest.raises(RecordError, match="not yet"):
        retention.delete_personal_data(
            make_user("unit_head", "XF"),
            closed,
            reason="Reviewed; nothing to keep.",
            as_of=closed.review_at - timedelta(days=1),
        )
    with pytest.raises(PermissionDenied):
        retention.delete_personal_data(
            make_user("supervisor", "XF"),
            closed,
            reason="Reviewed; nothing to keep.",
            as_of=closed.review_at + timedelta(days=1),
        )


def test_deletion_removes_personal_data_keeps_the_figures_and_the_audit_record(closed, make_user):
    head = make_user("unit_head", "XF")
    retention.delete_personal_data(
        head,
        closed,
        reason="Review: no further policing purpose.",
        as_of=closed.review_at + timedelta(days=1),
    )
    referral = Referral.objects.get(pk=closed.pk)
    assert not Person.objects.filter(referral=referral).exists()
    assert not referral.documents.exists()
    assert referral.summary == "" and referral.personal_data_deleted_at
    assert (referral.grade, referral.status, referral.outcome.code) == ("low", "closed", "18")
    assert referral.clocks.exists()
    event = AuditEvent.objects.get(action="referral.personal_data_deleted")
    assert event.after["approved_by"] == head.username and event.after["people"] == 1
    # The trail before the deletion is still whole.
    from vigil.audit.services import seal_pending, verify_chain

    seal_pending()
    assert verify_chain().ok
    assert verify_chain().events_checked == AuditEvent.objects.count()


def test_the_command_line_reports_and_deletes_on_a_named_approval(closed, make_user, capsys):
    head = make_user("unit_head", "XF")
    after = (closed.review_at + timedelta(days=1)).date().isoformat()
    call_command("retention", "report", "--as-of", after)
    assert "1 referral(s) past review" in capsys.readouterr().out
    call_command(
        "retention",
        "delete",
        str(closed.pk),
        "--approved-by",
        head.username,
        "--reason",
        "Review: no further policing purpose.",
        "--as-of",
        after,
    )
    assert Referral.objects.get(pk=closed.pk).personal_data_deleted_at
