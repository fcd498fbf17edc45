"""The audit trail is hash-chained: any altered or removed event is found and named."""

import itertools

import pytest
from django.core.management import call_command
from django.db import DatabaseError, connection, transaction

from tests.conftest import AS_OF, SYSTEM, referral_data, store
from vigil.audit.choices import AuditAction
from vigil.audit.context import origin
from vigil.audit.maintenance import unlocked
from vigil.audit.models import AuditEvent
from vigil.audit.services import GENESIS_HASH, ChainCheck, record, seal_pending, verify_chain

pytestmark = pytest.mark.django_db


@pytest.fixture
def trail(forces):
    """Three referrals' events, sealed into the chain as the worker would."""
    for n in range(3):
        store(referral_data(source_reference=f"NCA-{n}"))
    assert seal_pending() == AuditEvent.objects.count()
    return list(AuditEvent.objects.order_by("chain_position"))


def test_each_event_carries_the_hash_of_the_one_before(trail):
    assert trail[0].previous_hash == GENESIS_HASH
    for before, after in itertools.pairwise(trail):
        assert after.previous_hash == before.hash
    assert verify_chain().ok


def test_an_altered_event_is_found_and_named(trail):
    target = trail[-2]
    with unlocked(connection):  # behind the application's (and the database's) back
        AuditEvent.objects.filter(pk=target.pk).update(actor_name="someone else")
    result = verify_chain()
    assert (result.ok, result.broken_event_id) == (False, target.pk)
    assert "altered" in result.problem


def test_a_removed_event_breaks_the_next_link(trail):
    with unlocked(connection):
        AuditEvent.objects.filter(pk=trail[1].pk).delete()
    result = verify_chain()
    assert (result.ok, result.broken_event_id) == (False, trail[2].pk)


def test_removing_the_newest_events_is_found_too(trail):
    with unlocked(connection):
        AuditEvent.objects.filter(pk=trail[-1].pk).delete()
    result = verify_chain()
    assert not result.ok
    assert "removed from the end" in result.problem


def test_the_verify_command_names_the_broken_event(trail, capsys):
    call_command("audit", "verify")
    assert f"intact: {len(trail)} events" in capsys.readouterr().out
    with unlocked(connection):
        AuditEvent.objects.filter(pk=trail[0].pk).update(after={"source_reference": "forged"})
    with pytest.raises(SystemExit) as exited:
        call_command("audit", "verify")
    assert exited.value.code == 1
    assert f"broken at event {trail[0].pk}" in capsys.readouterr().err


def test_an_event_rolled_back_with_its_change_leaves_the_chain_whole(trail):
    with pytest.raises(RuntimeError), transaction.atomic():
        record(
            SYSTEM, AuditAction.FORCE_ADDED, object_type="accounts.force", object_id="ZZ", at=AS_OF
        )
        raise RuntimeError("the change failed")
    assert seal_pending() == 0
    assert verify_chain().ok
    record(SYSTEM, AuditAction.FORCE_ADDED, object_type="accounts.force", object_id="ZZ", at=AS_OF)
    assert seal_pending() == 1
    assert verify_chain() == ChainCheck(True, len(trail) + 1)


def test_events_record_where_the_action_came_from(forces):
    with origin("cli", source_address="analyst@workstation", request_id="req-1"):
        event = record(
            SYSTEM, AuditAction.FORCE_ADDED, object_type="accounts.force", object_id="ZZ"
        )
    assert (event.channel, event.source_address, event.request_id) == (
        "cli",
        "analyst@workstation",
        "req-1",
    )


def test_sign_in_and_failed_sign_in_are_audited(client, officer):
    client.post("/accounts/login/", {"username": officer.username, "password": "wrong"})
    failed = AuditEvent.objects.get(action="login.failed")
    assert officer.username in failed.detail
    assert "wrong" not in failed.detail
    client.post(
        "/accounts/login/",
        {"username": officer.username, "password": "correct horse battery staple"},
    )
    assert AuditEvent.objects.filter(action="login", actor=officer).exists()


def test_a_missing_chain_head_with_events_is_tampering(trail):
    from vigil.audit.models import AuditChainHead
    from vigil.audit.services import AuditChainBroken

    AuditChainHead.objects.all().delete()
    assert not verify_chain().ok
    # Recording never depends on the chain; sealing onto a chain without its head does.
    record(SYSTEM, AuditAction.FORCE_ADDED, object_type="accounts.force", object_id="ZZ")
    with pytest.raises(AuditChainBroken):
        seal_pending()
    assert AuditEvent.objects.filter(hash__isnull=True).count() == 1


def test_the_database_refuses_to_change_or_remove_an_audit_event(trail):
    with pytest.raises(DatabaseError, match="append-only"), transaction.atomic():
        AuditEvent.objects.filter(pk=trail[0].pk).update(actor_name="someone else")
    with pytest.raises(DatabaseError, match="append-only"), transaction.atomic():
        AuditEvent.objects.filter(pk=trail[0].pk).delete()
    with (
        pytest.raises(DatabaseError, match="append-only"),
        transaction.atomic(),
        connection.cursor() as cursor,
    ):
        cursor.execute("UPDATE audit_auditevent SET detail = 'x'")
    assert verify_chain().ok


def test_verify_passes_on_a_demo_database_and_names_an_altered_event(db, capsys):
    from django.core.management import call_command

    call_command("demo", "--referrals", "12", stdout=__import__("io").StringIO())
    call_command("audit", "verify")
    assert "The audit trail is intact" in capsys.readouterr().out
    victim = AuditEvent.objects.filter(action="referral.imported").order_by("id")[3]
    with unlocked(connection):
        AuditEvent.objects.filter(pk=victim.pk).update(detail="edited later")
    with pytest.raises(SystemExit):
        call_command("audit", "verify")
    assert f"broken at event {victim.pk}" in capsys.readouterr().err


def test_an_auditor_sees_who_looked_at_a_referral_and_what_a_user_looked_at(
    client, make_user, forces
):
    referral, _ = store(referral_data())
    nosy = make_user("investigator", "XF")
    client.force_login(nosy)
    client.get(f"/referrals/{referral.pk}/")
    client.get(f"/api/v1/referrals/{referral.pk}")
    client.force_login(make_user("auditor", "XF"))
    by_referral = client.get("/audit/", {"referral": "NCA-2020-0001", "action": "referral.viewed"})
    assert b"2 events" in by_referral.content and b"investigator-xf" in by_referral.content
    by_user = client.get("/api/v1/audit/events", {"username": "investigator-xf"}).json()
    assert {e["action"] for e in by_user["events"]} == {"login", "referral.viewed"}
    looked_at = [e["referral_id"] for e in by_user["events"] if e["action"] == "referral.viewed"]
    assert looked_at == [referral.pk, referral.pk]
    assert AuditEvent.objects.filter(action="audit.searched").count() == 2


def test_only_auditors_search_the_trail(client, make_user, forces):
    client.force_login(make_user("supervisor", "XF"))
    assert client.get("/audit/").status_code == 403
    assert client.get("/api/v1/audit/events").status_code == 403
