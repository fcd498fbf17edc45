"""The format published under docs/ is the one Vigil enforces, and its example imports."""

import json

import pytest

from tests.conftest import AS_OF, REPO, SYSTEM
from vigil.intake.native_json import referral_schema
from vigil.intake.services import import_paths
from vigil.referrals.models import Referral


def test_the_published_schema_is_the_enforced_schema():
    published = json.loads((REPO / "docs" / "vigil.referral-1.schema.json").read_text())
    assert published == referral_schema()


@pytest.mark.django_db
def test_the_published_example_imports_with_nothing_unmapped(forces):
    report = import_paths([REPO / "docs" / "examples" / "referral.json"], actor=SYSTEM, as_of=AS_OF)
    assert report.rejected == []
    referral = Referral.objects.get()
    assert referral.unmapped == []
    assert referral.people.count() == 4
    assert referral.people.get(ref="s1").access.get().child.ref == "c2"
