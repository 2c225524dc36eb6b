"""Careless and hostile input (issue 12): mojibake, duplicate headers, files not read, wide files,
invisible characters. Each test names what a user would have lost without the guard."""

from __future__ import annotations

import json
import unicodedata
from pathlib import Path
from typing import Any

import polars as pl
import pytest
from rich.console import Console

from crm_pipeline.config import Settings
from crm_pipeline.errors import InputError
from crm_pipeline.ingest import run_clean
from crm_pipeline.ingest.encoding import decode_bytes
from crm_pipeline.ingest.inputs import select_inputs
from crm_pipeline.ingest.profiles import load_profiles
from crm_pipeline.ingest.reader import ReadLimits, parse_text, row_issues
from crm_pipeline.ingest.report import summary_tables
from crm_pipeline.ingest.stage import clean_file
from crm_pipeline.pipeline import fingerprint

LEADS_HEADER = (
    "lead_id,full_name,email,phone,move_date,move_size,origin_zip,destination_zip,branch,"
    "referral_source,created_at"
)
SM_CUSTOMERS_HEADER = "Customer Id,Name,Phone Number,Email Address,Address,Branch,Created At"


def _printed(result: Any) -> str:
    console = Console(record=True, width=200)
    for table in summary_tables(result):
        console.print(table)
    return console.export_text()


def _clean(path: Path, **limits: int) -> Any:
    return clean_file(path, load_profiles(), limits=ReadLimits(**limits))


# --------------------------------------------------------------------------- 3. mojibake


# charset-normalizer reads these bytes as big5: "Hélène Peña" became "H幨鋝e Pe鎙"
CP1252_LEADS = f"{LEADS_HEADER}\nL1,Hélène Peña,,,,,,,Boston,$$,\n".encode("cp1252")


def test_cp1252_with_dollar_signs_and_accents_is_not_read_as_big5() -> None:
    decoded = decode_bytes(CP1252_LEADS)
    assert decoded.encoding == "cp1252"
    assert "Hélène Peña" in decoded.text
    assert 0 < decoded.confidence <= 1
    assert "big5" in (decoded.note or "")  # the rejected guess is reported, not hidden


def test_cp1252_file_keeps_its_names_and_shows_encoding_and_confidence(tmp_path: Path) -> None:
    raw = tmp_path / "raw"
    raw.mkdir()
    (raw / "leads.csv").write_bytes(CP1252_LEADS)
    result = run_clean(raw, tmp_path / "out", Settings(), validate=False)
    assert "leads.csv: big5 guess rejected" in _printed(result)
    persons = pl.read_parquet(tmp_path / "out" / "persons.parquet")
    assert sorted(persons.select("first_name", "last_name").rows()) == [("Hélène", "Peña")]
    files = pl.read_parquet(tmp_path / "out" / "files.parquet")
    assert files.select("encoding").item() == "cp1252"
    assert 0 < files.select("encoding_confidence").item() <= 1


def test_a_real_chinese_file_still_decodes_as_chinese() -> None:
    text = f"{LEADS_HEADER}\n0,王小明,,,,,,,,網站,\n1,李大華,,,,,,,,朋友介紹,\n"
    decoded = decode_bytes(text.encode("big5"))
    assert decoded.text == text
    assert decoded.encoding.startswith("big5")


def test_utf8_and_bom_files_are_certain() -> None:
    assert decode_bytes("name\nJosé\n".encode()).confidence == 1.0
    assert decode_bytes("\ufeffname\nJosé\n".encode()).confidence == 1.0


# --------------------------------------------------------------------------- 4. duplicate headers


def test_a_second_phone_column_becomes_the_secondary_phone(tmp_path: Path) -> None:
    path = tmp_path / "sm_customers.csv"
    header = "Customer Id,Name,Phone Number,Email Address,Address,Branch,Created At,Phone Number"
    path.write_text(f"{header}\nc1,Ann Lee,617-555-0100,ann@x.com,,Boston,2024-01-05,617-555-0199\n")
    out = _clean(path)
    person = out.persons.row(0, named=True)
    assert (person["phone"], person["phone2"]) == ("+16175550100", "+16175550199")


def test_a_second_email_column_with_other_values_rejects_the_file_naming_the_column(tmp_path: Path) -> None:
    path = tmp_path / "sm_customers.csv"
    header = f"{SM_CUSTOMERS_HEADER},email address"
    path.write_text(
        f"{header}\nc1,Ann Lee,617-555-0100,ann@x.com,,Boston,2024-01-05,ann.lee@work.com\n"
        "c2,Bob Ray,617-555-0101,bob@x.com,,Boston,2024-01-05,\n"
    )
    out = _clean(path)
    result = out.result
    assert result.status == "rejected"
    assert (result.rows_in, result.rows_quarantined) == (2, 2)
    assert "sm_customers.csv" in result.error and "'email address'" in result.error
    assert "columns 4 and 8" in result.error
    assert out.quarantine["rule"].to_list() == ["duplicate_column"]


def test_a_repeated_column_with_the_same_values_loses_nothing_and_is_kept(tmp_path: Path) -> None:
    path = tmp_path / "sm_customers.csv"
    path.write_text(
        f"{SM_CUSTOMERS_HEADER},Email Address\n"
        "c1,Ann Lee,617-555-0100,ann@x.com,,Boston,2024-01-05,ann@x.com\n"
        "c2,Bob Ray,617-555-0101,bob@x.com,,Boston,2024-01-05,\n"
    )
    out = _clean(path)
    assert out.result.status == "ok"
    assert out.persons["email"].to_list() == ["ann@x.com", "bob@x.com"]


# --------------------------------------------------------------------------- 5. files not read


def _lead_file(path: Path, lead_id: str = "1") -> None:
    path.write_text(f"{LEADS_HEADER}\n{lead_id},Ann Lee,ann@x.com,,,,,,Boston,,\n")


def test_input_files_are_chosen_by_one_function_case_insensitively(tmp_path: Path) -> None:
    _lead_file(tmp_path / "LEADS.CSV")
    _lead_file(tmp_path / "b.Tsv")
    _lead_file(tmp_path / ".hidden.csv")
    (tmp_path / "notes.xlsx").write_bytes(b"PK")
    (tmp_path / "old").mkdir()
    selection = select_inputs(tmp_path)
    assert [p.name for p in selection.files] == ["LEADS.CSV", "b.Tsv"]
    assert dict(selection.skipped) == {
        ".hidden.csv": "hidden file (name starts with '.')",
        "notes.xlsx": "not a CSV export (.csv, .tsv, .txt)",
        "old": "folder (sub-folders are not read)",
    }


def test_fingerprint_covers_exactly_the_files_clean_reads(tmp_path: Path) -> None:
    _lead_file(tmp_path / "a.csv")
    before = fingerprint(tmp_path)
    _lead_file(tmp_path / "LEADS.CSV", "2")  # read by clean: the input changed
    with_upper = fingerprint(tmp_path)
    assert with_upper != before
    _lead_file(tmp_path / ".hidden.csv", "3")  # not read by clean: the input did not change
    (tmp_path / "README.md").write_text("notes")
    assert fingerprint(tmp_path) == with_upper


def test_a_folder_of_only_skipped_files_says_what_it_skipped(tmp_path: Path) -> None:
    _lead_file(tmp_path / ".hidden.csv")
    expected = "no CSV files .* \\(not read: .hidden.csv: hidden file"
    with pytest.raises(InputError, match=expected):
        run_clean(tmp_path, tmp_path / "out", Settings(), validate=False)
    with pytest.raises(InputError, match=expected):
        fingerprint(tmp_path)


def test_skipped_files_are_listed_in_the_clean_summary(tmp_path: Path) -> None:
    raw = tmp_path / "raw"
    raw.mkdir()
    _lead_file(raw / "LEADS.CSV")
    _lead_file(raw / ".hidden.csv", "2")
    result = run_clean(raw, tmp_path / "out", Settings(), validate=False)
    assert [f.file for f in result.files] == ["LEADS.CSV"]
    assert result.rows_clean == 1
    assert result.skipped == [(".hidden.csv", "hidden file (name starts with '.')")]
    assert ".hidden.csv: not read: hidden file (name starts with '.')" in _printed(result)
    summary = json.loads((tmp_path / "out" / "clean_summary.json").read_text())
    assert summary["skipped_files"] == [
        {"file": ".hidden.csv", "reason": "hidden file (name starts with '.')"}
    ]


# --------------------------------------------------------------------------- 9. wide files


def test_a_10000_column_file_is_rejected_with_its_reason(tmp_path: Path) -> None:
    path = tmp_path / "wide.csv"
    header = LEADS_HEADER + "," + ",".join(f"x{i}" for i in range(10_000))
    row = "1,Ann Lee,ann@x.com,,,,,,Boston,,," + ",".join("v" for _ in range(10_000))
    path.write_text(f"{header}\n{row}\n{row.replace('1,', '2,', 1)}\n")
    out = _clean(path)
    result = out.result
    assert result.status == "rejected"
    assert (result.rows_in, result.rows_clean, result.rows_quarantined) == (2, 0, 2)
    assert result.error == "wide.csv: 10,011 columns; at most 500 are read (CRM_MAX_COLUMNS)"
    assert out.quarantine["rule"].to_list() == ["too_many_columns"]


def test_columns_and_cell_size_are_settings(tmp_path: Path) -> None:
    path = tmp_path / "leads.csv"
    path.write_text(
        f"{LEADS_HEADER}\n1,Ann Lee,ann@x.com,,,,,,Boston,{'w' * 60},\n2,Bob Ray,bob@x.com,,,,,,Boston,web,\n"
    )
    narrow = _clean(path, max_columns=10)
    assert narrow.result.status == "rejected"
    small_cells = _clean(path, max_field_chars=50)
    assert small_cells.quarantine.select("line", "column", "rule", "level").rows() == [
        (2, "referral_source", "field_too_long", "value")
    ]
    # a value never costs a row: the long cell is nulled, the row is clean
    assert small_cells.result.rows_clean == 2
    assert small_cells.leads is not None
    assert small_cells.leads.filter(pl.col("line") == 2)["referral_source"].to_list() == [None]


def test_row_issues_name_every_offending_cell_in_a_wide_file() -> None:
    header = ",".join(f"h{i}" for i in range(400))
    cells = ["v"] * 400
    cells[7], cells[399] = "x" * 30, "\ufffd"
    parsed = parse_text(f"{header}\n{','.join(cells)}\n{','.join(['v'] * 400)}\n")
    issues = row_issues(parsed, check_encoding=True, max_field_chars=20)
    assert sorted(issues.select("line", "column", "rule").rows()) == [
        (2, "h399", "bad_encoding"),
        (2, "h7", "field_too_long"),
    ]


# --------------------------------------------------------------------------- 10. invisible characters

ZW = "\u200b"
RLO = "\u202e"
SHY = "\u00ad"
JOBS_HEADER = (
    "Job Number,Quote Number,Customer Id,Customer Name,Email,Phone,Service Date,Service Type,Status,Branch,"
    "Move Size,Origin Address,Destination Address,Estimated Total,Final Total,Sales Person,Referral Source,"
    "Created At"
)


def _has_format_characters(frame: pl.DataFrame) -> list[str]:
    found = []
    for name, dtype in frame.schema.items():
        if dtype == pl.String:
            for value in frame[name].drop_nulls():
                if any(unicodedata.category(ch) == "Cf" for ch in value):
                    found.append(f"{name}={value!r}")
    return found


def test_invisible_characters_never_reach_the_clean_outputs(tmp_path: Path) -> None:
    raw = tmp_path / "raw"
    raw.mkdir()
    (raw / "sm_jobs.csv").write_text(
        f"{JOBS_HEADER}\n"
        f"10{ZW}-1,10,c{ZW}1,A{ZW}nn Le{SHY}e,ann{ZW}@example.com,617-555{ZW}-0100,2024-01-05,"
        "Moving,Completed,"
        f"Bos{ZW}ton,,1 Main{RLO} St,,,,Jo{RLO}hn,web{ZW}site,\n"
        f"10-2,10,c2,Bob \u2066Ray\u2069,bob@example.com,617-555-0101,2024-01-05,Moving,Completed,"
        "Boston,,,,,,Mary,web,\n"
    )
    result = run_clean(raw, tmp_path / "out", Settings(), validate=False)
    assert (result.rows_clean, result.rows_quarantined) == (2, 0)  # an invisible character costs no row
    out = tmp_path / "out"
    for name in ("persons", "jobs"):
        assert _has_format_characters(pl.read_parquet(out / f"{name}.parquet")) == [], name
    persons = pl.read_parquet(out / "persons.parquet").sort("line")
    assert persons.select("first_name", "last_name", "email", "phone").rows() == [
        ("Ann", "Lee", "ann@example.com", "+16175550100"),
        ("Bob", "Ray", "bob@example.com", "+16175550101"),
    ]
    assert persons["source_customer_id"].to_list() == ["c1", "c2"]
    # free text: reported (value level), the row kept
    quarantine = pl.read_parquet(out / "quarantine.parquet")
    assert quarantine.select("line", "column", "rule", "raw_value").rows() == [
        (2, "Referral Source", "invisible_characters", f"web{ZW}site"),
        (2, "Sales Person", "invisible_characters", f"Jo{RLO}hn"),
    ]


def test_random_bytes_with_the_default_limits(tmp_path: Path) -> None:
    path = tmp_path / "x.csv"
    path.write_bytes(bytes(range(256)) * 4)
    out = _clean(path)
    r = out.result
    assert r.rows_in == r.rows_clean + r.rows_quarantined


@pytest.mark.parametrize("name", ["leads.csv", "LEADS.CSV"])
def test_clean_file_name_in_every_reject_message(tmp_path: Path, name: str) -> None:
    path = tmp_path / name
    path.write_text(f"{LEADS_HEADER},email\n1,Ann Lee,ann@x.com,,,,,,Boston,,,other@x.com\n")
    out = _clean(path)
    assert out.result.error.startswith(f"{name}: ")


def test_a_newline_in_a_file_name_stays_on_one_line_in_the_summary(tmp_path: Path) -> None:
    raw = tmp_path / "raw"
    raw.mkdir()
    _lead_file(raw / "leads.csv")
    (raw / "x\nERROR forged.csv").write_text("what,is,this\n1,2,3\n")
    printed = _printed(run_clean(raw, tmp_path / "out", Settings(), validate=False))
    assert "x\\nERROR forged.csv: header matches no profile" in printed
    assert not [line for line in printed.splitlines() if line.lstrip("│ ").startswith("ERROR")]
