"""A bounded fuzz of the whole API (schemathesis, against the OpenAPI document, over loopback):
no server errors, and nothing of another force's comes back."""

from datetime import timedelta

import pytest
import schemathesis
from django.utils import timezone
from hypothesis import HealthCheck, given, settings

from tests.conftest import low_risk, store
from vigil.accounts.models import Force, User
from vigil.accounts.tokens import create_token

pytestmark = [pytest.mark.django_db(transaction=True)]

OTHER_FORCE_REFERENCE = "NCA-OTHER-FORCE-SECRET-1"


@pytest.fixture
def world(transactional_db):
    """Two forces with a referral each, and a token for an investigator of the first."""
    xf = Force.objects.create(code="XF", name="Exampleshire Police", region="North")
    Force.objects.create(code="YF", name="Sampleton Constabulary", region="North")
    received = timezone.now() - timedelta(days=3)
    mine, _ = store(low_risk(received) | {"source_reference": "NCA-MINE-1"}, as_of=received)
    store(
        low_risk(received) | {"source_reference": OTHER_FORCE_REFERENCE, "force": "YF"},
        as_of=received,
    )
    user = User(username="fuzz", role="investigator", force=xf)
    user.set_unusable_password()
    user.save()
    _, key = create_token(user, "fuzz", as_of=timezone.now())
    return {"key": key, "mine": mine}


def test_the_api_never_fails_and_never_leaks_another_force(live_server, world):
    schema = schemathesis.openapi.from_url(f"{live_server.url}/api/v1/openapi.json")
    headers = {"Authorization": f"Bearer {world['key']}"}
    checked = []
    for result in schema.get_all_operations():
        operation = result.ok()

        @settings(
            max_examples=6, deadline=None, database=None, suppress_health_check=list(HealthCheck)
        )
        @given(operation.as_strategy())
        def fuzz(case):
            response = case.call(base_url=live_server.url, headers=headers)
            where = (case.method, case.formatted_path, response.status_code, response.text[:300])
            assert response.status_code < 500, where
            assert OTHER_FORCE_REFERENCE not in response.text, where

        fuzz()
        checked.append(f"{operation.method.upper()} {operation.path}")
    assert len(checked) >= 30, checked
