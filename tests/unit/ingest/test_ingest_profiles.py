"""Profile detection from headers, and profiles as user-extensible data."""

from __future__ import annotations

from pathlib import Path

import pytest

from crm_pipeline.errors import ConfigError
from crm_pipeline.ingest.profiles import detect_profile, load_profiles, normalize_header

SM_CUSTOMERS = [
    "Customer Id",
    "Name",
    "Phone Number",
    "Phone Type",
    "Email Address",
    "Address",
    "Secondary Phone",
    "Branch",
    "Created At",
]
LEADS = [
    "lead_id",
    "full_name",
    "email",
    "phone",
    "move_date",
    "move_size",
    "origin_zip",
    "destination_zip",
    "branch",
    "referral_source",
    "created_at",
]


def test_header_comparison_ignores_case_spaces_underscores_and_dashes() -> None:
    keys = {normalize_header(h) for h in ("Email Address", "email_address", "emailAddress", "EMAIL-ADDRESS")}
    assert keys == {"emailaddress"}


@pytest.mark.parametrize(
    ("header", "expected"),
    [
        (SM_CUSTOMERS, "smartmoving_customers"),
        ([h.upper().replace(" ", "_") for h in SM_CUSTOMERS], "smartmoving_customers"),
        (LEADS, "leads"),
        # optional columns may be missing, extra columns are ignored
        (
            [h for h in SM_CUSTOMERS if h not in ("Phone Type", "Secondary Phone")] + ["Notes"],
            "smartmoving_customers",
        ),
    ],
)
def test_profile_is_detected_from_the_header(header: list[str], expected: str) -> None:
    match = detect_profile(header, load_profiles())
    assert match.ok
    assert match.profile.name == expected


def test_every_builtin_profile_recognises_its_own_headers() -> None:
    for profile in load_profiles():
        header = [spec.header[0] for spec in profile.fields.values()]
        assert detect_profile(header, load_profiles()).profile.name == profile.name


def test_unknown_header_names_the_closest_profile_and_its_missing_columns() -> None:
    header = [h for h in SM_CUSTOMERS if h not in ("Email Address", "Branch")]
    match = detect_profile(header, load_profiles())
    assert not match.ok
    assert match.profile.name == "smartmoving_customers"
    assert match.missing == ("Email Address", "Branch")


def test_users_add_profiles_in_a_yaml_file(tmp_path: Path) -> None:
    extra = tmp_path / "profiles.yaml"
    extra.write_text(
        """
profiles:
  hubspot_contacts:
    source_system: hubspot
    kind: customer
    record_id: customer_id
    fields:
      customer_id: Record ID
      first_name: First Name
      last_name: Last Name
      email: [Email, E-mail]
      phone: {header: Phone Number, required: false}
""",
        encoding="utf-8",
    )
    profiles = load_profiles(extra)
    assert len(profiles) == len(load_profiles()) + 1
    match = detect_profile(["record_id", "first name", "LAST NAME", "e-mail"], profiles)
    assert match.ok and match.profile.name == "hubspot_contacts"
    assert match.columns == {"customer_id": 0, "first_name": 1, "last_name": 2, "email": 3}


@pytest.mark.parametrize(
    ("body", "message"),
    [
        ("profiles: [1, 2]", "top-level 'profiles:' mapping"),
        (
            "profiles:\n  x: {source_system: s, kind: customer, record_id: id, fields: {id: ID, shoe: Shoe}}",
            "unknown field",
        ),
        (
            "profiles:\n  x: {source_system: s, kind: pet, record_id: id, fields: {id: ID, email: Email}}",
            "kind",
        ),
        (
            "profiles:\n  x: {source_system: s, kind: lead, record_id: nope, fields: {email: Email}}",
            "record_id",
        ),
        ("profiles: {x: [", "cannot read profiles file"),
    ],
)
def test_a_broken_profiles_file_is_a_config_error(tmp_path: Path, body: str, message: str) -> None:
    extra = tmp_path / "bad.yaml"
    extra.write_text(body, encoding="utf-8")
    with pytest.raises(ConfigError, match=message):
        load_profiles(extra)
