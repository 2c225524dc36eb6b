"""Property tests: no input crashes the clean stage, and every row lands in exactly one place."""

from __future__ import annotations

import csv
import io
import tempfile
from pathlib import Path

import polars as pl
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from crm_pipeline.ingest.profiles import load_profiles
from crm_pipeline.ingest.stage import INVISIBLE_RULE, clean_file

PROFILES = load_profiles()
HEADERS = {p.name: [spec.header[0] for spec in p.fields.values()] for p in PROFILES}

# values that hit the normalizers' edges, mixed with arbitrary text
_values = st.one_of(
    st.sampled_from(
        [
            "",
            " ",
            "none",
            "N/A",
            "NYC",
            "Atlanta",
            "2024-02-30",
            "45296",
            "Jan 5, 2024",
            "$1,234.50",
            "USD",
            "(555) 123-4567",
            "000-000-0000",
            "x@y.z",
            "ONEIL, MARY",
            "Dr. Jr.",
            "02139-4307",
            "Calif.",
            "123 Main St, Apt 4, Springfield, IL 62704",
            "Completed",
            "Moving And Packing",
            "\ufffd",
            "\x00",
            '"',
            ",",
            ";",
            "\t",
            "\n",
            "\r\n",
        ]
    ),
    st.text(max_size=30),
)
_settings = settings(max_examples=25, deadline=None, suppress_health_check=[HealthCheck.too_slow])


def _check(path: Path) -> None:
    out = clean_file(path, PROFILES)
    r = out.result
    assert r.rows_in == r.rows_clean + r.rows_quarantined
    if r.status == "rejected":
        assert r.rows_clean == 0 and out.quarantine.height == 1
        return
    assert out.persons is not None and out.quarantine is not None
    clean_lines = set(out.persons["line"].to_list())
    # value-level entries (a format character removed from free text) keep their row clean
    quarantined = set(out.quarantine.filter(pl.col("rule") != INVISIBLE_RULE)["line"].to_list())
    assert len(clean_lines) == out.persons.height == r.rows_clean
    assert len(quarantined) == r.rows_quarantined
    assert not clean_lines & quarantined
    assert out.quarantine["rule"].null_count() == 0


@_settings
@given(data=st.binary(max_size=2_000))
def test_random_bytes_never_crash(data: bytes) -> None:
    with tempfile.TemporaryDirectory() as tmp:
        path = Path(tmp) / "garbage.csv"
        path.write_bytes(data)
        _check(path)


@_settings
@given(
    profile=st.sampled_from(sorted(HEADERS)),
    body=st.text(alphabet=st.sampled_from(list('ab1 ,;\t"\n\r\x00\ufffdé\u2028')), max_size=400),
    encoding=st.sampled_from(["utf-8", "utf-8-sig", "cp1252"]),
)
def test_csv_garbage_under_a_real_header_never_crashes(profile: str, body: str, encoding: str) -> None:
    header = ",".join(HEADERS[profile])
    with tempfile.TemporaryDirectory() as tmp:
        path = Path(tmp) / "garbage.csv"
        path.write_bytes(f"{header}\n{body}".encode(encoding, errors="replace"))
        _check(path)


@_settings
@given(
    profile=st.sampled_from(sorted(HEADERS)),
    rows=st.lists(st.lists(_values, min_size=1, max_size=25), max_size=12),
)
def test_messy_rows_are_all_accounted_for(profile: str, rows: list[list[str]]) -> None:
    header = HEADERS[profile]
    buffer = io.StringIO()
    writer = csv.writer(buffer, lineterminator="\r\n")  # quotes fields holding \r or \n
    writer.writerow(header)
    writer.writerows(rows)
    with tempfile.TemporaryDirectory() as tmp:
        path = Path(tmp) / "messy.csv"
        path.write_text(buffer.getvalue(), encoding="utf-8")
        out = clean_file(path, PROFILES)
        _check(path)
    # every record that holds any data is a row: in the outputs or in the quarantine
    data_rows = [r for r in rows if any(v.replace("\x00", "").strip() for v in r)]
    headerish = [
        r
        for r in data_rows
        if [v.replace(" ", "").lower() for v in r]
        == [h.replace(" ", "").replace("_", "").lower() for h in header]
    ]
    assert out.result.rows_in == len(data_rows) - len(headerish)
    assert out.persons is not None
    assert out.persons.select(pl.col("uid").str.starts_with("messy.csv#").all()).item() in (True, None)
