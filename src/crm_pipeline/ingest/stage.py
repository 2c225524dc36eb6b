"""The clean stage: ``run_clean(raw_dir, processed_dir, settings) -> CleanResult``.

For every CSV file of ``raw_dir``: read and parse it (:mod:`.reader`), recognise its profile
(:mod:`.profiles`), clean its fields (:mod:`.transform`), and split its rows into clean output
and quarantine. Then check the clean frames against the Pydantic contract (a sample,
:mod:`crm_pipeline.models`), write the Parquet files of docs/contracts.md "Phase 2 (clean)" and
``clean_summary.json``, and run the Great Expectations suites (:mod:`crm_pipeline.validate`).

Accounting, checked per file: ``rows_in = rows_clean + rows_quarantined`` where a quarantined row
is a distinct line with a ``row``-level quarantine entry. A mismatch is a bug in this stage and stops
the run.

Quarantine levels: ``value`` — one value could not be read or was out of range; it is null in the
output and the row goes on (the entry keeps file, line, column, rule and the raw value). ``row`` —
the row cannot stand for anything (an unreadable or ragged line, no name and no contact at all) and
is left out. ``file`` — the file could not be used at all (unknown profile, empty, unreadable).

Systemic failures stop the run (``CleanResult.raise_for_validation``), each naming its file: a
file with more than ``CRM_MAX_FILE_FAILURE_SHARE`` of its rows quarantined whole, a column with
more than ``CRM_MAX_COLUMN_FAILURE_SHARE`` of its non-blank values unreadable (at least
``MIN_SYSTEMIC_COUNT`` of them: a handful of bad rows in a tiny file is not a system). A file
whose header matches no profile is rejected whole: the other files go on, the load holds that
source back and the run exits 1 naming it.

Categories are the company's: branch spellings the branch table does not know are kept and grouped
across the run into unconfirmed branches (``CleanResult.unconfirmed_branches`` and a YAML snippet);
status and service-type words outside the enums become ``other`` with the word kept, counted in
``CleanResult.other_categories``.
"""

from __future__ import annotations

import hashlib
import json
import logging
import time
from collections import Counter
from contextlib import ExitStack
from dataclasses import asdict, dataclass, field, replace
from functools import partial
from pathlib import Path
from typing import Any

import polars as pl

from crm_pipeline.clean._distinct import squish
from crm_pipeline.clean.branches import UnconfirmedBranch, group_unconfirmed, yaml_snippet
from crm_pipeline.config import Settings
from crm_pipeline.console import progress
from crm_pipeline.errors import ValidationFailed
from crm_pipeline.ingest import reader
from crm_pipeline.ingest.duplicates import resolve_duplicates
from crm_pipeline.ingest.encoding import Decoded, decode_bytes
from crm_pipeline.ingest.inputs import select_inputs
from crm_pipeline.ingest.profiles import Profile, ProfileMatch, detect_profile, load_profiles
from crm_pipeline.ingest.transform import CleanRules, Transformed, transform
from crm_pipeline.logs import mask_pii
from crm_pipeline.models import (
    CleanJob,
    CleanLead,
    CleanPerson,
    ContractViolation,
    conform,
    empty_frame,
    validate_frame,
)
from crm_pipeline.permissions import PRIVATE_DIR_MODE
from crm_pipeline.validate import ValidationReport, ValidationWorker

log = logging.getLogger(__name__)

OUTPUTS = ("persons", "jobs", "leads", "quarantine", "files")
QUARANTINE_SCHEMA: dict[str, pl.DataType] = {
    "uid": pl.String(),
    "file": pl.String(),
    "line": pl.Int64(),
    "column": pl.String(),
    "rule": pl.String(),
    "raw_value": pl.String(),
    "profile": pl.String(),
    "level": pl.String(),
}
LEVELS = ("file", "row", "value")
FILES_SCHEMA: dict[str, pl.DataType] = {
    "file": pl.String(),
    "sha256": pl.String(),
    "profile": pl.String(),
    "encoding": pl.String(),
    "encoding_confidence": pl.Float64(),
    "delimiter": pl.String(),
    "rows_in": pl.Int64(),
    "rows_clean": pl.Int64(),
    "rows_quarantined": pl.Int64(),
    "status": pl.String(),
    "error": pl.String(),
}
FREE_TEXT_FIELDS = ("move_size", "sales_person", "referral_source")
"""Typed text that identifies nobody: format characters removed there are also reported
(``invisible_characters``, one entry per value, the row kept); elsewhere they are only removed."""
INVISIBLE_RULE = "invisible_characters"
MIN_SYSTEMIC_COUNT = 10
"""A share rule (file or column) needs at least this many failures: 1 bad row of 3 is no system."""
VALUE_ISSUES = frozenset({"field_too_long", "bad_encoding"})
"""Reader issues of one cell: the cell is nulled (a value-level entry), the row goes on."""
MODEL_SAMPLE_ROWS = 5_000
"""Rows per output checked against the Pydantic models (20-40 ms per 1,000 rows measured, with
``to_dicts``), so the check is a sample; see crm_pipeline.models for why."""


class CleanInvariantError(RuntimeError):
    """A row was lost or counted twice: a bug in the clean stage, never a data problem."""


@dataclass(frozen=True)
class FileResult:
    """What happened to one input file (a row of ``files.parquet`` plus diagnostics)."""

    file: str
    sha256: str
    profile: str | None
    encoding: str | None
    delimiter: str | None
    rows_in: int
    rows_clean: int
    rows_quarantined: int
    status: str  # ok | rejected
    error: str | None = None
    encoding_confidence: float | None = None
    encoding_note: str | None = None
    blank_lines: int = 0
    repeated_headers: int = 0
    nul_bytes: int = 0
    csv_module_fallback: bool = False
    quarantine_by_rule: dict[str, int] = field(default_factory=dict)
    values_quarantined: int = 0
    flags: dict[str, int] = field(default_factory=dict)
    seconds: float = 0.0
    systemic: list[str] = field(default_factory=list)
    """Why this file stops the run (empty: it does not)."""
    ignored_columns: tuple[str, ...] = ()  # header names no field of the profile uses


@dataclass(frozen=True)
class CleanResult:
    """The stage's result: counts, timings, paths and the validation report."""

    raw_dir: Path
    processed_dir: Path
    files: list[FileResult]
    outputs: dict[str, int]  # rows per output file (persons, jobs, leads, quarantine, files)
    quarantine_by_rule: dict[str, int]  # quarantine entries per rule
    timings: dict[str, float]
    paths: dict[str, Path]
    validation: ValidationReport | None = None
    skipped: list[tuple[str, str]] = field(default_factory=list)  # files of raw_dir not read, and why
    quarantine_by_level: dict[str, dict[str, int]] = field(default_factory=dict)
    """level (file / row / value) → rule → entries."""
    unconfirmed_branches: list[UnconfirmedBranch] = field(default_factory=list)
    other_categories: dict[str, dict[str, int]] = field(default_factory=dict)
    """``status`` / ``service_type`` → word kept as ``other`` → rows."""

    @property
    def rows_in(self) -> int:
        return sum(f.rows_in for f in self.files)

    @property
    def rows_clean(self) -> int:
        return sum(f.rows_clean for f in self.files)

    @property
    def rows_quarantined(self) -> int:
        return sum(f.rows_quarantined for f in self.files)

    @property
    def values_quarantined(self) -> int:
        return sum(f.values_quarantined for f in self.files)

    @property
    def rejected_files(self) -> list[FileResult]:
        return [f for f in self.files if f.status == "rejected"]

    @property
    def systemic_failures(self) -> list[str]:
        return [message for f in self.files for message in f.systemic]

    @property
    def branches_yaml(self) -> str:
        """The unconfirmed branches as a snippet of the branch table (empty when there are none)."""
        return yaml_snippet(self.unconfirmed_branches) if self.unconfirmed_branches else ""

    def raise_for_validation(self) -> None:
        """Raise ValidationFailed on a systemic failure or when a critical expectation failed."""
        systemic = self.systemic_failures
        critical = self.validation is not None and not self.validation.success
        if systemic or critical:
            lines = [f"systemic failure: {m}" for m in systemic]
            if critical and self.validation is not None:
                lines.append(self.validation.summary())
            raise ValidationFailed("\n".join(lines), report=self.validation)

    def categories_summary(self) -> dict[str, Any]:
        """Unconfirmed branches (with spellings and counts), other statuses / service types, the
        YAML snippet: what the run summary shows."""
        return {
            "unconfirmed_branches": [asdict(b) | {"aliases": b.aliases} for b in self.unconfirmed_branches],
            "branches_yaml": self.branches_yaml,
            "other_categories": self.other_categories,
        }


@dataclass
class _FileOutput:
    result: FileResult
    persons: pl.DataFrame | None = None
    jobs: pl.DataFrame | None = None
    leads: pl.DataFrame | None = None
    quarantine: pl.DataFrame | None = None


def run_clean(
    raw_dir: Path,
    processed_dir: Path,
    settings: Settings,
    *,
    validate: bool = True,
    raise_on_failure: bool = True,
) -> CleanResult:
    """Clean every export of ``raw_dir`` into ``processed_dir``; see the module docstring.

    Raises ValidationFailed when a critical expectation fails (the outputs and the validation
    results are written first, so the failing rows can be inspected; ``raise_on_failure=False``
    returns the result instead, see ``CleanResult.raise_for_validation``), InputError when
    ``raw_dir`` holds no CSV files. A file that cannot be used is rejected, not raised.
    """
    started = time.perf_counter()
    raw_dir, processed_dir = Path(raw_dir), Path(processed_dir)
    selection = select_inputs(raw_dir)
    files = selection.require_files(raw_dir)
    for name, reason in selection.skipped:
        log.info("%s: not read: %s", name, reason)
    profiles = load_profiles(settings.profiles_file)
    limits = reader.ReadLimits(settings.max_columns, settings.max_field_chars)
    rules = CleanRules.from_settings(settings)
    processed_dir.mkdir(
        parents=True, exist_ok=True, mode=PRIVATE_DIR_MODE if settings.private_files else 0o777
    )
    with ExitStack() as stack:
        # Great Expectations loads in its own process while the files are cleaned
        worker = stack.enter_context(ValidationWorker()) if validate else None

        outputs: list[_FileOutput] = []
        with progress() as bar:
            for path in files:
                task = bar.add_task(path.name, total=_STEPS)
                outputs.append(
                    clean_file(path, profiles, rules, partial(bar.advance, task), limits=limits)
                )
                bar.update(task, completed=_STEPS)
        timings = {"files": time.perf_counter() - started}

        t = time.perf_counter()
        frames = {
            "persons": _concat([o.persons for o in outputs], CleanPerson),
            "jobs": _concat([o.jobs for o in outputs], CleanJob),
            "leads": _concat([o.leads for o in outputs], CleanLead),
            "quarantine": pl.concat([o.quarantine for o in outputs if o.quarantine is not None]),
            "files": pl.DataFrame(
                [{k: getattr(o.result, k) for k in FILES_SCHEMA} for o in outputs],
                schema=FILES_SCHEMA,
                orient="row",
            ),
        }
        unconfirmed = _group_branches(frames, rules)
        timings["assemble"] = time.perf_counter() - t

        t = time.perf_counter()
        checked = _check_contract(frames)
        timings["model_check"] = time.perf_counter() - t

        t = time.perf_counter()
        paths = {name: processed_dir / f"{name}.parquet" for name in OUTPUTS}
        for name, frame in frames.items():
            _write_parquet(frame, paths[name])
        timings["write"] = time.perf_counter() - t

        report = None
        if worker is not None:
            t = time.perf_counter()
            tables = {name: paths[name] for name in ("persons", "jobs", "leads")}
            report = worker.validate(tables, settings, processed_dir / "validation")
            timings["validation"] = time.perf_counter() - t
            paths["validation"] = processed_dir / "validation"
            for check in report.warnings:
                log.warning("data quality warning: %s", check.line())
    timings["total"] = time.perf_counter() - started

    by_rule = Counter(frames["quarantine"]["rule"].to_list())
    by_level: dict[str, dict[str, int]] = {}
    for level, rule, n in (
        frames["quarantine"].group_by("level", "rule").len().sort("len", descending=True).rows()
    ):
        by_level.setdefault(level, {})[rule] = n
    result = CleanResult(
        raw_dir=raw_dir,
        processed_dir=processed_dir,
        files=[o.result for o in outputs],
        outputs={name: frame.height for name, frame in frames.items()},
        quarantine_by_rule=dict(sorted(by_rule.items(), key=lambda kv: (-kv[1], kv[0]))),
        timings={k: round(v, 3) for k, v in timings.items()},
        paths=paths,
        validation=report,
        skipped=selection.skipped,
        quarantine_by_level={level: by_level[level] for level in LEVELS if level in by_level},
        unconfirmed_branches=unconfirmed,
        other_categories=_other_categories(frames["jobs"]),
    )
    paths["summary"] = processed_dir / "clean_summary.json"
    _write_summary(result, checked, paths["summary"])
    log.info(
        "clean: %d files, %d rows in, %d clean, %d quarantined (+ %d values) in %.1f s",
        len(files),
        result.rows_in,
        result.rows_clean,
        result.rows_quarantined,
        result.values_quarantined,
        timings["total"],
    )
    for message in result.systemic_failures:
        log.error("systemic failure: %s", message)
    if raise_on_failure:
        result.raise_for_validation()
    return result


_STEPS = 4  # read, parse, clean, split: the progress bar's units per file


def _group_branches(frames: dict[str, pl.DataFrame], rules: CleanRules) -> list[UnconfirmedBranch]:
    """Group the run's unconfirmed branch spellings and name every row's branch by its group.

    Every clean row has a person row, so the person rows' spellings count rows."""
    known = list(rules.branches.names)
    spellings = frames["persons"].filter(pl.col("branch").is_not_null() & ~pl.col("branch").is_in(known))
    counts = dict(spellings["branch"].value_counts().rows())
    if not counts:
        return []
    groups = group_unconfirmed(counts, rules.branches)
    name_of = {spelling: g.name for g in groups for spelling in g.spellings}
    for output in ("persons", "jobs", "leads"):
        frames[output] = frames[output].with_columns(pl.col("branch").replace(name_of))
    for g in groups:
        log.warning(
            "unconfirmed branch %r: %d rows, spellings %s", g.name, g.rows, ", ".join(map(repr, g.spellings))
        )
    return groups


def _other_categories(jobs: pl.DataFrame) -> dict[str, dict[str, int]]:
    """Per category column, the words kept as ``other`` and their row counts (most frequent first).

    Spellings that differ only in case and spacing count as one word ("done" / "Done" / "DONE"),
    shown as its most frequent spelling; the rows keep the word as typed in ``<column>_raw``.
    """
    out: dict[str, dict[str, int]] = {}
    for column in ("status", "service_type"):
        raw = jobs.select(pl.col(f"{column}_raw").drop_nulls().alias("word"))
        if raw.height:
            words = (
                raw.group_by("word")
                .len()
                .with_columns(squish(pl.col("word")).str.to_lowercase().alias("key"))
                .sort(["len", "word"], descending=[True, False])
                .group_by("key", maintain_order=True)
                .agg(pl.col("word").first(), pl.col("len").sum())
                .sort(["len", "word"], descending=[True, False])
            )
            out[column] = {str(word): int(n) for word, n in words.select("word", "len").rows()}
    return out


@dataclass(frozen=True)
class _Source:
    """What is known about a file before its rows are cleaned."""

    name: str
    sha256: str = ""
    decoded: Decoded | None = None
    delimiter: str | None = None

    @property
    def encoding(self) -> str | None:
        return self.decoded.encoding if self.decoded else None

    @property
    def confidence(self) -> float | None:
        return self.decoded.confidence if self.decoded else None


def clean_file(
    path: Path,
    profiles: tuple[Profile, ...],
    rules: CleanRules | None = None,
    advance: Any = lambda: None,
    *,
    limits: reader.ReadLimits = reader.ReadLimits(),  # noqa: B008 - frozen, shared on purpose
) -> _FileOutput:
    """Read, recognise and clean one file. Never raises on the file's content.

    ``rules``: the settings-derived clean rules (``run_clean`` builds them once for every file;
    None: from the current settings)."""
    started = time.perf_counter()
    rules = rules or CleanRules.from_settings(Settings())
    try:
        data = path.read_bytes()
    except OSError as exc:
        return _rejected(_Source(path.name), "unreadable_file", f"cannot read file: {exc}", started)
    decoded = decode_bytes(data)
    source = _Source(path.name, hashlib.sha256(data).hexdigest(), decoded)
    del data
    if decoded.note:
        log.warning("%s: %s", source.name, decoded.note)
    advance()
    parsed = reader.parse_text(decoded.text, limits.max_columns)
    source = replace(source, delimiter=parsed.delimiter)
    advance()
    if parsed.nul_bytes:
        log.warning("%s: %d NUL bytes stripped", source.name, parsed.nul_bytes)
    if parsed.too_wide:
        width, most = parsed.too_wide, limits.max_columns
        message = f"{source.name}: {width:,} columns; at most {most:,} are read (CRM_MAX_COLUMNS)"
        log.warning("%s", message)
        return _rejected(source, "too_many_columns", message, started, rows_in=parsed.rows_in)
    if not parsed.header:
        return _rejected(source, "empty_file", "file is empty (no header row)", started)
    match = detect_profile(parsed.header, profiles)
    if not match.ok:
        message = (
            f"{source.name}: header matches no profile; closest is {match.profile.name}, "
            f"missing columns: {', '.join(match.missing)}"
        )
        log.warning("%s", message)
        raw_header = reader.cut(parsed.delimiter.join(parsed.header))
        # a changed header rejects the file whole (level `file`): the other files go on, the load
        # holds this source back (its earlier rows stay) and the run exits 1 naming it
        return _rejected(source, "unknown_profile", message, started, rows_in=parsed.rows_in, raw=raw_header)
    match, duplicate = resolve_duplicates(match, parsed.header, parsed.rows)
    if duplicate is not None:
        log.warning("%s: %s", source.name, duplicate)
        return _rejected(
            source, "duplicate_column", f"{source.name}: {duplicate}", started, rows_in=parsed.rows_in
        )

    issues = reader.row_issues(
        parsed, check_encoding=decoded.replaced, max_field_chars=limits.max_field_chars
    ).with_columns(
        pl.when(pl.col("rule").is_in(list(VALUE_ISSUES)))
        .then(pl.lit("value"))
        .otherwise(pl.lit("row"))
        .alias("level")
    )
    rows = _without_bad_cells(parsed, issues).select(
        "line", *[pl.col(f"c{i}").alias(f) for f, i in match.columns.items()]
    )
    whole = issues.filter(pl.col("level") == "row")["line"].unique()
    rows = rows.filter(~pl.col("line").is_in(whole.implode()))
    cleaned = transform(rows, match.profile, rules)
    advance()
    out = _split_rows(source, parsed, match, issues, cleaned, started)
    _report_invisible(out, parsed, match)
    systemic = _systemic(
        out.result, cleaned.errors, rows, _header_of(parsed, match), rules
    )
    out.result = replace(out.result, systemic=systemic)
    advance()
    return out


def _report_invisible(out: _FileOutput, parsed: reader.ParsedText, match: ProfileMatch) -> None:
    """Format characters the reader removed: counted per file; in free text of kept rows, reported.

    The entries are value-level: the row is clean (with the characters removed) and stays counted
    as clean; the entry shows the raw value so nothing is hidden.
    """
    found = parsed.invisible
    if found.height == 0 or out.quarantine is None:
        return
    header = _header_of(parsed, match)
    free = {f"c{match.columns[f]}": name for f, name in header.items() if f in FREE_TEXT_FIELDS}
    kept = out.quarantine.filter(pl.col("level") != "value")["line"].unique().implode()
    entries = found.filter(pl.col("col").is_in(list(free)) & ~pl.col("line").is_in(kept)).select(
        pl.format("{}#{}", pl.lit(out.result.file), pl.col("line")).alias("uid"),
        pl.lit(out.result.file).alias("file"),
        "line",
        pl.col("col").replace_strict(free, return_dtype=pl.String).alias("column"),
        pl.lit(INVISIBLE_RULE).alias("rule"),
        reader.cut_expr(pl.col("raw_value")).alias("raw_value"),
        pl.lit(match.profile.name).alias("profile"),
        pl.lit("value").alias("level"),
    )
    flags = {**out.result.flags, "invisible_characters_removed": found.height}
    by_rule = dict(out.result.quarantine_by_rule)
    if entries.height:
        by_rule[INVISIBLE_RULE] = entries.height
        out.quarantine = pl.concat([out.quarantine, entries.cast(QUARANTINE_SCHEMA)]).sort("line", "column")  # type: ignore[arg-type]
    out.result = replace(
        out.result,
        flags=flags,
        quarantine_by_rule=by_rule,
        values_quarantined=out.result.values_quarantined + entries.height,
    )


def _header_of(parsed: reader.ParsedText, match: ProfileMatch) -> dict[str, str]:
    """Profile field → the file's own column name (what the quarantine and messages show)."""
    return {f: parsed.header[i] or f"column {i + 1}" for f, i in match.columns.items()}


def _without_bad_cells(parsed: reader.ParsedText, issues: pl.DataFrame) -> pl.DataFrame:
    """The parsed rows with the cells of value-level reader issues (too long, bad encoding) nulled."""
    cells = issues.filter(pl.col("level") == "value")
    if cells.height == 0:
        return parsed.rows
    positions: dict[str, list[int]] = {}  # the name an issue shows → the column(s) of that name
    for i, name in enumerate(parsed.header):
        positions.setdefault(name or f"column {i + 1}", []).append(i)
    nulled = []
    for (name,), hit in cells.group_by("column"):  # only the columns that have a bad cell
        lines = hit["line"].implode()
        for i in positions.get(str(name), []):
            col = pl.col(f"c{i}")
            nulled.append(pl.when(pl.col("line").is_in(lines)).then(None).otherwise(col).alias(f"c{i}"))
    return parsed.rows.with_columns(nulled) if nulled else parsed.rows


def _systemic(
    result: FileResult, errors: pl.DataFrame, rows: pl.DataFrame, header: dict[str, str], rules: CleanRules
) -> list[str]:
    """A file with too many rows quarantined whole, a column with too many unreadable values."""
    found: list[str] = []
    name = result.file
    share = result.rows_quarantined / result.rows_in if result.rows_in else 0.0
    if result.rows_quarantined >= MIN_SYSTEMIC_COUNT and share > rules.max_file_failure_share:
        found.append(
            f"{name}: {result.rows_quarantined:,} of {result.rows_in:,} rows ({share:.1%}) "
            f"quarantined whole, more than the allowed {rules.max_file_failure_share:.1%} "
            "(CRM_MAX_FILE_FAILURE_SHARE)"
        )
    value_errors = errors.filter(pl.col("level") == "value").group_by("field").agg(pl.col("line").n_unique())
    for field_name, failed in value_errors.sort("field").rows():
        if field_name not in rows.columns or failed < MIN_SYSTEMIC_COUNT:
            continue
        filled = rows.select(pl.col(field_name).str.strip_chars().replace("", None).count()).item()
        column_share = failed / filled if filled else 0.0
        if column_share > rules.max_column_failure_share:
            found.append(
                f"{name}: column {header.get(field_name, field_name)!r} is unreadable as a whole "
                f"({failed:,} of {filled:,} values, {column_share:.1%}; "
                f"CRM_MAX_COLUMN_FAILURE_SHARE {rules.max_column_failure_share:.0%})"
            )
    return found


def _split_rows(
    source: _Source,
    parsed: reader.ParsedText,
    match: ProfileMatch,
    issues: pl.DataFrame,
    cleaned: Transformed,
    started: float,
) -> _FileOutput:
    """Rows with a row-level reader issue or error -> quarantine; the rest -> the outputs (their
    value-level entries go to the quarantine too, the values are already null)."""
    name, profile = source.name, match.profile
    header_of = _header_of(parsed, match)
    errors = cleaned.errors.select(
        "line",
        pl.col("field").replace_strict(header_of, default=pl.col("field")).alias("column"),
        "rule",
        "raw_value",
        "level",
    )
    quarantine = (
        pl.concat([issues, errors])
        .select(
            pl.format("{}#{}", pl.lit(name), pl.col("line")).alias("uid"),
            pl.lit(name).alias("file"),
            "line",
            "column",
            "rule",
            reader.cut_expr(pl.col("raw_value")).alias("raw_value"),
            pl.lit(profile.name).alias("profile"),
            "level",
        )
        .sort("line", "column")
        .cast(QUARANTINE_SCHEMA)  # type: ignore[arg-type]
    )
    bad = quarantine.filter(pl.col("level") == "row")["line"].unique()
    clean = cleaned.values.filter(~pl.col("line").is_in(bad.implode()))
    clean = _lineage(clean, parsed.rows, match.columns.get(profile.record_id), name, profile)
    if parsed.rows_in != clean.height + bad.len():
        raise CleanInvariantError(
            f"{name}: rows_in {parsed.rows_in} != clean {clean.height} + quarantined {bad.len()}"
        )
    result = FileResult(
        file=name,
        sha256=source.sha256,
        profile=profile.name,
        encoding=source.encoding,
        encoding_confidence=source.confidence,
        encoding_note=source.decoded.note if source.decoded else None,
        delimiter=source.delimiter,
        rows_in=parsed.rows_in,
        rows_clean=clean.height,
        rows_quarantined=bad.len(),
        status="ok",
        blank_lines=parsed.blank_lines,
        repeated_headers=parsed.repeated_headers,
        nul_bytes=parsed.nul_bytes,
        csv_module_fallback=parsed.slow_path,
        quarantine_by_rule=dict(Counter(quarantine["rule"].to_list())),
        values_quarantined=quarantine.filter(pl.col("level") == "value").height,
        flags=dict(cleaned.flags),
        seconds=round(time.perf_counter() - started, 3),
        ignored_columns=match.ignored,
    )
    out = _FileOutput(result, quarantine=quarantine)
    _split_outputs(out, clean, profile)
    return out


def _rejected(
    source: _Source,
    rule: str,
    message: str,
    started: float,
    *,
    rows_in: int = 0,
    raw: str | None = None,
    systemic: bool = False,
) -> _FileOutput:
    """A file rejected whole: one quarantine entry (line and column null), all its rows counted lost."""
    entry = {
        "uid": f"{source.name}#0",
        "file": source.name,
        "line": None,
        "column": None,
        "rule": rule,
        "raw_value": raw,
        "profile": None,
        "level": "file",
    }
    result = FileResult(
        file=source.name,
        sha256=source.sha256,
        profile=None,
        encoding=source.encoding,
        encoding_confidence=source.confidence,
        encoding_note=source.decoded.note if source.decoded else None,
        delimiter=source.delimiter,
        rows_in=rows_in,
        rows_clean=0,
        rows_quarantined=rows_in,
        status="rejected",
        error=message,
        quarantine_by_rule={rule: 1},
        seconds=round(time.perf_counter() - started, 3),
        systemic=[message] if systemic else [],
    )
    return _FileOutput(result, quarantine=pl.DataFrame([entry], schema=QUARANTINE_SCHEMA))


def _lineage(
    clean: pl.DataFrame, raw_rows: pl.DataFrame, id_column: int | None, name: str, profile: Profile
) -> pl.DataFrame:
    """uid, file, record_id (the source id, or ``line:N`` when blank), profile, source_system."""
    record_id = pl.format("line:{}", pl.col("line"))
    if id_column is not None:
        ids = raw_rows.select("line", pl.col(f"c{id_column}").alias("__id"))
        clean = clean.join(ids, on="line", how="left", maintain_order="left")
        record_id = pl.coalesce(pl.col("__id"), record_id)
    return clean.with_columns(
        pl.format("{}#{}", pl.lit(name), pl.col("line")).alias("uid"),
        pl.lit(name).alias("file"),
        record_id.alias("record_id"),
        pl.lit(profile.name).alias("profile"),
        pl.lit(profile.source_system).alias("source_system"),
    ).drop("__id", strict=False)


def _split_outputs(out: _FileOutput, clean: pl.DataFrame, profile: Profile) -> None:
    """Clean rows -> persons (every kind) and jobs or leads, in the contract's columns."""
    cols = set(clean.columns)

    def col(name: str) -> pl.Expr:
        return pl.col(name) if name in cols else pl.lit(None)

    if profile.kind == "customer":
        person = clean.with_columns(event_date=col("created_at").cast(pl.Datetime("us")).dt.date())
    elif profile.kind == "job":
        person = clean.with_columns(
            *[col(f"origin_{p}").alias(p) for p in ("street", "unit", "city", "state", "zip", "zip4")],
            event_date=col("service_date"),
        )
        out.jobs = conform(clean, CleanJob)
    else:
        person = clean.with_columns(
            zip=col("origin_zip"), event_date=col("move_date"), dest_zip=col("dest_zip")
        ).drop([c for c in ("dest_street", "dest_city", "dest_state") if c in cols])
        out.leads = conform(
            clean.with_columns(origin_zip=col("origin_zip"), destination_zip=col("dest_zip")), CleanLead
        )
    out.persons = conform(person, CleanPerson)


def _concat(frames: list[pl.DataFrame | None], model: type[Any]) -> pl.DataFrame:
    present = [f for f in frames if f is not None]
    return pl.concat(present) if present else empty_frame(model)


def _check_contract(frames: dict[str, pl.DataFrame]) -> dict[str, int]:
    """Bulk Pydantic check of a sample of each output; a violation is a bug in a normalizer."""
    checked: dict[str, int] = {}
    for name, model in (("persons", CleanPerson), ("jobs", CleanJob), ("leads", CleanLead)):
        try:
            checked[name] = validate_frame(frames[name], model, sample=MODEL_SAMPLE_ROWS)
        except ContractViolation as exc:
            examples = "; ".join(f"{uid} {fld}: {msg}" for uid, fld, msg in exc.errors[:5])
            raise ValidationFailed(mask_pii(f"{exc} (e.g. {examples})"), report=exc.errors) from exc
    return checked


def _write_parquet(frame: pl.DataFrame, path: Path) -> None:
    """Write next to the target, then rename: a crash never leaves half a file behind."""
    tmp = path.with_name(f".{path.name}.tmp")
    frame.write_parquet(tmp)
    tmp.replace(path)


def _write_summary(result: CleanResult, checked: dict[str, int], path: Path) -> None:
    summary: dict[str, Any] = {
        "raw_dir": str(result.raw_dir),
        "processed_dir": str(result.processed_dir),
        "rows_in": result.rows_in,
        "rows_clean": result.rows_clean,
        "rows_quarantined": result.rows_quarantined,
        "values_quarantined": result.values_quarantined,
        "outputs": result.outputs,
        "quarantine_by_rule": result.quarantine_by_rule,
        "quarantine_by_level": result.quarantine_by_level,
        **result.categories_summary(),
        "systemic_failures": result.systemic_failures,
        "files": [asdict(f) for f in result.files],
        "skipped_files": [{"file": name, "reason": reason} for name, reason in result.skipped],
        "timings_seconds": result.timings,
        "model_check": {"rows_checked": checked, "sample_per_output": MODEL_SAMPLE_ROWS},
        "validation": result.validation.to_summary() if result.validation is not None else None,
    }
    tmp = path.with_name(f".{path.name}.tmp")
    tmp.write_text(json.dumps(summary, indent=2, default=str), encoding="utf-8")
    tmp.replace(path)
