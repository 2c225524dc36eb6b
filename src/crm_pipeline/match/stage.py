"""Phase 2B entry point: match the clean person rows and unify them into customers.

Reads ``PROCESSED_DIR/persons.parquet`` and writes (docs/contracts.md, "Phase 2B"):
``unification_map.parquet``, ``customers.parquet``, ``match_pairs.parquet``, ``match_run.json``
and, for clerical review, ``review_pairs.csv``.
"""

from __future__ import annotations

import json
import logging
import time
from dataclasses import dataclass, field
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

import duckdb

from crm_pipeline.config import Settings, get_settings
from crm_pipeline.errors import InputError
from crm_pipeline.match import spec
from crm_pipeline.match.checkpoint import run_key
from crm_pipeline.match.engine import Backend, MatchEngine, review_band
from crm_pipeline.match.features import MATCH_INPUT_TABLE, build_match_input
from crm_pipeline.match.model import MODEL_FILE_NAME
from crm_pipeline.match.scoring import CHUNK_RECORDS
from crm_pipeline.safe_csv import write_csv
from crm_pipeline.unify import CUSTOMER_COLUMNS, MAP_COLUMNS, build_golden_records, build_lineage

log = logging.getLogger(__name__)

PERSONS_FILE = "persons.parquet"
MAP_FILE = "unification_map.parquet"
CUSTOMERS_FILE = "customers.parquet"
PAIRS_FILE = "match_pairs.parquet"
RUN_FILE = "match_run.json"
REVIEW_FILE = "review_pairs.csv"


@dataclass(frozen=True)
class MatchResult:
    """What one match run did: counts, the model used, time per step and the files written."""

    match_run_id: str
    processed_dir: Path
    backend: str
    records: int
    customers: int
    scored_pairs: int
    links_used: int
    links_refused: int
    review_pairs: int
    threshold: float
    review_band: tuple[float, float]
    model_path: Path
    model_sha256: str
    trained: bool
    chunks: int
    chunks_reused: int
    rule_counts: dict[str, int]
    timings: dict[str, float]
    outputs: dict[str, Path] = field(default_factory=dict)
    comparisons: list[str] = field(default_factory=lambda: list(spec.OPTIONAL))  # optional ones used
    fill_rates: dict[str, float] = field(default_factory=dict)
    warnings: list[str] = field(default_factory=list)  # columns left out, and why

    @property
    def paths(self) -> dict[str, Path]:
        return self.outputs

    def counts(self) -> dict[str, int]:
        return {
            "n_records": self.records,
            "n_customers": self.customers,
            "n_pairs": self.scored_pairs,
            "n_links_used": self.links_used,
            "n_links_refused": self.links_refused,
            "n_review_pairs": self.review_pairs,
            "chunks": self.chunks,
            "chunks_reused": self.chunks_reused,
        }

    def run_document(self) -> dict[str, Any]:
        """The content of ``match_run.json`` (read by the load stage into ``match_runs``)."""
        return {
            "match_run_id": self.match_run_id,
            "created_at": datetime.now(UTC).replace(microsecond=0).isoformat(),
            "backend": self.backend,
            "model": {"path": str(self.model_path), "sha256": self.model_sha256, "trained": self.trained},
            "model_path": str(self.model_path),
            "model_sha256": self.model_sha256,
            "threshold": self.threshold,
            "review_band": list(self.review_band),
            "counts": self.counts(),
            "comparisons": self.comparisons,
            "fill_rates": {k: round(v, 4) for k, v in self.fill_rates.items()},
            "warnings": self.warnings,
            "blocking_rule_pairs": self.rule_counts,
            "timings_s": {k: round(v, 3) for k, v in self.timings.items()},
            "outputs": {k: str(v) for k, v in self.outputs.items()},
        }


def default_model_path(settings: Settings) -> Path:
    return settings.models_dir / MODEL_FILE_NAME


def checkpoint_path(settings: Settings) -> Path:
    return settings.home_dir / "match" / "checkpoints.duckdb"


def run_match(
    processed_dir: Path,
    settings: Settings | None = None,
    model_path: Path | None = None,
    backend: Backend = "duckdb",
    retrain: bool = False,
    *,
    chunk_records: int = CHUNK_RECORDS,
) -> MatchResult:
    """Match ``PROCESSED_DIR/persons.parquet`` and write the Phase 2B outputs next to it.

    The model is ``model_path`` when given (it must exist unless ``retrain``), else
    ``CRM_HOME/models/person_model.json``, trained on this input the first time and reused after.
    Scoring runs in chunks of ``chunk_records`` left-hand records, each checkpointed, so an
    interrupted run resumes at the first unfinished chunk.
    """
    settings = settings or get_settings()
    persons = processed_dir / PERSONS_FILE
    if not persons.is_file():
        raise InputError("persons.parquet not found: run `crm-pipeline clean` first", file=persons)
    timings: dict[str, float] = {}
    lower, upper = review_band(settings.match_threshold, settings.match_review_band)

    con = duckdb.connect()
    try:
        start = time.perf_counter()
        con.execute("CREATE TEMP TABLE persons AS SELECT * FROM read_parquet(?)", [str(persons)])
        if "uid" not in {r[0] for r in con.execute("DESCRIBE persons").fetchall()}:
            raise InputError("persons.parquet has no uid column (see docs/contracts.md)", file=persons)
        build_match_input(con, "persons")
        timings["features"] = time.perf_counter() - start

        engine = MatchEngine(
            con,
            checkpoint_path=checkpoint_path(settings),
            threshold=settings.match_threshold,
            min_probability=lower,
            min_fill_rate=settings.match_min_fill_rate,
            backend=backend,
            chunk_records=chunk_records,
        )
        outcome = engine.run(
            model_path or default_model_path(settings),
            model_must_exist=model_path is not None,
            retrain=retrain,
        )
        timings.update(outcome.timings)

        start = time.perf_counter()
        build_lineage(con, "persons", "match_clusters", out_table="lineage")
        con.execute(
            "CREATE OR REPLACE TEMP VIEW persons_with_customer AS "
            "SELECT p.*, l.customer_id FROM persons p JOIN lineage l USING (uid)"
        )
        n_customers = build_golden_records(con, "persons_with_customer", out_table="customers")
        timings["unify"] = time.perf_counter() - start

        start = time.perf_counter()
        outputs = _write_outputs(con, processed_dir, settings.match_threshold, lower, upper)
        n_review = int(con.execute("SELECT count(*) FROM review").fetchall()[0][0])
        timings["write"] = time.perf_counter() - start
    finally:
        con.close()

    result = MatchResult(
        match_run_id="mr_"
        + run_key(outcome.input_fingerprint, outcome.model_sha256, settings.match_threshold),
        processed_dir=processed_dir,
        backend=backend,
        records=outcome.n_records,
        customers=n_customers,
        scored_pairs=outcome.n_scored_pairs,
        links_used=outcome.n_links_used,
        links_refused=outcome.n_links_refused,
        review_pairs=n_review,
        threshold=settings.match_threshold,
        review_band=(lower, upper),
        model_path=outcome.model_path,
        model_sha256=outcome.model_sha256,
        trained=outcome.trained,
        chunks=outcome.chunks,
        chunks_reused=outcome.chunks_reused,
        rule_counts=outcome.rule_counts,
        timings=_with_substeps(timings, "train", outcome.training_timings),
        outputs=outputs,
        comparisons=outcome.comparisons,
        fill_rates=outcome.column_use.fill_rates,
        warnings=outcome.warnings,
    )
    run_file = processed_dir / RUN_FILE
    _atomic_write_text(run_file, json.dumps(result.run_document(), indent=2, default=str) + "\n")
    result.outputs["run"] = run_file
    log.info(
        "match: %d records -> %d customers (%d links, %d refused, %d for review)",
        result.records,
        result.customers,
        result.links_used,
        result.links_refused,
        result.review_pairs,
    )
    return result


def _with_substeps(timings: dict[str, float], step: str, substeps: dict[str, float]) -> dict[str, float]:
    """``timings`` with ``step.<name>`` entries placed right after ``step``."""
    ordered: dict[str, float] = {}
    for name, seconds in timings.items():
        ordered[name] = seconds
        if name == step:
            ordered.update({f"{step}.{k}": v for k, v in substeps.items()})
    return ordered


def _write_outputs(
    con: duckdb.DuckDBPyConnection, processed_dir: Path, threshold: float, lower: float, upper: float
) -> dict[str, Path]:
    con.execute(
        f"""
        CREATE OR REPLACE TEMP TABLE pairs_out AS
        SELECT ml.uid AS uid_l, mr.uid AS uid_r, k.match_weight, k.match_probability,
               cl.cluster = cr.cluster AS clustered, k.link_used, k.link_refused
        FROM match_links k
        JOIN {MATCH_INPUT_TABLE} ml ON ml.unique_id = k.unique_id_l
        JOIN {MATCH_INPUT_TABLE} mr ON mr.unique_id = k.unique_id_r
        JOIN match_clusters cl ON cl.unique_id = k.unique_id_l
        JOIN match_clusters cr ON cr.unique_id = k.unique_id_r
        ORDER BY uid_l, uid_r
        """
    )
    con.execute(
        f"""
        CREATE OR REPLACE TEMP TABLE review AS
        SELECT
            CASE WHEN k.link_refused THEN 'names conflict within the would-be customer'
                 WHEN k.match_probability >= {threshold!r} THEN 'just above the threshold'
                 ELSE 'just below the threshold' END AS reason,
            k.clustered AS same_customer,
            round(k.match_probability, 6) AS match_probability, round(k.match_weight, 3) AS match_weight,
            pl.file AS file_l, pl.record_id AS record_id_l, pr.file AS file_r, pr.record_id AS record_id_r,
            pl.first_name AS first_name_l, pr.first_name AS first_name_r,
            pl.last_name AS last_name_l, pr.last_name AS last_name_r,
            pl.name_suffix AS name_suffix_l, pr.name_suffix AS name_suffix_r,
            pl.email AS email_l, pr.email AS email_r, pl.phone AS phone_l, pr.phone AS phone_r,
            pl.street AS street_l, pr.street AS street_r, pl.city AS city_l, pr.city AS city_r,
            pl.zip AS zip_l, pr.zip AS zip_r,
            k.uid_l, k.uid_r
        FROM pairs_out k
        JOIN persons pl ON pl.uid = k.uid_l
        JOIN persons pr ON pr.uid = k.uid_r
        WHERE k.link_refused OR (k.match_probability >= {lower!r} AND k.match_probability < {upper!r})
        ORDER BY abs(k.match_weight - log2({threshold!r} / (1 - {threshold!r}))), k.uid_l, k.uid_r
        """
    )
    outputs = {
        "unification_map": processed_dir / MAP_FILE,
        "customers": processed_dir / CUSTOMERS_FILE,
        "pairs": processed_dir / PAIRS_FILE,
        "review": processed_dir / REVIEW_FILE,
    }
    _copy(con, f"SELECT {', '.join(MAP_COLUMNS)} FROM lineage ORDER BY uid", outputs["unification_map"])
    _copy(
        con, f"SELECT {', '.join(CUSTOMER_COLUMNS)} FROM customers ORDER BY customer_id", outputs["customers"]
    )
    _copy(
        con,
        "SELECT uid_l, uid_r, match_weight, match_probability, clustered, link_used FROM pairs_out",
        outputs["pairs"],
    )
    write_csv(con.sql("SELECT * FROM review").pl(), outputs["review"])  # for people: neutralized
    return outputs


def _copy(con: duckdb.DuckDBPyConnection, query: str, path: Path) -> None:
    """Write a query result to ``path`` as Parquet atomically (temporary file, then rename)."""
    tmp = path.with_name(path.name + ".tmp")
    con.execute(f"COPY ({query}) TO '{_sql_path(tmp)}' (FORMAT parquet, COMPRESSION zstd)")
    tmp.replace(path)


def _atomic_write_text(path: Path, text: str) -> None:
    tmp = path.with_name(path.name + ".tmp")
    tmp.write_text(text, encoding="utf-8")
    tmp.replace(path)


def _sql_path(path: Path) -> str:
    return str(path).replace("'", "''")
