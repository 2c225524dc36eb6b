"""CSV files for people: every text cell safe to open in a spreadsheet (OWASP CSV injection).

A spreadsheet treats a cell that starts with ``=``, ``+``, ``-`` or ``@`` as a formula (tab and
carriage return are stripped first by some of them), so a customer named ``=HYPERLINK(…)`` in an
export, written back verbatim, runs as a formula on the clerk's machine. Following the OWASP
guidance, ``write_csv`` — the one writer of every CSV this project hands to people (``export
unification-map``, ``export job-map``, ``review_pairs.csv``, standalone ``clusters.csv`` /
``pairs.csv``) — prefixes such a text cell with a single quote ``'`` and quotes every text cell.

What this means for values that legitimately start with those characters:

- **E.164 phones** (``+15551234567``) are text and are written as ``'+15551234567``: a spreadsheet
  shows them as text (never as the number 15551234567 or a formula); strip the leading ``'`` when a
  program reads them back.
- **Negative amounts** in numeric columns are numbers, not text, and stay numbers (``-12.5``): a
  number cannot carry a formula. A negative amount stored as text (``"-12.50"``) gets the ``'``.

Vectorised: one Polars expression per text column, no Python per cell.
"""

from __future__ import annotations

from pathlib import Path

import polars as pl

#: Leading characters a spreadsheet may read as the start of a formula (OWASP).
FORMULA_START = ("=", "+", "-", "@", "\t", "\r")
_PATTERN = "^[=+\\-@\t\r]"


def neutralize(frame: pl.DataFrame) -> pl.DataFrame:
    """Every text cell that a spreadsheet would take for a formula, prefixed with ``'``."""
    text = [name for name, dtype in frame.schema.items() if dtype == pl.String]
    if not text:
        return frame
    return frame.with_columns(
        pl.when(pl.col(c).str.contains(_PATTERN)).then(pl.lit("'") + pl.col(c)).otherwise(pl.col(c)).alias(c)
        for c in text
    )


def write_csv(frame: pl.DataFrame, path: Path) -> int:
    """Write ``frame`` neutralized, text cells quoted, atomically (temporary file, then rename).

    Returns the rows written.
    """
    path.parent.mkdir(parents=True, exist_ok=True)
    tmp = path.with_name(path.name + ".tmp")
    neutralize(frame).write_csv(tmp, quote_style="non_numeric")
    tmp.replace(path)
    return frame.height
