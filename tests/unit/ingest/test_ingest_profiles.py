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


# ----------------------------------------------------------------------------- header spellings
def test_punctuation_is_ignored_and_hash_reads_as_number() -> None:
    assert normalize_header("Phone #") == normalize_header("Phone Number") == "phonenumber"
    assert normalize_header("E-mail") == normalize_header("email") == normalize_header("E.Mail")
    assert normalize_header("\ufeffZip/Postal Code") == "zippostalcode"
    assert normalize_header("Customer #") != normalize_header("Customer")


# A real SmartMoving-like customers export: other spellings, extra columns, its own order.
RENAMED_SM_CUSTOMERS = [
    "Branch",
    "Tags",
    "Date Created",
    "E-mail",
    "Longitude",
    "Address",
    "Cust ID",
    "Notes",
    "Full Name",
    "Phone #",
]
RENAMED_LEGACY_CUSTOMERS = [
    "Zip Code",
    "Customer #",
    "Last",
    "First",
    "Email Address",
    "Phone Number",
    "Street Address",
    "City",
    "ST",
    "Branch Office",
    "Date Entered",
    "Fax",
]


def test_renamed_columns_in_any_order_map_to_the_right_fields() -> None:
    match = detect_profile(RENAMED_SM_CUSTOMERS, load_profiles())
    assert match.ok and match.profile.name == "smartmoving_customers"
    h = RENAMED_SM_CUSTOMERS.index
    assert match.columns == {
        "customer_id": h("Cust ID"),
        "full_name": h("Full Name"),
        "phone": h("Phone #"),
        "email": h("E-mail"),
        "address": h("Address"),
        "branch": h("Branch"),
        "created_at": h("Date Created"),
    }
    assert match.ignored == ("Tags", "Longitude", "Notes")


@pytest.mark.parametrize("seed", range(5))
def test_shuffled_renamed_headers_with_extra_columns_find_their_profile(seed: int) -> None:
    import random

    rng = random.Random(seed)
    for header, expected in ((RENAMED_SM_CUSTOMERS, "smartmoving_customers"),
                             (RENAMED_LEGACY_CUSTOMERS, "legacy_customers")):  # fmt: skip
        shuffled = [*header, "Latitude", "UTM Campaign"]
        rng.shuffle(shuffled)
        match = detect_profile(shuffled, load_profiles())
        assert match.ok and match.profile.name == expected
        assert shuffled[match.columns["customer_id"]] in ("Cust ID", "Customer #")
        assert {"Latitude", "UTM Campaign"} <= set(match.ignored)


def test_every_builtin_profile_recognises_its_headers_spelled_as_aliases() -> None:
    """For each profile, every field spelled with its last accepted spelling (an alias where it has
    one), in reverse order: the profile is still found and every field maps to its own column."""
    profiles = load_profiles()
    for profile in profiles:
        header = [spec.header[-1] for spec in profile.fields.values()][::-1]
        match = detect_profile(header, profiles)
        assert match.ok and match.profile.name == profile.name, (profile.name, header)
        assert {header[i] for i in match.columns.values()} == set(header)


def test_users_add_aliases_move_a_spelling_and_a_profiles_own_header_wins(tmp_path: Path) -> None:
    extra = tmp_path / "profiles.yaml"
    extra.write_text("profiles: {}\naliases:\n  email: [Correo]\n  phone2: [Phone]\n", encoding="utf-8")
    profiles = load_profiles(extra)
    # "Phone" is a built-in alias of phone; the user made it the second phone
    header = ["Customer Id", "Name", "Phone Number", "Phone", "Correo", "Address", "Branch", "Created At"]
    match = detect_profile(header, profiles)
    assert match.ok and match.profile.name == "smartmoving_customers"
    assert (match.columns["phone"], match.columns["phone2"], match.columns["email"]) == (2, 3, 4)
    # SmartMoving jobs name their own phone column "Phone": the profile's header stays the phone
    jobs = next(p for p in profiles if p.name == "smartmoving_jobs")
    assert "phone2" not in jobs.fields
    assert "Phone" in jobs.fields["phone"].header


def test_one_spelling_for_two_fields_is_a_config_error(tmp_path: Path) -> None:
    extra = tmp_path / "bad.yaml"
    extra.write_text("profiles: {}\naliases:\n  phone: [Tel]\n  phone2: [TEL]\n", encoding="utf-8")
    with pytest.raises(ConfigError, match="'TEL' is listed for 'phone' and 'phone2'"):
        load_profiles(extra)


def test_an_alias_for_an_unknown_field_is_a_config_error(tmp_path: Path) -> None:
    extra = tmp_path / "bad.yaml"
    extra.write_text("profiles: {}\naliases:\n  shoe_size: [Shoe]\n", encoding="utf-8")
    with pytest.raises(ConfigError, match="unknown field"):
        load_profiles(extra)


def test_the_clean_stage_reads_a_renamed_shuffled_export_and_lists_its_unused_columns(tmp_path: Path) -> None:
    from crm_pipeline.ingest.stage import clean_file

    path = tmp_path / "Customers_Export.csv"
    path.write_text(
        ",".join(RENAMED_SM_CUSTOMERS)
        + "\nBoston,vip,2024-01-05,ann@example.com,-71.1,"
        + '"1 Main St, Boston, MA 02108",c-1,,Ann Lee,617-555-0100\n',
        encoding="utf-8",
    )
    out = clean_file(path, load_profiles())
    assert out.result.profile == "smartmoving_customers"
    assert out.result.ignored_columns == ("Tags", "Longitude", "Notes")
    person = out.persons.row(0, named=True)
    assert (person["record_id"], person["first_name"], person["email"]) == ("c-1", "Ann", "ann@example.com")
