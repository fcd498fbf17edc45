"""Single sign-on in Vigil: provisioning at the first sign-in, claims brought up to date at the
next, switched off when they no longer map, every change and refusal on the audit trail; the
callback shows a refusal as a page (never a 500); the provider's second factor counts only as
the mapping says."""

import re
from io import StringIO

import pytest
from django.contrib.auth.models import AnonymousUser
from django.contrib.sessions.backends.db import SessionStore
from django.core.management import CommandError, call_command
from django.test import RequestFactory
from django.urls import reverse

from tests.conftest import AS_OF
from vigil.accounts import oidc
from vigil.accounts.checks import claims_mapping_readable
from vigil.accounts.claims import parse_mapping
from vigil.accounts.models import User
from vigil.accounts.second_factor import BY_PROVIDER
from vigil.accounts.services import SignInRefused, sign_in_by_sso
from vigil.accounts.views import SingleSignOnCallback
from vigil.audit.models import AuditEvent
from vigil.core.roles import Role

pytestmark = pytest.mark.django_db

MAPPING = parse_mapping(
    {
        "roles": {"cait-investigators": "investigator", "cait-supervisors": "supervisor"},
        "forces": {"exampleshire": "XF", "sampleton": "YF", "faraway": "ZZ"},
    },
    roles=Role.values,
)


def claims(**changes):
    base = {
        "sub": "kim-0001",
        "preferred_username": "kim.lee",
        "email": "kim.lee@example.police.uk",
        "given_name": "Kim",
        "family_name": "Lee",
        "groups": ["cait-investigators"],
        "force": "exampleshire",
    }
    base.update(changes)
    return {key: value for key, value in base.items() if value is not None}


def events(action):
    return list(AuditEvent.objects.filter(action=action).order_by("id"))


def test_a_first_sign_in_creates_the_person_from_the_claims_without_a_password(forces):
    kim = sign_in_by_sso(claims(), MAPPING, as_of=AS_OF)
    assert (kim.username, kim.role, kim.force.code) == ("kim.lee", "investigator", "XF")
    assert (kim.first_name, kim.email, kim.sso_subject) == ("Kim", claims()["email"], "kim-0001")
    assert kim.region == "North"
    assert not kim.has_usable_password()
    [added] = events("user.added")
    assert added.actor_name == "single sign-on"
    assert added.after["role"] == "investigator" and added.after["force"] == "XF"


@pytest.mark.parametrize(
    ("changes", "reason"),
    [
        ({"groups": None}, "did not say what your role is"),
        ({"groups": ["all-staff"]}, "gives a role in Vigil"),
        ({"force": None}, "did not say which force"),
        ({"force": "faraway"}, "Your force (ZZ) is not set up in Vigil"),
    ],
)
def test_claims_that_do_not_map_create_nobody_and_are_audited(forces, changes, reason):
    with pytest.raises(SignInRefused, match=re.escape(reason)):
        sign_in_by_sso(claims(**changes), MAPPING, as_of=AS_OF)
    assert not User.objects.filter(username="kim.lee").exists()
    assert events("user.added") == []
    [refused] = events("login.failed")
    assert refused.detail.startswith("single sign-on refused: ") and reason in refused.detail


def test_changed_claims_change_role_and_force_at_the_next_sign_in(forces):
    sign_in_by_sso(claims(), MAPPING, as_of=AS_OF)
    kim = sign_in_by_sso(
        claims(groups=["cait-supervisors"], force="sampleton", email="kim@yf.police.uk"),
        MAPPING,
        as_of=AS_OF,
    )
    assert (kim.role, kim.force.code, kim.email) == ("supervisor", "YF", "kim@yf.police.uk")
    [changed] = events("user.changed")
    assert changed.before == {
        "role": "investigator",
        "force": "XF",
        "email": "kim.lee@example.police.uk",
    }
    assert changed.after == {"role": "supervisor", "force": "YF", "email": "kim@yf.police.uk"}
    # The same claims again change nothing, and say nothing.
    sign_in_by_sso(claims(groups=["cait-supervisors"], force="sampleton"), MAPPING, as_of=AS_OF)
    assert len(events("user.changed")) == 2  # the e-mail went back: a change
    sign_in_by_sso(claims(groups=["cait-supervisors"], force="sampleton"), MAPPING, as_of=AS_OF)
    assert len(events("user.changed")) == 2


def test_claims_that_stop_mapping_switch_the_person_off_for_good(forces):
    sign_in_by_sso(claims(), MAPPING, as_of=AS_OF)
    with pytest.raises(SignInRefused, match="gives a role"):
        sign_in_by_sso(claims(groups=["all-staff"]), MAPPING, as_of=AS_OF)
    kim = User.objects.get(username="kim.lee")
    assert not kim.is_active
    switched_off = events("user.changed")[-1]
    assert (switched_off.before, switched_off.after) == ({"is_active": True}, {"is_active": False})
    # Claims that map again do not switch them back on: an administrator does.
    with pytest.raises(SignInRefused, match="switched off"):
        sign_in_by_sso(claims(), MAPPING, as_of=AS_OF)
    kim.refresh_from_db()
    assert not kim.is_active


def test_a_hand_made_user_is_linked_by_email_and_keeps_their_password(make_user):
    officer = make_user("intake_officer", "XF", username="k.lee")
    officer.email = "Kim.Lee@Example.police.uk"
    officer.save()
    kim = sign_in_by_sso(claims(), MAPPING, as_of=AS_OF)
    assert kim.pk == officer.pk
    assert (kim.username, kim.role, kim.sso_subject) == ("k.lee", "investigator", "kim-0001")
    assert kim.has_usable_password()
    [linked] = events("user.changed")
    assert linked.before["sso_subject"] == "" and linked.before["role"] == "intake_officer"
    assert linked.after == {
        "role": "investigator",
        "sso_subject": "kim-0001",
        "email": "kim.lee@example.police.uk",
        "first_name": "Kim",
        "last_name": "Lee",
    }


def test_an_unverified_email_links_nobody_and_a_taken_username_is_refused(make_user):
    officer = make_user("intake_officer", "XF", username="kim.lee")
    officer.email = "kim.lee@example.police.uk"
    officer.save()
    with pytest.raises(SignInRefused, match=r"already a Vigil user called kim\.lee"):
        sign_in_by_sso(claims(email_verified=False), MAPPING, as_of=AS_OF)
    officer.refresh_from_db()
    assert (officer.role, officer.sso_subject) == ("intake_officer", "")


def test_an_inactive_user_stays_refused(forces):
    sign_in_by_sso(claims(), MAPPING, as_of=AS_OF)
    User.objects.filter(username="kim.lee").update(is_active=False)
    with pytest.raises(SignInRefused, match="switched off"):
        sign_in_by_sso(claims(), MAPPING, as_of=AS_OF)


def _callback_request(query: str):
    request = RequestFactory().get(f"/accounts/oidc/callback/?{query}")
    request.session = SessionStore()
    request.user = AnonymousUser()
    return request


def test_a_provider_that_says_no_shows_a_page_not_an_error(forces):
    response = SingleSignOnCallback.as_view()(_callback_request("error=access_denied&state=x"))
    assert response.status_code == 403
    assert b"You cannot sign in to Vigil" in response.content
    assert b"did not complete the sign-in" in response.content


@pytest.fixture
def unreachable_provider(settings):
    settings.OIDC_RP_CLIENT_ID = "vigil"
    settings.OIDC_RP_CLIENT_SECRET = "secret"
    settings.OIDC_OP_TOKEN_ENDPOINT = "http://127.0.0.1:9/token"  # nothing listens there
    settings.OIDC_OP_USER_ENDPOINT = "http://127.0.0.1:9/userinfo"
    settings.OIDC_OP_JWKS_ENDPOINT = "http://127.0.0.1:9/jwks"
    settings.OIDC_RP_SIGN_ALGO = "RS256"
    settings.OIDC_TIMEOUT = 2
    settings.OIDC_AUTHENTICATION_CALLBACK_URL = "accounts:login"
    return settings


def test_an_unreachable_provider_is_a_refusal_with_a_reason(forces, unreachable_provider):
    request = _callback_request("code=abc&state=xyz")
    assert oidc.ProvisioningBackend().authenticate(request, nonce="n", code_verifier=None) is None
    assert getattr(request, oidc.REFUSAL) == oidc.PROVIDER_FAILED


@pytest.mark.second_factor
def test_a_supervisor_whose_provider_checked_a_second_factor_is_not_asked_again(client, make_user):
    supervisor = make_user("supervisor", "XF")
    client.force_login(supervisor)
    asked = client.get(reverse("clocks:worklist"))
    assert asked.status_code == 302 and "/accounts/two-factor/" in asked.url
    session = client.session
    session[BY_PROVIDER] = True
    session.save()
    assert client.get(reverse("clocks:worklist")).status_code == 200


def test_an_administrator_switches_a_switched_off_person_back_on(forces):
    sign_in_by_sso(claims(), MAPPING, as_of=AS_OF)
    with pytest.raises(SignInRefused):
        sign_in_by_sso(claims(groups=["all-staff"]), MAPPING, as_of=AS_OF)
    out = StringIO()
    call_command("users", "activate", "kim.lee", stdout=out)
    assert out.getvalue().strip() == "kim.lee switched on"
    assert events("user.changed")[-1].after == {"is_active": True}
    assert sign_in_by_sso(claims(), MAPPING, as_of=AS_OF).is_active
    call_command("users", "deactivate", "kim.lee", stdout=out)
    with pytest.raises(SignInRefused, match="switched off"):
        sign_in_by_sso(claims(), MAPPING, as_of=AS_OF)
    with pytest.raises(CommandError, match="no user called 'nobody'"):
        call_command("users", "activate", "nobody")


def test_a_mapping_file_that_cannot_be_read_refuses_and_is_reported_at_start(
    unreachable_provider, tmp_path
):
    settings = unreachable_provider
    settings.VIGIL_OIDC = True
    settings.VIGIL_OIDC_CLAIMS = str(tmp_path / "claims.toml")
    (tmp_path / "claims.toml").write_text('[roles]\n"cait" = "detective"\n', encoding="utf-8")
    [error] = claims_mapping_readable()
    assert error.id == "vigil.E101" and "Vigil has no role 'detective'" in error.msg
    backend = oidc.ProvisioningBackend()
    backend.request = _callback_request("code=abc&state=xyz")
    assert backend.get_or_create_user("access", "id", {"sub": "kim-0001"}) is None
    assert getattr(backend.request, oidc.REFUSAL) == oidc.MISCONFIGURED


def test_a_switched_off_person_loses_the_session_single_sign_on_gave_them(
    client, forces, unreachable_provider
):
    backend = "vigil.accounts.oidc.ProvisioningBackend"
    unreachable_provider.AUTHENTICATION_BACKENDS = [
        *unreachable_provider.AUTHENTICATION_BACKENDS,
        backend,
    ]
    kim = sign_in_by_sso(claims(), MAPPING, as_of=AS_OF)
    client.force_login(kim, backend=backend)
    assert client.get(reverse("clocks:worklist")).status_code == 200
    call_command("users", "deactivate", "kim.lee", stdout=StringIO())
    signed_out = client.get(reverse("clocks:worklist"))
    assert signed_out.status_code == 302 and signed_out.url.startswith(reverse("accounts:login"))


def test_a_refused_sign_in_signs_out_whoever_was_signed_in(forces, make_user):
    request = _callback_request("code=abc&state=xyz")
    request.user = make_user("investigator", "XF")
    setattr(request, oidc.REFUSAL, "Your Vigil account is switched off.")
    view = SingleSignOnCallback()
    view.setup(request)
    response = view.login_failure()
    assert response.status_code == 403 and b"switched off" in response.content
    assert not request.user.is_authenticated
    assert events("logout")
