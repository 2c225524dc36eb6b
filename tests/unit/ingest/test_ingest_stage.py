"""The clean stage end to end on small files: one case per mess kind of the input spec, asserting the
exact clean value or the exact quarantine rule, plus whole-file rejects and the accounting."""

from __future__ import annotations

import csv
import datetime as dt
import io
import json
from decimal import Decimal
from pathlib import Path
from typing import Any

import polars as pl
import pytest

from crm_pipeline.config import Settings
from crm_pipeline.errors import InputError, ValidationFailed
from crm_pipeline.ingest import run_clean
from crm_pipeline.ingest.profiles import load_profiles
from crm_pipeline.ingest.stage import clean_file
from crm_pipeline.models import CleanJob, CleanLead, CleanPerson

SM_JOBS = [
    "Job Number",
    "Quote Number",
    "Customer Id",
    "Customer Name",
    "Email",
    "Phone",
    "Service Date",
    "Service Type",
    "Status",
    "Branch",
    "Move Size",
    "Origin Address",
    "Destination Address",
    "Estimated Total",
    "Final Total",
    "Sales Person",
    "Referral Source",
    "Created At",
]
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
LEGACY_CUSTOMERS = [
    "customer_id",
    "first_name",
    "last_name",
    "email",
    "phone",
    "alt_phone",
    "street",
    "street2",
    "city",
    "state",
    "zip",
    "branch",
    "created_date",
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


def write_csv(path: Path, header: list[str], rows: list[dict[str, str]], *, delimiter: str = ",") -> Path:
    buffer = io.StringIO()
    writer = csv.writer(buffer, delimiter=delimiter, lineterminator="\r\n")
    writer.writerow(header)
    for row in rows:
        writer.writerow([row.get(h, "") for h in header])
    path.write_text(buffer.getvalue(), encoding="utf-8")
    return path


def job(**values: str) -> dict[str, str]:
    """A valid SmartMoving job row; keyword arguments replace columns (spaces as underscores)."""
    row = {
        "Job Number": "10-1",
        "Quote Number": "10",
        "Customer Name": "Ann Lee",
        "Email": "ann@example.com",
        "Phone": "617-555-0100",
        "Service Date": "2024-01-05",
        "Service Type": "Moving",
        "Status": "Completed",
        "Branch": "Boston",
    }
    row.update({k.replace("_", " "): v for k, v in values.items()})
    return row


def clean_jobs(tmp_path: Path, *rows: dict[str, str]) -> Any:
    return clean_file(write_csv(tmp_path / "sm_jobs.csv", SM_JOBS, list(rows)), load_profiles())


def one_person(tmp_path: Path, **values: str) -> dict[str, Any]:
    out = clean_jobs(tmp_path, job(**values))
    assert out.quarantine.height == 0, out.quarantine.rows()
    return dict(out.persons.row(0, named=True))


def rules_of(out: Any) -> list[tuple[int, str, str]]:
    return sorted(out.quarantine.select("line", "column", "rule").rows())


# --------------------------------------------------------------------------- names


@pytest.mark.parametrize(
    ("raw", "title", "first", "middle", "last", "suffix"),
    [
        ("  MARY-JANE   O'NEIL ", None, "Mary-Jane", None, "O'Neil", None),
        ("ONEIL, MARY", None, "Mary", None, "Oneil", None),
        ("Dr. Bob Smith Jr.", "Dr", "Bob", None, "Smith", "JR"),
        ("john q. mcdonald III", None, "John", "Q", "McDonald", "III"),
        ("Zoë Brontë", None, "Zoë", None, "Brontë", None),
    ],
)
def test_names(
    tmp_path: Path, raw: str, title: str | None, first: str, middle: str | None, last: str, suffix: str | None
) -> None:
    person = one_person(tmp_path, Customer_Name=raw)
    parts = ("name_title", "first_name", "middle_name", "last_name", "name_suffix")
    assert tuple(person[p] for p in parts) == (title, first, middle, last, suffix)


def test_legacy_split_names(tmp_path: Path) -> None:
    path = write_csv(
        tmp_path / "legacy_customers.csv",
        LEGACY_CUSTOMERS,
        [{"customer_id": "7", "first_name": "  ROBERT ", "last_name": "smith jr.", "branch": "BOS"}],
    )
    out = clean_file(path, load_profiles())
    person = out.persons.row(0, named=True)
    assert (person["first_name"], person["last_name"], person["name_suffix"]) == ("Robert", "Smith", "JR")
    assert (person["record_id"], person["source_customer_id"], person["profile"]) == (
        "7",
        "7",
        "legacy_customers",
    )


# --------------------------------------------------------------------------- emails and phones (soft)


@pytest.mark.parametrize(
    ("raw", "expected"),
    [
        (" John.Smith@Gmail.COM ", "john.smith@gmail.com"),
        ("none", None),
        ("n/a", None),
        ("noemail@noemail.com", None),
        ("john@", None),
        ("john smith@ gmail.com", "johnsmith@gmail.com"),
    ],
)
def test_emails_bad_ones_become_null_and_keep_the_row(tmp_path: Path, raw: str, expected: str | None) -> None:
    assert one_person(tmp_path, Email=raw)["email"] == expected


@pytest.mark.parametrize(
    ("raw", "phone", "ext"),
    [
        ("(555) 123-4567", "+15551234567", None),
        ("555.123.4567", "+15551234567", None),
        ("+1 555 123 4567", "+15551234567", None),
        ("5551234567", "+15551234567", None),
        ("555-123-4567 x12", "+15551234567", "12"),
        ("000-000-0000", None, None),
        ("555-555-5555", None, None),
        ("1234567890", None, None),
        ("123-4567", None, None),
    ],
)
def test_phones_to_e164_with_extension_apart(
    tmp_path: Path, raw: str, phone: str | None, ext: str | None
) -> None:
    person = one_person(tmp_path, Phone=raw)
    assert (person["phone"], person["phone_ext"]) == (phone, ext)


def test_soft_flags_are_counted_per_file(tmp_path: Path) -> None:
    out = clean_jobs(tmp_path, job(Email="none"), job(Email="john@", Phone="000-000-0000"))
    assert out.result.rows_clean == 2
    assert out.result.flags == {"email:placeholder": 1, "email:invalid_syntax": 1, "phone:placeholder": 1}


# --------------------------------------------------------------------------- addresses, states, ZIPs


def test_one_string_addresses_split_into_usps_parts(tmp_path: Path) -> None:
    out = clean_jobs(
        tmp_path,
        job(
            Origin_Address="123 Main St, Apt 4, Springfield, IL 62704",
            Destination_Address="9 Elm Street, Boston, Calif. 2139",
        ),
    )
    person, row = out.persons.row(0, named=True), out.jobs.row(0, named=True)
    origin = tuple(person[p] for p in ("street", "unit", "city", "state", "zip"))
    assert origin == ("123 MAIN ST", "APT 4", "SPRINGFIELD", "IL", "62704")
    assert (row["origin_street"], row["origin_unit"], row["origin_zip"]) == ("123 MAIN ST", "APT 4", "62704")
    assert (person["dest_street"], person["dest_city"], person["dest_state"], person["dest_zip"]) == (
        "9 ELM ST",
        "BOSTON",
        "CA",
        "02139",
    )


@pytest.mark.parametrize(
    ("state", "zip_", "expected_state", "expected_zip", "zip4"),
    [
        ("CA", "02139", "CA", "02139", None),
        ("ca", "2139", "CA", "02139", None),
        ("Calif.", "02139-4307", "CA", "02139", "4307"),
        ("California", "2139.0", "CA", "02139", None),
    ],
)
def test_states_and_zips_of_split_addresses(
    tmp_path: Path, state: str, zip_: str, expected_state: str, expected_zip: str, zip4: str | None
) -> None:
    path = write_csv(
        tmp_path / "legacy_customers.csv",
        LEGACY_CUSTOMERS,
        [
            {
                "customer_id": "1",
                "first_name": "Ann",
                "last_name": "Lee",
                "street": "12 Oak Ave",
                "street2": "Apt 4",
                "city": "cambridge",
                "state": state,
                "zip": zip_,
                "branch": "Boston",
            }
        ],
    )
    person = clean_file(path, load_profiles()).persons.row(0, named=True)
    assert (person["street"], person["unit"], person["city"]) == ("12 OAK AVE", "APT 4", "CAMBRIDGE")
    assert (person["state"], person["zip"], person["zip4"]) == (expected_state, expected_zip, zip4)


# --------------------------------------------------------------------------- hard errors


@pytest.mark.parametrize("raw", ["NYC", "New York City", "new york", "NY - Manhattan", "Nwe York"])
def test_branch_spellings_become_the_canonical_branch(tmp_path: Path, raw: str) -> None:
    assert one_person(tmp_path, Branch=raw)["branch"] == "New York City"


IN_FIVE_YEARS = (dt.date.today() + dt.timedelta(days=5 * 366)).isoformat()
TOMORROW_PLUS = (dt.datetime.now(dt.UTC) + dt.timedelta(days=2)).strftime("%Y-%m-%d %H:%M")


@pytest.mark.parametrize(
    ("values", "column", "rule", "output"),
    [
        ({"Service Date": "2024-02-30"}, "Service Date", "unreadable_date", "service_date"),
        ({"Service Date": "13/01/2024"}, "Service Date", "unreadable_date", "service_date"),
        ({"Service Date": "TBD"}, "Service Date", "unreadable_date", "service_date"),
        ({"Service Date": "1950-01-05"}, "Service Date", "date_out_of_range", "service_date"),
        ({"Service Date": IN_FIVE_YEARS}, "Service Date", "date_out_of_range", "service_date"),
        ({"Created At": "??"}, "Created At", "unreadable_date", "created_at"),
        ({"Created At": TOMORROW_PLUS}, "Created At", "date_out_of_range", "created_at"),
        ({"Estimated Total": "about 300"}, "Estimated Total", "unreadable_money", "estimated_total"),
    ],
)
def test_a_bad_value_is_nulled_and_quarantined_and_the_row_goes_on(
    tmp_path: Path, values: dict[str, str], column: str, rule: str, output: str
) -> None:
    bad = job(**{k.replace(" ", "_"): v for k, v in values.items()}, Job_Number="10-2")
    out = clean_jobs(tmp_path, job(), bad)
    assert out.persons["line"].to_list() == [2, 3]
    assert out.jobs.filter(pl.col("line") == 3)[output].to_list() == [None]
    hits = out.quarantine.filter(pl.col("column") == column).row(0, named=True)
    assert (hits["uid"], hits["line"], hits["rule"], hits["level"]) == ("sm_jobs.csv#3", 3, rule, "value")
    assert hits["raw_value"] == values[column]
    assert (out.result.rows_in, out.result.rows_clean, out.result.rows_quarantined) == (2, 2, 0)
    assert out.result.values_quarantined == 1


def test_a_date_inside_the_booking_window_is_kept(tmp_path: Path) -> None:
    in_two_years = dt.date.today() + dt.timedelta(days=2 * 365)
    out = clean_jobs(tmp_path, job(Service_Date=in_two_years.isoformat()))
    assert out.jobs["service_date"].to_list() == [in_two_years]
    assert out.quarantine.height == 0


@pytest.mark.parametrize(
    ("values", "column", "kept"),
    [
        ({"Branch": "Atlanta"}, "branch", "Atlanta"),
        ({"Status": "Maybe"}, "status_raw", "Maybe"),
        ({"Service Type": "Teleport"}, "service_type_raw", "Teleport"),
    ],
)
def test_an_unknown_category_word_is_kept_never_quarantined(
    tmp_path: Path, values: dict[str, str], column: str, kept: str
) -> None:
    out = clean_jobs(tmp_path, job(**{k.replace(" ", "_"): v for k, v in values.items()}))
    assert out.quarantine.height == 0
    assert out.jobs[column].to_list() == [kept]
    if column != "branch":
        assert out.jobs[column.removesuffix("_raw")].to_list() == ["other"]


def test_missing_identity_quarantines_the_whole_row(tmp_path: Path) -> None:
    bad = job(Customer_Name="", Email="none", Phone="000-000-0000", Job_Number="10-2")
    out = clean_jobs(tmp_path, job(), bad)
    assert out.persons["line"].to_list() == [2]
    hits = out.quarantine.filter(pl.col("column") == "Customer Name").row(0, named=True)
    assert (hits["line"], hits["rule"], hits["level"]) == (3, "missing_identity", "row")
    assert (out.result.rows_in, out.result.rows_clean, out.result.rows_quarantined) == (2, 1, 1)


def test_missing_identity_lists_every_identity_column(tmp_path: Path) -> None:
    out = clean_jobs(tmp_path, job(Customer_Name="", Email="n/a", Phone=""))
    assert rules_of(out) == [
        (2, "Customer Name", "missing_identity"),
        (2, "Email", "missing_identity"),
        (2, "Phone", "missing_identity"),
    ]


@pytest.mark.parametrize("raw", ["20240105", "01/05/2024", "2024-01-05", "Jan 5, 2024", "45296"])
def test_dates_in_every_spec_format(tmp_path: Path, raw: str) -> None:
    out = clean_jobs(tmp_path, job(Service_Date=raw))
    assert out.jobs["service_date"].to_list() == [dt.date(2024, 1, 5)]
    assert out.persons["event_date"].to_list() == [dt.date(2024, 1, 5)]


@pytest.mark.parametrize(
    ("raw", "expected"),
    [("$1,234.50", Decimal("1234.50")), ("1234.5", Decimal("1234.50")), ("USD 1,234", Decimal("1234.00"))],
)
def test_money_is_an_exact_decimal(tmp_path: Path, raw: str, expected: Decimal) -> None:
    assert clean_jobs(tmp_path, job(Estimated_Total=raw)).jobs["estimated_total"].to_list() == [expected]


def test_status_and_service_type_enums(tmp_path: Path) -> None:
    out = clean_jobs(tmp_path, job(Status=" COMPLETED ", Service_Type="Moving And Packing"))
    assert out.jobs.select("status", "service_type").row(0) == ("completed", "moving_and_packing")


# --------------------------------------------------------------------------- lineage and structure


def test_record_id_is_the_source_id_or_the_line(tmp_path: Path) -> None:
    out = clean_jobs(tmp_path, job(), job(Job_Number=""))
    assert out.persons.select("uid", "record_id").rows() == [
        ("sm_jobs.csv#2", "10-1"),
        ("sm_jobs.csv#3", "line:3"),
    ]


def test_leads_feed_persons_and_leads(tmp_path: Path) -> None:
    path = write_csv(
        tmp_path / "leads.csv",
        LEADS,
        [
            {
                "lead_id": "L1",
                "full_name": "Ann Lee",
                "email": "ANN@X.COM",
                "move_date": "03/01/2024",
                "origin_zip": "2139",
                "destination_zip": "10001-1234",
                "branch": "bos",
                "created_at": "2024-02-01T10:00:00-05:00",
            }
        ],
        delimiter="\t",
    )
    out = clean_file(path, load_profiles())
    lead = out.leads.row(0, named=True)
    assert (
        lead["lead_id"],
        lead["move_date"],
        lead["origin_zip"],
        lead["destination_zip"],
        lead["branch"],
    ) == ("L1", dt.date(2024, 3, 1), "02139", "10001", "Boston")
    assert lead["created_at"] == dt.datetime(2024, 2, 1, 15, 0)  # naive UTC
    person = out.persons.row(0, named=True)
    assert (person["email"], person["zip"], person["dest_zip"], person["event_date"]) == (
        "ann@x.com",
        "02139",
        "10001",
        dt.date(2024, 3, 1),
    )
    assert out.result.delimiter == "\t"


def test_structural_mess_in_one_file(tmp_path: Path) -> None:
    """CRLF, BOM, blank lines, a quoted newline, a repeated header, a ragged row, NUL, trailing ``,``."""
    header = ",".join(SM_CUSTOMERS)
    text = (
        f"\ufeff{header}\r\n"
        '"c1","Ann Lee","617-555-0100","Mobile","ann@x.com","1 Main St,\r\nBoston, MA 02139",'
        '"","BOS","2024-01-05",\r\n'
        "\r\n"
        f"{header}\r\n"
        "c2,Bob Ray,617-555-0101,,bob@x.com,,,Boston\r\n"
        "c3,Cy Day,617-555-0102,,c\x00y@x.com,,,Boston,2024-01-05\r\n"
    )
    (tmp_path / "sm_customers.csv").write_bytes(text.encode("utf-8-sig"))
    out = clean_file(tmp_path / "sm_customers.csv", load_profiles())
    r = out.result
    assert (r.rows_in, r.rows_clean, r.rows_quarantined, r.repeated_headers, r.blank_lines, r.nul_bytes) == (
        3,
        2,
        1,
        1,
        1,
        1,
    )
    assert out.persons.select("line", "email", "street", "city").rows() == [
        (2, "ann@x.com", "1 MAIN ST", "BOSTON"),
        (7, "cy@x.com", None, None),
    ]
    assert rules_of(out) == [(6, "*", "ragged_row")]


def test_cp1252_file_end_to_end(tmp_path: Path) -> None:
    rows = [
        {"customer_id": "1", "first_name": "JOSÉ", "last_name": "PEÑA", "city": "Bogotá", "branch": "Miami"}
    ]
    buffer = io.StringIO()
    write_csv(tmp_path / "x.csv", LEGACY_CUSTOMERS, rows)
    buffer.write((tmp_path / "x.csv").read_text(encoding="utf-8"))
    (tmp_path / "x.csv").unlink()
    (tmp_path / "legacy_customers.csv").write_bytes(buffer.getvalue().encode("cp1252"))
    out = clean_file(tmp_path / "legacy_customers.csv", load_profiles())
    assert out.result.encoding == "cp1252"
    assert out.persons.select("first_name", "last_name", "city").row(0) == ("José", "Peña", "BOGOTÁ")


# --------------------------------------------------------------------------- the stage


def test_unknown_header_rejects_that_file_and_the_others_go_on(tmp_path: Path) -> None:
    raw = tmp_path / "raw"
    raw.mkdir()
    write_csv(raw / "a_jobs.csv", SM_JOBS, [job(), job(Job_Number="10-2", Branch="Atlanta")])
    write_csv(
        raw / "b_mystery.csv",
        [h for h in SM_CUSTOMERS if h not in ("Email Address", "Branch")],
        [{"Customer Id": "1"}, {"Customer Id": "2"}],
    )
    result = run_clean(raw, tmp_path / "out", Settings(), validate=False, raise_on_failure=False)

    by_file = {f.file: f for f in result.files}
    rejected = by_file["b_mystery.csv"]
    assert rejected.status == "rejected"
    assert rejected.error == (
        "b_mystery.csv: header matches no profile; closest is smartmoving_customers, "
        "missing columns: Email Address, Branch"
    )
    assert (rejected.rows_in, rejected.rows_clean, rejected.rows_quarantined) == (2, 0, 2)
    assert (by_file["a_jobs.csv"].rows_clean, by_file["a_jobs.csv"].rows_quarantined) == (2, 0)
    # a changed header rejects that file only: the other files go on, no systemic failure (the run
    # holds the file back and exits 1, see tests/integration/test_run_safety.py)
    assert result.systemic_failures == []
    result.raise_for_validation()

    out = tmp_path / "out"
    quarantine = pl.read_parquet(out / "quarantine.parquet")
    assert quarantine.filter(pl.col("file") == "b_mystery.csv").select(
        "line", "column", "rule", "level"
    ).rows() == [(None, None, "unknown_profile", "file")]
    files = pl.read_parquet(out / "files.parquet")
    assert files.columns == [
        "file",
        "sha256",
        "profile",
        "encoding",
        "encoding_confidence",
        "delimiter",
        "rows_in",
        "rows_clean",
        "rows_quarantined",
        "status",
        "error",
    ]
    assert files.filter(pl.col("status") == "rejected")["file"].to_list() == ["b_mystery.csv"]
    assert result.quarantine_by_rule == {"unknown_profile": 1}
    assert [(b.name, b.rows) for b in result.unconfirmed_branches] == [("Atlanta", 1)]


def test_outputs_have_exactly_the_contract_columns_and_a_summary(tmp_path: Path) -> None:
    raw = tmp_path / "raw"
    raw.mkdir()
    write_csv(raw / "sm_jobs.csv", SM_JOBS, [job()])
    run_clean(raw, tmp_path / "out", Settings(), validate=False)
    out = tmp_path / "out"
    for name, model in (("persons", CleanPerson), ("jobs", CleanJob), ("leads", CleanLead)):
        assert pl.read_parquet(out / f"{name}.parquet").columns == list(model.model_fields)
    assert pl.read_parquet(out / "quarantine.parquet").columns == [
        "uid",
        "file",
        "line",
        "column",
        "rule",
        "raw_value",
        "profile",
        "level",
    ]
    summary = json.loads((out / "clean_summary.json").read_text())
    assert (summary["rows_in"], summary["rows_clean"], summary["outputs"]["leads"]) == (1, 1, 0)
    assert summary["files"][0]["file"] == "sm_jobs.csv" and "timings_seconds" in summary


def test_a_folder_without_csv_files_is_an_input_error(tmp_path: Path) -> None:
    with pytest.raises(InputError, match="no CSV files"):
        run_clean(tmp_path, tmp_path / "out", Settings(), validate=False)


def test_empty_file_is_rejected_not_raised(tmp_path: Path) -> None:
    (tmp_path / "empty.csv").write_bytes(b"")
    out = clean_file(tmp_path / "empty.csv", load_profiles())
    assert (out.result.status, out.quarantine["rule"].to_list()) == ("rejected", ["empty_file"])


# --------------------------------------------------------------------------- systemic failures


def test_more_than_the_allowed_share_of_rows_quarantined_stops_the_run_naming_the_file(
    tmp_path: Path,
) -> None:
    raw = tmp_path / "raw"
    raw.mkdir()
    nobody = [job(Job_Number=f"9-{i}", Customer_Name="", Email="", Phone="") for i in range(12)]
    ok = [job(Job_Number=f"1-{i}") for i in range(88)]
    write_csv(raw / "sm_jobs.csv", SM_JOBS, ok + nobody)
    result = run_clean(raw, tmp_path / "out", Settings(), validate=False, raise_on_failure=False)
    assert result.systemic_failures == [
        "sm_jobs.csv: 12 of 100 rows (12.0%) quarantined whole, more than the allowed 5.0% "
        "(CRM_MAX_FILE_FAILURE_SHARE)"
    ]
    with pytest.raises(ValidationFailed, match="systemic failure: sm_jobs.csv: 12 of 100 rows"):
        result.raise_for_validation()
    # the outputs are written first, for inspection
    assert pl.read_parquet(tmp_path / "out" / "jobs.parquet").height == 88
    # the share is a setting
    relaxed = run_clean(raw, tmp_path / "out2", Settings(max_file_failure_share=0.2), validate=False)
    assert relaxed.systemic_failures == [] and relaxed.rows_quarantined == 12


def test_a_column_unreadable_as_a_whole_stops_the_run(tmp_path: Path) -> None:
    raw = tmp_path / "raw"
    raw.mkdir()
    day_first = [job(Job_Number=f"1-{i}", Service_Date=f"{13 + i % 15}/01/2024") for i in range(30)]
    write_csv(raw / "sm_jobs.csv", SM_JOBS, day_first)
    result = run_clean(raw, tmp_path / "out", Settings(), validate=False, raise_on_failure=False)
    assert result.rows_quarantined == 0 and result.values_quarantined == 30
    assert result.systemic_failures == [
        "sm_jobs.csv: column 'Service Date' is unreadable as a whole (30 of 30 values, 100.0%; "
        "CRM_MAX_COLUMN_FAILURE_SHARE 50%)"
    ]


def test_a_few_bad_rows_in_a_small_file_are_no_system(tmp_path: Path) -> None:
    raw = tmp_path / "raw"
    raw.mkdir()
    rows = [
        job(),
        job(Job_Number="2", Customer_Name="", Email="", Phone=""),
        job(Job_Number="3", Service_Date="TBD"),
    ]
    write_csv(raw / "sm_jobs.csv", SM_JOBS, rows)
    result = run_clean(raw, tmp_path / "out", Settings(), validate=False)  # does not raise
    assert (result.rows_clean, result.rows_quarantined, result.values_quarantined) == (2, 1, 1)
    assert result.systemic_failures == []


def test_other_words_that_differ_in_case_or_spacing_are_counted_as_one(tmp_path: Path) -> None:
    raw = tmp_path / "raw"
    raw.mkdir()
    statuses = ["done", "Done", "done", " DONE ", "cxl"]
    rows = [job(Job_Number=f"10-{i}", Status=s) for i, s in enumerate(statuses)]
    write_csv(raw / "jobs.csv", SM_JOBS, rows)
    result = run_clean(raw, tmp_path / "out", Settings(), validate=False)
    assert result.other_categories["status"] == {"done": 4, "cxl": 1}
    jobs = pl.read_parquet(tmp_path / "out" / "jobs.parquet")
    assert sorted(jobs["status_raw"].to_list()) == sorted(["done", "Done", "done", "DONE", "cxl"])
