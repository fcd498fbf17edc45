"""The claims mapping (pure): which role and force an identity provider's claims give someone,
and which claims are refused, with a reason they can read."""

import pytest

from vigil.accounts.claims import (
    ClaimMapping,
    Unmapped,
    load_mapping,
    map_claims,
    parse_mapping,
    second_factor_asserted,
)
from vigil.core.roles import Role

ROLES = Role.values
MAPPING = parse_mapping(
    {
        "roles": {"cait-investigators": "investigator", "cait-supervisors": "supervisor"},
        "forces": {"exampleshire": "XF", "sampleton": "yf"},
    },
    roles=ROLES,
)


def claims(**changes):
    base = {
        "sub": "kim-0001",
        "preferred_username": "kim.lee",
        "email": "kim.lee@example.police.uk",
        "given_name": "Kim",
        "family_name": "Lee",
        "groups": ["all-staff", "cait-investigators"],
        "force": "exampleshire",
    }
    base.update(changes)
    return {key: value for key, value in base.items() if value is not None}


def test_groups_and_force_map_to_one_role_and_one_force():
    mapped = map_claims(claims(), MAPPING, roles=ROLES)
    assert (mapped.role, mapped.force_code) == ("investigator", "XF")
    assert (mapped.subject, mapped.username, mapped.first_name) == ("kim-0001", "kim.lee", "Kim")


def test_force_codes_in_the_map_are_written_in_capitals():
    assert map_claims(claims(force="sampleton"), MAPPING, roles=ROLES).force_code == "YF"


def test_a_single_string_claim_counts_like_a_list_of_one():
    assert map_claims(claims(groups="cait-supervisors"), MAPPING, roles=ROLES).role == "supervisor"


def test_without_a_role_map_the_claim_carries_vigil_role_names():
    mapping = ClaimMapping()
    mapped = map_claims(claims(groups=["staff", "analyst"], force="xf"), mapping, roles=ROLES)
    assert (mapped.role, mapped.force_code) == ("analyst", "XF")


@pytest.mark.parametrize(
    ("changes", "reason"),
    [
        ({"groups": None}, "did not say what your role is (claim 'groups')"),
        ({"groups": []}, "did not say what your role is"),
        ({"groups": ["all-staff"]}, "None of your groups (all-staff) gives a role in Vigil"),
        (
            {"groups": ["cait-investigators", "cait-supervisors"]},
            "more than one role in Vigil (investigator, supervisor)",
        ),
        ({"force": None}, "did not say which force you are in (claim 'force')"),
        ({"force": "atlantis"}, "(atlantis) is not a force in Vigil"),
        ({"force": ["exampleshire", "sampleton"]}, "names more than one force (XF, YF)"),
        ({"sub": None}, "did not say who you are"),
        ({"preferred_username": None, "email": None}, "no username"),
        ({"preferred_username": "kim lee<script>"}, "not one Vigil can use"),
    ],
)
def test_claims_that_give_no_single_place_in_vigil_are_refused_saying_why(changes, reason):
    with pytest.raises(Unmapped) as refused:
        map_claims(claims(**changes), MAPPING, roles=ROLES)
    assert reason in str(refused.value)


def test_the_username_falls_back_to_the_email_address():
    mapped = map_claims(claims(preferred_username=None), MAPPING, roles=ROLES)
    assert mapped.username == "kim.lee@example.police.uk"


def test_regional_oversight_is_never_given_by_single_sign_on():
    with pytest.raises(Unmapped):
        map_claims(claims(groups=["regional_oversight"]), ClaimMapping(), roles=ROLES)
    with pytest.raises(ValueError, match="never given by single sign-on"):
        parse_mapping({"roles": {"oversight": "regional_oversight"}}, roles=ROLES)


def test_a_provider_for_one_force_needs_no_force_claim():
    mapping = parse_mapping({"default_force": "xf", "roles": MAPPING.roles}, roles=ROLES)
    assert map_claims(claims(force=None), mapping, roles=ROLES).force_code == "XF"


@pytest.mark.parametrize(
    ("data", "message"),
    [
        ({"roles": {"cait": "detective"}}, "Vigil has no role 'detective'"),
        ({"role_map": {}}, "unknown keys in the claims mapping: role_map"),
        ({"claims": {"group": "groups"}}, "[claims] names which claim"),
        ({"second_factor_amr": "mfa"}, "second_factor_amr is a list"),
    ],
)
def test_a_mapping_file_with_a_mistake_is_refused(data, message):
    with pytest.raises(ValueError) as refused:
        parse_mapping(data, roles=ROLES)
    assert message in str(refused.value)


def test_the_mapping_is_read_from_a_toml_file(tmp_path):
    path = tmp_path / "claims.toml"
    path.write_text(
        'default_force = "XF"\nsecond_factor_amr = ["mfa"]\n\n'
        '[claims]\nroles = "roles"\nusername = "upn"\n\n'
        '[roles]\n"Vigil.Supervisor" = "supervisor"\n',
        encoding="utf-8",
    )
    mapping = load_mapping(path, roles=ROLES)
    assert (mapping.role_claim, mapping.username_claim) == ("roles", "upn")
    mapped = map_claims(
        {"sub": "1", "upn": "kim@xf", "roles": ["Vigil.Supervisor"]}, mapping, roles=ROLES
    )
    assert (mapped.role, mapped.force_code, mapped.username) == ("supervisor", "XF", "kim@xf")
    assert load_mapping("", roles=ROLES) == ClaimMapping()


def test_the_providers_second_factor_counts_only_when_the_mapping_names_its_amr():
    accepting = parse_mapping({"second_factor_amr": ["mfa", "hwk"]}, roles=ROLES)
    assert second_factor_asserted({"amr": ["pwd", "mfa"]}, accepting)
    assert not second_factor_asserted({"amr": ["pwd"]}, accepting)
    assert not second_factor_asserted({"amr": "mfa"}, accepting)  # not a list: not trusted
    assert not second_factor_asserted({}, accepting)
    assert not second_factor_asserted({"amr": ["mfa"]}, ClaimMapping())
