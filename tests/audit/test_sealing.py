"""Recording takes no lock; the chain is sealed in batches, in the order of sealing, and the
database lets an event change only once: when it is sealed."""

import hashlib
import io
import json
import threading
from datetime import UTC, timedelta

import pytest
from django.core.management import call_command
from django.db import DatabaseError, connection, transaction
from django.db.migrations.executor import MigrationExecutor

from tests.conftest import AS_OF, SYSTEM, referral_data, store
from vigil.audit.choices import AuditAction
from vigil.audit.maintenance import unlocked
from vigil.audit.models import AuditChainHead, AuditEvent
from vigil.audit.services import GENESIS_HASH, ChainCheck, record, seal_pending, verify_chain

pytestmark = pytest.mark.django_db

SEAL = ("previous_hash", "hash", "chain_position")

on_postgresql = pytest.mark.skipif(
    connection.vendor != "postgresql",
    reason="SQLite has one writer at a time: two transactions are never open for writing at "
    "once, so one can neither wait behind the other's audit event nor commit after it",
)


def force_added(code: str = "ZZ", **changes) -> AuditEvent:
    return record(
        SYSTEM,
        AuditAction.FORCE_ADDED,
        object_type="accounts.force",
        object_id=code,
        at=AS_OF,
        **changes,
    )


def in_chain_order() -> list[AuditEvent]:
    return list(AuditEvent.objects.filter(hash__isnull=False).order_by("chain_position"))


def assert_one_unbroken_chain(events: list[AuditEvent]) -> None:
    positions = [event.chain_position for event in events]
    assert positions == list(range(positions[0], positions[0] + len(events))), positions
    previous = GENESIS_HASH
    for event in events:
        assert event.previous_hash == previous, event.pk
        previous = event.hash


def in_a_thread(work, *, timeout: float = 30) -> dict:
    """Run ``work`` on its own database connection; the outcome, or what it raised."""
    outcome = {}

    def run():
        try:
            outcome["result"] = work()
        except Exception as error:  # the thread's failure, reported to the test
            outcome["error"] = error
        finally:
            connection.close()

    thread = threading.Thread(target=run)
    thread.start()
    thread.join(timeout=timeout)
    assert not thread.is_alive(), "the other writer is still waiting"
    return outcome


# Recording


def test_a_recorded_event_awaits_its_seal_and_is_counted_not_broken(forces):
    event = force_added()
    event.refresh_from_db()
    assert (event.previous_hash, event.hash, event.chain_position) == (None, None, None)
    assert verify_chain() == ChainCheck(True, 0, awaiting_seal=1)
    assert seal_pending() == 1
    event.refresh_from_db()
    assert (event.previous_hash, event.chain_position) == (GENESIS_HASH, 1)
    assert verify_chain() == ChainCheck(True, 1, awaiting_seal=0)


@on_postgresql
@pytest.mark.django_db(transaction=True)
@pytest.mark.parametrize("holding", ["its own event", "the chain head, sealing"])
def test_recording_takes_no_lock_shared_with_other_writers(holding):
    seal_pending()  # the chain head exists, as in use

    def record_and_commit():
        with transaction.atomic():
            with connection.cursor() as cursor:
                cursor.execute("SET LOCAL lock_timeout = '3s'")
            force_added("YY")
        return "committed"

    with transaction.atomic():
        if holding == "its own event":
            force_added("XX")
        else:
            AuditChainHead.objects.select_for_update().get(pk=1)
        # Still open: an audit write that queued behind this one would time out.
        outcome = in_a_thread(record_and_commit)
    assert outcome == {"result": "committed"}


# Sealing


def test_sealing_chains_events_in_the_order_they_are_sealed_and_is_idempotent(forces):
    first = force_added("AA")
    assert seal_pending() == 1
    later = [force_added("BB"), force_added("CC", referral_version=4)]
    assert seal_pending() == 2
    assert seal_pending() == 0
    chain = in_chain_order()
    assert [event.pk for event in chain] == [first.pk, *(event.pk for event in later)]
    assert_one_unbroken_chain(chain)
    head = AuditChainHead.objects.get(pk=1)
    assert (head.count, head.last_hash, head.last_position) == (3, chain[-1].hash, 3)
    assert verify_chain() == ChainCheck(True, 3)


def test_a_seal_is_limited_to_the_oldest_pending_events(forces):
    events = [force_added(f"F{n}") for n in range(5)]
    assert seal_pending(limit=2) == 2
    assert [event.pk for event in in_chain_order()] == [event.pk for event in events[:2]]
    assert verify_chain() == ChainCheck(True, 2, awaiting_seal=3)
    assert seal_pending() == 3
    assert verify_chain() == ChainCheck(True, 5)


@on_postgresql
@pytest.mark.django_db(transaction=True)
def test_an_event_committed_late_is_sealed_in_the_next_batch():
    recorded, go = threading.Event(), threading.Event()
    late = {}

    def record_then_commit_late():
        try:
            with transaction.atomic():
                late["event"] = force_added("LATE")
                recorded.set()
                go.wait(timeout=20)
            late["committed"] = True
        finally:
            connection.close()

    writer = threading.Thread(target=record_then_commit_late)
    writer.start()
    assert recorded.wait(timeout=20)
    early = force_added("EARLY")  # a higher id, committed first
    assert early.pk > late["event"].pk
    assert seal_pending() == 1  # nothing waits for the open transaction
    go.set()
    writer.join(timeout=20)
    assert late.get("committed")
    assert seal_pending() == 1
    assert [event.pk for event in in_chain_order()] == [early.pk, late["event"].pk]
    assert_one_unbroken_chain(in_chain_order())
    assert verify_chain() == ChainCheck(True, 2)


@pytest.mark.django_db(transaction=True)
def test_sealers_running_at_once_never_share_a_position_or_break_the_chain():
    for n in range(120):
        force_added(f"P{n}")
    start = threading.Barrier(5)
    sealed, errors = [], []

    def seal_until_done():
        try:
            start.wait(timeout=20)
            while count := seal_pending(limit=7):
                sealed.append(count)
        except Exception as error:  # the thread's failure, reported to the test
            errors.append(error)
        finally:
            connection.close()

    def record_meanwhile():
        try:
            start.wait(timeout=20)
            for n in range(40):
                force_added(f"M{n}")
        except Exception as error:  # the thread's failure, reported to the test
            errors.append(error)
        finally:
            connection.close()

    threads = [threading.Thread(target=seal_until_done) for _ in range(4)]
    threads.append(threading.Thread(target=record_meanwhile))
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(timeout=60)
    assert errors == []
    sealed.append(seal_pending())  # whatever the recorder added after the sealers finished
    assert sum(sealed) == AuditEvent.objects.count() == 160
    assert_one_unbroken_chain(in_chain_order())
    assert verify_chain() == ChainCheck(True, 160)


def test_the_worker_seals_each_minute(forces):
    store(referral_data())
    assert AuditEvent.objects.filter(hash__isnull=True).exists()
    out = io.StringIO()
    call_command("worker", "--once", stdout=out)
    assert "audit events sealed" in out.getvalue()
    assert not AuditEvent.objects.filter(hash__isnull=True).exists()
    assert verify_chain().ok


# Verifying


@pytest.fixture
def sealed(forces):
    for n in range(4):
        force_added(f"S{n}")
    seal_pending()
    return in_chain_order()


def test_verify_names_the_first_altered_sealed_event_in_chain_order(sealed):
    with unlocked(connection):
        for event in (sealed[2], sealed[1]):
            AuditEvent.objects.filter(pk=event.pk).update(object_id="forged")
    assert verify_chain() == ChainCheck(False, 1, sealed[1].pk, "its content has been altered")


def test_verify_names_a_forged_link(sealed):
    with unlocked(connection):
        AuditEvent.objects.filter(pk=sealed[2].pk).update(previous_hash=sealed[0].hash)
    result = verify_chain()
    assert (result.ok, result.broken_event_id) == (False, sealed[2].pk)
    assert "link" in result.problem


def test_verify_finds_events_removed_from_the_end(sealed):
    with unlocked(connection):
        AuditEvent.objects.filter(pk=sealed[-1].pk).delete()
    force_added("NEW")  # awaiting its seal: not a break, and no cover for the removal
    result = verify_chain()
    assert (result.ok, result.awaiting_seal) == (False, 1)
    assert "removed from the end" in result.problem


def test_unsealed_events_are_counted_not_reported_broken(sealed):
    force_added("A")
    force_added("B")
    assert verify_chain() == ChainCheck(True, len(sealed), awaiting_seal=2)


def test_the_referral_version_is_sealed_into_the_chain(forces):
    event = force_added(referral_version=7)
    seal_pending()
    assert verify_chain().ok
    with unlocked(connection):
        AuditEvent.objects.filter(pk=event.pk).update(referral_version=8)
    assert verify_chain() == ChainCheck(False, 0, event.pk, "its content has been altered")


# What the database refuses


def refused():
    return pytest.raises(DatabaseError, match="append-only")


def a_seal(position: int = 999) -> dict:
    return {"previous_hash": GENESIS_HASH, "hash": f"{position:064x}", "chain_position": position}


def test_the_database_refuses_to_reseal_unseal_or_delete_a_sealed_event(sealed):
    target = sealed[1]
    with refused(), transaction.atomic():
        AuditEvent.objects.filter(pk=target.pk).update(**a_seal())
    with refused(), transaction.atomic():
        AuditEvent.objects.filter(pk=target.pk).update(hash=None)
    with refused(), transaction.atomic():
        AuditEvent.objects.filter(pk=target.pk).delete()
    assert verify_chain().ok


def test_the_database_refuses_to_change_or_remove_an_unsealed_event(forces):
    event = force_added()
    with refused(), transaction.atomic():
        AuditEvent.objects.filter(pk=event.pk).update(detail="edited before its seal")
    with refused(), transaction.atomic():
        AuditEvent.objects.filter(pk=event.pk).update(hash="f" * 64)  # half a seal
    with refused(), transaction.atomic():
        AuditEvent.objects.filter(pk=event.pk).delete()
    with refused(), transaction.atomic(), connection.cursor() as cursor:
        cursor.execute("DELETE FROM audit_auditevent")
    if connection.vendor == "postgresql":
        with refused(), transaction.atomic(), connection.cursor() as cursor:
            # Run the deferred foreign-key checks first, or they refuse the TRUNCATE before the
            # trigger is reached.
            cursor.execute("SET CONSTRAINTS ALL IMMEDIATE")
            cursor.execute("TRUNCATE audit_auditevent")
    assert seal_pending() == 1
    assert verify_chain() == ChainCheck(True, 1)


def _another_value(field, event: AuditEvent, officer):
    current = getattr(event, field.attname)
    if field.is_relation:
        return officer.pk
    if field.get_internal_type() == "DateTimeField":
        return current + timedelta(seconds=1)
    if field.get_internal_type() == "JSONField":
        return {"changed": True}
    if isinstance(current, int) or field.get_internal_type().endswith("IntegerField"):
        return (current or 0) + 100_000
    return (current + "x")[-field.max_length :]


def test_a_seal_that_changes_any_other_column_is_refused(forces, officer):
    # Enumerated from the model, so a column added later is covered too (on SQLite the trigger
    # names its columns: a new one must be added there).
    event = force_added(referral_version=1)
    others = [field for field in AuditEvent._meta.concrete_fields if field.attname not in SEAL]
    assert len(others) >= 16
    for field in others:
        change = {field.attname: _another_value(field, event, officer)}
        with refused(), transaction.atomic():
            AuditEvent.objects.filter(pk=event.pk).update(**a_seal(), **change)
    # The seal alone is allowed, once.
    AuditEvent.objects.filter(pk=event.pk).update(**a_seal())
    with refused(), transaction.atomic():
        AuditEvent.objects.filter(pk=event.pk).update(**a_seal(1000))


# The commands


def test_the_seal_and_verify_commands(forces, capsys):
    for n in range(3):
        force_added(f"C{n}")
    call_command("audit", "seal")
    assert capsys.readouterr().out == "Sealed 3 audit events.\n"
    call_command("audit", "seal")
    assert capsys.readouterr().out == "Sealed 0 audit events.\n"
    force_added("C3")
    call_command("audit", "verify")  # seals what is pending first
    assert capsys.readouterr().out == "The audit trail is intact: 4 events.\n"
    assert not AuditEvent.objects.filter(hash__isnull=True).exists()


def test_the_verify_command_still_reports_a_missing_chain_head(sealed, capsys):
    AuditChainHead.objects.all().delete()
    force_added("AFTER")
    with pytest.raises(SystemExit) as exited:
        call_command("audit", "verify")
    assert exited.value.code == 1
    assert "head record has been removed" in capsys.readouterr().err


# Events chained before sealing in batches


def _hash_as_chained_under_the_global_lock(fields: dict) -> str:
    """The hash as Vigil computed it under the global lock, before referral_version existed."""
    names = (
        "at",
        "actor_name",
        "action",
        "object_type",
        "object_id",
        "force_code",
        "referral_id",
        "request_id",
        "source_address",
        "channel",
        "before",
        "after",
        "detail",
        "previous_hash",
    )
    material = {name: fields[name] for name in names}
    material["at"] = fields["at"].astimezone(UTC).isoformat()
    encoded = json.dumps(material, sort_keys=True, separators=(",", ":"), ensure_ascii=False)
    return hashlib.sha256(encoded.encode("utf-8")).hexdigest()


BEFORE_SEALING = [("audit", "0005_events_name_their_referral")]


@pytest.mark.django_db(transaction=True)
def test_events_chained_before_sealing_in_batches_keep_verifying():
    with unlocked(connection):
        AuditEvent.objects.all().delete()  # undoing the migrations needs every event sealed
    executor = MigrationExecutor(connection)
    latest = executor.loader.graph.leaf_nodes()
    try:
        executor.migrate(BEFORE_SEALING)
        old = MigrationExecutor(connection).loader.project_state(BEFORE_SEALING).apps
        OldEvent = old.get_model("audit", "AuditEvent")
        OldHead = old.get_model("audit", "AuditChainHead")
        previous = GENESIS_HASH
        for n in range(4):
            fields = {
                "at": AS_OF + timedelta(minutes=n),
                "actor_name": "test",
                "action": "force.added",
                "object_type": "accounts.force",
                "object_id": f"O{n}",
                "force_code": "",
                "referral_id": None,
                "request_id": f"req-{n}",
                "source_address": "",
                "channel": "cli",
                "before": None,
                "after": {"name": f"Old force {n}", "n": n},
                "detail": "",
                "previous_hash": previous,
            }
            previous = _hash_as_chained_under_the_global_lock(fields)
            OldEvent.objects.create(hash=previous, **fields)
        OldHead.objects.update_or_create(pk=1, defaults={"last_hash": previous, "count": 4})
    finally:
        MigrationExecutor(connection).migrate(latest)
    old_events = list(AuditEvent.objects.order_by("id"))
    assert [event.chain_position for event in old_events] == [event.pk for event in old_events]
    assert verify_chain() == ChainCheck(True, 4)
    # Sealing goes on from where the old chain ended, and the triggers are back in place.
    force_added("NEW")
    assert seal_pending() == 1
    newest = in_chain_order()[-1]
    assert (newest.previous_hash, newest.chain_position) == (previous, old_events[-1].pk + 1)
    assert verify_chain() == ChainCheck(True, 5)
    with refused(), transaction.atomic():
        AuditEvent.objects.filter(pk=old_events[0].pk).update(chain_position=None)
    with refused(), transaction.atomic():
        AuditEvent.objects.filter(pk=newest.pk).update(detail="edited")
