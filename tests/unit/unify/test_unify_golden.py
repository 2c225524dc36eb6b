"""Survivorship rules and customer ids, on hand-made rows of one or two customers."""

from __future__ import annotations

import datetime as dt
from typing import Any

import duckdb
import polars as pl
import pytest

from crm_pipeline.unify import build_golden_records, build_lineage

COLUMNS = [
    "uid",
    "file",
    "line",
    "record_id",
    "source_system",
    "source_customer_id",
    "first_name",
    "middle_name",
    "last_name",
    "name_suffix",
    "email",
    "phone",
    "phone2",
    "street",
    "unit",
    "city",
    "state",
    "zip",
    "branch",
    "created_at",
    "event_date",
]


def _row(uid: str, source: str, day: int, **fields: Any) -> dict[str, Any]:
    row: dict[str, Any] = dict.fromkeys(COLUMNS)
    file, line = uid.split("#")
    row.update(uid=uid, file=file, line=int(line), record_id=f"{file}-{line}", source_system=source)
    row["created_at"] = dt.datetime(2024, 1, 1) + dt.timedelta(days=day)
    row.update(fields)
    return row


@pytest.fixture
def golden() -> dict[str, Any]:
    rows = [
        # one customer, four rows: the usual spelling, a typo, a newer email, an older address
        _row(
            "legacy.csv#2",
            "legacy",
            1,
            first_name="Katherine",
            last_name="Wilson",
            email="old@x.com",
            phone="+15035550150",
            street="1 OLD RD",
            city="SALEM",
            state="OR",
            zip="97301",
            branch="Portland",
        ),
        _row(
            "sm.csv#2",
            "smartmoving",
            2,
            first_name="Katherine",
            last_name="Wilson",
            source_customer_id="SM-1",
            street="77 ROSE LN",
            unit="APT 2",
            city="PORTLAND",
            state="OR",
            zip="97201",
        ),
        _row(
            "lead.csv#2",
            "lead",
            3,
            first_name="Kathreine",
            last_name="Wilson",
            email="new@x.com",
            zip="97209",
        ),
        _row(
            "legacy.csv#3",
            "legacy",
            0,
            first_name="K",
            last_name="Wilson",
            middle_name="Ann",
            phone2="+15035550199",
        ),
    ]
    con = duckdb.connect()
    con.register("persons_frame", pl.DataFrame(rows, infer_schema_length=None).to_arrow())
    con.execute("CREATE TABLE persons AS SELECT * FROM persons_frame")
    con.execute("CREATE TABLE clusters AS SELECT uid, 1 AS cluster FROM persons")
    build_lineage(con, "persons", "clusters")
    con.execute("CREATE VIEW rows_ AS SELECT p.*, l.customer_id FROM persons p JOIN lineage l USING (uid)")
    assert build_golden_records(con, "rows_") == 1
    names = [d[0] for d in con.sql("SELECT * FROM customers").description]
    return dict(zip(names, con.sql("SELECT * FROM customers").fetchall()[0], strict=True))


def test_most_frequent_name_spelling_wins_over_a_typo_and_an_initial(golden: dict[str, Any]) -> None:
    assert (golden["first_name"], golden["last_name"], golden["middle_name"]) == (
        "Katherine",
        "Wilson",
        "Ann",
    )


def test_newest_non_empty_contact_fields(golden: dict[str, Any]) -> None:
    assert golden["email"] == "new@x.com"  # the lead is the newest row with an email
    assert golden["phone"] == "+15035550150"  # only one row has a phone
    assert golden["phone2"] == "+15035550199"


def test_address_is_taken_whole_from_the_newest_row_with_a_street(golden: dict[str, Any]) -> None:
    address = tuple(golden[k] for k in ("street", "unit", "city", "state", "zip"))
    assert address == ("77 ROSE LN", "APT 2", "PORTLAND", "OR", "97201")


def test_counts_dates_sources_and_smartmoving_id(golden: dict[str, Any]) -> None:
    assert golden["n_records"] == 4
    assert golden["source_systems"] == "lead,legacy,smartmoving"
    assert golden["smartmoving_customer_id"] == "SM-1"
    assert golden["first_seen"] == dt.datetime(2024, 1, 1)
    assert golden["last_seen"] == dt.datetime(2024, 1, 4)


def test_customer_id_comes_from_the_smallest_file_record_key(golden: dict[str, Any]) -> None:
    import hashlib

    expected = "cus_" + hashlib.sha256(b"lead.csv|lead.csv-2").hexdigest()[:16]
    assert golden["customer_id"] == expected


def test_smartmoving_wins_a_tie_on_name_spelling() -> None:
    rows = [
        _row("legacy.csv#2", "legacy", 5, first_name="Jon", last_name="Baker"),
        _row("sm.csv#2", "smartmoving", 1, first_name="John", last_name="Baker"),
    ]
    con = duckdb.connect()
    con.register("persons_frame", pl.DataFrame(rows, infer_schema_length=None).to_arrow())
    con.execute("CREATE TABLE persons AS SELECT *, 'cus_x' AS customer_id FROM persons_frame")
    build_golden_records(con, "persons")
    assert con.sql("SELECT first_name FROM customers").fetchall() == [("John",)]


def test_rows_without_a_cluster_become_their_own_customer() -> None:
    rows = [_row("a.csv#2", "lead", 0, first_name="A"), _row("a.csv#3", "lead", 0, first_name="B")]
    con = duckdb.connect()
    con.register("persons_frame", pl.DataFrame(rows, infer_schema_length=None).to_arrow())
    con.execute("CREATE TABLE persons AS SELECT * FROM persons_frame")
    con.execute("CREATE TABLE clusters (uid VARCHAR, cluster BIGINT)")
    build_lineage(con, "persons", "clusters")
    assert con.sql("SELECT count(DISTINCT customer_id) FROM lineage").fetchall() == [(2,)]
