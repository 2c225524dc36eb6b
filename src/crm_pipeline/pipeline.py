"""The pipeline facade: ``run()`` sequences the stages and resumes unfinished runs.

Each stage is also callable alone (``crm-pipeline clean``, ``match``, ``load``, ``analytics``);
this module only decides *which* stages to run, records them in the run ledger and collects a
summary. The order is fixed::

    clean (+ validate)  →  match (+ unify)  →  load  →  analytics

Resuming: the ledger (``pipeline_runs`` / ``pipeline_stages``) remembers each stage's status. When
the last run of the same raw folder with the same input fingerprint did not finish (a crash, a
kill, Ctrl-C, an error), ``run()`` continues that run from its first stage that did not succeed.
When it finished and the input is unchanged, nothing is done at all. ``restart=True`` starts over.

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
from typing import Any

from crm_pipeline.config import Settings
from crm_pipeline.errors import PipelineError

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
    status: str  # succeeded | unchanged (nothing to do) | failed
    resumed: bool = False
    stages: list[StageOutcome] = field(default_factory=list)
    summary: dict[str, Any] = field(default_factory=dict)
    paths: dict[str, str] = field(default_factory=dict)
    log_file: Path | None = None
    seconds: float = 0.0

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
StageFn = Callable[[Path, Path, Settings, str], StageOutput]


def _clean(raw_dir: Path, processed_dir: Path, settings: Settings, run_id: str) -> StageOutput:
    from crm_pipeline.ingest.stage import run_clean

    res = run_clean(raw_dir, processed_dir, settings)
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
        "rows_in": rows_in,
        "rows_clean": clean,
        "rows_quarantined": quarantined,
        "persons": res.outputs.get("persons", 0),
        "jobs": res.outputs.get("jobs", 0),
        "leads": res.outputs.get("leads", 0),
        "quarantine_by_rule": res.quarantine_by_rule,
    }
    report = res.validation
    if report is not None:
        counts["quality_checks"] = len(report.checks)
        counts["quality_warnings"] = [c.name for c in report.warnings]
        counts["quality_critical_failures"] = [c.name for c in report.critical_failures]
    paths = {k: str(v) for k, v in res.paths.items() if "validation" in k or "docs" in k}
    return counts, paths


def _match(raw_dir: Path, processed_dir: Path, settings: Settings, run_id: str) -> StageOutput:
    from crm_pipeline.match import run_match

    res = run_match(processed_dir, settings)
    counts = res.counts() if hasattr(res, "counts") else {}
    paths = {k: str(v) for k, v in getattr(res, "paths", {}).items()}
    return counts, paths


def _load(raw_dir: Path, processed_dir: Path, settings: Settings, run_id: str) -> StageOutput:
    from crm_pipeline.load import run_load

    res = run_load(processed_dir, settings, run_id=run_id)
    return res.counts_json(), {}


def _analytics(raw_dir: Path, processed_dir: Path, settings: Settings, run_id: str) -> StageOutput:
    from crm_pipeline.analytics import run_analytics

    res = run_analytics(settings)
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
    on_stage: Callable[[str, str], None] | None = None,
    on_run_id: Callable[[str], None] | None = None,
) -> RunResult:
    """Run every stage in order on ``raw_dir``; resume or skip according to the ledger.

    ``on_stage(name, event)`` is told ``start`` / ``done`` / ``skip`` for each stage (the CLI
    drives its progress display with it); ``on_run_id(run_id)`` once the run id is known (the CLI
    opens the run's log file then).
    """
    from crm_pipeline.db import ensure_migrated, ledger

    began = time.perf_counter()
    raw_dir = raw_dir.resolve()
    processed_dir = (processed_dir or default_processed_dir(raw_dir)).resolve()
    fp = fingerprint(raw_dir)
    ensure_migrated(settings)

    last = ledger.latest_run(settings, raw_dir=str(raw_dir))
    same_input = last is not None and last.input_fingerprint == fp
    if last is not None and same_input and last.status == "succeeded" and not restart:
        log.info("input unchanged since run %s: nothing to do", last.run_id)
        result = RunResult(
            run_id=last.run_id,
            raw_dir=raw_dir,
            processed_dir=processed_dir,
            input_fingerprint=fp,
            status="unchanged",
            summary=dict(last.summary or {}),
        )
        result.seconds = time.perf_counter() - began
        return result

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
    if on_run_id:
        on_run_id(run_id)
    log.info("run %s %s on %s", run_id, "resumed" if resumed else "started", raw_dir)
    ledger.open_run(settings, run_id=run_id, raw_dir=str(raw_dir), input_fingerprint=fp)
    processed_dir.mkdir(parents=True, exist_ok=True)

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
            counts, paths = STAGE_FUNCTIONS[name](raw_dir, processed_dir, settings, run_id)
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

    result.status = "succeeded"
    result.seconds = time.perf_counter() - began
    result.summary = _headline(result, last.summary if resumed and last else None)
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


def _headline(result: RunResult, previous: dict[str, Any] | None) -> dict[str, Any]:
    """The figures of the summary table, from this run's stages (and a resumed run's earlier ones)."""
    by_stage: dict[str, dict[str, Any]] = dict((previous or {}).get("stages", {}))
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
        "persons": persons,
        "customers": customers,
        "duplicates_merged": (persons - customers) if persons is not None and customers is not None else None,
        "jobs": analytics.get("jobs_unified") or clean.get("jobs"),
        "job_duplicates": analytics.get("job_duplicates_merged"),
        "data_quality": _quality_line(clean),
        "seconds_per_stage": {s.name: round(s.seconds, 2) for s in result.stages},
        "stages": by_stage,
    }
    return headline
