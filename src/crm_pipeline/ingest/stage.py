"""The clean stage: ``run_clean(raw_dir, processed_dir, settings) -> CleanResult``.

For every CSV file of ``raw_dir``: read and parse it (:mod:`.reader`), recognise its profile
(:mod:`.profiles`), clean its fields (:mod:`.transform`), and split its rows into clean output
and quarantine. Then check the clean frames against the Pydantic contract (a sample,
:mod:`crm_pipeline.models`), write the Parquet files of docs/contracts.md "Phase 2 (clean)" and
``clean_summary.json``, and run the Great Expectations suites (:mod:`crm_pipeline.validate`).

Accounting, checked per file: ``rows_in = rows_clean + rows_quarantined`` where a quarantined row
is a distinct line in the quarantine. A mismatch is a bug in this stage and stops the run.
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

from crm_pipeline.config import Settings
from crm_pipeline.console import progress
from crm_pipeline.errors import InputError, ValidationFailed
from crm_pipeline.ingest import reader
from crm_pipeline.ingest.encoding import decode_bytes
from crm_pipeline.ingest.profiles import Profile, ProfileMatch, detect_profile, load_profiles
from crm_pipeline.ingest.transform import Transformed, transform
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
from crm_pipeline.validate import ValidationReport, ValidationWorker

log = logging.getLogger(__name__)

INPUT_PATTERNS = ("*.csv", "*.tsv", "*.txt")
OUTPUTS = ("persons", "jobs", "leads", "quarantine", "files")
QUARANTINE_SCHEMA: dict[str, pl.DataType] = {
    "uid": pl.String(),
    "file": pl.String(),
    "line": pl.Int64(),
    "column": pl.String(),
    "rule": pl.String(),
    "raw_value": pl.String(),
    "profile": pl.String(),
}
FILES_SCHEMA: dict[str, pl.DataType] = {
    "file": pl.String(),
    "sha256": pl.String(),
    "profile": pl.String(),
    "encoding": pl.String(),
    "delimiter": pl.String(),
    "rows_in": pl.Int64(),
    "rows_clean": pl.Int64(),
    "rows_quarantined": pl.Int64(),
    "status": pl.String(),
    "error": pl.String(),
}
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
    blank_lines: int = 0
    repeated_headers: int = 0
    nul_bytes: int = 0
    csv_module_fallback: bool = False
    quarantine_by_rule: dict[str, int] = field(default_factory=dict)
    flags: dict[str, int] = field(default_factory=dict)
    seconds: float = 0.0
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
    def rejected_files(self) -> list[FileResult]:
        return [f for f in self.files if f.status == "rejected"]

    def raise_for_validation(self) -> None:
        """Raise ValidationFailed when a critical expectation failed."""
        if self.validation is not None and not self.validation.success:
            raise ValidationFailed(self.validation.summary(), report=self.validation)


@dataclass
class _FileOutput:
    result: FileResult
    persons: pl.DataFrame | None = None
    jobs: pl.DataFrame | None = None
    leads: pl.DataFrame | None = None
    quarantine: pl.DataFrame | None = None


def input_files(raw_dir: Path) -> list[Path]:
    """The CSV exports of ``raw_dir`` (``*.csv``, ``*.tsv``, ``*.txt``), sorted by name."""
    if not raw_dir.is_dir():
        raise InputError("raw data folder not found", file=raw_dir)
    files = sorted({p for pattern in INPUT_PATTERNS for p in raw_dir.glob(pattern) if p.is_file()})
    if not files:
        raise InputError("no CSV files (*.csv, *.tsv, *.txt) in the raw data folder", file=raw_dir)
    return files


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
    files = input_files(raw_dir)
    profiles = load_profiles(settings.profiles_file)
    processed_dir.mkdir(parents=True, exist_ok=True)
    with ExitStack() as stack:
        # Great Expectations loads in its own process while the files are cleaned
        worker = stack.enter_context(ValidationWorker()) if validate else None

        outputs: list[_FileOutput] = []
        with progress() as bar:
            for path in files:
                task = bar.add_task(path.name, total=_STEPS)
                outputs.append(clean_file(path, profiles, advance=partial(bar.advance, task)))
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
    result = CleanResult(
        raw_dir=raw_dir,
        processed_dir=processed_dir,
        files=[o.result for o in outputs],
        outputs={name: frame.height for name, frame in frames.items()},
        quarantine_by_rule=dict(sorted(by_rule.items(), key=lambda kv: (-kv[1], kv[0]))),
        timings={k: round(v, 3) for k, v in timings.items()},
        paths=paths,
        validation=report,
    )
    paths["summary"] = processed_dir / "clean_summary.json"
    _write_summary(result, checked, paths["summary"])
    log.info(
        "clean: %d files, %d rows in, %d clean, %d quarantined in %.1f s",
        len(files),
        result.rows_in,
        result.rows_clean,
        result.rows_quarantined,
        timings["total"],
    )
    if raise_on_failure:
        result.raise_for_validation()
    return result


_STEPS = 4  # read, parse, clean, split: the progress bar's units per file


@dataclass(frozen=True)
class _Source:
    """What is known about a file before its rows are cleaned."""

    name: str
    sha256: str = ""
    encoding: str | None = None
    delimiter: str | None = None


def clean_file(path: Path, profiles: tuple[Profile, ...], advance: Any = lambda: None) -> _FileOutput:
    """Read, recognise and clean one file. Never raises on the file's content."""
    started = time.perf_counter()
    try:
        data = path.read_bytes()
    except OSError as exc:
        return _rejected(_Source(path.name), "unreadable_file", f"cannot read file: {exc}", started)
    decoded = decode_bytes(data)
    source = _Source(path.name, hashlib.sha256(data).hexdigest(), decoded.encoding)
    del data
    advance()
    parsed = reader.parse_text(decoded.text)
    source = replace(source, delimiter=parsed.delimiter)
    advance()
    if parsed.nul_bytes:
        log.warning("%s: %d NUL bytes stripped", source.name, parsed.nul_bytes)
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
        return _rejected(source, "unknown_profile", message, started, rows_in=parsed.rows_in, raw=raw_header)

    issues = reader.row_issues(parsed, check_encoding=decoded.replaced)
    rows = parsed.rows.select("line", *[pl.col(f"c{i}").alias(f) for f, i in match.columns.items()])
    cleaned = transform(rows.filter(~pl.col("line").is_in(issues["line"].unique().implode())), match.profile)
    advance()
    out = _split_rows(source, parsed, match, issues, cleaned, started)
    advance()
    return out


def _split_rows(
    source: _Source,
    parsed: reader.ParsedText,
    match: ProfileMatch,
    issues: pl.DataFrame,
    cleaned: Transformed,
    started: float,
) -> _FileOutput:
    """Rows with any reader issue or hard error -> quarantine; the rest -> the outputs."""
    name, profile = source.name, match.profile
    header_of = {f: parsed.header[i] or f"column {i + 1}" for f, i in match.columns.items()}
    errors = cleaned.errors.select(
        "line",
        pl.col("field").replace_strict(header_of, default=pl.col("field")).alias("column"),
        "rule",
        "raw_value",
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
        )
        .sort("line", "column")
        .cast(QUARANTINE_SCHEMA)  # type: ignore[arg-type]
    )
    bad = quarantine["line"].unique()
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
        flags=dict(cleaned.flags),
        seconds=round(time.perf_counter() - started, 3),
        ignored_columns=match.ignored,
    )
    out = _FileOutput(result, quarantine=quarantine)
    _split_outputs(out, clean, profile)
    return out


def _rejected(
    source: _Source, rule: str, message: str, started: float, *, rows_in: int = 0, raw: str | None = None
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
    }
    result = FileResult(
        file=source.name,
        sha256=source.sha256,
        profile=None,
        encoding=source.encoding,
        delimiter=source.delimiter,
        rows_in=rows_in,
        rows_clean=0,
        rows_quarantined=rows_in,
        status="rejected",
        error=message,
        quarantine_by_rule={rule: 1},
        seconds=round(time.perf_counter() - started, 3),
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
        "outputs": result.outputs,
        "quarantine_by_rule": result.quarantine_by_rule,
        "files": [asdict(f) for f in result.files],
        "timings_seconds": result.timings,
        "model_check": {"rows_checked": checked, "sample_per_output": MODEL_SAMPLE_ROWS},
        "validation": result.validation.to_summary() if result.validation is not None else None,
    }
    tmp = path.with_name(f".{path.name}.tmp")
    tmp.write_text(json.dumps(summary, indent=2, default=str), encoding="utf-8")
    tmp.replace(path)
