"""Header names that appear twice: the second column is used or the file is rejected, never dropped.

A header can name one profile field twice ("Phone Number" ... "Phone Number", or "Email" and
"E-mail"). Profile matching takes the first column, so the second one's values would vanish
without a word. For each field named more than once:

* when the field has an alternate field (``phone`` → ``phone2``) that the profile has and the file
  does not fill otherwise, the second column becomes that field;
* when the second column holds nothing the first does not (empty or equal on every row: an export
  that repeated a column), nothing is lost and the first is used;
* otherwise the file is rejected (``duplicate_column``), the message naming both columns and the
  first line where they differ, so the user renames or removes one and loads again.
"""

from __future__ import annotations

from dataclasses import replace

import polars as pl

from crm_pipeline.ingest.profiles import ProfileMatch, normalize_header

#: A field whose second column has a home of its own.
ALTERNATES: dict[str, str] = {"phone": "phone2"}


def resolve_duplicates(
    match: ProfileMatch, header: list[str], rows: pl.DataFrame
) -> tuple[ProfileMatch, str | None]:
    """``match`` with second columns assigned to their alternate fields, and an error or None."""
    columns = dict(match.columns)
    keys = [normalize_header(h) for h in header]
    for name, spec in match.profile.fields.items():
        found = [i for i, key in enumerate(keys) if key in spec.keys]
        if len(found) < 2:
            continue
        first, *others = found  # profile matching took the first
        for other in others:
            alternate = ALTERNATES.get(name)
            if alternate is not None and alternate in match.profile.fields and alternate not in columns:
                columns[alternate] = other
                continue
            line = _first_difference(rows, first, other)
            if line is not None:
                return match, (
                    f"duplicate column {header[other]!r} (columns {first + 1} and {other + 1}) holds "
                    f"other values than the first (e.g. line {line}); rename or remove one of them"
                )
    return replace(match, columns=columns), None


def _first_difference(rows: pl.DataFrame, first: int, other: int) -> int | None:
    """The first line where column ``other`` holds a value that column ``first`` does not."""
    a, b = pl.col(f"c{first}"), pl.col(f"c{other}")
    differs = rows.filter(b.is_not_null() & (a.is_null() | (a != b)))
    return int(differs["line"][0]) if differs.height else None
