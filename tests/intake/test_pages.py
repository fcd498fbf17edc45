"""The referral list, the referral page and the upload page."""

import io
import zipfile

import pytest
from django.core.files.uploadedfile import SimpleUploadedFile
from django.urls import reverse

from tests.conftest import CONFORMANCE, as_bytes, referral_data, store
from vigil.referrals.models import Referral

pytestmark = pytest.mark.django_db


def test_the_list_filters_by_source_and_pages_through(signed_in, forces):
    for n in range(55):
        store(referral_data(source_reference=f"NCA-{n:03d}"))
    store(referral_data(source_reference="PUB-1", source="public"))
    first = signed_in.get(reverse("site:referral-list"))
    assert b"56 referrals" in first.content
    assert b"Page 1 of 2" in first.content
    assert first.content.count(b"govuk-table__row") == 51  # 50 and the header
    public = signed_in.get(reverse("site:referral-list"), {"source": "public"})
    assert b"1 referral" in public.content and b"PUB-1" in public.content
    second = signed_in.get(reverse("site:referral-list"), {"page": 2})
    assert b"Page 2 of 2" in second.content


def test_the_referral_page_shows_what_was_imported(signed_in, forces):
    store(
        referral_data(
            source_reference="NCA-OLD",
            subjects=[
                {
                    "ref": "s1",
                    "role": "suspect",
                    "identifiers": [{"type": "email", "value": "alex.example@example.com"}],
                }
            ],
            access=[],
        )
    )
    referral, _ = store(referral_data())
    page = signed_in.get(reverse("site:referral-detail", args=[referral.pk]))
    text = page.content.decode()
    assert "NCA-2020-0001" in text
    assert "Alex" in text and "Example" in text
    assert "+447700900123" not in text and "07700 900123" in text  # shown as given
    assert "Works or volunteers with children" in text
    assert referral.documents.get().sha256 in text
    assert "Same email address" in text and "NCA-OLD" in text
    assert '<td class="govuk-table__cell">A</td>' in text  # the material's category
    assert "2 × Video" in text
    assert "has access to c2: Regular unsupervised access" in text


def test_the_referral_page_shows_an_as_of_banner_for_another_date(signed_in, forces):
    referral, _ = store(referral_data())
    page = signed_in.get(
        reverse("site:referral-detail", args=[referral.pk]), {"as_of": "2021-06-02"}
    )
    assert b"Shown as of 2 June 2021" in page.content
    assert b"aged 18 on 2 Jun 2021" in page.content
    now = signed_in.get(reverse("site:referral-detail", args=[referral.pk]))
    assert b"Shown as of" not in now.content


def test_uploading_json_and_a_zipped_package_imports_both(signed_in, forces):
    buffer = io.BytesIO()
    with zipfile.ZipFile(buffer, "w") as archive:
        archive.writestr(
            "package/report.xml",
            b"<report><incidentSummary><incidentType>Child Sex Trafficking</incidentType>"
            b"</incidentSummary></report>",
        )
        archive.writestr(
            "package/fileDetails-1.xml",
            b"<fileDetails><reportId>998877</reportId><fileId>F1</fileId></fileDetails>",
        )
    response = signed_in.post(
        reverse("intake:import"),
        {
            "files": [
                SimpleUploadedFile("one.json", as_bytes(referral_data())),
                SimpleUploadedFile("package.zip", buffer.getvalue()),
                SimpleUploadedFile("bad.json", b"{nope"),
            ]
        },
    )
    text = response.content.decode()
    assert "2 new, 0 already held, 1 rejected" in text
    assert "bad.json (line 1, column 2)" in text
    assert Referral.objects.get(source="ncmec").source_reference == "998877"
    assert Referral.objects.get(source="ncmec").force.code == "XF"  # the uploader's force


def test_uploading_a_conformance_package_with_its_reference(signed_in, forces):
    if not CONFORMANCE.is_dir():
        pytest.skip("conformance documents not present")
    response = signed_in.post(
        reverse("intake:import"),
        {
            "files": [
                SimpleUploadedFile(
                    "report.xml", (CONFORMANCE / "package-3" / "report.xml").read_bytes()
                )
            ],
            "source_reference": "CT-3",
        },
    )
    assert b"1 new" in response.content
    assert Referral.objects.get().source_reference == "CT-3"


def test_the_upload_page_refuses_roles_that_cannot_import(client, make_user, forces):
    client.force_login(make_user("investigator", "XF"))
    assert client.get(reverse("intake:import")).status_code == 403
    assert (
        client.post(
            reverse("intake:import"), {"files": [SimpleUploadedFile("a.json", b"{}")]}
        ).status_code
        == 403
    )


def test_no_page_has_inline_script(signed_in, forces):
    referral, _ = store(referral_data())
    for url in (
        reverse("site:referral-list"),
        reverse("site:referral-detail", args=[referral.pk]),
        reverse("intake:import"),
    ):
        html = signed_in.get(url).content.decode()
        for tag in html.split("<script")[1:]:
            assert 'src="' in tag.split(">")[0], f"inline script on {url}"
        assert " onclick=" not in html and " style=" not in html
