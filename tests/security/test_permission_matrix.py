"""Every role against every action: allowed or refused, as the unit expects it.

The expected table is written out here on its own, so a change to the roles in code that nobody
meant shows up as a failing test, not as a silent widening of access.
"""

import pytest

from vigil.accounts.models import User
from vigil.core.actors import SystemActor
from vigil.core.permissions import has_permission
from vigil.core.roles import Action, Role

ROLES = [
    "intake_officer",
    "assessor",
    "investigator",
    "safeguarding_officer",
    "supervisor",
    "unit_head",
    "child_protection_lead",
    "analyst",
    "regional_oversight",
    "auditor",
    "administrator",
]

# Columns in the order of ROLES: IO AS IN SG SU UH CP AN RO AU AD
EXPECTED = """
referral.view             Y  Y  Y  Y  Y  Y  Y  .  .  .  .
worklist.view             Y  Y  Y  Y  Y  Y  Y  .  .  .  .
referral.import           Y  .  .  .  Y  Y  .  .  .  .  .
facts.record              Y  Y  Y  Y  Y  Y  .  .  .  .  .
grade.override.propose    .  Y  Y  Y  Y  Y  .  .  .  .  .
grade.override.approve    .  .  .  .  Y  Y  .  .  .  .  .
assurance.view            .  .  .  .  Y  Y  Y  .  .  .  .
quality.check             .  .  .  .  Y  Y  .  .  .  .  .
breaches.view             .  .  .  .  Y  Y  Y  .  .  .  .
referral.allocate         .  .  .  .  Y  Y  .  .  .  .  .
action.record             .  .  Y  .  Y  Y  .  .  .  .  .
safeguarding.record       .  .  Y  Y  Y  Y  .  .  .  .  .
referral.review           .  .  .  .  Y  Y  .  .  .  .  .
release.approve           .  .  .  .  Y  Y  .  .  .  .  .
referral.transfer         .  .  .  .  Y  Y  .  .  .  .  .
transfer.answer           .  .  .  .  Y  Y  .  .  .  .  .
outcome.close             .  .  Y  .  Y  Y  .  .  .  .  .
outcome.approve           .  .  .  .  Y  Y  .  .  .  .  .
referral.restrict         .  .  .  .  Y  Y  .  .  .  .  .
retention.delete          .  .  .  .  .  Y  .  .  .  .  .
insight.force             .  .  .  .  Y  Y  Y  Y  .  .  .
insight.region            .  .  .  .  .  .  .  .  Y  .  .
insight.rows              .  .  .  .  .  Y  .  Y  .  .  .
audit.view                .  .  .  .  .  .  .  .  .  Y  .
force.manage              .  .  .  .  .  .  .  .  .  .  Y
user.manage               .  .  .  .  .  .  .  .  .  .  Y
mail.view                 .  .  .  .  .  .  .  .  .  .  Y
unknown_values.map        .  .  .  .  .  .  .  .  .  .  Y
exhibit.record            .  .  Y  .  Y  Y  .  .  .  .  .
triage.run                .  .  Y  .  Y  Y  .  .  .  .  .
hashset.manage            .  .  .  .  .  .  .  .  .  .  Y
"""


def expected() -> dict[tuple[str, str], bool]:
    table = {}
    for line in EXPECTED.strip().splitlines():
        action, *marks = line.split()
        assert len(marks) == len(ROLES), line
        for role, mark in zip(ROLES, marks, strict=True):
            table[(role, action)] = mark == "Y"
    return table


def test_the_table_covers_every_role_and_every_action():
    actions = {action for _, action in expected()}
    assert actions == set(Action.values)
    assert set(ROLES) == set(Role.values)


@pytest.mark.parametrize(("role", "action"), sorted(expected()))
def test_each_role_is_allowed_or_refused_each_action(role, action):
    user = User(username=f"u-{role}", role=role, is_active=True)
    assert has_permission(user, action) is expected()[(role, action)]


def test_an_inactive_user_may_do_nothing():
    user = User(username="gone", role="unit_head", is_active=False)
    assert not any(has_permission(user, action) for action in Action.values)


def test_the_command_line_acts_with_the_servers_authority():
    assert all(has_permission(SystemActor("cli:root"), action) for action in Action.values)
