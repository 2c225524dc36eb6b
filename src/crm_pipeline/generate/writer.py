"""Serialize rows into raw CSV bytes, plant the structural messes, and record the truth line by line.

The writer is where physical line numbers become known, so it also emits the ground truth: for each
data row its ``record_id`` (the id cell, or ``line:N`` when blank, N = the physical line the row
starts on, header = 1) with the person entity and job entity, every planted phenomenon, and the rows
that must be quarantined. Structural messes (blank lines, ragged rows, NUL bytes, the absurdly long
value) are placed here because they are about bytes and lines, not about values.
"""

from __future__ import annotations

import csv
import random
from dataclasses import dataclass, field
from pathlib import Path

from crm_pipeline.generate.knobs import Knobs
from crm_pipeline.generate.phenomena import EXAMPLE_CAP, EXHAUSTIVE
from crm_pipeline.generate.profiles import FileSpec, Row

_ENCODING_PHENOMENON = {
    "utf-8": "encoding_utf8",
    "utf-8-sig": "encoding_utf8_bom",
    "cp1252": "encoding_cp1252",
}
_DELIMITER_PHENOMENON = {",": "delimiter_comma", ";": "delimiter_semicolon", "\t": "delimiter_tab"}
_LONG_TEXT = "Customer pasted the whole email thread into this field; "
_MAX_VALUE = 1000


@dataclass
class Truth:
    """Ground-truth rows collected while writing, flushed to ``DIR/truth/`` at the end."""

    customers: list[tuple[str, str, str]] = field(default_factory=list)
    jobs: list[tuple[str, str, str]] = field(default_factory=list)
    phenomena: list[tuple[str, str, str, str, str, str]] = field(default_factory=list)
    quarantine: list[tuple[str, int, str, str, str, str]] = field(default_factory=list)
    _listed: dict[tuple[str, int, str], int] = field(default_factory=dict)

    def phenomenon(self, file: str, line: int | None, record_id: str, column: str, col: int, name: str,
                   value: str) -> None:  # fmt: skip
        if name not in EXHAUSTIVE:
            key = (file, col, name)
            seen = self._listed.get(key, 0)
            if seen >= EXAMPLE_CAP:
                return
            self._listed[key] = seen + 1
        self.phenomena.append((file, "" if line is None else str(line), record_id, column, name, value))

    def write(self, truth_dir: Path) -> None:
        truth_dir.mkdir(parents=True, exist_ok=True)
        for name, header, rows in (
            ("customers.csv", ("file", "record_id", "entity_id"), self.customers),
            ("jobs.csv", ("file", "record_id", "job_entity"), self.jobs),
            ("phenomena.csv", ("file", "line", "record_id", "column", "phenomenon", "value"), self.phenomena),
            (
                "expected_quarantine.csv",
                ("file", "line", "reason", "record_id", "column", "raw_value"),
                self.quarantine,
            ),
        ):
            with (truth_dir / name).open("w", encoding="utf-8", newline="") as fh:
                out = csv.writer(fh, lineterminator="\n")
                out.writerow(header)
                out.writerows(rows)


@dataclass(frozen=True)
class WrittenFile:
    name: str
    profile: str
    rows: int
    """Data rows (what truth lists), not lines."""
    bytes: int


def _shown(value: str) -> str:
    """A cell as listed in the truth: NUL bytes spelled ``\\x00``, huge values by their length."""
    if len(value) > _MAX_VALUE:
        return f"<{len(value)} chars>"
    return value.replace("\x00", "\\x00")


def _picks(rng: random.Random, rows: list[Row], wanted: list[int]) -> list[set[int]]:
    """Disjoint sets of row indices, one per count in ``wanted`` (fewer when the file is tiny).

    Rows already bound for the quarantine are left out: a row whose cells shift cannot also be
    checked cell by cell, so one reason per row keeps the expected quarantine exact.
    """
    candidates = [i for i, row in enumerate(rows) if not row.quarantine]
    chosen = rng.sample(candidates, min(len(candidates), sum(wanted)))
    out: list[set[int]] = []
    start = 0
    for count in wanted:
        out.append(set(chosen[start : start + count]))
        start += count
    return out


def write_file(rng: random.Random, k: Knobs, spec: FileSpec, rows: list[Row], raw_dir: Path,
               truth: Truth) -> WrittenFile:  # fmt: skip
    """Write one raw file and append its truth; returns its row count and size."""
    n = len(rows)
    width = len(spec.header)
    d = spec.delimiter
    nl = spec.newline
    file = spec.name

    def rare(rate: float, enabled: bool) -> int:
        return min(n, max(k.min_rare_per_file, round(rate * n))) if enabled and n else 0

    nul, long_, ragged_long, ragged_short, trailing = _picks(
        rng,
        rows,
        [
            rare(k.nul_byte_rate, spec.nul_col >= 0),
            1 if spec.long_field_col >= 0 and n else 0,
            rare(k.ragged_long_rate, spec.ragged_long_col >= 0),
            rare(k.ragged_short_rate, spec.ragged_short_cols > 0),
            rare(k.trailing_delimiter_rate, spec.trailing_delimiter),
        ],
    )
    blank_before = set(rng.sample(range(n + 1), rare(k.blank_line_rate, spec.blank_lines)))
    empty_before = set(rng.sample(range(n + 1), rare(k.empty_row_rate, spec.empty_rows)))

    def serialize(cells: list[str], tag: list[tuple[int, str]] | None = None) -> str:
        parts = []
        for ci, c in enumerate(cells):
            if d in c or '"' in c or "\n" in c:
                if tag is not None:
                    if d in c:
                        tag.append((ci, "quoted_delimiter"))
                    if '"' in c:
                        tag.append((ci, "quoted_quote"))
                    if "\n" in c:
                        tag.append((ci, "quoted_newline"))
                parts.append('"' + c.replace('"', '""') + '"')
            elif spec.quote_all:
                parts.append('"' + c + '"')
            else:
                parts.append(c)
        return d.join(parts)

    header_text = serialize(list(spec.header))
    out: list[str] = [header_text, nl]
    line = 2
    for i, row in enumerate(rows):
        if row.header_before:
            truth.phenomenon(file, line, "", "", -1, "repeated_header", "")
            out += (header_text, nl)
            line += 1
        if i in blank_before:
            truth.phenomenon(file, line, "", "", -1, "blank_line", "")
            out.append(nl)
            line += 1
        if i in empty_before:
            truth.phenomenon(file, line, "", "", -1, "empty_row", "")
            out += (d * (width - 1), nl)
            line += 1
        cells = row.cells
        tags = row.tags
        if i in nul:
            c = cells[spec.nul_col]
            cut = rng.randrange(len(c) + 1)
            cells[spec.nul_col] = c[:cut] + "\x00" + c[cut:]
            tags.append((spec.nul_col, "nul_byte", ""))
        if i in long_:
            cells[spec.long_field_col] = (_LONG_TEXT * (k.long_field_chars // len(_LONG_TEXT) + 1))[
                : k.long_field_chars
            ]
            tags.append((spec.long_field_col, "long_field", ""))
            row.quarantine.append((spec.long_field_col, "field_too_long"))
        written = cells
        if i in ragged_long:
            col = spec.ragged_long_col
            cells[col] = cells[col] or "Apt 4"
            written = [*cells[:col], cells[col], " Rear", *cells[col + 1 :]]
            tags.append((col, "ragged_long", ""))
            row.quarantine.append((-1, "ragged_row"))
        elif i in ragged_short:
            keep = width - spec.ragged_short_cols
            written = cells[:keep]
            tags = [t for t in tags if t[0] < keep]
            tags.append((-1, "ragged_short", ""))
            row.quarantine.append((-1, "ragged_row"))
        elif i in trailing:
            written = [*cells, ""]
            tags.append((-1, "trailing_delimiter", ""))
        quoted: list[tuple[int, str]] = []
        text = serialize(written, quoted)
        start = line
        line += text.count("\n") + 1
        out += (text, nl)

        record_id = cells[0].strip() or f"line:{start}"
        truth.customers.append((file, record_id, row.entity))
        if row.job_entity:
            truth.jobs.append((file, record_id, row.job_entity))
        for ci, name, detail in tags:
            if ci >= 0:
                truth.phenomenon(file, start, record_id, spec.header[ci], ci, name, _shown(cells[ci]))
            else:
                truth.phenomenon(file, start, record_id, "", -1, name, detail)
        if written is cells:
            for ci, name in quoted:
                truth.phenomenon(file, start, record_id, spec.header[ci], ci, name, _shown(cells[ci]))
        for ci, reason in row.quarantine:
            column, raw = (spec.header[ci], cells[ci]) if ci >= 0 else ("*", text)
            truth.quarantine.append((file, start, reason, record_id, column, _shown(raw)))
    if n in blank_before:
        truth.phenomenon(file, line, "", "", -1, "blank_line", "")
        out.append(nl)
        line += 1
    if n in empty_before:
        truth.phenomenon(file, line, "", "", -1, "empty_row", "")
        out += (d * (width - 1), nl)

    for name in (
        _ENCODING_PHENOMENON[spec.encoding],
        _DELIMITER_PHENOMENON[d],
        "line_ending_crlf" if nl == "\r\n" else "line_ending_lf",
        "quote_all" if spec.quote_all else "",
    ):
        if name:
            truth.phenomenon(file, None, "", "", -1, name, "")
    data = "".join(out).encode(spec.encoding)
    (raw_dir / file).write_bytes(data)
    return WrittenFile(file, spec.profile, n, len(data))
