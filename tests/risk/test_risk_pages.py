"""The risk panel on the referral page, its forms, assurance and quality checks."""

from datetime import timedelta

import pytest
from django.urls import reverse
from django.utils import timezone

from tests.conftest import referral_data, store
from vigil.risk.models import Override, QualityCheck

pytestmark = pytest.mark.django_db


def low_risk() -> dict:
    return referral_data(
        received_at=(timezone.now() - timedelta(days=2)).isoformat(),
        subjects=[
            {
                "ref": "s1",
                "role": "suspect",
                "first_name": "Sam",
                "last_name": "Suspect",
                "date_of_birth": "1980-04-02",
                "works_with_children": False,
                "history_established": True,
                "household_established": True,
                "access_established": True,
            }
        ],
        access=[],
        indicators=[],
        material=[],
        incident={"type": "csam_possession", "escalated": False},
    )


@pytest.fixture
def referral(forces):
    return store(low_risk(), as_of=timezone.now())[0]


def page_of(client, referral) -> str:
    return client.get(reverse("site:referral-detail", args=[referral.pk])).content.decode()


def test_the_referral_page_explains_the_grade(client, make_user, referral):
    client.force_login(make_user("assessor"))
    text = page_of(client, referral)
    assert 'data-testid="risk-grade"' in text
    # A low grade says why it is low, from the answers that kept every higher rule from firing.
    assert (
        "Low: the source has not escalated it as an immediate risk to a child; no child is known "
        "to be in the suspect" in text
    )
    assert "Policy vigil-default/5, step D6" in text
    assert "Every question and its answer" in text


def test_recording_a_household_child_from_the_page_re_grades(client, make_user, referral):
    client.force_login(make_user("assessor"))
    response = client.post(
        reverse("people:household-members", args=[referral.pk]),
        {"first_name": "Kit", "age": "7", "source": "household visit", "learned_at": ""},
        follow=True,
    )
    text = response.content.decode()
    assert "Household member recorded; the referral has been re-graded." in text
    assert "High: lives with a child aged 7 (household visit," in text
    assert "Lives with anyone under 18: no → yes" in text


def test_a_form_without_a_source_is_not_recorded(client, make_user, referral):
    client.force_login(make_user("assessor"))
    response = client.post(
        reverse("people:history", args=[referral.pk]),
        {"type": "violence", "source": ""},
        follow=True,
    )
    assert "Not recorded: source: field required" in response.content.decode()


def test_the_override_and_approval_forms(client, make_user, referral):
    client.force_login(make_user("assessor"))
    client.post(
        reverse("risk:overrides", args=[referral.pk]),
        {"grade": "high", "reason": "Intelligence of contact with children."},
    )
    referral.refresh_from_db()
    assert referral.grade == "high"
    client.post(
        reverse("risk:overrides", args=[referral.pk]),
        {"grade": "medium", "reason": "The intelligence was about someone else."},
    )
    text = page_of(client, referral)
    assert 'data-testid="pending-override"' in text
    assert "Approve" not in text  # an assessor cannot approve
    client.force_login(make_user("supervisor"))
    assert "Approve" in page_of(client, referral)
    pending = Override.objects.get(status="pending")
    client.post(
        reverse("risk:override-decision", args=[referral.pk]),
        {"item": pending.pk, "approve": "true", "reason": ""},
    )
    referral.refresh_from_db()
    assert referral.grade == "medium"


def test_the_assurance_page_counts_by_assessor(client, make_user, referral):
    client.force_login(make_user("assessor"))
    client.post(
        reverse("risk:overrides", args=[referral.pk]),
        {"grade": "high", "reason": "Intelligence of contact with children."},
    )
    assert client.get(reverse("risk:assurance")).status_code == 403
    client.force_login(make_user("supervisor"))
    text = client.get(reverse("risk:assurance")).content.decode()
    assert 'data-testid="assurance-assessor"' in text and "assessor-xf" in text


def test_quality_checks_are_drawn_and_recorded_by_another_person(client, make_user, referral):
    assessor = make_user("assessor")
    client.force_login(assessor)
    client.post(
        reverse("people:household-members", args=[referral.pk]),
        {"age": "7", "source": "household visit"},
    )
    client.force_login(make_user("supervisor"))
    client.post(reverse("risk:quality-checks"), {"draw": "1"})
    check = QualityCheck.objects.get()
    assert check.assessor == assessor
    client.post(
        reverse("risk:quality-checks"), {"check": check.pk, "outcome": "agree", "notes": "Sound."}
    )
    check.refresh_from_db()
    assert (check.outcome, check.checked_by.username) == ("agree", "supervisor-xf")
