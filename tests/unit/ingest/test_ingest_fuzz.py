"""Fuzz whole export folders (issue 12): what a careless or hostile user drops into the raw folder.

Each example is a folder of one to three files: random bytes, or a CSV under a header taken from a
known profile (``profiles.yaml``) — columns shuffled, renamed within what the profile accepts or to
something it does not, repeated — with random cells, delimiters, encodings, ragged and truncated
lines, and file names with upper-case extensions, spaces or a newline. The clean stage must never
raise (the only error it may raise is the project's InputError naming the folder when nothing is
readable), and every file must account for its rows: ``rows_in = clean + quarantined``, with the
clean rows in persons.parquet and the quarantined lines in quarantine.parquet.
"""

from __future__ import annotations

import os
import subprocess
import sys
import tempfile
from dataclasses import dataclass
from pathlib import Path

import polars as pl
from hypothesis import HealthCheck, event, given, settings
from hypothesis import strategies as st

from crm_pipeline.config import Settings
from crm_pipeline.errors import InputError
from crm_pipeline.ingest import run_clean
from crm_pipeline.ingest.profiles import load_profiles

PROFILES = load_profiles()
ENCODINGS = ("utf-8", "utf-8-sig", "cp1252", "utf-16")

_cells = st.one_of(
    st.sampled_from(
        [
            "",
            "Ann Lee",
            "JOSÉ PEÑA",
            "Hélène",
            "ann@example.com",
            "(617) 555-0100",
            "Boston",
            "2024-01-05",
            "$1,234.50",
            "$$",
            "Completed",
            "1 Main St, Boston, MA 02110",
            "=HYPERLINK(1)",
            '"',
            "\u200b",
            "\u202eevil",
            "\ufffd",
            "\x00",
            "\n",
            "王小明",
        ]
    ),
    st.text(max_size=12),
)


@dataclass(frozen=True)
class Export:
    name: str
    data: bytes


@st.composite
def _header(draw: st.DrawFn) -> list[str]:
    profile = draw(st.sampled_from(PROFILES))
    names = [draw(st.sampled_from(spec.header)) for spec in profile.fields.values()]
    names = draw(st.permutations(names))
    # mostly spellings the profile accepts; now and then one it does not know (the file is rejected)
    spellings = (str.upper, lambda n: n.replace(" ", "_"), lambda n: f" {n} ", lambda n: n)
    renamed = [draw(st.sampled_from(spellings))(name) for name in names]
    if renamed and draw(st.integers(min_value=0, max_value=9)) == 0:
        renamed[draw(st.integers(min_value=0, max_value=len(renamed) - 1))] += "x"
    if renamed and draw(st.booleans()):
        renamed.append(draw(st.sampled_from(renamed)))  # a repeated header name
    return renamed


@st.composite
def _csv_file(draw: st.DrawFn) -> bytes:
    header = draw(_header())
    delimiter = draw(st.sampled_from([",", ";", "\t"]))
    rows = draw(
        st.lists(
            st.lists(_cells, min_size=max(len(header) - 2, 0), max_size=len(header) + 2),
            max_size=12,
        )
    )

    def line(cells: list[str]) -> str:
        quoted = [f'"{c.replace(chr(34), chr(34) * 2)}"' if draw(st.booleans()) else c for c in cells]
        return delimiter.join(quoted)

    text = "\r\n".join(line(cells) for cells in [header, *rows]) + "\r\n"
    encoding = draw(st.sampled_from(ENCODINGS))
    data = text.encode(encoding, errors="replace")
    if draw(st.booleans()):  # a truncated export: cut after the header, even inside a character
        data = data[: draw(st.integers(min_value=len(data) // 2, max_value=len(data)))]
    return data


_exports = st.lists(
    st.builds(
        Export,
        name=st.sampled_from(
            ["a.csv", "LEADS.CSV", "b.Tsv", "my export.txt", "x\ny.csv", ".hidden.csv", "notes.xlsx"]
        ),
        data=st.one_of(_csv_file(), _csv_file(), _csv_file(), st.binary(max_size=400)),
    ),
    min_size=1,
    max_size=3,
    unique_by=lambda e: e.name,
)


def _write(folder: Path, exports: list[Export]) -> None:
    folder.mkdir()
    for export in exports:
        (folder / export.name).write_bytes(export.data)


def _check_accounting(out: Path) -> None:
    """Per file: rows_in = clean + quarantined; clean rows in persons, quarantined lines apart."""
    files = pl.read_parquet(out / "files.parquet")
    persons = pl.read_parquet(out / "persons.parquet")
    quarantine = pl.read_parquet(out / "quarantine.parquet")
    for row in files.iter_rows(named=True):
        assert row["rows_in"] == row["rows_clean"] + row["rows_quarantined"], row
        clean = set(persons.filter(pl.col("file") == row["file"])["line"].to_list())
        mine = quarantine.filter(pl.col("file") == row["file"])
        assert mine.height > 0 or row["rows_quarantined"] == 0, row
        if row["status"] == "rejected":
            assert clean == set() and mine["line"].null_count() == mine.height, row
            continue
        lost = set(mine.filter(pl.col("level") != "value")["line"].to_list())  # value entries keep the row
        assert len(clean) == row["rows_clean"] and len(lost) == row["rows_quarantined"], row
        assert not clean & lost, row


@settings(max_examples=50, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(exports=_exports)
def test_any_export_folder_is_cleaned_and_every_row_accounted_for(exports: list[Export]) -> None:
    with tempfile.TemporaryDirectory() as tmp:
        raw, out = Path(tmp) / "raw", Path(tmp) / "out"
        _write(raw, exports)
        try:
            # a systemic failure (most of a file unreadable) is reported, not raised: the outputs
            # are written and must account for every row all the same
            result = run_clean(raw, out, Settings(), validate=False, raise_on_failure=False)
        except InputError as exc:  # nothing readable at all: the project's error, naming the folder
            assert str(raw) in str(exc)
            assert not [
                e for e in exports if e.name in ("a.csv", "LEADS.CSV", "b.Tsv", "my export.txt", "x\ny.csv")
            ]
            return
        assert {f.file for f in result.files} | {name for name, _ in result.skipped} == {
            e.name for e in exports
        }
        for f in result.files:
            event(f"file {f.status}: {f.profile or next(iter(f.quarantine_by_rule))}")
        _check_accounting(out)
        for message in result.systemic_failures:  # each names its file
            assert any(message.startswith(f"{f.file}:") for f in result.files), message


@settings(max_examples=3, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(exports=_exports)
def test_the_cli_never_prints_a_traceback(exports: list[Export]) -> None:
    with tempfile.TemporaryDirectory() as tmp:
        raw, out = Path(tmp) / "raw", Path(tmp) / "out"
        _write(raw, exports)
        proc = subprocess.run(  # noqa: S603 - our own interpreter and module
            [sys.executable, "-m", "crm_pipeline.cli", "clean", str(raw), str(out)],
            capture_output=True,
            text=True,
            timeout=300,
            env={"PATH": os.environ.get("PATH", "/usr/bin:/bin"), "CRM_HOME": str(Path(tmp) / "home")},
            check=False,
        )
        assert "Traceback" not in proc.stderr + proc.stdout
        assert proc.returncode in (0, 1), proc.stderr
        if proc.returncode == 1:  # rejected input or a failed critical check: one readable line
            assert "error:" in proc.stderr
        if (out / "files.parquet").exists():
            _check_accounting(out)
