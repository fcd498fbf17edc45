"""`vigil record` serves every recording from its one declaration, as the page and API do."""

import json

import pytest
from django.core.management import CommandError, call_command

from tests.conftest import referral_data, store
from vigil.referrals.models import Referral

pytestmark = pytest.mark.django_db


def test_an_action_is_recorded_with_the_apis_answer(forces, capsys):
    referral, _ = store(referral_data(source_reference="NCA-CLI-1"))
    call_command("record", "actions", "NCA-CLI-1", "--kind", "search", "--json")
    answer = json.loads(capsys.readouterr().out)
    assert answer["referral_id"] == referral.pk
    assert answer["recorded"]["kind"] == "search"
    assert answer["version"] == Referral.objects.get(pk=referral.pk).version == referral.version + 1


def test_a_record_completing_another_takes_its_id(forces, capsys):
    referral, _ = store(referral_data(source_reference="NCA-CLI-2"))
    call_command("record", "strategy-discussions", "NCA-CLI-2")
    discussion = referral.strategy_discussions.get()
    call_command(
        "record",
        "strategy-held",
        str(discussion.pk),
        "--held-at",
        discussion.requested_at.isoformat(),
        "--police",
        "DS Example",
        "--social-care",
        "SW Example",
        "--decisions",
        "Section 47 enquiries",
    )
    discussion.refresh_from_db()
    assert discussion.held_at is not None
    assert [a["agency"] for a in discussion.attendees] == ["police", "social care"]


def test_a_refusal_is_an_error_that_says_why(forces):
    store(referral_data(source_reference="NCA-CLI-3"))
    with pytest.raises(CommandError, match="kind: input should be 'warrant_applied'"):
        call_command("record", "actions", "NCA-CLI-3", "--kind", "teleport")
    with pytest.raises(CommandError, match="No referral found"):
        call_command("record", "actions", "NCA-NOT-HELD", "--kind", "search")
