"""Helpers for the load tests: contract-conforming PROCESSED_DIR fixtures and table checksums.

``write_processed(dir)`` writes persons / jobs / leads / quarantine / files / customers /
unification_map Parquet files and match_run.json as the clean and match stages do
(docs/contracts.md). The flags make the same export a day later: ``changed_email`` (customer 1's
email changed everywhere), ``dropped_row`` (customer 3's SmartMoving row gone from its file),
``extra_job`` (one new job, with one new quarantined value in the same file); ``version=2`` sets
all three.
"""

from __future__ import annotations

import datetime as dt
import hashlib
import json
import os
import subprocess
import sys
import time
import uuid
from collections.abc import Iterator
from contextlib import contextmanager
from decimal import Decimal
from pathlib import Path
from typing import Any

import polars as pl
import psycopg
from psycopg import sql
from sqlalchemy.engine import make_url

from crm_pipeline.models import CleanPerson

CHILD = Path(__file__).with_name("load_child.py")

SM_CUSTOMERS = "sm_customers.csv"
SM_JOBS = "sm_jobs.csv"
LEGACY_CUSTOMERS = "legacy_customers.csv"
LEADS_FILE = "leads.csv"
REJECTED = "notes.csv"

BRANCHES = ["Boston", "Chicago", "New York City"]

PERSON_COLUMNS = list(CleanPerson.model_fields)  # the contract's persons.parquet columns, in order


def customer_id(n: int) -> str:
    return "cus_" + hashlib.sha256(f"c{n}".encode()).hexdigest()[:16]


def email_of(n: int, changed: bool) -> str:
    return f"changed{n}@example.org" if (changed and n == 1) else f"person{n}@example.com"


def write_processed(
    out: Path,
    *,
    version: int = 1,
    people: int = 12,
    changed_email: bool = False,
    dropped_row: bool = False,
    extra_job: bool = False,
) -> Path:
    """Write a PROCESSED_DIR for ``people`` customers; returns ``out``."""
    if version == 2:
        changed_email = dropped_row = extra_job = True
    out.mkdir(parents=True, exist_ok=True)
    persons: list[dict[str, Any]] = []
    jobs: list[dict[str, Any]] = []
    leads: list[dict[str, Any]] = []
    umap: list[dict[str, Any]] = []
    customers: list[dict[str, Any]] = []
    base = dt.datetime(2024, 1, 1, 9, 30)

    def person(n: int, file: str, line: int, record_id: str, profile: str, system: str, **extra: Any) -> None:
        row: dict[str, Any] = dict.fromkeys(PERSON_COLUMNS)
        row.update(
            uid=f"{file}#{line}",
            file=file,
            line=line,
            record_id=record_id,
            profile=profile,
            source_system=system,
            first_name=f"Name{n}",
            last_name=f"O'Neil{n}",
            email=email_of(n, changed_email),
            phone=f"+1555{n:07d}",
            street=f"{n} N MAIN ST",
            city="SPRINGFIELD",
            state="IL",
            zip=f"{62700 + n:05d}",
            branch=BRANCHES[n % 3],
            created_at=base + dt.timedelta(days=n),
            event_date=(base + dt.timedelta(days=n)).date(),
        )
        row.update(extra)
        persons.append(row)
        umap.append(
            {
                "uid": row["uid"],
                "file": file,
                "line": line,
                "record_id": record_id,
                "customer_id": customer_id(n),
            }
        )

    gone = 3 if dropped_row else None  # version 2: this customer's SmartMoving row was deleted
    for n in range(people):
        if n != gone:
            person(
                n,
                SM_CUSTOMERS,
                n + 2,
                f"sm-{n}",
                "smartmoving_customers",
                "smartmoving",
                source_customer_id=f"sm-{n}",
                phone_type="mobile",
            )
        if n % 2 == 0:
            person(
                n,
                LEGACY_CUSTOMERS,
                n // 2 + 2,
                f"{1000 + n}",
                "legacy_customers",
                "legacy",
                source_customer_id=f"{1000 + n}",
                unit="APT 4" if n % 4 == 0 else None,
            )
    line = 2
    n_jobs = people + (1 if extra_job else 0)
    for j in range(n_jobs):
        n = j % people
        file, rec = SM_JOBS, f"{10000 + j}-1"
        person(
            n,
            file,
            line,
            rec,
            "smartmoving_jobs",
            "smartmoving",
            source_customer_id=f"sm-{n}",
            dest_street="1 ELM ST",
            dest_city="BOSTON",
            dest_state="MA",
            dest_zip="02139",
        )
        jobs.append(
            {
                "uid": f"{file}#{line}",
                "file": file,
                "line": line,
                "record_id": rec,
                "profile": "smartmoving_jobs",
                "source_system": "smartmoving",
                "job_number": rec,
                "quote_number": str(10000 + j),
                "source_customer_id": f"sm-{n}",
                "service_date": dt.date(2024, 3, 1) + dt.timedelta(days=j),
                "service_type": "moving",
                "status": "completed" if j % 2 else "booked",
                "branch": BRANCHES[n % 3],
                "move_size": "2 Bedroom Apartment",
                "origin_street": f"{n} N MAIN ST",
                "origin_unit": None,
                "origin_city": "SPRINGFIELD",
                "origin_state": "IL",
                "origin_zip": f"{62700 + n:05d}",
                "dest_street": "1 ELM ST",
                "dest_unit": None,
                "dest_city": "BOSTON",
                "dest_state": "MA",
                "dest_zip": "02139",
                "estimated_total": Decimal("1234.50"),
                "final_total": Decimal("1300.00") if j % 2 else None,
                "sales_person": "Pat",
                "referral_source": "Google",
                "created_at": base + dt.timedelta(hours=j),
            }
        )
        line += 1
    for k, n in enumerate(range(0, people, 3)):
        file, line_no = LEADS_FILE, k + 2
        person(
            n,
            file,
            line_no,
            f"L{k}",
            "leads",
            "lead",
            zip=f"{62700 + n:05d}",
            street=None,
            city=None,
            state=None,
        )
        leads.append(
            {
                "uid": f"{file}#{line_no}",
                "file": file,
                "line": line_no,
                "record_id": f"L{k}",
                "lead_id": f"L{k}",
                "move_date": dt.date(2024, 5, 1),
                "move_size": "Studio",
                "origin_zip": f"{62700 + n:05d}",
                "destination_zip": "02139",
                "branch": BRANCHES[n % 3],
                "referral_source": "Yelp",
                "created_at": base,
            }
        )
    for n in range(people):
        rows = [p for p in persons if umap[persons.index(p)]["customer_id"] == customer_id(n)]
        customers.append(
            {
                "customer_id": customer_id(n),
                "first_name": f"Name{n}",
                "middle_name": None,
                "last_name": f"O'Neil{n}",
                "name_suffix": "JR" if n == 5 else None,
                "email": email_of(n, changed_email),
                "phone": f"+1555{n:07d}",
                "phone2": None,
                "street": f"{n} N MAIN ST",
                "unit": None,
                "city": "SPRINGFIELD",
                "state": "IL",
                "zip": f"{62700 + n:05d}",
                "branch": BRANCHES[n % 3],
                "first_seen": base,
                "last_seen": base + dt.timedelta(days=n),
                "n_records": len(rows),
                "source_systems": sorted({r["source_system"] for r in rows}),
                "smartmoving_customer_id": f"sm-{n}" if n != gone else None,
            }
        )

    quarantine = [
        {
            "uid": f"{SM_CUSTOMERS}#{people + 2}",
            "file": SM_CUSTOMERS,
            "line": people + 2,
            "column": "Email Address",
            "rule": "invalid_email",
            "raw_value": "bob@@x",
            "profile": "smartmoving_customers",
        },
        {
            "uid": f"{SM_CUSTOMERS}#{people + 2}",
            "file": SM_CUSTOMERS,
            "line": people + 2,
            "column": "Phone Number",
            "rule": "placeholder_phone",
            "raw_value": "000-000-0000",
            "profile": "smartmoving_customers",
        },
        {
            "uid": f"{REJECTED}#0",
            "file": REJECTED,
            "line": None,
            "column": None,
            "rule": "unknown_profile",
            "raw_value": None,
            "profile": None,
        },
    ]
    if extra_job:
        quarantine.append(
            {
                "uid": f"{SM_JOBS}#{line}",
                "file": SM_JOBS,
                "line": line,
                "column": "Service Date",
                "rule": "unparseable_date",
                "raw_value": "31/31/2024",
                "profile": "smartmoving_jobs",
            }
        )

    def count(file: str) -> tuple[int, int]:
        clean = sum(1 for p in persons if p["file"] == file)
        bad = len({q["line"] for q in quarantine if q["file"] == file})
        return clean, bad

    def content_hash(file: str) -> str:
        rows = [r for r in (*persons, *quarantine) if r["file"] == file]
        return hashlib.sha256(repr(rows).encode()).hexdigest()

    files = []
    for file, profile in (
        (SM_CUSTOMERS, "smartmoving_customers"),
        (SM_JOBS, "smartmoving_jobs"),
        (LEGACY_CUSTOMERS, "legacy_customers"),
        (LEADS_FILE, "leads"),
    ):
        clean, bad = count(file)
        files.append(
            {
                "file": file,
                "sha256": content_hash(file),
                "profile": profile,
                "encoding": "utf-8",
                "delimiter": ",",
                "rows_in": clean + bad,
                "rows_clean": clean,
                "rows_quarantined": bad,
                "status": "ok",
                "error": None,
            }
        )
    files.append(
        {
            "file": REJECTED,
            "sha256": hashlib.sha256(b"notes").hexdigest(),
            "profile": None,
            "encoding": "utf-8",
            "delimiter": ",",
            "rows_in": 4,
            "rows_clean": 0,
            "rows_quarantined": 4,
            "status": "rejected",
            "error": "header matches no profile",
        }
    )

    str_cols = {c: pl.String for c in PERSON_COLUMNS}
    str_cols.update(line=pl.Int64, created_at=pl.Datetime("us"), event_date=pl.Date)
    pl.DataFrame(persons, schema=str_cols).write_parquet(out / "persons.parquet")
    pl.DataFrame(
        jobs,
        schema_overrides={
            "estimated_total": pl.Decimal(12, 2),
            "final_total": pl.Decimal(12, 2),
            "origin_unit": pl.String,
            "dest_unit": pl.String,
        },
    ).write_parquet(out / "jobs.parquet")
    pl.DataFrame(leads).write_parquet(out / "leads.parquet")
    pl.DataFrame(
        quarantine,
        schema={
            "uid": pl.String,
            "file": pl.String,
            "line": pl.Int64,
            "column": pl.String,
            "rule": pl.String,
            "raw_value": pl.String,
            "profile": pl.String,
        },
    ).write_parquet(out / "quarantine.parquet")
    pl.DataFrame(files, schema_overrides={"profile": pl.String, "error": pl.String}).write_parquet(
        out / "files.parquet"
    )
    pl.DataFrame(
        customers,
        schema_overrides={
            "middle_name": pl.String,
            "name_suffix": pl.String,
            "phone2": pl.String,
            "unit": pl.String,
            "smartmoving_customer_id": pl.String,
        },
    ).write_parquet(out / "customers.parquet")
    pl.DataFrame(umap).write_parquet(out / "unification_map.parquet")
    (out / "match_run.json").write_text(
        json.dumps(
            {
                "match_run_id": f"mr_fixture_v{version}",
                "model_sha256": "0" * 64,
                "threshold": 0.95,
                "counts": {"n_records": len(persons), "n_pairs": 10, "n_customers": people},
                "created_at": "2024-06-01T00:00:00",
            }
        )
    )
    return out


# ----------------------------------------------------------------------------------- checksums

#: Final table → (columns compared, order). Left out: what differs from run to run by design —
#: run ids and load times (lineage), the identity branch_id (compared through the branch name),
#: customers' created_at/updated_at, audit ids/txids/times (and the timestamps inside its JSON).
CHECKSUM_QUERIES: dict[str, str] = {
    "branches": "SELECT name FROM branches ORDER BY name",
    "branch_aliases": (
        "SELECT a.alias, b.name FROM branch_aliases a JOIN branches b USING (branch_id) ORDER BY 1"
    ),
    "source_files": (
        "SELECT file_name, sha256, profile, encoding, delimiter, rows_in, rows_clean,"
        " rows_quarantined, status, error FROM source_files ORDER BY file_name"
    ),
    "quarantine": "SELECT uid, file_name, line, column_name, rule, raw_value, profile FROM quarantine"
    " ORDER BY file_name, line, column_name, rule",
    "source_person_records": "SELECT * FROM source_person_records ORDER BY uid",
    "match_runs": "SELECT * FROM match_runs ORDER BY match_run_id",
    "customers": (
        "SELECT customer_id, first_name, middle_name, last_name, name_suffix, email, phone, phone2,"
        " street, unit, city, state, zip, branch, first_seen, last_seen, n_records, source_systems,"
        " smartmoving_customer_id, gender FROM customers ORDER BY customer_id"
    ),
    "customer_source_map": "SELECT * FROM customer_source_map ORDER BY uid",
    "source_job_records": "SELECT * FROM source_job_records ORDER BY uid",
    "leads": "SELECT * FROM leads ORDER BY uid",
    "audit_log": "SELECT table_name, operation, row_pk,"
    " old_row - 'created_at' - 'updated_at', new_row - 'created_at' - 'updated_at',"
    " array_remove(changed_columns, 'updated_at'), db_role FROM audit_log"
    " ORDER BY table_name, row_pk, operation, (new_row->>'email')",
}


def checksums(url: str, queries: dict[str, str] | None = None) -> dict[str, tuple[int, str]]:
    """Per final table: (row count, md5 of its ordered rows); ``queries`` defaults to the load's."""
    out: dict[str, tuple[int, str]] = {}
    with psycopg.connect(url) as conn:
        for table, query in (queries or CHECKSUM_QUERIES).items():
            row = conn.execute(
                f"SELECT count(*), coalesce(md5(string_agg(q::text, E'\\n')), '') FROM ({query}) AS q"
            ).fetchone()
            assert row is not None
            out[table] = (int(row[0]), str(row[1]))
    return out


def audit_count(url: str) -> int:
    with psycopg.connect(url) as conn:
        row = conn.execute("SELECT count(*) FROM audit_log").fetchone()
        assert row is not None
        return int(row[0])


# ----------------------------------------------------------------------------------- databases


@contextmanager
def new_database(server_url: str, template: str | None = None) -> Iterator[str]:
    """A throwaway database (a copy of ``template``'s database when given), dropped afterwards.

    Copying a migrated template is much faster than migrating every test's database.
    """
    name = f"crm_load_{uuid.uuid4().hex[:12]}"
    create = sql.SQL("CREATE DATABASE {}").format(sql.Identifier(name))
    if template is not None:
        create = sql.SQL("CREATE DATABASE {} TEMPLATE {}").format(
            sql.Identifier(name), sql.Identifier(str(make_url(template).database))
        )
    with psycopg.connect(server_url, autocommit=True) as conn:
        conn.execute(create)
    try:
        yield make_url(server_url).set(database=name).render_as_string(hide_password=False)
    finally:
        with psycopg.connect(server_url, autocommit=True) as conn:
            conn.execute(sql.SQL("DROP DATABASE IF EXISTS {} WITH (FORCE)").format(sql.Identifier(name)))


def run_child(
    processed: Path, url: str, pause_at: str, flag: Path, attempts: int = 1
) -> subprocess.Popen[str]:
    """Start ``load_child.py`` and wait until it is paused at ``pause_at`` (its flag file exists)."""
    proc = subprocess.Popen(
        [sys.executable, str(CHILD), str(processed), url, pause_at, str(flag), str(attempts)],
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        text=True,
    )
    deadline = time.monotonic() + 60
    while not flag.exists():
        if proc.poll() is not None:
            out, err = proc.communicate()
            raise AssertionError(f"the load ended before reaching {pause_at!r}: {out}\n{err}")
        if time.monotonic() > deadline:
            proc.kill()
            raise AssertionError(f"the load did not reach {pause_at!r} within 60 s")
        time.sleep(0.02)
    return proc


def run_cli(
    url: str, home: Path, *args: str, timeout: float = 300, env_extra: dict[str, str] | None = None
) -> subprocess.CompletedProcess[str]:
    """``crm-pipeline ARGS`` as a user runs it: a subprocess with only ``DATABASE_URL`` and ``CRM_HOME``
    set (no other ``CRM_`` variable of the test run leaks in; ``env_extra`` adds the user's own,
    e.g. ``CRM_BRANCHES_FILE``), wide plain output."""
    env = {k: v for k, v in os.environ.items() if not k.startswith("CRM_") and k != "DATABASE_URL"}
    env.update(DATABASE_URL=url, CRM_HOME=str(home), COLUMNS="200", NO_COLOR="1", **(env_extra or {}))
    return subprocess.run(
        [sys.executable, "-m", "crm_pipeline.cli", *args],
        env=env,
        cwd=home.parent,
        capture_output=True,
        text=True,
        timeout=timeout,
    )


def keys_and_indexes(url: str, tables: list[str]) -> list[tuple[str, str]]:
    """Every index and constraint definition on ``tables``, sorted: a snapshot to compare."""
    with psycopg.connect(url) as conn:
        indexes = conn.execute(
            "SELECT indexname, indexdef FROM pg_indexes WHERE tablename = ANY(%s)", (tables,)
        ).fetchall()
        constraints = conn.execute(
            "SELECT conname, pg_get_constraintdef(oid) FROM pg_constraint"
            " WHERE conrelid::regclass::text = ANY(%s)",
            (tables,),
        ).fetchall()
    return sorted([*indexes, *constraints])
