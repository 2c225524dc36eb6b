"""The independent exports builder (`crm-pipeline generate --style independent`): same seed → same
bytes; every file recognised by the pipeline's own reader and profile detection; the truth covers
every row under the record id the pipeline computes; the mess the builder promises is really there.

The files are read as the clean stage reads them (``decode_bytes`` → ``parse_text`` →
``detect_profile``), so a header spelling the profiles do not accept, or a truth key that differs
from the pipeline's record id, fails here.
"""

from __future__ import annotations

import csv
import re
from collections import defaultdict
from pathlib import Path

import polars as pl
import pytest
from typer.testing import CliRunner

from crm_pipeline.clean.branches import load_branch_table
from crm_pipeline.cli import app
from crm_pipeline.generate.independent import build_independent
from crm_pipeline.generate.independent.names import NICKNAMES
from crm_pipeline.generate.independent.world import REFERENCE_DAY
from crm_pipeline.ingest.encoding import decode_bytes
from crm_pipeline.ingest.profiles import detect_profile, load_profiles
from crm_pipeline.ingest.reader import parse_text

PEOPLE = 300
SEED = 11
# written down here, not imported: what a user's folder must look like
EXPECTED_PROFILES = {
    "Customers_Export.csv": "smartmoving_customers",
    "Jobs_Report.csv": "smartmoving_jobs",
    "oldcrm_customers.csv": "legacy_customers",
    "oldcrm_jobs.csv": "legacy_jobs",
    "web_leads.csv": "leads",
}
JOB_FILES = {"Jobs_Report.csv", "oldcrm_jobs.csv"}


@pytest.fixture(scope="module")
def built(tmp_path_factory: pytest.TempPathFactory) -> Path:
    out = tmp_path_factory.mktemp("independent")
    build_independent(PEOPLE, out, SEED)
    return out


@pytest.fixture(scope="module")
def files(built: Path) -> dict[str, tuple[str, pl.DataFrame]]:
    """file name -> (profile found, rows keyed by field name) as the clean stage reads them."""
    out: dict[str, tuple[str, pl.DataFrame]] = {}
    for path in sorted((built / "raw").iterdir()):
        parsed = parse_text(decode_bytes(path.read_bytes()).text)
        match = detect_profile(parsed.header, load_profiles())
        assert match.ok, f"{path.name}: missing {match.missing}"
        rows = parsed.rows.select(*[pl.col(f"c{i}").alias(field) for field, i in match.columns.items()])
        out[path.name] = (match.profile.name, rows)
    return out


def _truth(built: Path, name: str) -> list[dict[str, str]]:
    with (built / "truth" / name).open(encoding="utf-8", newline="") as fh:
        return list(csv.DictReader(fh))


def _headers(built: Path) -> dict[str, list[str]]:
    return {p.name: parse_text(decode_bytes(p.read_bytes()).text).header for p in (built / "raw").iterdir()}


def test_same_seed_same_bytes_other_seed_other_bytes(built: Path, tmp_path: Path) -> None:
    build_independent(PEOPLE, tmp_path / "again", SEED)
    build_independent(PEOPLE, tmp_path / "other", SEED + 1)
    for sub in ("raw", "truth", "config"):
        for path in (built / sub).iterdir():
            assert (tmp_path / "again" / sub / path.name).read_bytes() == path.read_bytes(), path.name
    other = (tmp_path / "other" / "raw" / "Customers_Export.csv").read_bytes()
    assert other != (built / "raw" / "Customers_Export.csv").read_bytes()


def test_every_file_is_recognised_with_its_profile(files: dict[str, tuple[str, pl.DataFrame]]) -> None:
    assert {name: profile for name, (profile, _) in files.items()} == EXPECTED_PROFILES


def test_truth_lists_every_row_under_the_record_id_the_pipeline_reads(
    built: Path, files: dict[str, tuple[str, pl.DataFrame]]
) -> None:
    customers = defaultdict(set)
    for row in _truth(built, "customers.csv"):
        customers[row["file"]].add(row["record_id"])
    jobs = defaultdict(set)
    for row in _truth(built, "jobs.csv"):
        jobs[row["file"]].add(row["record_id"])
    people = {row["entity_id"] for row in _truth(built, "customers.csv")}
    assert len(people) == PEOPLE  # everyone appears somewhere
    for name, (profile, rows) in files.items():
        record_id = next(p for p in load_profiles() if p.name == profile).record_id
        ids = rows[record_id].to_list()
        assert None not in ids and len(set(ids)) == len(ids), name
        assert set(ids) == customers[name], name
        assert set(ids) == jobs[name] if name in JOB_FILES else not jobs[name], name


def test_headers_are_the_companys_own_spellings_in_a_drawn_order(built: Path, tmp_path: Path) -> None:
    headers = _headers(built)
    assert {"Cust ID", "E-mail", "Date Created"} <= set(headers["Customers_Export.csv"])
    assert {"Customer #", "First", "Last", "Phone #", "Zip Code", "Email Address"} <= set(
        headers["oldcrm_customers.csv"]
    )
    assert {"Job #", "Phone Number", "Pickup Address"} <= set(headers["Jobs_Report.csv"])
    # columns no profile uses: tags, notes, lat/long, fax
    assert {"Tags", "Latitude", "Longitude", "Notes"} <= set(headers["Customers_Export.csv"])
    match = detect_profile(headers["Customers_Export.csv"], load_profiles())
    assert set(match.ignored) == {"Tags", "Latitude", "Longitude", "Notes"}
    build_independent(PEOPLE, tmp_path / "other", SEED + 1)
    assert _headers(tmp_path / "other") != headers  # column order comes from the seed


def test_the_old_crm_exports_its_email_columns_empty(files: dict[str, tuple[str, pl.DataFrame]]) -> None:
    for name in ("oldcrm_customers.csv", "oldcrm_jobs.csv"):
        _, rows = files[name]
        assert rows.height > 0 and rows["email"].null_count() == rows.height, name
    _, sm = files["Customers_Export.csv"]
    assert sm["email"].null_count() < sm.height / 2


def test_names_carry_nicknames_short_name_typos_and_suffixes(
    built: Path, files: dict[str, tuple[str, pl.DataFrame]]
) -> None:
    truth = {(r["file"], r["record_id"]): r["entity_id"] for r in _truth(built, "customers.csv")}
    first_names: dict[str, set[str]] = defaultdict(set)
    for name, (profile, rows) in files.items():
        record_id = next(p for p in load_profiles() if p.name == profile).record_id
        column = "first_name" if "first_name" in rows.columns else "full_name"
        for rid, value in rows.select(record_id, column).iter_rows():
            if value:
                first_names[truth[(name, rid)]].add(value)
    words = {e: {w.strip(",.").lower() for v in vs for w in v.split()} for e, vs in first_names.items()}
    nickname_pairs = {
        (full, nick)
        for ws in words.values()
        for full, nicks in NICKNAMES.items()
        for nick in nicks
        if full.lower() in ws and nick.lower() in ws
    }
    assert nickname_pairs, "no person appears under a name and its nickname"
    all_text = " ".join(v for vs in first_names.values() for v in vs)
    assert re.search(r"\bJr\b", all_text, re.IGNORECASE) and re.search(r"\bSr\b", all_text, re.IGNORECASE)


def test_dates_are_mixed_with_placeholders_and_a_few_years_ahead(
    files: dict[str, tuple[str, pl.DataFrame]],
) -> None:
    values = [
        v for _, rows in (files["Jobs_Report.csv"], files["oldcrm_jobs.csv"]) for v in rows["service_date"]
    ]
    values = [v for v in values if v]
    assert any(re.fullmatch(r"\d{4}-\d{2}-\d{2}", v) for v in values)
    assert any(re.fullmatch(r"\d{1,2}/\d{1,2}/\d{4}", v) for v in values)
    assert any(re.fullmatch(r"\d{1,2}-[A-Z][a-z]{2}-\d{2}", v) for v in values)
    assert any(re.fullmatch(r"\d{5}", v) for v in values)  # Excel serial
    years = [int(v[:4]) for v in values if re.fullmatch(r"\d{4}-\d{2}-\d{2}", v)]
    years += [int(v[-4:]) for v in values if re.fullmatch(r"\d{1,2}/\d{1,2}/\d{4}", v)]
    assert any(y >= REFERENCE_DAY.year + 2 for y in years), "no service date years ahead"
    created = [v for _, rows in files.values() for v in rows["created_at"] if v]
    assert {"TBD", "N/A", "1900-01-01", "0001-01-01"} & set(created + values)


def test_placeholders_and_unknown_category_words_are_present(
    files: dict[str, tuple[str, pl.DataFrame]],
) -> None:
    _, sm = files["Customers_Export.csv"]
    _, jobs = files["Jobs_Report.csv"]
    emails = {v for _, rows in files.values() for v in rows["email"] if v}
    assert emails & {"N/A", "none", "noemail@noemail.com", "unknown", "no email", "na@na.com"}
    branches = set(sm["branch"])
    assert {"Tampa", "TPA"} <= branches or {"Orlando", "ORL"} <= branches
    assert {"done", "cxl", "Canceled", "pending", "tentative"} & set(jobs["status"])


def test_households_and_job_duplicates_across_systems(
    built: Path, files: dict[str, tuple[str, pl.DataFrame]]
) -> None:
    truth = {(r["file"], r["record_id"]): r["entity_id"] for r in _truth(built, "customers.csv")}
    _, old = files["oldcrm_customers.csv"]
    people_at = defaultdict(set)
    for rid, street, zip_ in old.select("customer_id", "street", "zip").iter_rows():
        people_at[(street, zip_)].add(truth[("oldcrm_customers.csv", rid)])
    assert any(len(p) > 1 for p in people_at.values()), "no two people at one address"
    by_job = defaultdict(set)
    for row in _truth(built, "jobs.csv"):
        by_job[row["job_entity"]].add(row["file"])
    assert sum(1 for f in by_job.values() if f == JOB_FILES) >= 10  # the same move in both systems


def test_branch_config_is_the_shape_the_clean_stage_reads(built: Path) -> None:
    table = load_branch_table(built / "config" / "branches.yaml")
    assert {"Tampa", "Orlando", "Jacksonville", "St. Petersburg"} <= set(table.names)


def test_cli_style_option(tmp_path: Path) -> None:
    result = CliRunner().invoke(
        app, ["generate", "--style", "independent", "--people", "50", "--seed", "3", "--out", str(tmp_path)]
    )
    assert result.exit_code == 0, result.output
    assert {p.name for p in (tmp_path / "raw").iterdir()} == set(EXPECTED_PROFILES)
    assert (tmp_path / "config" / "branches.yaml").is_file()
