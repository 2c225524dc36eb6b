"""Why is this a customer? The links that joined its records, and a waterfall chart per pair.

``explain_customer`` reads the outputs of a match run (``unification_map.parquet``,
``match_pairs.parquet``, ``match_run.json``), re-scores every pair of the customer's records with
the run's model — with Splink's intermediate columns, so each comparison's contribution to the
match weight is visible — and writes Splink's waterfall chart as a self-contained HTML file (no
internet needed to open it). The links listed first are the ones clustering used to join the
records (strongest first); the other pairs of the customer are shown for completeness. Next to
it, ``match_weights.html`` charts the model itself: the match weight of every comparison level.
"""

from __future__ import annotations

import json
import logging
from dataclasses import dataclass
from pathlib import Path

import duckdb
from splink import Linker
from splink.backends.duckdb import DuckDBAPI

from crm_pipeline.errors import InputError
from crm_pipeline.match import spec
from crm_pipeline.match.features import MATCH_INPUT_TABLE, build_match_input
from crm_pipeline.match.model import PersonModel
from crm_pipeline.match.stage import MAP_FILE, PAIRS_FILE, PERSONS_FILE, RUN_FILE
from crm_pipeline.match.term_frequencies import register_shrunk_tf_tables

log = logging.getLogger(__name__)

#: Pairs shown in one chart; a customer with more records shows its links and strongest pairs.
MAX_PAIRS = 200


@dataclass(frozen=True)
class PairExplanation:
    uid_l: str
    uid_r: str
    match_weight: float
    match_probability: float
    link_used: bool


@dataclass(frozen=True)
class Explanation:
    customer_id: str
    records: list[str]
    pairs: list[PairExplanation]
    chart: Path
    weights_chart: Path


def explain_customer(processed_dir: Path, customer_id: str, out: Path | None = None) -> Explanation:
    """Write the waterfall chart of ``customer_id``'s pairs; returns its links and the chart path."""
    for name in (PERSONS_FILE, MAP_FILE, PAIRS_FILE, RUN_FILE):
        if not (processed_dir / name).is_file():
            raise InputError(f"{name} not found: run `crm-pipeline match` first", file=processed_dir / name)
    run = json.loads((processed_dir / RUN_FILE).read_text(encoding="utf-8"))
    model, digest = PersonModel.load(Path(run["model_path"]))
    if digest != run["model_sha256"]:
        log.warning("the model changed since the match run; the chart uses the current model")

    con = duckdb.connect()
    try:
        uids = [
            r[0]
            for r in con.execute(
                "SELECT uid FROM read_parquet(?) WHERE customer_id = ? ORDER BY uid",
                [str(processed_dir / MAP_FILE), customer_id],
            ).fetchall()
        ]
        if not uids:
            raise InputError(
                f"customer {customer_id} is not in the unification map", file=processed_dir / MAP_FILE
            )
        con.execute(
            "CREATE TEMP TABLE persons AS SELECT * FROM read_parquet(?)", [str(processed_dir / PERSONS_FILE)]
        )
        build_match_input(con, "persons")  # all records: the term frequencies come from the whole input
        con.execute(
            "CREATE TEMP TABLE stored_pairs AS SELECT * FROM read_parquet(?) "
            "WHERE list_contains(?, uid_l) AND list_contains(?, uid_r)",
            [str(processed_dir / PAIRS_FILE), uids, uids],
        )
        con.execute(
            f"CREATE TABLE customer_records AS SELECT * FROM {MATCH_INPUT_TABLE} WHERE list_contains(?, uid)",
            [uids],
        )
        db_api = DuckDBAPI(connection=con)
        # the comparisons the run used (a file without email is explained without it)
        present = frozenset(run.get("comparisons", spec.OPTIONAL)) & model.optional_comparisons
        settings = model.settings_dict(
            "duckdb", present, retain_matching_columns=True, retain_intermediate_calculation_columns=True
        )
        sdf = db_api.register(MATCH_INPUT_TABLE, table_name="match_input_for_explain")
        linker = Linker(sdf, settings, log_level=None)  # the CLI configures logging
        register_shrunk_tf_tables(linker, db_api, con, settings, MATCH_INPUT_TABLE, "explain")
        records = db_api.register("customer_records", table_name="customer_records_sdf")
        scored = linker.inference.score_pairs(records, records)
        con.execute(
            f"""CREATE TEMP TABLE explained AS
            SELECT s.*, l.uid AS uid_l, r.uid AS uid_r, coalesce(p.link_used, false) AS link_used
            FROM {scored.physical_name} s
            JOIN customer_records l ON l.unique_id = s.unique_id_l
            JOIN customer_records r ON r.unique_id = s.unique_id_r
            LEFT JOIN stored_pairs p ON p.uid_l = l.uid AND p.uid_r = r.uid
            WHERE s.unique_id_l < s.unique_id_r
            ORDER BY link_used DESC, s.match_weight DESC, uid_l, uid_r
            LIMIT {MAX_PAIRS}"""
        )
        rows = con.sql("SELECT * EXCLUDE (uid_l, uid_r, link_used) FROM explained").fetchall()
        names = [
            d[0] for d in con.sql("SELECT * EXCLUDE (uid_l, uid_r, link_used) FROM explained").description
        ]
        records_for_chart = [dict(zip(names, row, strict=True)) for row in rows]
        pairs = [
            PairExplanation(uid_l=r[0], uid_r=r[1], match_weight=r[2], match_probability=r[3], link_used=r[4])
            for r in con.execute(
                "SELECT uid_l, uid_r, match_weight, match_probability, link_used FROM explained"
            ).fetchall()
        ]
        chart_path = out or processed_dir / "explain" / f"{customer_id}.html"
        chart_path.parent.mkdir(parents=True, exist_ok=True)
        weights_path = chart_path.parent / "match_weights.html"  # the model: weight of every level
        weights_path.write_text(
            linker.visualisations.match_weights_chart().to_html(inline=True), encoding="utf-8"
        )
        if records_for_chart:
            chart = linker.visualisations.waterfall_chart(records_for_chart, filter_nulls=False)
            chart_path.write_text(chart.to_html(inline=True), encoding="utf-8")
        else:
            chart_path.write_text(
                f"<html><body><p>{customer_id} has a single record: nothing was joined.</p></body></html>\n",
                encoding="utf-8",
            )
    finally:
        con.close()
    return Explanation(
        customer_id=customer_id, records=uids, pairs=pairs, chart=chart_path, weights_chart=weights_path
    )
