"""Phase 3 entry point: ``run_load(processed_dir, settings)`` → ``LoadResult``.

The flow of one attempt (all of it one transaction, as ``crm_loader``):

0. the shrink guard (``load.holdback``): an input file that came back empty, rejected or much
   smaller than what the database holds of it is left out, so its rows are not deleted;
1. ``begin_load``: ``SET LOCAL lock_timeout``/``TimeZone``/``work_mem``, then a transaction-level
   advisory lock, so two loads never interleave;
2. the ledger's run row (``pipeline_runs``, ``pipeline_stages`` = running);
3. branches and branch aliases (small, merged first: other tables carry branch names);
4. ``COPY`` every input frame into its TEMP staging table;
5. merge each staging table into its final table, parents before children;
6. delete rows of reloaded files that the input no longer has, children before parents;
   a first load (all load tables empty) instead drops the tables' secondary indexes and foreign
   keys before step 4 and rebuilds / re-validates them here (``load_tx.bulk_begin`` / ``bulk_end``,
   owner functions of migration 0007; all inside the same transaction);
7. ledger = succeeded; COMMIT. Then ``ANALYZE`` of the tables that changed (outside the
   transaction: the data is already safe, and a failed ANALYZE is only a warning).

A retryable error (connection lost, server shutting down or restarting, serialization failure,
deadlock, lock timeout) rolls the attempt back and tenacity tries again with exponential backoff;
anything else stops at once. A load that ends in an error is recorded as failed in the ledger in a
separate transaction. A load that is killed leaves no trace: the transaction never committed.

``checkpoint`` (tests only): called with a point name at each step, e.g. ``"copy:customers"`` while
that COPY is open, ``"merge:leads"`` after that merge, ``"before_commit"``. The crash tests pass a
function that pauses there so the test can SIGKILL the process; see ``CHECKPOINTS``.
"""

from __future__ import annotations

import logging
import time
import uuid
from collections.abc import Callable, Iterator
from concurrent.futures import Future, ThreadPoolExecutor
from contextlib import contextmanager
from dataclasses import dataclass
from datetime import UTC, datetime
from functools import partial
from pathlib import Path

import polars as pl
from tenacity import RetryCallState, Retrying, retry_if_exception, stop_after_attempt, wait_exponential

from crm_pipeline.config import Settings
from crm_pipeline.db import load_tx
from crm_pipeline.db.connection import Connection, connect
from crm_pipeline.db.errors import translate_errors
from crm_pipeline.db.holdback import loaded_files
from crm_pipeline.db.merge import (
    MergeSpec,
    copy_chunks,
    create_staging,
    delete_missing,
    fetch_pairs,
    merge,
    scope_has_rows,
)
from crm_pipeline.errors import PipelineError, TransientLoadError
from crm_pipeline.load import tables as T
from crm_pipeline.load.holdback import HeldBack, held_in_load, without_files
from crm_pipeline.load.inputs import LoadInputs, content_hash, csv_chunks, read_inputs
from crm_pipeline.load.result import LoadResult, TableCounts, ledger_counts_json
from crm_pipeline.logs import mask_pii

log = logging.getLogger(__name__)

STAGE = "load"
Checkpoint = Callable[[str], None]

#: Every point ``checkpoint`` is called at, in order (``<table>``: each table of ``tables.ALL_TABLES``
#: for ``copy:``; each table of ``tables.MERGE_ORDER`` for ``merge:``).
CHECKPOINTS = (
    "locked",
    "branches",
    "copy:<table>",
    "copied",
    "merge:<table>",
    "deleted",
    "ledger",
    "before_commit",
    "committed",
)


@dataclass(frozen=True)
class LoadOptions:
    """Knobs of the load; the defaults suit a nightly batch."""

    attempts: int = 5  # tries in all, for retryable errors
    backoff_initial_s: float = 0.5  # then doubled each retry, capped at backoff_max_s
    backoff_max_s: float = 8.0
    lock_timeout_s: float = 60.0  # longest wait for a lock, the other load's advisory lock included
    chunk_rows: int = 50_000  # rows per CSV chunk sent to COPY
    analyze: bool = True
    # skip a table whose staged rows hash as the last load's and that nobody wrote since
    # (``load_table_state``, migration 0008); False compares every row of every table
    skip_unchanged: bool = True
    # input files whose shrink the operator confirmed (``--accept-shrink``; see ``load.holdback``)
    accept_shrink: frozenset[str] = frozenset()


@dataclass
class _Attempt:
    """What one committed attempt measured."""

    tables: list[TableCounts]
    timings: dict[str, float]
    orphan_customers: int


def run_load(
    processed_dir: Path,
    settings: Settings,
    run_id: str | None = None,
    *,
    options: LoadOptions | None = None,
    checkpoint: Checkpoint | None = None,
) -> LoadResult:
    """Load ``processed_dir`` (clean + match output) into PostgreSQL; see the module docstring.

    ``run_id``: the pipeline run this load belongs to (the facade's); ``None`` makes a standalone
    run whose ledger row this load creates and closes.
    """
    options = options or LoadOptions()
    began = time.perf_counter()
    owns_run = run_id is None
    run_id = run_id or str(uuid.uuid4())
    started_at = datetime.now(UTC)
    processed_dir = Path(processed_dir)

    read_began = time.perf_counter()
    try:
        inputs = read_inputs(processed_dir, run_id, settings.branches_file)
    except PipelineError as exc:
        _record_failure(settings, None, run_id=run_id, started_at=started_at, owns_run=owns_run, error=exc)
        raise
    held = held_in_load(inputs, loaded_files(settings), settings, options.accept_shrink)
    inputs = without_files(inputs, [h.file for h in held])
    for h in held:
        log.warning("%s", h.message())
    read_seconds = time.perf_counter() - read_began
    log.info("load %s: read %s in %.2fs", run_id, processed_dir, read_seconds)
    hashes = _ContentHashes(inputs)

    attempts = 0
    retrying = Retrying(
        stop=stop_after_attempt(options.attempts),
        wait=wait_exponential(multiplier=options.backoff_initial_s, max=options.backoff_max_s),
        retry=retry_if_exception(lambda exc: isinstance(exc, PipelineError) and exc.retryable),
        before_sleep=_log_retry,
        reraise=True,
    )
    try:
        for attempt in retrying:
            with attempt:
                attempts += 1
                done = _load_once(
                    inputs,
                    hashes,
                    settings,
                    run_id=run_id,
                    started_at=started_at,
                    owns_run=owns_run,
                    options=options,
                    checkpoint=checkpoint or _no_checkpoint,
                    held_back=held,
                )
    except PipelineError as exc:
        _record_failure(settings, inputs, run_id=run_id, started_at=started_at, owns_run=owns_run, error=exc)
        if exc.retryable:
            raise TransientLoadError(
                f"load gave up after {attempts} attempt(s): {exc}. Nothing of it is visible; run "
                "`crm-pipeline load` again when the database is back",
                table=getattr(exc, "table", None),
                key=getattr(exc, "key", None),
            ) from exc
        raise

    timings = {"read": read_seconds, **done.timings, "hash (overlapped)": hashes.seconds}
    warnings: list[str] = []
    changed = [t.table for t in done.tables if t.inserted or t.updated or t.deleted]
    if options.analyze and changed:  # an unchanged table keeps valid statistics
        analyze_began = time.perf_counter()
        warnings = _analyze(settings, changed)
        timings["analyze"] = time.perf_counter() - analyze_began
    result = LoadResult(
        run_id=run_id,
        processed_dir=processed_dir,
        tables=done.tables,
        timings=timings,
        attempts=attempts,
        orphan_customers=done.orphan_customers,
        input_fingerprint=inputs.input_fingerprint,
        seconds=time.perf_counter() - began,
        warnings=warnings,
        held_back=held,
    )
    log.info(
        "load %s: %d inserted, %d updated, %d deleted in %.2fs (%d attempt(s))",
        run_id,
        result.inserted,
        result.updated,
        result.deleted,
        result.seconds,
        attempts,
    )
    return result


class _ContentHashes:
    """Per load table, the hash of its staged rows (``inputs.content_hash``), computed on a second
    core while the server is busy and the client idle: during a first load's rebuild, or at once
    (overlapping the comparison's lock and ledger work) otherwise. ``get()`` waits for them."""

    def __init__(self, inputs: LoadInputs) -> None:
        self._inputs = inputs
        self._future: Future[dict[str, str]] | None = None
        self.seconds = 0.0

    def start(self) -> None:
        if self._future is None:
            pool = ThreadPoolExecutor(max_workers=1, thread_name_prefix="load-hash")
            self._future = pool.submit(self._compute)
            pool.shutdown(wait=False)

    def get(self) -> dict[str, str]:
        self.start()
        assert self._future is not None
        return self._future.result()

    def _compute(self) -> dict[str, str]:
        began = time.perf_counter()
        scope = self._inputs.files
        hashes = {spec.table: content_hash(spec, self._inputs.frame(spec), scope) for spec in T.MERGE_ORDER}
        self.seconds = time.perf_counter() - began
        return hashes


def _load_once(
    inputs: LoadInputs,
    hashes: _ContentHashes,
    settings: Settings,
    *,
    run_id: str,
    started_at: datetime,
    owns_run: bool,
    options: LoadOptions,
    checkpoint: Checkpoint,
    held_back: list[HeldBack],
) -> _Attempt:
    """One attempt: everything in one transaction; returns only after COMMIT."""
    timings: dict[str, float] = {}
    copy_s: dict[str, float] = {}
    merge_s: dict[str, float] = {}
    counts: dict[str, TableCounts] = {}

    with _timed(timings, "connect+lock"):
        conn = connect(settings, "loader", application_name="crm-pipeline load")
    with conn:
        with translate_errors(), conn.transaction():
            with _timed(timings, "connect+lock"):
                load_tx.begin_load(conn, lock_timeout_s=options.lock_timeout_s)
                load_tx.lock_tables(conn, [spec.table for spec in T.MERGE_ORDER])
            checkpoint("locked")
            with _timed(timings, "ledger"):
                load_tx.open_run(
                    conn,
                    run_id=run_id,
                    stage=STAGE,
                    started_at=started_at,
                    raw_dir=None,
                    input_fingerprint=inputs.input_fingerprint,
                )
            with _timed(timings, "branches"):
                counts.update(_load_branches(conn, inputs, options, checkpoint))
            checkpoint("branches")

            # A first load (every load table empty) sets secondary indexes and foreign keys aside
            # and rebuilds them once below: far cheaper than per-row index entries and key checks.
            with _timed(timings, "bulk"), translate_errors():
                bulk = load_tx.bulk_begin(conn)

            if bulk:  # empty tables: COPY straight into them, parents first; nothing to merge or delete
                with _timed(timings, "copy"):
                    counts.update(_copy_first_load(conn, inputs, options, checkpoint, copy_s))
                hashes.start()  # the server rebuilds, the client is idle
                with _timed(timings, "rebuild"), translate_errors():
                    load_tx.bulk_end(conn)  # indexes rebuilt, foreign keys re-added = validated
            else:
                hashes.start()
                with _timed(timings, "compare"):
                    unchanged = (
                        load_tx.unchanged_tables(conn, hashes.get()) if options.skip_unchanged else set()
                    )
                # source_files is always staged: it names the files whose rows this load replaces
                unchanged.discard(T.SOURCE_FILES.table)
                counts.update(
                    _stage_and_merge(conn, inputs, options, checkpoint, timings, copy_s, merge_s, unchanged)
                )

            with _timed(timings, "ledger"):
                load_tx.record_table_states(conn, run_id=run_id, hashes=hashes.get())
                orphans = load_tx.orphan_customers(conn)
                tables = [
                    _with(
                        counts[name], copy_seconds=copy_s.get(name, 0.0), merge_seconds=merge_s.get(name, 0.0)
                    )
                    for name in T.ALL_TABLES
                ]
                ledger_counts = ledger_counts_json(
                    tables, timings, orphan_customers=orphans, held_back=held_back
                )
                load_tx.close_run(
                    conn,
                    run_id=run_id,
                    stage=STAGE,
                    started_at=started_at,
                    counts=ledger_counts,
                    owns_run=owns_run,
                )
            checkpoint("ledger")
            checkpoint("before_commit")
            commit_began = time.perf_counter()
        timings["commit"] = time.perf_counter() - commit_began
    checkpoint("committed")
    return _Attempt(tables=tables, timings=timings, orphan_customers=orphans)


def _stage_and_merge(
    conn: Connection,
    inputs: LoadInputs,
    options: LoadOptions,
    checkpoint: Checkpoint,
    timings: dict[str, float],
    copy_s: dict[str, float],
    merge_s: dict[str, float],
    unchanged: set[str],
) -> dict[str, TableCounts]:
    """The general path: COPY into staging, merge the new / changed rows, delete the gone ones.

    Tables in ``unchanged`` (same staged rows as the last load, not written since) are neither
    staged nor compared: every staged row counts as unchanged, nothing is deleted.
    """
    counts: dict[str, TableCounts] = {
        table: TableCounts(
            table=table, staged=inputs.frames[table].height, inserted=0, updated=0, skipped=True
        )
        for table in unchanged
    }
    todo = [spec for spec in T.MERGE_ORDER if spec.table not in unchanged]
    with _timed(timings, "copy"):
        for spec in todo:
            began = time.perf_counter()
            _stage(conn, spec, inputs.frame(spec), options, checkpoint)
            copy_s[spec.table] = time.perf_counter() - began
    checkpoint("copied")

    # Which replaced scopes (files) already had rows before this load: only those can
    # hold rows the input no longer has (a first load of a file skips the anti-join).
    with _timed(timings, "delete"), translate_errors():
        reloaded = [
            spec
            for spec in T.DELETE_ORDER
            if spec.table not in unchanged
            and scope_has_rows(conn, spec, T.SOURCE_FILES.staging_table, "file_name")
        ]

    with _timed(timings, "merge"):
        for spec in todo:
            began = time.perf_counter()
            with translate_errors(table=spec.table):
                merged = merge(conn, spec)
            merge_s[spec.table] = time.perf_counter() - began
            counts[spec.table] = TableCounts(
                table=spec.table,
                staged=inputs.frame(spec).height,
                inserted=merged.inserted,
                updated=merged.updated,
            )
            checkpoint(f"merge:{spec.table}")

    for table in sorted(unchanged):  # the crash tests' points, for tables that had nothing to do
        checkpoint(f"merge:{table}")

    with _timed(timings, "delete"):
        for spec in reloaded:
            with translate_errors(table=spec.table):
                gone = delete_missing(conn, spec, T.SOURCE_FILES.staging_table, "file_name")
            counts[spec.table] = _with(counts[spec.table], deleted=gone)
    checkpoint("deleted")
    return counts


def _copy_first_load(
    conn: Connection,
    inputs: LoadInputs,
    options: LoadOptions,
    checkpoint: Checkpoint,
    copy_s: dict[str, float],
) -> dict[str, TableCounts]:
    """First load into empty tables (``bulk_begin`` returned true): one COPY per final table.

    Every staged row is an insert, so staging and merging would only cost time. The audit rows of
    the inserted customers are written by ``bulk_end`` (their trigger is set aside meanwhile). The
    checkpoints are the general path's, in the order the work happens here (``merge:<t>`` = that
    table's rows are in place).
    """
    counts: dict[str, TableCounts] = {}
    for spec in T.MERGE_ORDER:
        began = time.perf_counter()
        frame = inputs.frame(spec)
        with translate_errors(table=spec.table):
            copy_chunks(
                conn,
                spec,
                csv_chunks(frame.select(spec.staged_columns), options.chunk_rows),
                after_first_chunk=partial(checkpoint, f"copy:{spec.table}"),
                into_final=True,
            )
        copy_s[spec.table] = time.perf_counter() - began
        counts[spec.table] = TableCounts(
            table=spec.table, staged=frame.height, inserted=frame.height, updated=0
        )
        checkpoint(f"merge:{spec.table}")
    checkpoint("copied")
    checkpoint("deleted")
    return counts


def _load_branches(
    conn: Connection, inputs: LoadInputs, options: LoadOptions, checkpoint: Checkpoint
) -> dict[str, TableCounts]:
    """Branch names first (ids are serial), then aliases pointing at those ids. A branch the data
    used but the branch table does not list is inserted unconfirmed; listing it later confirms it."""
    names = pl.DataFrame(
        {"name": inputs.branch_names, "confirmed": [inputs.branch_confirmed[n] for n in inputs.branch_names]},
        schema={"name": pl.String, "confirmed": pl.Boolean},
    )
    _stage(conn, T.BRANCHES, names, options, checkpoint)
    with translate_errors(table=T.BRANCHES.table):
        merged_names = merge(conn, T.BRANCHES)
        ids = fetch_pairs(conn, "branches", "name", "branch_id")
    aliases = pl.DataFrame(
        {
            "alias": list(inputs.branch_aliases),
            "branch_id": [ids[name] for name in inputs.branch_aliases.values()],
        },
        schema={"alias": pl.String, "branch_id": pl.Int64},
    )
    _stage(conn, T.BRANCH_ALIASES, aliases, options, checkpoint)
    with translate_errors(table=T.BRANCH_ALIASES.table):
        merged_aliases = merge(conn, T.BRANCH_ALIASES)
    return {
        "branches": TableCounts("branches", names.height, merged_names.inserted, merged_names.updated),
        "branch_aliases": TableCounts(
            "branch_aliases", aliases.height, merged_aliases.inserted, merged_aliases.updated
        ),
    }


def _stage(
    conn: Connection, spec: MergeSpec, frame: pl.DataFrame, options: LoadOptions, checkpoint: Checkpoint
) -> None:
    """TEMP staging table + one COPY of the frame (``checkpoint`` runs while the COPY is open)."""
    with translate_errors(table=spec.table):
        create_staging(conn, spec)
        copy_chunks(
            conn,
            spec,
            csv_chunks(frame.select(spec.staged_columns), options.chunk_rows),
            after_first_chunk=lambda: checkpoint(f"copy:{spec.table}"),
        )


def _analyze(settings: Settings, tables: list[str]) -> list[str]:
    """ANALYZE the tables the load changed; a failure here is a warning (the data is committed)."""
    try:
        notices = load_tx.analyze(settings, tables)
    except PipelineError as exc:
        log.warning("ANALYZE after the load failed (the data is committed): %s", exc)
        return [f"ANALYZE failed: {exc}"]
    for notice in notices:
        log.warning("ANALYZE: %s", notice)
    return notices


def _record_failure(
    settings: Settings,
    inputs: LoadInputs | None,
    *,
    run_id: str,
    started_at: datetime,
    owns_run: bool,
    error: PipelineError,
) -> None:
    try:
        load_tx.record_failure(
            settings,
            run_id=run_id,
            stage=STAGE,
            started_at=started_at,
            raw_dir=None,
            input_fingerprint=inputs.input_fingerprint if inputs is not None else None,
            error=mask_pii(str(error)),
            owns_run=owns_run,
        )
    except PipelineError as exc:
        log.warning("could not record the failed load %s in the ledger: %s", run_id, exc)


def _log_retry(state: RetryCallState) -> None:
    exc = state.outcome.exception() if state.outcome is not None else None
    wait = state.next_action.sleep if state.next_action is not None else 0.0
    log.warning("load attempt %d failed (%s); retrying in %.1fs", state.attempt_number, exc, wait)


def _with(counts: TableCounts, **changes: float | int) -> TableCounts:
    from dataclasses import replace

    return replace(counts, **changes)  # type: ignore[arg-type]


def _no_checkpoint(_point: str) -> None:
    return None


@contextmanager
def _timed(timings: dict[str, float], step: str) -> Iterator[None]:
    began = time.perf_counter()
    try:
        yield
    finally:
        timings[step] = timings.get(step, 0.0) + time.perf_counter() - began
