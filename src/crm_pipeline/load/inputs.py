"""Read ``PROCESSED_DIR`` into one frame per final table, shaped like its staging table.

Everything here is Polars and pure (no database): column renames from the Parquet contract to the
table contract, the customer of every job and lead row (from the unification map), the whole-file
quarantine rows (line 0, column ``*``), and the checks that would otherwise surface as a foreign
key or duplicate-key error deep inside the merge. A check that fails raises ``TerminalLoadError``
naming the table and the first offending key, before any connection is opened.
"""

from __future__ import annotations

import hashlib
import io
import json
from collections.abc import Iterator, Sequence
from dataclasses import dataclass
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

import polars as pl

from crm_pipeline.clean.branches import load_branch_table
from crm_pipeline.db.merge import MergeSpec
from crm_pipeline.errors import InputError, TerminalLoadError
from crm_pipeline.load import tables as T

PERSONS = "persons.parquet"
JOBS = "jobs.parquet"
LEADS = "leads.parquet"
QUARANTINE = "quarantine.parquet"
FILES = "files.parquet"
CUSTOMERS = "customers.parquet"
UNIFICATION_MAP = "unification_map.parquet"
MATCH_RUN = "match_run.json"

REQUIRED_FILES = (PERSONS, JOBS, LEADS, QUARANTINE, FILES, CUSTOMERS, UNIFICATION_MAP, MATCH_RUN)
#: Columns a clean output written before migration 0009 lacks: read as null when absent.
OPTIONAL_COLUMNS = frozenset({"status_raw", "service_type_raw", "level"})


@dataclass(frozen=True)
class LoadInputs:
    """The frames to stage, keyed by final table name, plus the branch reference."""

    frames: dict[str, pl.DataFrame]
    branch_names: list[str]
    branch_aliases: dict[str, str]  # alias → canonical branch name
    branch_confirmed: dict[str, bool]  # name → listed in the branch table (False: only the data used it)
    files: list[str]
    input_fingerprint: str
    match_run_id: str

    def frame(self, spec: MergeSpec) -> pl.DataFrame:
        return self.frames[spec.table]


def read_inputs(processed_dir: Path, run_id: str, branches_file: Path | None = None) -> LoadInputs:
    """Read and check every input of the load; raises ``InputError`` / ``TerminalLoadError``.

    ``branches_file``: the branch table (``Settings.branches_file``; None: the packaged one).
    """
    processed_dir = Path(processed_dir)
    missing = [name for name in REQUIRED_FILES if not (processed_dir / name).exists()]
    if missing:
        raise InputError(
            f"missing {', '.join(missing)} (run `crm-pipeline clean` and `crm-pipeline match` first)",
            file=processed_dir,
        )

    files = _read(processed_dir / FILES, ["file", *_without(T.SOURCE_FILES.columns)])
    persons = _read(processed_dir / PERSONS, ["uid", "file", *_without(T.SOURCE_PERSON_RECORDS.columns)])
    jobs = _read(
        processed_dir / JOBS, ["uid", "file", *_without(T.SOURCE_JOB_RECORDS.columns, "customer_id")]
    )
    leads = _read(processed_dir / LEADS, ["uid", "file", *_without(T.LEADS.columns, "customer_id")])
    quarantine = _read(
        processed_dir / QUARANTINE, ["uid", "file", "line", "column", "rule", "raw_value", "profile", "level"]
    )
    customers = _read(processed_dir / CUSTOMERS, ["customer_id", *T.CUSTOMERS.columns])
    umap = _read(processed_dir / UNIFICATION_MAP, ["uid", "file", "record_id", "customer_id"])
    match_run = _read_match_run(processed_dir / MATCH_RUN)
    match_run_id = str(match_run["match_run_id"][0])

    file_names = files["file"]
    frames: dict[str, pl.DataFrame] = {}
    frames[T.SOURCE_FILES.table] = files.rename({"file": "file_name"}).with_columns(
        pl.lit(run_id).alias("run_id")
    )
    frames[T.QUARANTINE.table] = (
        quarantine.rename({"file": "file_name", "column": "column_name"})
        .with_columns(
            # before 0009 every entry cost its row (or file: line null)
            pl.col("level").fill_null(
                pl.when(pl.col("line").is_null()).then(pl.lit("file")).otherwise(pl.lit("row"))
            ),
            pl.col("line").fill_null(0),  # a file rejected whole
            pl.col("column_name").fill_null("*"),
            pl.lit(run_id).alias("run_id"),
        )
        .unique(subset=list(T.QUARANTINE.key), keep="first", maintain_order=True)
    )
    frames[T.SOURCE_PERSON_RECORDS.table] = persons.rename({"file": "file_name"})
    frames[T.MATCH_RUNS.table] = match_run
    frames[T.CUSTOMERS.table] = customers
    frames[T.CUSTOMER_SOURCE_MAP.table] = umap.rename({"file": "file_name"}).with_columns(
        pl.lit(match_run_id).alias("match_run_id")
    )
    customer_of = umap.select("uid", "customer_id")
    frames[T.SOURCE_JOB_RECORDS.table] = jobs.rename({"file": "file_name"}).join(
        customer_of, on="uid", how="left"
    )
    frames[T.LEADS.table] = leads.rename({"file": "file_name"}).join(customer_of, on="uid", how="left")

    for spec in T.MERGE_ORDER:
        frames[spec.table] = _normalize(frames[spec.table].select(spec.staged_columns))
        _check_unique(spec, frames[spec.table])

    _check_references(frames, file_names)
    confirmed, aliases = _branches(branches_file, frames)
    fingerprint = _fingerprint(files)
    return LoadInputs(
        frames=frames,
        branch_names=sorted(confirmed),
        branch_aliases=aliases,
        branch_confirmed=confirmed,
        files=file_names.to_list(),
        input_fingerprint=fingerprint,
        match_run_id=match_run_id,
    )


def content_hash(spec: MergeSpec, frame: pl.DataFrame, scope: Sequence[str] = ()) -> str:
    """A digest of the rows a load stages for ``spec``: its key and data columns, in input order.

    ``scope``: the input files whose rows the load replaces (``LoadInputs.files``). Two loads that
    stage the same rows but replace different files (one held a file back, ``load.holdback``, the
    next accepts its shrink) must not look alike: only the second deletes that file's old rows.

    Lineage columns (``run_id``, ``match_run_id``) are left out: they are written, never compared,
    so they must not make an unchanged table look changed. Each row is hashed by Polars (in Rust,
    two seeds: 128 bits per row) and the row hashes go through SHA-256 with the column names, types
    and the Polars version (its row hash is only stable within a version; a new version therefore
    costs one full merge, never a wrong skip).
    """
    data = frame.select([*spec.key, *spec.columns])
    digest = hashlib.sha256(f"polars {pl.__version__}|{spec.table}|{data.schema}".encode())
    digest.update("\0".join(sorted(scope)).encode() + b"\1")
    digest.update(data.height.to_bytes(8, "big"))
    for seed in (0, 0x5EED):
        digest.update(data.hash_rows(seed=seed).to_numpy().tobytes())
    return digest.hexdigest()


def csv_chunks(frame: pl.DataFrame, rows_per_chunk: int = 50_000) -> Iterator[bytes]:
    """The frame as CSV without header, in chunks for ``COPY … (FORMAT csv)`` (null = empty field)."""
    for part in frame.iter_slices(n_rows=rows_per_chunk):
        buf = io.BytesIO()
        part.write_csv(buf, include_header=False)
        yield buf.getvalue()


# ----------------------------------------------------------------------------------- reading


def _without(columns: tuple[str, ...], *added: str) -> list[str]:
    """A table's columns as named in Parquet: without ``file_name`` (``file`` there) and the
    columns the load adds itself."""
    return [c for c in columns if c != "file_name" and c not in added]


def _read(path: Path, columns: list[str]) -> pl.DataFrame:
    try:
        schema = pl.read_parquet_schema(path)
    except Exception as exc:  # polars raises several types for a corrupt file
        raise InputError(f"cannot read Parquet: {exc}", file=path) from exc
    absent = [c for c in columns if c not in schema and c not in OPTIONAL_COLUMNS]
    if absent:
        raise InputError(f"missing column(s) {', '.join(absent)}", file=path)
    frame = pl.read_parquet(path, columns=[c for c in columns if c in schema])
    missing = [pl.lit(None, dtype=pl.String).alias(c) for c in columns if c not in schema]
    return frame.with_columns(missing).select(columns) if missing else frame


def _read_match_run(path: Path) -> pl.DataFrame:
    """``match_run.json`` → one ``match_runs`` row. The id is the file's own ``match_run_id`` or,
    when it has none, derived from its content (the same run gives the same id)."""
    try:
        doc: dict[str, Any] = json.loads(path.read_text(encoding="utf-8"))
    except (OSError, ValueError) as exc:
        raise InputError(f"cannot read match run: {exc}", file=path) from exc
    canonical = json.dumps(doc, sort_keys=True, separators=(",", ":"), default=str)
    run_id = doc.get("match_run_id") or "mr_" + hashlib.sha256(canonical.encode()).hexdigest()[:16]
    counts: dict[str, Any] = doc["counts"] if isinstance(doc.get("counts"), dict) else {}
    model: dict[str, Any] = doc["model"] if isinstance(doc.get("model"), dict) else {}

    def pick(name: str, *more: dict[str, Any]) -> Any:
        for source in (doc, *more):
            if source.get(name) is not None:
                return source[name]
        return None

    return pl.DataFrame(
        {
            "match_run_id": [str(run_id)],
            "model_sha256": [pick("model_sha256", model) or model.get("sha256")],
            "threshold": [pick("threshold")],
            "n_records": [pick("n_records", counts)],
            "n_pairs": [pick("n_pairs", counts)],
            "n_customers": [pick("n_customers", counts)],
            "metrics": [canonical],
            # when the file has no time of its own: its modification time (stable across reruns)
            "created_at": [pick("created_at") or _mtime_utc(path)],
        },
        schema={
            "match_run_id": pl.String,
            "model_sha256": pl.String,
            "threshold": pl.Float64,
            "n_records": pl.Int64,
            "n_pairs": pl.Int64,
            "n_customers": pl.Int64,
            "metrics": pl.String,
            "created_at": pl.String,
        },
    )


def _mtime_utc(path: Path) -> str:
    return datetime.fromtimestamp(path.stat().st_mtime, UTC).isoformat()


# ------------------------------------------------------------------------------------ shaping


def _normalize(frame: pl.DataFrame) -> pl.DataFrame:
    """Empty text is NULL (the contract); list columns as sorted comma-joined text; naive UTC times."""
    exprs: list[pl.Expr] = []
    for name, dtype in frame.schema.items():
        col = pl.col(name)
        if dtype == pl.String:
            exprs.append(pl.when(col == "").then(None).otherwise(col).alias(name))
        elif isinstance(dtype, pl.List):
            exprs.append(col.list.sort().list.join(",").alias(name))
        elif isinstance(dtype, pl.Datetime) and dtype.time_zone is not None:
            exprs.append(col.dt.convert_time_zone("UTC").dt.replace_time_zone(None).alias(name))
    return frame.with_columns(exprs) if exprs else frame


def _check_unique(spec: MergeSpec, frame: pl.DataFrame) -> None:
    key = list(spec.key)
    dup = frame.filter(pl.struct(key).is_duplicated()).select(key).head(1)
    if dup.height:
        shown = ", ".join(f"{k}={dup[k][0]}" for k in key)
        raise TerminalLoadError(
            f"{spec.table}: duplicate key ({shown}) in the input", table=spec.table, key=shown
        )


def _first_missing(frame: pl.DataFrame, column: str, allowed: pl.Series) -> Any:
    bad = frame.filter(pl.col(column).is_not_null() & ~pl.col(column).is_in(allowed.implode()))
    return bad[column][0] if bad.height else None


def _check_references(frames: dict[str, pl.DataFrame], file_names: pl.Series) -> None:
    """What the foreign keys will demand, checked up front so the error names the row."""
    for spec in (T.QUARANTINE, T.SOURCE_PERSON_RECORDS, T.CUSTOMER_SOURCE_MAP, T.SOURCE_JOB_RECORDS, T.LEADS):
        bad = _first_missing(frames[spec.table], "file_name", file_names)
        if bad is not None:
            raise TerminalLoadError(
                f"{spec.table}: file {bad!r} is not in {FILES}", table=spec.table, key=f"file_name={bad}"
            )
    person_uids = frames[T.SOURCE_PERSON_RECORDS.table]["uid"]
    bad = _first_missing(frames[T.CUSTOMER_SOURCE_MAP.table], "uid", person_uids)
    if bad is not None:
        raise TerminalLoadError(
            f"customer_source_map: uid {bad!r} is not in {PERSONS}",
            table="customer_source_map",
            key=f"uid={bad}",
        )
    # The database no longer checks the map's file_name (migration 0006: its uid → person row →
    # source_files implies it), so the copy must equal the person row's.
    moved = frames[T.CUSTOMER_SOURCE_MAP.table].join(
        frames[T.SOURCE_PERSON_RECORDS.table].select("uid", pl.col("file_name").alias("_person_file")),
        on="uid",
    )
    moved = moved.filter(pl.col("file_name") != pl.col("_person_file"))
    if moved.height:
        bad = moved["uid"][0]
        raise TerminalLoadError(
            f"customer_source_map: uid {bad!r} names file {moved['file_name'][0]!r} but its person row "
            f"is in {moved['_person_file'][0]!r}",
            table="customer_source_map",
            key=f"uid={bad}",
        )
    customer_ids = frames[T.CUSTOMERS.table]["customer_id"]
    bad = _first_missing(frames[T.CUSTOMER_SOURCE_MAP.table], "customer_id", customer_ids)
    if bad is not None:
        raise TerminalLoadError(
            f"customer_source_map: customer {bad!r} is not in {CUSTOMERS}",
            table="customer_source_map",
            key=f"customer_id={bad}",
        )
    jobs = frames[T.SOURCE_JOB_RECORDS.table]
    orphans = jobs.filter(pl.col("customer_id").is_null())["uid"]
    if orphans.len():
        shown = ", ".join(orphans.head(5).to_list())
        raise TerminalLoadError(
            f"source_job_records: {orphans.len()} job row(s) have no customer in {UNIFICATION_MAP} "
            f"(first: {shown}); every job needs a customer",
            table="source_job_records",
            key=f"uid={orphans[0]}",
        )


def _branches(path: Path | None, frames: dict[str, pl.DataFrame]) -> tuple[dict[str, bool], dict[str, str]]:
    """Branch name → confirmed: the branch table's names (True) plus any other branch value in the
    data (False: an unconfirmed branch the clean stage kept); aliases from the branch table (each
    name is also an alias of itself)."""
    table = load_branch_table(path)
    confirmed = dict.fromkeys(table.names, True)
    aliases: dict[str, str] = {}
    for name, written in table.entries:
        for alias in (name, *written):
            aliases.setdefault(alias, name)
    for spec in (T.SOURCE_PERSON_RECORDS, T.SOURCE_JOB_RECORDS, T.LEADS, T.CUSTOMERS):
        for name in frames[spec.table]["branch"].drop_nulls().unique().to_list():
            confirmed.setdefault(name, False)
    return dict(sorted(confirmed.items())), aliases


def _fingerprint(files: pl.DataFrame) -> str:
    """sha256 over the input files' own hashes, in name order: the identity of the raw input."""
    digest = hashlib.sha256()
    for name, sha in files.select("file", "sha256").sort("file").iter_rows():
        digest.update(f"{name}\t{sha}\n".encode())
    return digest.hexdigest()
