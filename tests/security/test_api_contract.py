"""The API keeps its word: Schemathesis, every check, over every operation of a running
``vigil serve`` (seeded with the demo forces and users and a few referrals, called with an API
token). No 5xx, no traceback, no status or body the OpenAPI document does not declare, bad input
refused 400/422. ``make bench`` runs the same with over 10,000 cases."""

import pytest

from benchmarks.api_contract import cases_generated, fuzz, running_server

pytestmark = [pytest.mark.benchmark]

AT_LEAST = 1000


def test_every_operation_answers_only_what_the_openapi_document_declares(tmp_path):
    with running_server(tmp_path) as (url, token):
        status, report = fuzz(url, token, examples=3, seed=2026, workdir=tmp_path)
    assert cases_generated(report) >= AT_LEAST, report[-3000:]
    assert status == 0, report
