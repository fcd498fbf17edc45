"""The stored row of the policy in force is looked up once per process, and never remembered
when the transaction that wrote it rolls back."""

import pytest
from django.db import connection, transaction
from django.test.utils import CaptureQueriesContext

from tests.conftest import AS_OF
from vigil.risk import services as risk
from vigil.risk.models import PolicyVersion

pytestmark = pytest.mark.django_db(transaction=True)


class RolledBack(Exception):
    pass


@pytest.fixture(autouse=True)
def nothing_remembered():
    risk.forget_policy_versions()
    yield
    risk.forget_policy_versions()


def test_a_stored_policy_row_found_inside_a_batch_is_asked_for_once():
    with transaction.atomic():
        risk._stored_version(risk.active_policy(), AS_OF)  # written and committed
    risk.forget_policy_versions()  # a new process: the row is stored, nothing is remembered
    with transaction.atomic(), CaptureQueriesContext(connection) as queries:
        first = risk._stored_version(risk.active_policy(), AS_OF)
        asked_once = len(queries)
        for _ in range(5):
            assert risk._stored_version(risk.active_policy(), AS_OF) == first
    assert asked_once == 1
    assert len(queries) == 1


def test_a_policy_row_written_by_a_transaction_that_rolled_back_is_not_remembered():
    with pytest.raises(RolledBack), transaction.atomic():
        risk._stored_version(risk.active_policy(), AS_OF)
        # Asked again in the same transaction: the row it wrote, not yet committed.
        risk._stored_version(risk.active_policy(), AS_OF)
        raise RolledBack
    assert not PolicyVersion.objects.exists()
    version = risk._stored_version(risk.active_policy(), AS_OF)
    assert PolicyVersion.objects.filter(pk=version.pk).exists()


def test_a_policy_row_written_here_is_remembered_once_committed():
    with transaction.atomic():
        version = risk._stored_version(risk.active_policy(), AS_OF)
    with CaptureQueriesContext(connection) as queries:
        assert risk._stored_version(risk.active_policy(), AS_OF) == version
    assert len(queries) == 0
