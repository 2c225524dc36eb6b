"""Pairwise precision / recall / F1 of a customer assignment against the truth.

A "pair" is two person records. Predicted pairs are pairs put in the same customer; true pairs
are pairs of the same real person (``entity_id`` in ``truth/customers.csv``). Counting is done per
group with n·(n−1)/2, never by listing pairs, so it is instant on millions of records:

    precision = |predicted ∩ true| / |predicted|,  recall = |predicted ∩ true| / |true|.

Only records present in both files are scored; the counts of records missing on either side are
reported so a silent mismatch of keys cannot pass as a good score.
"""

from __future__ import annotations

from dataclasses import asdict, dataclass
from pathlib import Path
from typing import Any

import duckdb

from crm_pipeline.errors import InputError


@dataclass(frozen=True)
class PairwiseMetrics:
    precision: float
    recall: float
    f1: float
    true_positive_pairs: int
    predicted_pairs: int
    true_pairs: int
    records_scored: int
    records_missing_in_truth: int
    records_missing_in_prediction: int

    def as_dict(self) -> dict[str, Any]:
        return asdict(self)


def pairwise_metrics(con: duckdb.DuckDBPyConnection, predicted: str, truth: str) -> PairwiseMetrics:
    """Score relation ``predicted`` (file, record_id, customer_id) against ``truth``
    (file, record_id, entity_id); both are table/view names in ``con``."""
    row = con.execute(
        f"""
        WITH p AS (SELECT DISTINCT CAST(file AS VARCHAR) AS file, CAST(record_id AS VARCHAR) AS record_id,
                          CAST(customer_id AS VARCHAR) AS c FROM {predicted}),
             t AS (SELECT DISTINCT CAST(file AS VARCHAR) AS file, CAST(record_id AS VARCHAR) AS record_id,
                          CAST(entity_id AS VARCHAR) AS e FROM {truth}),
             j AS (SELECT p.c, t.e FROM p JOIN t USING (file, record_id)),
             pred AS (SELECT count(*) AS n FROM j GROUP BY c),
             tru AS (SELECT count(*) AS n FROM j GROUP BY e),
             both_ AS (SELECT count(*) AS n FROM j GROUP BY c, e)
        SELECT
            (SELECT coalesce(sum(n * (n - 1) / 2), 0) FROM both_),
            (SELECT coalesce(sum(n * (n - 1) / 2), 0) FROM pred),
            (SELECT coalesce(sum(n * (n - 1) / 2), 0) FROM tru),
            (SELECT count(*) FROM j),
            (SELECT count(*) FROM p ANTI JOIN t USING (file, record_id)),
            (SELECT count(*) FROM t ANTI JOIN p USING (file, record_id))
        """
    ).fetchall()[0]
    tp, n_pred, n_true, scored, missing_truth, missing_pred = (int(v) for v in row)
    precision = tp / n_pred if n_pred else 1.0
    recall = tp / n_true if n_true else 1.0
    f1 = 2 * precision * recall / (precision + recall) if precision + recall else 0.0
    return PairwiseMetrics(
        precision=precision,
        recall=recall,
        f1=f1,
        true_positive_pairs=tp,
        predicted_pairs=n_pred,
        true_pairs=n_true,
        records_scored=scored,
        records_missing_in_truth=missing_truth,
        records_missing_in_prediction=missing_pred,
    )


def evaluate_customers(unification_map: Path, truth_dir: Path) -> PairwiseMetrics:
    """Customer pairwise metrics of ``unification_map.parquet`` against ``TRUTH_DIR/customers.csv``."""
    truth_csv = truth_dir / "customers.csv"
    if not truth_csv.is_file():
        raise InputError(
            "truth file not found (expected customers.csv from `crm-pipeline generate`)", file=truth_csv
        )
    if not unification_map.is_file():
        raise InputError("unification map not found: run `crm-pipeline match` first", file=unification_map)
    con = duckdb.connect()
    try:
        con.execute("CREATE TEMP TABLE predicted AS SELECT * FROM read_parquet(?)", [str(unification_map)])
        con.execute(
            "CREATE TEMP TABLE truth AS SELECT * FROM read_csv(?, all_varchar = true)", [str(truth_csv)]
        )
        return pairwise_metrics(con, "predicted", "truth")
    finally:
        con.close()
