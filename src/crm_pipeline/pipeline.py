"""The pipeline facade: ``run()`` sequences the stages and resumes unfinished runs.

Each stage is also callable alone (``crm-pipeline clean``, ``match``, ``load``, ``analytics``);
this module only decides *which* stages to run, records them in the run ledger and collects a
summary. The order is fixed::

    clean (+ validate)  →  match (+ unify)  →  load  →  analytics

Resuming: the ledger (``pipeline_runs`` / ``pipeline_stages``) remembers each stage's status. When
the last run of the same raw folder with the same input fingerprint did not finish (a crash, a
kill, Ctrl-C, an error), ``run()`` continues that run from its first stage that did not succeed.
When it finished and the input is unchanged, nothing is done at all. ``restart=True`` starts over.

One run at a time (``runlock``): the database's advisory lock and the processed folder's lock file
are held from before the ledger is read until the run ends; a second run stops with exit code 3.

Outcome (``RunResult.status``): ``succeeded``; ``succeeded with rejected input`` when a file was
rejected or held back by the shrink guard (``load.holdback``: its earlier rows stay) — the CLI
exits 1 then; ``unchanged``; ``failed`` (the stage's error propagates).

The load stage writes its own ledger row in the load's transaction; the others are recorded here,
each status change in a short transaction of its own.
"""

from __future__ import annotations

import hashlib
import json
import logging
import time
import uuid
from collections.abc import Callable
from dataclasses import dataclass, field
from pathlib import Path
from typing import TYPE_CHECKING, Any

from crm_pipeline.config import Settings
from crm_pipeline.errors import InputRejected, PipelineError

if TYPE_CHECKING:
    from crm_pipeline.runlock import FolderLock

log = logging.getLogger(__name__)

STAGES: tuple[str, ...] = ("clean", "match", "load", "analytics")


@dataclass
class StageOutcome:
    name: str
    status: str  # succeeded | skipped (already done in the resumed run) | failed
    seconds: float = 0.0
    counts: dict[str, Any] = field(default_factory=dict)
    error: str | None = None


@dataclass
class RunResult:
    """What ``run()`` did: the run id, each stage's outcome and the headline figures."""

    run_id: str
    raw_dir: Path
    processed_dir: Path
    input_fingerprint: str
    status: str  # succeeded | succeeded with rejected input | unchanged (nothing to do) | failed
    resumed: bool = False
    stages: list[StageOutcome] = field(default_factory=list)
    summary: dict[str, Any] = field(default_factory=dict)
    paths: dict[str, str] = field(default_factory=dict)
    log_file: Path | None = None
    seconds: float = 0.0

    @property
    def problems(self) -> list[str]:
        """What the operator must look at (exit code 1): held-back and rejected input files."""
        held = [str(h["message"]) for h in self.summary.get("held_back") or []]
        held_files = {str(h["file"]) for h in self.summary.get("held_back") or []}
        rejected = [f for f in self.summary.get("rejected_files") or [] if f not in held_files]
        return held + ([f"rejected input file(s): {', '.join(rejected)}"] if rejected else [])

    def as_dict(self) -> dict[str, Any]:
        return {
            "run_id": self.run_id,
            "status": self.status,
            "resumed": self.resumed,
            "raw_dir": str(self.raw_dir),
            "processed_dir": str(self.processed_dir),
            "input_fingerprint": self.input_fingerprint,
            "seconds": round(self.seconds, 3),
            "summary": self.summary,
            "stages": [
                {
                    "stage": s.name,
                    "status": s.status,
                    "seconds": round(s.seconds, 3),
                    "counts": s.counts,
                    "error": s.error,
                }
                for s in self.stages
            ],
            "paths": self.paths,
            "log_file": str(self.log_file) if self.log_file else None,
        }


def fingerprint(raw_dir: Path) -> str:
    """sha256 over the names and bytes of the files the clean stage reads (``select_inputs``)."""
    from crm_pipeline.ingest.inputs import select_inputs

    digest = hashlib.sha256()
    files = select_inputs(raw_dir).require_files(raw_dir)
    for path in files:
        digest.update(path.name.encode())
        digest.update(b"\0")
        with path.open("rb") as fh:
            for chunk in iter(lambda: fh.read(1 << 20), b""):
                digest.update(chunk)
        digest.update(b"\0")
    return digest.hexdigest()


def default_processed_dir(raw_dir: Path) -> Path:
    """``data/raw`` → ``data/processed`` (the seed's layout)."""
    return raw_dir.resolve().parent / "processed"


# --------------------------------------------------------------------------- stage adapters
# Each adapter runs one stage and returns (counts for the ledger, paths worth showing).

StageOutput = tuple[dict[str, Any], dict[str, str]]


@dataclass(frozen=True)
class StageContext:
    """What every stage adapter gets."""

    raw_dir: Path
    processed_dir: Path
    settings: Settings
    run_id: str
    accept_shrink: frozenset[str] = frozenset()


StageFn = Callable[[StageContext], StageOutput]


def _clean(ctx: StageContext) -> StageOutput:
    from crm_pipeline.ingest.stage import run_clean
    from crm_pipeline.load.holdback import restore_held_back

    res = run_clean(ctx.raw_dir, ctx.processed_dir, ctx.settings)
    rows_in = sum(f.rows_in for f in res.files)
    clean = sum(f.rows_clean for f in res.files)
    quarantined = sum(f.rows_quarantined for f in res.files)
    if rows_in != clean + quarantined:  # the stage checks per file; this is the run-level guard
        raise PipelineError(
            f"row accounting broke: {rows_in} in != {clean} clean + {quarantined} quarantined"
        )
    counts = {
        "files": len(res.files),
        "files_rejected": sum(1 for f in res.files if f.status != "ok"),
        "rejected_files": sorted(f.file for f in res.files if f.status != "ok"),
        "rows_in": rows_in,
        "rows_clean": clean,
        "rows_quarantined": quarantined,
        "values_quarantined": res.values_quarantined,
        "persons": res.outputs.get("persons", 0),
        "jobs": res.outputs.get("jobs", 0),
        "leads": res.outputs.get("leads", 0),
        "quarantine_by_rule": res.quarantine_by_rule,
        "quarantine_by_level": res.quarantine_by_level,
        **res.categories_summary(),
    }
    report = res.validation
    if report is not None:
        counts["quality_checks"] = len(report.checks)
        counts["quality_warnings"] = [c.name for c in report.warnings]
        counts["quality_critical_failures"] = [c.name for c in report.critical_failures]
    # the shrink guard: a held-back file's stored rows replace its empty / short export
    held = restore_held_back(ctx.processed_dir, ctx.settings, ctx.accept_shrink)
    if res.files and not held and all(f.status != "ok" for f in res.files):
        reasons = ", ".join(f"{f.file} ({f.error or 'rejected'})" for f in res.files)
        raise InputRejected(f"every input file was rejected, nothing to match or load: {reasons}")
    counts["held_back"] = [{**h.as_dict(), "message": h.message()} for h in held]
    paths = {k: str(v) for k, v in res.paths.items() if "validation" in k or "docs" in k}
    return counts, paths


def _match(ctx: StageContext) -> StageOutput:
    from crm_pipeline.match import run_match

    res = run_match(ctx.processed_dir, ctx.settings)
    counts = res.counts() if hasattr(res, "counts") else {}
    paths = {k: str(v) for k, v in getattr(res, "paths", {}).items()}
    return counts, paths


def _load(ctx: StageContext) -> StageOutput:
    from crm_pipeline.load import LoadOptions, run_load

    options = LoadOptions(accept_shrink=ctx.accept_shrink)
    res = run_load(ctx.processed_dir, ctx.settings, run_id=ctx.run_id, options=options)
    return res.counts_json(), {}


def _analytics(ctx: StageContext) -> StageOutput:
    from crm_pipeline.analytics import run_analytics

    res = run_analytics(ctx.settings)
    counts = res.counts() if hasattr(res, "counts") else {}
    return counts, {}


STAGE_FUNCTIONS: dict[str, StageFn] = {
    "clean": _clean,
    "match": _match,
    "load": _load,
    "analytics": _analytics,
}

#: Stages whose ledger row the stage writes itself (inside its own transaction).
SELF_RECORDING = frozenset({"load"})


# --------------------------------------------------------------------------- the facade


def run(
    raw_dir: Path,
    settings: Settings,
    *,
    processed_dir: Path | None = None,
    restart: bool = False,
    accept_shrink: frozenset[str] = frozenset(),
    on_stage: Callable[[str, str], None] | None = None,
    on_run_id: Callable[[str], None] | None = None,
) -> RunResult:
    """Run every stage in order on ``raw_dir``; resume or skip according to the ledger.

    ``accept_shrink``: input file names whose shrink the operator confirmed (``load.holdback``).
    ``on_stage(name, event)`` is told ``start`` / ``done`` / ``skip`` for each stage (the CLI
    drives its progress display with it); ``on_run_id(run_id)`` once the run id is known (the CLI
    opens the run's log file then). Raises ``LockHeld`` when another run holds the lock.
    """
    from crm_pipeline import runlock
    from crm_pipeline.db import ensure_migrated

    began = time.perf_counter()
    raw_dir = raw_dir.resolve()
    processed_dir = (processed_dir or default_processed_dir(raw_dir)).resolve()
    fp = fingerprint(raw_dir)
    ensure_migrated(settings)
    with runlock.exclusive(settings, processed_dir=processed_dir) as folder:
        result = _run_locked(
            raw_dir,
            processed_dir,
            settings,
            fp,
            restart=restart,
            accept_shrink=accept_shrink,
            on_stage=on_stage,
            on_run_id=lambda run_id: _note_run_id(run_id, folder, on_run_id),
        )
    result.seconds = time.perf_counter() - began
    return result


def _note_run_id(run_id: str, folder: FolderLock | None, then: Callable[[str], None] | None) -> None:
    """The run id is known: write it into the folder's lock file, then tell the caller."""
    if folder is not None:
        folder.note_run_id(run_id)
    if then:
        then(run_id)


def _run_locked(
    raw_dir: Path,
    processed_dir: Path,
    settings: Settings,
    fp: str,
    *,
    restart: bool,
    accept_shrink: frozenset[str],
    on_stage: Callable[[str, str], None] | None,
    on_run_id: Callable[[str], None],
) -> RunResult:
    from crm_pipeline.db import ledger

    last = ledger.latest_run(settings, raw_dir=str(raw_dir))
    same_input = last is not None and last.input_fingerprint == fp
    # a run that held a file back is never "unchanged": the operator may have accepted the shrink
    held_before = bool(last and (last.summary or {}).get("held_back"))
    if last is not None and same_input and last.status == "succeeded" and not restart and not held_before:
        log.info("input unchanged since run %s: nothing to do", last.run_id)
        return RunResult(
            run_id=last.run_id,
            raw_dir=raw_dir,
            processed_dir=processed_dir,
            input_fingerprint=fp,
            status="unchanged",
            summary=dict(last.summary or {}),
        )

    resumed = last is not None and same_input and last.status in ("running", "failed") and not restart
    run_id = last.run_id if resumed and last is not None else str(uuid.uuid4())
    done_before = {s for s, st in (last.stages.items() if resumed and last else []) if st == "succeeded"}
    result = RunResult(
        run_id=run_id,
        raw_dir=raw_dir,
        processed_dir=processed_dir,
        input_fingerprint=fp,
        status="running",
        resumed=resumed,
    )
    from crm_pipeline import logs

    logs.set_run_id(run_id[:8])
    on_run_id(run_id)
    log.info("run %s %s on %s", run_id, "resumed" if resumed else "started", raw_dir)
    ledger.open_run(settings, run_id=run_id, raw_dir=str(raw_dir), input_fingerprint=fp)
    processed_dir.mkdir(parents=True, exist_ok=True)
    ctx = StageContext(raw_dir, processed_dir, settings, run_id, accept_shrink)

    for name in STAGES:
        if name in done_before and _outputs_present(name, processed_dir):
            result.stages.append(StageOutcome(name=name, status="skipped"))
            if on_stage:
                on_stage(name, "skip")
            continue
        if on_stage:
            on_stage(name, "start")
        stage_began = time.perf_counter()
        if name not in SELF_RECORDING:
            ledger.set_stage(settings, run_id=run_id, stage=name, status="running")
        try:
            counts, paths = STAGE_FUNCTIONS[name](ctx)
        except BaseException as exc:  # KeyboardInterrupt included: the ledger must say so
            error = "interrupted" if isinstance(exc, KeyboardInterrupt) else str(exc)
            outcome = StageOutcome(name, "failed", time.perf_counter() - stage_began, error=error)
            result.stages.append(outcome)
            _record_failure(settings, run_id, name, error)
            raise
        outcome = StageOutcome(name, "succeeded", time.perf_counter() - stage_began, counts=counts)
        outcome.counts["seconds"] = round(outcome.seconds, 3)
        if name not in SELF_RECORDING:
            ledger.set_stage(settings, run_id=run_id, stage=name, status="succeeded", counts=counts)
        result.stages.append(outcome)
        result.paths.update(paths)
        if on_stage:
            on_stage(name, "done")

    earlier = ledger.stage_counts(settings, run_id=run_id) if resumed else {}
    result.summary = _headline(result, earlier)
    result.status = "succeeded with rejected input" if result.problems else "succeeded"
    result.summary["outcome"] = result.status
    ledger.finish_run(settings, run_id=run_id, status="succeeded", summary=result.summary)
    (processed_dir / "run_summary.json").write_text(json.dumps(result.as_dict(), indent=2, default=str))
    return result


def _record_failure(settings: Settings, run_id: str, stage: str, error: str) -> None:
    """Best effort: the database may be the thing that failed."""
    from crm_pipeline.db import ledger

    try:
        ledger.set_stage(settings, run_id=run_id, stage=stage, status="failed", error=error[:2000])
        ledger.finish_run(settings, run_id=run_id, status="failed", summary=None)
    except PipelineError as exc:
        log.warning("could not record the failure of stage %s in the ledger: %s", stage, exc)


def _outputs_present(stage: str, processed_dir: Path) -> bool:
    """A stage that succeeded is skipped on resume only if what it wrote is still there."""
    needed = {
        "clean": ("persons.parquet", "jobs.parquet", "leads.parquet", "quarantine.parquet", "files.parquet"),
        "match": ("customers.parquet", "unification_map.parquet"),
    }.get(stage, ())
    return all((processed_dir / n).exists() for n in needed)


def _load_held_back(load: dict[str, Any]) -> list[dict[str, Any]]:
    """Files the load itself held back (a processed folder cleaned outside this run)."""
    from crm_pipeline.load.holdback import HeldBack

    return [{**h, "message": HeldBack(**h).message()} for h in load.get("held_back") or []]


def _quality_line(clean: dict[str, Any]) -> str | None:
    """One line on the Great Expectations checks of the clean stage."""
    if "quality_checks" not in clean:
        return None
    critical = clean.get("quality_critical_failures") or []
    warnings = clean.get("quality_warnings") or []
    status = "FAILED" if critical else ("ok, with warnings" if warnings else "ok")
    total = int(clean["quality_checks"])
    line = f"{status}: {total - len(critical) - len(warnings)}/{total} checks passed"
    if warnings:
        line += f"; below threshold: {', '.join(warnings)}"
    return line


def _headline(result: RunResult, earlier: dict[str, dict[str, Any]]) -> dict[str, Any]:
    """The figures of the summary table, from this run's stages and, for the stages a resumed run
    skipped, the counts the ledger stored when they succeeded (``pipeline_stages.counts``)."""
    by_stage: dict[str, dict[str, Any]] = {k: v for k, v in earlier.items() if v}
    for s in result.stages:
        if s.status == "succeeded":
            by_stage[s.name] = s.counts
    clean = by_stage.get("clean", {})
    match = by_stage.get("match", {})
    analytics = by_stage.get("analytics", {})
    persons = clean.get("persons") or match.get("n_records")
    customers = match.get("n_customers")
    headline = {
        "rows_in": clean.get("rows_in"),
        "rows_clean": clean.get("rows_clean"),
        "rows_quarantined": clean.get("rows_quarantined"),
        "values_quarantined": clean.get("values_quarantined"),
        "unconfirmed_branches": clean.get("unconfirmed_branches") or [],
        "branches_yaml": clean.get("branches_yaml") or "",
        "other_categories": clean.get("other_categories") or {},
        "persons": persons,
        "customers": customers,
        "duplicates_merged": (persons - customers) if persons is not None and customers is not None else None,
        "jobs": analytics.get("jobs_unified") or clean.get("jobs"),
        "job_duplicates": analytics.get("job_duplicates_merged"),
        "data_quality": _quality_line(clean),
        "rejected_files": clean.get("rejected_files") or [],
        "held_back": clean.get("held_back") or _load_held_back(by_stage.get("load", {})),
        "seconds_per_stage": {s.name: round(s.seconds, 2) for s in result.stages},
        "stages": by_stage,
    }
    return headline
