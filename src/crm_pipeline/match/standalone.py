"""Standalone dedupe of any CSV with the canonical person columns (no pipeline around it).

``CANONICAL.csv`` has ``record_id, first_name, last_name, email, phone, street, city, state, zip``
(any may be blank; extra columns such as ``middle_name``, ``name_suffix``, ``unit``, ``phone2``,
``dest_street``, ``dest_city``, ``dest_zip`` are used when present). Values need not be cleaned:
the match keys are derived defensively (see features.py). Writes ``DIR/clusters.csv``
(``record_id, cluster_id``; the cluster is named by its smallest record_id) and ``DIR/pairs.csv``
(``record_id_l, record_id_r, match_probability`` for every scored pair at or above the lower edge
of the review band; pairs at or above the threshold are the links).
"""

from __future__ import annotations

import logging
import time
from dataclasses import dataclass, field
from pathlib import Path

import duckdb

from crm_pipeline.config import Settings, get_settings
from crm_pipeline.errors import InputError
from crm_pipeline.match.engine import Backend, MatchEngine, review_band
from crm_pipeline.match.features import build_match_input
from crm_pipeline.match.model import MODEL_FILE_NAME
from crm_pipeline.match.stage import checkpoint_path, default_model_path
from crm_pipeline.safe_csv import write_csv

log = logging.getLogger(__name__)


@dataclass(frozen=True)
class StandaloneResult:
    records: int
    clusters: int
    links_used: int
    scored_pairs: int
    model_path: Path
    model_sha256: str
    trained: bool
    timings: dict[str, float]
    outputs: dict[str, Path] = field(default_factory=dict)
    warnings: list[str] = field(default_factory=list)  # columns left out, and why


def match_canonical_csv(
    input_csv: Path,
    out_dir: Path,
    settings: Settings | None = None,
    model_path: Path | None = None,
    backend: Backend = "duckdb",
    retrain: bool = False,
) -> StandaloneResult:
    """Dedupe ``input_csv`` into ``out_dir`` (see the module docstring).

    Model: ``model_path`` when given; else the pipeline's model in ``CRM_HOME/models`` when one
    exists; else one is trained on this file and saved as ``out_dir/person_model.json``.
    """
    settings = settings or get_settings()
    if not input_csv.is_file():
        raise InputError("input file not found", file=input_csv)
    out_dir.mkdir(parents=True, exist_ok=True)
    timings: dict[str, float] = {}
    con = duckdb.connect()
    try:
        start = time.perf_counter()
        _load_canonical(con, input_csv)
        build_match_input(con, "canonical")
        timings["features"] = time.perf_counter() - start

        if model_path is not None:
            chosen, must_exist = model_path, True
        elif default_model_path(settings).is_file() and not retrain:
            chosen, must_exist = default_model_path(settings), True
        else:
            chosen, must_exist = out_dir / MODEL_FILE_NAME, False
        lower, _ = review_band(settings.match_threshold, settings.match_review_band)
        engine = MatchEngine(
            con,
            checkpoint_path=checkpoint_path(settings),
            threshold=settings.match_threshold,
            min_probability=lower,
            min_fill_rate=settings.match_min_fill_rate,
            backend=backend,
        )
        outcome = engine.run(chosen, model_must_exist=must_exist, retrain=retrain)
        timings.update(outcome.timings)

        start = time.perf_counter()
        outputs = {"clusters": out_dir / "clusters.csv", "pairs": out_dir / "pairs.csv"}
        _copy_csv(
            con,
            """SELECT c.uid AS record_id, min(c.uid) OVER (PARTITION BY c.cluster) AS cluster_id
               FROM match_clusters c ORDER BY c.uid""",
            outputs["clusters"],
        )
        _copy_csv(
            con,
            """SELECT l.uid AS record_id_l, r.uid AS record_id_r,
                      round(p.match_probability, 6) AS match_probability
               FROM match_predictions p
               JOIN match_clusters l ON l.unique_id = p.unique_id_l
               JOIN match_clusters r ON r.unique_id = p.unique_id_r
               ORDER BY p.match_probability DESC, record_id_l, record_id_r""",
            outputs["pairs"],
        )
        timings["write"] = time.perf_counter() - start
    finally:
        con.close()
    return StandaloneResult(
        records=outcome.n_records,
        clusters=outcome.n_clusters,
        links_used=outcome.n_links_used,
        scored_pairs=outcome.n_scored_pairs,
        model_path=outcome.model_path,
        model_sha256=outcome.model_sha256,
        trained=outcome.trained,
        timings=timings,
        outputs=outputs,
        warnings=outcome.warnings,
    )


def _load_canonical(con: duckdb.DuckDBPyConnection, input_csv: Path) -> None:
    """Table ``canonical`` with ``uid`` = record_id (``line:N`` when blank), checked unique."""
    try:
        con.execute(
            "CREATE TEMP TABLE canonical_raw AS SELECT * FROM read_csv(?, all_varchar = true, header = true)",
            [str(input_csv)],
        )
    except duckdb.Error as exc:
        raise InputError(f"cannot read CSV: {exc}", file=input_csv) from exc
    columns = {r[0] for r in con.execute("DESCRIBE canonical_raw").fetchall()}
    if "record_id" not in columns:
        raise InputError(
            "no record_id column (expected the canonical person columns)", file=input_csv, line=1
        )
    line = "'line:' || CAST(row_number() OVER () + 1 AS VARCHAR)"
    con.execute(
        f"""CREATE TEMP TABLE canonical AS
        SELECT coalesce(nullif(trim(record_id), ''), {line}) AS uid, * EXCLUDE (record_id)
        FROM canonical_raw"""
    )
    dup = con.execute(
        "SELECT uid, count(*) FROM canonical GROUP BY uid HAVING count(*) > 1 LIMIT 1"
    ).fetchall()
    if dup:
        raise InputError(
            f"record_id {dup[0][0]!r} occurs {dup[0][1]} times; record ids must be unique", file=input_csv
        )


def _copy_csv(con: duckdb.DuckDBPyConnection, query: str, path: Path) -> None:
    """The query's rows as a CSV for people (formula-like cells neutralized: ``safe_csv``)."""
    write_csv(con.sql(query).pl(), path)
