"""Run the clean-stage suites with Great Expectations 1.x and report what failed, readably.

GX runs in an ephemeral (in-memory) context on pandas copies of the clean frames, holding only the
columns the checks read. One validation definition per table; its results land in the context's
store, and the Data Docs HTML is built once at the end into ``<out_dir>/data_docs`` (building it
per table recompiled GX's templates each time: 4 s a build). The results are also written as
``<out_dir>/results.json`` (one entry per check, examples masked) and ``<out_dir>/gx_results.json``
(GX's own result documents).

Great Expectations is imported here only, lazily: the import alone costs ~5 s of CPU (10-13 s on
a loaded machine or with PySpark installed, measured on this 2-core machine).
:class:`ValidationWorker` therefore runs the validation in a separate process that imports GX
while the main process is still cleaning; it reads the Parquet outputs.
"""

from __future__ import annotations

import datetime as dt
import json
import logging
import multiprocessing
import sys
from collections.abc import Mapping
from concurrent.futures import Future, ProcessPoolExecutor
from dataclasses import asdict, dataclass, field
from pathlib import Path
from typing import Any

import polars as pl

from crm_pipeline.config import Settings
from crm_pipeline.logs import mask_pii
from crm_pipeline.validate.suites import Check, build_checks

log = logging.getLogger(__name__)

MAX_EXAMPLES = 5


def _import_gx() -> None:
    import great_expectations  # noqa: F401


def _worker_init() -> None:
    """Hide PySpark from the worker: it validates pandas frames only.

    With PySpark installed (the ``spark`` extra) Great Expectations imports it, which costs ~2.7 s,
    and PySpark 4 calls ``sys.exit(0)`` during that import when the main module has no file (a
    process started from ``python -c``), which would kill the worker silently.
    """
    sys.modules["pyspark"] = None  # type: ignore[assignment]  # "import pyspark" now raises ImportError


class ValidationWorker:
    """One worker process for Great Expectations, warmed up (GX imported) as soon as it starts.

    Use as a context manager around the cleaning; call :meth:`validate` once the Parquet outputs
    are written. If no process can be started, validation runs in this process instead.
    """

    def __init__(self) -> None:
        self._pool: ProcessPoolExecutor | None = None
        self._warm: Future[None] | None = None
        try:
            self._pool = ProcessPoolExecutor(
                max_workers=1, mp_context=multiprocessing.get_context("spawn"), initializer=_worker_init
            )
            self._warm = self._pool.submit(_import_gx)
        except OSError as exc:  # no process limit left, no /dev/shm, ...
            log.info("validation runs in-process (cannot start a worker: %s)", exc)

    def __enter__(self) -> ValidationWorker:
        return self

    def __exit__(self, *exc: object) -> None:
        self.close()

    def validate(
        self, paths: Mapping[str, Path], settings: Settings, out_dir: Path, today: dt.date | None = None
    ) -> ValidationReport:
        """Validate the Parquet files ``paths`` (``persons``, ``jobs``, ``leads``)."""
        try:
            if self._pool is None:
                return validate_parquet(dict(paths), settings, out_dir, today)
            return self._pool.submit(validate_parquet, dict(paths), settings, out_dir, today).result()
        except SystemExit as exc:  # a library called sys.exit() while importing: never a silent success
            raise RuntimeError(f"validation exited (code {exc.code}) before validating anything") from exc

    def close(self) -> None:
        if self._pool is not None:
            self._pool.shutdown(wait=True, cancel_futures=True)
            self._pool = None


def validate_parquet(
    paths: dict[str, Path], settings: Settings, out_dir: Path, today: dt.date | None = None
) -> ValidationReport:
    """:func:`run_validation` over Parquet files (what the worker process runs).

    Reads only the columns the checks use: the worker's memory is GX's pandas copies, not the data.
    """
    checks = build_checks(settings, today)
    frames = {}
    for name, path in paths.items():
        wanted = {c.column for c in checks if c.table == name} | {"source_system"}
        present = [c for c in pl.read_parquet_schema(path) if c in wanted]
        frames[name] = pl.read_parquet(path, columns=present)
    return run_validation(frames, settings, out_dir, today=today)


@dataclass(frozen=True)
class CheckResult:
    """The outcome of one check; ``examples`` are masked unexpected values."""

    name: str
    table: str
    column: str
    kind: str
    severity: str
    success: bool
    element_count: int
    unexpected_count: int
    unexpected_percent: float
    threshold: float | None = None
    examples: list[str] = field(default_factory=list)
    note: str | None = None

    def line(self) -> str:
        """``persons.email regex: 3 of 1,000 rows (0.30 %), e.g. a***@x.com`` (threshold if any)."""
        text = (
            f"{self.table}.{self.column} {self.kind}: {self.unexpected_count:,} of "
            f"{self.element_count:,} rows ({self.unexpected_percent:.2f} %)"
        )
        if self.threshold is not None:
            text += f", needs >= {self.threshold:.0%} complete"
        if self.examples:
            text += ", e.g. " + ", ".join(self.examples)
        if self.note:
            text += f" [{self.note}]"
        return text


@dataclass(frozen=True)
class ValidationReport:
    checks: list[CheckResult]
    results_path: Path
    data_docs_path: Path | None

    @property
    def success(self) -> bool:
        """True when no critical check failed (warnings do not stop the run)."""
        return not self.critical_failures

    @property
    def critical_failures(self) -> list[CheckResult]:
        return [c for c in self.checks if c.severity == "critical" and not c.success]

    @property
    def warnings(self) -> list[CheckResult]:
        return [c for c in self.checks if c.severity == "warning" and not c.success]

    def summary(self) -> str:
        """A short readable text of what failed (empty when everything passed)."""
        failed = self.critical_failures
        if not failed:
            return ""
        head = f"{len(failed)} critical data-quality check(s) failed (details: {self.results_path})"
        return "\n".join([head, *[f"  - {c.line()}" for c in failed]])

    def to_summary(self) -> dict[str, Any]:
        return {
            "success": self.success,
            "checks": len(self.checks),
            "critical_failures": [c.name for c in self.critical_failures],
            "warnings": [c.name for c in self.warnings],
            "results": str(self.results_path),
            "data_docs": str(self.data_docs_path) if self.data_docs_path else None,
        }


def run_validation(
    frames: Mapping[str, pl.DataFrame],
    settings: Settings,
    out_dir: Path,
    *,
    today: dt.date | None = None,
) -> ValidationReport:
    """Validate the clean frames (``persons``, ``jobs``, ``leads``) and write results + Data Docs."""
    checks = build_checks(settings, today)
    out_dir.mkdir(parents=True, exist_ok=True)
    results: list[CheckResult] = []
    raw_results: dict[str, Any] = {}
    docs_dir = out_dir / "data_docs"
    context = None
    for table in dict.fromkeys(c.table for c in checks):
        table_checks = [c for c in checks if c.table == table]
        frame = frames.get(table)
        if frame is None or frame.height == 0:
            results.extend(_skipped(c, "no rows") for c in table_checks)
            continue
        if context is None:
            context = _context(docs_dir)
        outcome, raw = _run_table(context, table, table_checks, frame)
        results.extend(outcome)
        raw_results[table] = raw

    if context is not None:
        context.build_data_docs(site_names=["clean"])
    report = ValidationReport(results, out_dir / "results.json", docs_dir / "index.html" if context else None)
    (out_dir / "results.json").write_text(
        json.dumps({"success": report.success, "checks": [asdict(c) for c in results]}, indent=2),
        encoding="utf-8",
    )
    (out_dir / "gx_results.json").write_text(json.dumps(raw_results, indent=2, default=str), encoding="utf-8")
    return report


_GX_TYPES = {
    "regex": "expect_column_values_to_match_regex",
    "in_set": "expect_column_values_to_be_in_set",
    "not_null": "expect_column_values_to_not_be_null",
    "unique": "expect_column_values_to_be_unique",
    "between": "expect_column_values_to_be_between",
}


def _skipped(check: Check, note: str) -> CheckResult:
    return CheckResult(
        check.name, check.table, check.column, check.kind, check.severity, True, 0, 0, 0.0, note=note
    )


def _gx_module() -> Any:
    """Import Great Expectations without letting it trigger PySpark's exit (see ``_worker_init``).

    GX imports ``pyspark.sql.connect`` when PySpark is installed, and PySpark 4 calls ``sys.exit(0)``
    in that import when the main module has no file (pytest-xdist workers, ``python -c``). Here the
    module is hidden only for the duration of the import: all of PySpark when nothing imported it
    yet (also saves ~2.7 s), else just ``pyspark.sql.connect``, so the matcher's Spark backend
    still works in this process.
    """
    if "great_expectations" not in sys.modules:
        hide = "pyspark.sql.connect" if "pyspark" in sys.modules else "pyspark"
        if hide not in sys.modules:
            sys.modules[hide] = None  # type: ignore[assignment]  # importing it now raises ImportError
            try:
                import great_expectations  # noqa: F401 - the import is the point
            finally:
                del sys.modules[hide]
    import great_expectations as gx

    return gx


def _context(docs_dir: Path) -> Any:
    gx = _gx_module()
    from great_expectations.data_context.types.base import ProgressBarsConfig

    context = gx.get_context(mode="ephemeral")
    context.variables.progress_bars = ProgressBarsConfig(globally=False, metric_calculations=False)
    for site in list(context.list_data_docs_sites()):
        context.delete_data_docs_site(site)
    context.add_data_docs_site(
        "clean",
        {
            "class_name": "SiteBuilder",
            "store_backend": {"class_name": "TupleFilesystemStoreBackend", "base_directory": str(docs_dir)},
            "site_index_builder": {"class_name": "DefaultSiteIndexBuilder"},
        },
    )
    return context


def _expectation(check: Check) -> Any:
    import great_expectations.expectations as gx_expectations

    gxe: Any = gx_expectations  # GX does not declare its public names for type checkers

    common: dict[str, Any] = {"column": check.column, "severity": check.severity}
    if check.row_condition:
        common.update(row_condition=check.row_condition, condition_parser="pandas")
    p = check.params
    if check.kind == "regex":
        return gxe.ExpectColumnValuesToMatchRegex(regex=p["regex"], **common)
    if check.kind == "in_set":
        return gxe.ExpectColumnValuesToBeInSet(value_set=p["value_set"], **common)
    if check.kind == "not_null":
        return gxe.ExpectColumnValuesToNotBeNull(mostly=p.get("mostly", 1.0), **common)
    if check.kind == "unique":
        return gxe.ExpectColumnValuesToBeUnique(**common)
    if check.kind == "between":
        low, high = (_yyyymmdd(p[k]) for k in ("min_value", "max_value"))
        return gxe.ExpectColumnValuesToBeBetween(min_value=low, max_value=high, **common)
    raise ValueError(f"unknown check kind {check.kind!r}")


def _yyyymmdd(value: dt.date) -> int:
    """Dates are checked as YYYYMMDD integers: on datetime columns GX's between-check calls a
    Python function per value (3.6 s per 150k rows, measured); on integers it is vectorized."""
    return value.year * 10_000 + value.month * 100 + value.day


def _pandas(frame: pl.DataFrame, checks: list[Check]) -> Any:
    """Only the columns the checks read (and ``source_system`` for row conditions)."""
    columns = list(dict.fromkeys(c.column for c in checks))
    if any(c.row_condition for c in checks) and "source_system" in frame.columns:
        columns.append("source_system")
    columns = [c for c in columns if c in frame.columns]
    dates = [c for c in columns if frame.schema[c] in (pl.Date, pl.Datetime)]
    as_int = [pl.col(c).dt.strftime("%Y%m%d").cast(pl.Int64) for c in dates]  # see _yyyymmdd
    return frame.select(columns).with_columns(as_int).to_pandas()


def _run_table(
    context: Any, table: str, checks: list[Check], frame: pl.DataFrame
) -> tuple[list[CheckResult], Any]:
    """Validate one table; its results go to the context's store, for the Data Docs built later."""
    import great_expectations as gx

    missing = [c for c in checks if c.column not in frame.columns]
    present = [c for c in checks if c.column in frame.columns]
    asset = context.data_sources.add_pandas(f"clean_{table}").add_dataframe_asset(table)
    definition = asset.add_batch_definition_whole_dataframe("all_rows")
    suite = context.suites.add(
        gx.ExpectationSuite(name=f"clean_{table}", expectations=[_expectation(c) for c in present])
    )
    validation = context.validation_definitions.add(
        gx.ValidationDefinition(name=f"clean_{table}", data=definition, suite=suite)
    )
    store = context.validation_results_store
    stored_before = set(store.list_keys())
    result = validation.run(
        batch_parameters={"dataframe": _pandas(frame, present)},
        result_format={"result_format": "SUMMARY", "partial_unexpected_count": MAX_EXAMPLES},
    )
    by_config: dict[tuple[str, str], Any] = {}
    for r in result.results:
        cfg = r.expectation_config
        by_config[(cfg.kwargs.get("column"), cfg.type)] = r
    outcome = [_skipped(c, "column not in output") for c in missing]
    for c in present:
        outcome.append(_result(c, by_config[(c.column, _GX_TYPES[c.kind])], frame.height))
    # GX keeps the failing values it saw in its result, which the Data Docs and gx_results.json
    # show: replace them by what this report shows (PII masked) and store the result again.
    for c in present:
        _mask_examples(c, by_config[(c.column, _GX_TYPES[c.kind])])
    for key in set(store.list_keys()) - stored_before:
        store.set(key, result)
    return outcome, result.describe_dict()


def _mask_examples(check: Check, r: Any) -> None:
    """Mask the unexpected values inside one GX expectation result (in place), as ``_example`` does."""
    res = r.result or {}
    if "partial_unexpected_list" in res:
        res["partial_unexpected_list"] = [_example(check, v) for v in res["partial_unexpected_list"]]
    if "partial_unexpected_counts" in res:
        res["partial_unexpected_counts"] = [
            {**counted, "value": _example(check, counted.get("value"))}
            for counted in res["partial_unexpected_counts"]
        ]


def _example(check: Check, value: Any) -> str:
    """An unexpected value as shown: dates readable, enumerations as is, anything else masked."""
    if check.kind == "between" and isinstance(value, int | float) and value == value:
        day = int(value)
        try:  # "5 Jan 1950": an ISO date would look like a phone number to the PII mask
            date = dt.date(day // 10_000, day // 100 % 100, day % 100)
            return f"{date.day} {date:%b %Y}"
        except ValueError:
            return str(day)
    if check.kind == "in_set":  # states, branches, statuses: not personal data
        return str(value)
    return mask_pii(str(value))


def _result(check: Check, r: Any, rows: int) -> CheckResult:
    res = r.result or {}
    if r.exception_info and r.exception_info.get("raised_exception"):
        message = str(r.exception_info.get("exception_message"))[:200]
        return CheckResult(
            check.name,
            check.table,
            check.column,
            check.kind,
            check.severity,
            False,
            rows,
            0,
            0.0,
            note=f"check could not run: {message}",
        )
    values = [] if check.kind == "not_null" else (res.get("partial_unexpected_list") or [])[:MAX_EXAMPLES]
    examples = [_example(check, v) for v in values]
    return CheckResult(
        name=check.name,
        table=check.table,
        column=check.column,
        kind=check.kind,
        severity=check.severity,
        success=bool(r.success),
        element_count=int(res.get("element_count") or rows),
        unexpected_count=int(res.get("unexpected_count") or 0),
        unexpected_percent=float(res.get("unexpected_percent") or 0.0),
        threshold=check.params.get("mostly"),
        examples=examples,
    )
