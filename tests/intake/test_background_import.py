"""A batch of uploads imported in the background: kept, imported by a worker as the uploader,
and its report shown to the uploader alone."""

import pytest
from django.core.files.uploadedfile import SimpleUploadedFile
from django.urls import reverse
from django.utils import timezone
from django_tasks_db.models import DBTaskResult

from tests.conftest import as_bytes, referral_data
from vigil.core.background import run_ready_tasks
from vigil.core.permissions import Refused
from vigil.intake.tasks import import_batch, start_import
from vigil.referrals.models import Referral

pytestmark = pytest.mark.django_db


def test_a_batch_uploaded_to_import_in_the_background_is_imported_by_a_worker(
    signed_in, make_user, forces
):
    response = signed_in.post(
        reverse("intake:import"),
        {
            "files": [
                SimpleUploadedFile("one.json", as_bytes(referral_data())),
                SimpleUploadedFile("bad.json", b"{nope"),
            ],
            "in_background": "on",
        },
    )
    assert response.status_code == 302
    batch_page = response["Location"]
    assert batch_page.startswith("/referrals/import/batches/")
    assert not Referral.objects.exists()  # nothing imported until a worker takes it
    assert 'data-testid="import-waiting"' in signed_in.get(batch_page).content.decode()

    assert run_ready_tasks() == 1

    text = signed_in.get(batch_page).content.decode()
    assert "1 new, 0 already held, 1 rejected" in text
    assert "bad.json (line 1, column 2)" in text
    referral = Referral.objects.get()
    assert referral.force.code == "XF"  # the uploader's force, as on the page

    # Another intake officer of the same force does not see someone else's batch.
    signed_in.force_login(make_user("intake_officer", "XF", username="another-officer"))
    assert signed_in.get(batch_page).status_code == 404


def test_a_batch_is_imported_once_even_if_its_task_runs_again(officer):
    batch = start_import(
        [("one.json", as_bytes(referral_data()))], actor=officer, as_of=timezone.now()
    )
    assert run_ready_tasks() == 1
    import_batch.enqueue(batch.pk)  # queued again by mistake
    assert run_ready_tasks() == 1
    assert Referral.objects.count() == 1
    assert DBTaskResult.objects.order_by("finished_at").last().return_value == {"imported": 0}


def test_uploading_to_import_later_needs_the_import_permission(make_user):
    with pytest.raises(Refused):
        start_import([("one.json", b"{}")], actor=make_user("auditor", "XF"), as_of=timezone.now())
    assert run_ready_tasks() == 0


def test_a_batch_uploaded_over_the_api_is_imported_by_a_worker(signed_in, make_user, forces):
    answer = signed_in.post(
        "/api/v1/imports",
        {"files": [SimpleUploadedFile("one.json", as_bytes(referral_data()))]},
    )
    assert answer.status_code == 202, answer.content
    batch = answer.json()
    assert (batch["file_count"], batch["finished_at"], batch["report"]) == (1, None, None)
    assert signed_in.get(f"/api/v1/imports/{batch['id']}").json()["report"] is None

    run_ready_tasks()

    done = signed_in.get(f"/api/v1/imports/{batch['id']}").json()
    assert done["finished_at"] is not None and done["report"]["rejected"] == []
    assert [item["status"] for item in done["report"]["imported"]] == ["created"]
    signed_in.force_login(make_user("intake_officer", "XF", username="another-officer"))
    assert signed_in.get(f"/api/v1/imports/{batch['id']}").status_code == 404


def test_an_api_upload_without_files_is_refused_with_a_reason(signed_in):
    answer = signed_in.post("/api/v1/imports", {"source_reference": "CT-1"})
    assert answer.status_code == 422 and "files" in answer.json()["location"]
    assert run_ready_tasks() == 0
