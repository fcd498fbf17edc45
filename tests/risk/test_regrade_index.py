"""The daily re-grade takes only the referrals whose answers can have changed: someone on them
reached an age the policy asks about (the re-grade index), a linked referral learned something,
or the policy changed. Closed referrals never."""

import io
from datetime import UTC, date, datetime, timedelta

import pytest
import time_machine
from django.core.management import call_command

from tests.conftest import AS_OF, SYSTEM, referral_data, store
from vigil.investigations import services as investigations
from vigil.people import services as people
from vigil.risk import services as risk
from vigil.risk.models import Assessment, RegradeDue

pytestmark = pytest.mark.django_db

# A child of the household, 12 when the referral arrives (14 September 2020), turns 13 on 15
# January 2021: the day a policy that asks about children under 13 in the home sees otherwise.
CHILD_BORN = date(2008, 1, 15)
THIRTEENTH = date(2021, 1, 15)


def suspect_with(*others, **suspect) -> dict:
    person = {
        "ref": "s1",
        "role": "suspect",
        "first_name": "Sam",
        "last_name": "Suspect",
        "date_of_birth": "1980-04-02",
        "works_with_children": False,
        "household_established": True,
        "access_established": True,
        **suspect,
    }
    return referral_data(
        subjects=[person, *others],
        access=[],
        indicators=[],
        material=[],
        incident={"type": "csam_possession", "escalated": False},
    )


def unrelated(reference: str) -> dict:
    """A referral about another suspect (deconfliction links it to nothing)."""
    return suspect_with(first_name="Robin", last_name="Other", date_of_birth="1975-11-30") | {
        "source_reference": reference
    }


def household_child(born: date = CHILD_BORN) -> dict:
    return {
        "ref": "h1",
        "role": "household_member",
        "first_name": "Kim",
        "last_name": "Suspect",
        "date_of_birth": born.isoformat(),
        "lives_with": ["s1"],
    }


@pytest.fixture(autouse=True)
def _forces(forces):
    return forces


@pytest.fixture
def under_13_at_home(settings, tmp_path):
    """The default policy, but asking whether the suspect lives with a child under 13."""
    text = risk.active_policy().text
    changed = text.replace(
        'derive = "lives_with_child"\nunder_age = 18', 'derive = "lives_with_child"\nunder_age = 13'
    ).replace("version = 5", "version = 51", 1)
    assert changed.count("under_age = 13") == 1
    path = tmp_path / "under-13.toml"
    path.write_text(changed)
    settings.VIGIL_RISK_POLICY = str(path)
    return risk.active_policy()


def daily_run(day: date) -> None:
    """The worker's daily re-grade, as a worker starting its London day would run it."""
    with time_machine.travel(datetime(day.year, day.month, day.day, 0, 5, tzinfo=UTC), tick=False):
        call_command("worker", "--once", stdout=io.StringIO())


@pytest.fixture
def regraded(monkeypatch):
    """The referrals the re-grade touched, in order (every one it took, changed or not)."""
    touched = []
    real = risk.regrade

    def spy(actor, referral, **kwargs):
        touched.append(referral if isinstance(referral, int) else referral.pk)
        return real(actor, referral, **kwargs)

    monkeypatch.setattr(risk, "regrade", spy)
    return touched


def test_the_index_holds_the_day_a_household_child_reaches_the_policys_age(under_13_at_home):
    referral, _ = store(suspect_with(household_child()))
    assert RegradeDue.objects.get(referral=referral).due_on == THIRTEENTH


def test_a_child_turning_13_is_re_graded_by_the_daily_run_on_the_day_and_not_the_day_before(
    under_13_at_home, regraded
):
    referral, _ = store(suspect_with(household_child()))
    first = risk.current_assessment(referral)
    assert first.answers["A1"]["answer"] == "yes"

    daily_run(THIRTEENTH - timedelta(days=1))
    assert regraded == []
    assert risk.current_assessment(referral).pk == first.pk

    daily_run(THIRTEENTH)
    assert regraded == [referral.pk]
    after = risk.current_assessment(referral)
    assert after.pk != first.pk
    assert after.trigger == "scheduled re-grade"
    assert [change["code"] for change in after.changes] == ["A1"]
    assert after.answers["A1"]["answer"] == "no"
    # Moved on: the next age the policy asks about is her 18th birthday.
    assert RegradeDue.objects.get(referral=referral).due_on == date(2026, 1, 15)


def test_the_daily_run_leaves_alone_a_referral_no_one_on_which_reaches_an_age(regraded):
    adults, _ = store(unrelated("NCA-ADULTS"))
    turning, _ = store(suspect_with(household_child(date(2003, 1, 15))))  # 18 on 15 Jan 2021
    assert RegradeDue.objects.get(referral=adults).due_on is None
    before = Assessment.objects.filter(referral=adults).count()

    daily_run(date(2021, 1, 15))
    assert regraded == [turning.pk]
    assert Assessment.objects.filter(referral=adults).count() == before
    adults.refresh_from_db()
    assert adults.version == 1


def test_a_closed_referral_is_never_re_graded_and_reopening_puts_it_back(make_user, regraded):
    referral, _ = store(suspect_with(household_child(date(2003, 1, 15))))
    supervisor = make_user("supervisor", "XF")
    closed_at = AS_OF + timedelta(days=2)
    investigations.close(
        supervisor,
        referral,
        outcome="15",
        rationale="Evidential difficulties; no further action.",
        outstanding_reason="Social care were told by phone; recorded later.",
        as_of=closed_at,
    )
    assert not RegradeDue.objects.filter(referral=referral).exists()
    graded = Assessment.objects.filter(referral=referral).count()

    daily_run(date(2021, 1, 15))
    daily_run(date(2021, 1, 16))
    assert regraded == []
    assert Assessment.objects.filter(referral=referral).count() == graded

    with time_machine.travel(datetime(2021, 2, 1, 10, tzinfo=UTC), tick=False):
        investigations.reopen(
            supervisor,
            referral,
            reason="New intelligence from the provider.",
            as_of=datetime(2021, 2, 1, 10, tzinfo=UTC),
        )
    # Re-graded at once (she turned 18 while it was closed), and back in the index.
    assert risk.current_assessment(referral).trigger == "reopened"
    assert risk.current_assessment(referral).answers["A1"]["answer"] == "no"
    assert RegradeDue.objects.get(referral=referral).due_on is None


def test_a_new_fact_recomputes_the_index_at_once(make_user):
    referral, _ = store(suspect_with())
    assert RegradeDue.objects.get(referral=referral).due_on is None
    people.add_household_member(
        make_user("investigator", "XF"),
        referral,
        first_name="Kim",
        date_of_birth=date(2012, 2, 29),
        source="home visit",
        as_of=AS_OF + timedelta(days=1),
    )
    # Born on a leap day: 18 on 1 March 2030, as her age is counted.
    assert RegradeDue.objects.get(referral=referral).due_on == date(2030, 3, 1)


def test_a_new_policy_version_re_grades_every_open_referral_once(settings, tmp_path, regraded):
    one, _ = store(suspect_with())
    two, _ = store(unrelated("NCA-TWO"))
    stricter = (
        risk.active_policy()
        .text.replace("version = 5", "version = 6")
        .replace('grade = "medium"\nstep = "D5"', 'grade = "high"\nstep = "D5"')
    )
    path = tmp_path / "vigil-default-6.toml"
    path.write_text(stricter)
    settings.VIGIL_RISK_POLICY = str(path)

    daily_run(date(2020, 10, 1))
    assert sorted(regraded) == [one.pk, two.pk]
    assert {due.policy.version for due in RegradeDue.objects.select_related("policy")} == {6}
    daily_run(date(2020, 10, 2))
    assert sorted(regraded) == [one.pk, two.pk]


def test_an_open_referral_missing_from_the_index_is_taken_by_the_next_daily_run(regraded):
    referral, _ = store(suspect_with())
    RegradeDue.objects.filter(referral=referral).delete()  # e.g. held before the index existed
    daily_run(date(2020, 10, 1))
    assert regraded == [referral.pk]
    assert RegradeDue.objects.filter(referral=referral).exists()


def test_what_a_linked_referral_learns_makes_this_one_due_the_next_day(make_user):
    first, _ = store(suspect_with())
    second, _ = store(suspect_with() | {"source_reference": "NCA-SECOND"})
    # The second referral, about the same suspect, is read by the first's grade from now on.
    assert risk.due_referral_ids(actor=SYSTEM, as_of=AS_OF + timedelta(days=1)) == [first.pk]
    risk.regrade_due(actor=SYSTEM, as_of=AS_OF + timedelta(days=1))
    assert risk.due_referral_ids(actor=SYSTEM, as_of=AS_OF + timedelta(days=3)) == []
    people.add_household_member(
        make_user("investigator", "XF"),
        second,
        first_name="Kim",
        date_of_birth=date(2015, 5, 5),
        source="home visit",
        as_of=AS_OF + timedelta(days=2),
    )
    assert RegradeDue.objects.get(referral=first).due_on == (AS_OF + timedelta(days=2)).date()
    assert risk.due_referral_ids(actor=SYSTEM, as_of=AS_OF + timedelta(days=3)) == [first.pk]


def test_the_regrade_command_takes_the_due_ones_and_all_of_them_with_all(capsys, regraded):
    store(unrelated("NCA-ADULTS"))
    turning, _ = store(suspect_with(household_child(date(2003, 1, 15))))
    call_command("risk", "regrade", "--as-of", "2021-01-15")
    assert regraded == [turning.pk]
    assert "1 re-graded, 0 unchanged" in capsys.readouterr().out
    call_command("risk", "regrade", "--all", "--as-of", "2021-01-16")
    assert len(regraded) == 3
    assert "0 re-graded, 2 unchanged" in capsys.readouterr().out
