"""Importing in batches stores exactly what importing one referral per transaction stores.

The same synthetic set (JSON and CyberTipline, suspects who recur across referrals, a
supplementary report, a changed CyberTipline package under a held reference, duplicates and a
referral for a force Vigil does not know) is imported one referral per transaction, then, on
the emptied database, in batches; every row of every table, the sealed audit trail with its
hashes, and the report are the same. A referral that fails while it is being stored in a batch
stores nothing, and its neighbours are stored.
"""

import json
from datetime import UTC, date, datetime

import pytest
from django.apps import apps
from django.core.management import call_command
from django.db import DatabaseError, connection
from django.test.utils import CaptureQueriesContext

from vigil.accounts.models import Force
from vigil.audit.context import origin
from vigil.audit.maintenance import lock, unlock
from vigil.audit.models import AuditEvent
from vigil.audit.services import seal_pending, verify_chain
from vigil.clocks import services as clock_services
from vigil.clocks.models import Clock
from vigil.clocks.services import clock_inputs
from vigil.core.actors import SystemActor
from vigil.intake import services
from vigil.intake.services import ImportOptions, import_paths
from vigil.intake.synth import Synthesiser, json_bytes
from vigil.people.models import Link, MatchKey, Person
from vigil.referrals.drafts import IntakeError
from vigil.referrals.models import Referral
from vigil.risk import engine
from vigil.risk import services as risk_services
from vigil.risk.derive import derive_facts, next_change
from vigil.risk.models import Assessment, RegradeDue

pytestmark = pytest.mark.django_db(transaction=True)

AS_OF = datetime(2026, 11, 2, 12, tzinfo=UTC)
ACTOR = SystemActor("bulk-test")
# Vigil's own parts (Django's content types and permissions are made again by a flush).
COMPARED = {
    "accounts",
    "audit",
    "referrals",
    "people",
    "risk",
    "clocks",
    "intake",
    "investigations",
    "safeguarding",
    "insight",
}


def _forces() -> None:
    for code in ("XF", "YF"):
        Force.objects.create(code=code, name=f"Force {code}", region="North")


@pytest.fixture
def referrals(tmp_path) -> list:
    """Paths to import: JSON files (one a batch of three), CyberTipline packages, a supplement,
    a changed package under a held reference, the same files again, and one refused."""
    out = tmp_path / "in"
    out.mkdir()
    synth = Synthesiser(7, until=date(2026, 11, 1), forces=["XF"], repeat_rate=0.5)
    made = list(synth.referrals(40))
    for data in made[:37]:
        (out / f"{data['source_reference']}.json").write_bytes(json_bytes(data))
    (out / "batch.json").write_bytes(json.dumps(made[37:]).encode())
    supplement = dict(made[3], source_reference=made[3]["source_reference"] + "-S1")
    supplement["supplements"] = made[3]["source_reference"]
    (out / "zz-supplement.json").write_bytes(json_bytes(supplement))
    orphan = dict(made[5], source_reference="ORPHAN-1", supplements="NOT-HELD-1")
    (out / "zz-orphan.json").write_bytes(json_bytes(orphan))
    packages = tmp_path / "cybertip"
    for report_id, files in synth.cybertip_packages(12):
        folder = packages / report_id
        folder.mkdir(parents=True)
        for name, content in files.items():
            (folder / name).write_bytes(content)
    changed = tmp_path / "changed" / "first"
    changed.mkdir(parents=True)
    first = sorted(packages.iterdir())[0]
    for path in first.iterdir():
        content = path.read_bytes()
        if path.name == "report.xml":
            more = b"<additionalInfo>more</additionalInfo></report>"
            content = content.replace(b"</report>", more)
        (changed / path.name).write_bytes(content)
    again = out / (made[0]["source_reference"] + ".json")
    # The same file twice in one batch, then again with its folder; the packages twice.
    return [again, again, out, packages, changed, packages]


def _import(paths, batch_size: int):
    # One command's request id, as `vigil import` sets it, so the events hash alike.
    with origin("cli", request_id="import-1"):
        report = import_paths(
            paths,
            actor=ACTOR,
            as_of=AS_OF,
            options=ImportOptions(force_code="XF", batch_size=batch_size),
        )
    seal_pending()
    return report


def _every_row() -> dict[str, list[dict]]:
    return {
        model._meta.label_lower: list(model._base_manager.order_by("pk").values())
        for model in apps.get_models()
        if model._meta.app_label in COMPARED and not model._meta.proxy
    }


def _emptied() -> None:
    """Every table emptied and its ids started again, as on a new database."""
    unlock(connection)
    call_command("flush", interactive=False, verbosity=0)
    lock(connection)
    _forces()


def test_batches_store_every_row_exactly_as_one_referral_per_transaction(referrals):
    _emptied()
    one_by_one = _import(referrals, batch_size=1)
    stored_one_by_one = _every_row()
    _emptied()
    batched = _import(referrals, batch_size=7)
    stored_batched = _every_row()

    # The set exercises what must come out the same: links across referrals, supplements,
    # duplicates, a refusal, grades.
    assert one_by_one.created == 52
    assert one_by_one.supplemented == 2
    assert one_by_one.duplicates == 14
    assert ["'NOT-HELD-1' is held" in r.error for r in one_by_one.rejected] == [True]
    assert Link.objects.count() > 5
    assert MatchKey.objects.count() > 100

    assert batched.as_dict() == one_by_one.as_dict()
    assert stored_batched.keys() == stored_one_by_one.keys()
    for table, rows in stored_one_by_one.items():
        assert stored_batched[table] == rows, table
    assert verify_chain().ok
    assert AuditEvent.objects.filter(hash__isnull=True).count() == 0


def test_a_referral_failing_while_stored_in_a_batch_stores_nothing_and_its_neighbours_are_kept(
    tmp_path, monkeypatch
):
    _forces()
    synth = Synthesiser(11, until=date(2026, 11, 1), forces=["XF"])
    made = list(synth.referrals(9))
    for data in made:
        (tmp_path / f"{data['source_reference']}.json").write_bytes(json_bytes(data))
    failing = sorted(data["source_reference"] for data in made)[4]
    real_sync = services.sync_clocks

    def sync_or_fail(referral, **options):
        # After the referral, its people, links and grades are written: only the savepoint
        # can take them back.
        if referral.source_reference == failing:
            raise IntakeError("the clocks could not be set", "$")
        return real_sync(referral, **options)

    monkeypatch.setattr(services, "sync_clocks", sync_or_fail)
    report = _import([tmp_path], batch_size=50)

    assert [r.error for r in report.rejected] == ["the clocks could not be set"]
    assert report.created == 8
    assert not Referral.objects.filter(source_reference=failing).exists()
    assert Referral.objects.count() == 8
    stored = set(Referral.objects.values_list("pk", flat=True))
    assert set(Person.objects.values_list("referral_id", flat=True)) <= stored
    assert set(Assessment.objects.values_list("referral_id", flat=True)) == stored
    assert set(MatchKey.objects.values_list("referral_id", flat=True)) <= stored
    audited = set(AuditEvent.objects.values_list("referral_id", flat=True))
    assert audited == stored
    assert verify_chain().ok


def test_an_unexpected_error_in_a_batch_keeps_the_referrals_stored_before_it(tmp_path, monkeypatch):
    """As with one transaction per referral: those before it are kept, the error is raised."""
    _forces()
    synth = Synthesiser(12, until=date(2026, 11, 1), forces=["XF"])
    made = list(synth.referrals(6))
    for data in made:
        (tmp_path / f"{data['source_reference']}.json").write_bytes(json_bytes(data))
    failing = sorted(data["source_reference"] for data in made)[3]
    real_sync = services.sync_clocks

    def sync_or_break(referral, **options):
        if referral.source_reference == failing:
            raise RuntimeError("the disk is full")
        return real_sync(referral, **options)

    monkeypatch.setattr(services, "sync_clocks", sync_or_break)
    with pytest.raises(RuntimeError, match="the disk is full"):
        _import([tmp_path], batch_size=50)
    assert (
        sorted(Referral.objects.values_list("source_reference", flat=True))
        == sorted(data["source_reference"] for data in made)[:3]
    )

    monkeypatch.setattr(services, "sync_clocks", real_sync)
    again = _import([tmp_path], batch_size=50)
    assert (again.duplicates, again.created) == (3, 3)
    assert verify_chain().ok


def test_a_new_referral_s_clock_inputs_are_what_every_registered_reader_would_answer(tmp_path):
    """The import sets a new referral's clocks without asking the readers of what meets a clock
    (allocations, actions, reviews, releases, social care, strategy, the LADO, data requests,
    transfers): each must answer exactly the empty values for a referral just stored."""
    _forces()
    synth = Synthesiser(13, until=date(2026, 11, 1), forces=["XF"])
    for data in synth.referrals(12):
        (tmp_path / f"{data['source_reference']}.json").write_bytes(json_bytes(data))
    assert _import([tmp_path], batch_size=5).created == 12
    assert len(clock_services._clock_facts) >= 3
    for referral in Referral.objects.all():
        assert clock_inputs(referral, new=True) == clock_inputs(referral), referral.source_reference


def test_an_unexpected_error_while_reading_keeps_the_referrals_read_before_it(
    tmp_path, monkeypatch
):
    _forces()
    synth = Synthesiser(14, until=date(2026, 11, 1), forces=["XF"])
    made = sorted(synth.referrals(5), key=lambda data: data["source_reference"])
    for data in made:
        (tmp_path / f"{data['source_reference']}.json").write_bytes(json_bytes(data))
    real_read = services.native_json.read_referral

    def read_or_break(label, content, **options):
        if made[3]["source_reference"] in label:
            raise RuntimeError("out of memory")
        return real_read(label, content, **options)

    monkeypatch.setattr(services.native_json, "read_referral", read_or_break)
    with pytest.raises(RuntimeError, match="out of memory"):
        _import([tmp_path], batch_size=50)
    assert sorted(Referral.objects.values_list("source_reference", flat=True)) == [
        data["source_reference"] for data in made[:3]
    ]


def test_a_new_referral_is_graded_from_the_rows_in_hand_exactly_as_from_the_rows_read_back(
    tmp_path,
):
    """The import builds a new referral's record from the rows it has just written (people,
    ties, access, history, material, links) instead of reading them back: the answers, grade
    re-grade date and clocks must be what the rows read from the database give, each checked
    right after that referral is stored (before later referrals link to it)."""
    _forces()
    synth = Synthesiser(15, until=date(2026, 11, 1), forces=["XF"], repeat_rate=0.5)
    made = sorted(synth.referrals(30), key=lambda data: data["source_reference"])
    policy = risk_services.active_policy()
    for data in made:
        path = tmp_path / f"{data['source_reference']}.json"
        path.write_bytes(json_bytes(data))
        assert _import([path], batch_size=5).created == 1
        referral = Referral.objects.get(source_reference=data["source_reference"])
        record = risk_services.referral_record(referral)
        received = min(referral.received_at, AS_OF)
        result = engine.grade(derive_facts(record, policy, received), policy, received)
        at_receipt = Assessment.objects.get(referral=referral, trigger="imported")
        # The import's referral holds its receipt as the file wrote it (+01:00), the one read
        # back holds it in UTC: the same moment.
        assert _moments(at_receipt.answers) == _moments(
            {code: fact.as_dict() for code, fact in result.answers.items()}
        ), referral.source_reference
        assert at_receipt.engine_grade == result.grade
        assert [r["code"] for r in at_receipt.reasons] == [r.code for r in result.reasons]
        due = RegradeDue.objects.get(referral=referral).due_on
        assert due == next_change(record, policy, AS_OF), referral.source_reference
        # Its clocks, set from the assessments in hand, are those its stored rows call for.
        clocks = list(Clock.objects.filter(referral=referral).order_by("pk").values())
        assert clocks
        clock_services.sync_clocks(referral, as_of=AS_OF)
        assert list(Clock.objects.filter(referral=referral).order_by("pk").values()) == clocks
    assert Link.objects.count() > 5
    assert Person.objects.filter(addresses__isnull=False).exists()


def _moments(answers: dict) -> dict:
    return {
        code: {**fact, "at": fact["at"] and datetime.fromisoformat(fact["at"])}
        for code, fact in answers.items()
    }


def test_a_batch_whose_inserts_at_its_end_fail_is_stored_again_one_referral_at_a_time(
    tmp_path, monkeypatch
):
    """The clocks and audit events of a batch's new referrals are inserted together at its end:
    if that fails, nothing of the batch is kept, and its referrals are stored again one per
    transaction, with the same report."""
    _forces()
    synth = Synthesiser(16, until=date(2026, 11, 1), forces=["XF"])
    for data in synth.referrals(6):
        (tmp_path / f"{data['source_reference']}.json").write_bytes(json_bytes(data))
    real_record_many = services.record_many
    calls = []

    def fail_for_many(events):
        referrals = {event.referral_id for event in events}
        calls.append(len(referrals))
        if len(referrals) > 1:
            raise DatabaseError("the batch's insert failed")
        return real_record_many(events)

    monkeypatch.setattr(services, "record_many", fail_for_many)
    report = _import([tmp_path], batch_size=50)

    assert calls == [6, 1, 1, 1, 1, 1, 1]
    assert (report.created, report.rejected) == (6, [])
    assert Referral.objects.count() == 6
    assert AuditEvent.objects.filter(action="referral.imported").count() == 6
    assert set(AuditEvent.objects.values_list("referral_id", flat=True)) == set(
        Referral.objects.values_list("pk", flat=True)
    )
    assert verify_chain().ok


def test_referrals_linked_within_one_batch_are_stored_exactly_as_one_referral_per_transaction(
    tmp_path,
):
    """Suspects who recur within one batch: their links are planned from the batch's own match
    keys (not read back), and a referral whose grade reads the people of one still waiting is
    stored after those are written; every row and the audit trail are as one at a time."""
    synth = Synthesiser(17, until=date(2026, 11, 1), forces=["XF"], repeat_rate=0.8)
    for data in synth.referrals(40):
        (tmp_path / f"{data['source_reference']}.json").write_bytes(json_bytes(data))
    _emptied()
    one_by_one = _import([tmp_path], batch_size=1)
    stored_one_by_one = _every_row()
    links = Link.objects.count()
    _emptied()
    batched = _import([tmp_path], batch_size=100)

    assert links > 10
    assert batched.as_dict() == one_by_one.as_dict()
    for table, rows in _every_row().items():
        assert rows == stored_one_by_one[table], table
    assert verify_chain().ok


def test_a_batch_inserts_its_referrals_people_and_grades_once_per_table(tmp_path):
    """Planned in memory, a batch's rows go in with one insert per table at its end (a new
    referral with the grade its gradings set, not updated after); the match keys its people
    can be linked on are looked up once for the whole batch, the policy's version once."""
    _forces()
    synth = Synthesiser(18, until=date(2026, 11, 1), forces=["XF"], repeat_rate=0)
    for data in synth.referrals(12):
        (tmp_path / f"{data['source_reference']}.json").write_bytes(json_bytes(data))
    # As in a new process: the policy's stored version is not yet known.
    risk_services.forget_policy_versions()
    with CaptureQueriesContext(connection) as queries:
        report = _import([tmp_path], batch_size=50)

    assert report.created == 12
    tables = [
        "intake_referral",
        "people_person",
        "people_address",
        "people_matchkey",
        "risk_assessment",
        "risk_regradedue",
    ]
    inserts = {
        table: sum(1 for q in queries if q["sql"].startswith(f'INSERT INTO "{table}"'))
        for table in tables
    }
    assert inserts == dict.fromkeys(tables, 1)
    assert not [q for q in queries if q["sql"].startswith('UPDATE "intake_referral"')]
    lookups = [
        q for q in queries if q["sql"].startswith("SELECT") and '"people_matchkey"' in q["sql"]
    ]
    assert len(lookups) == 1
    # The policy's stored version is asked for by the first referral only.
    versions = [q for q in queries if q["sql"].startswith('SELECT "risk_policyversion"')]
    assert len(versions) == 1
    assert Person.objects.count() > 12
    assert Assessment.objects.filter(is_current=True).count() == 12
