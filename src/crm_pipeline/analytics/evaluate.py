"""Job-level pairwise precision / recall / F1 against a generator's ``truth/jobs.csv``.

Pairwise: every two source job rows that share a unified job form a predicted pair, every two that
share a ``job_entity`` a true pair. Counting pairs per cluster (``n·(n−1)/2``) avoids listing them.
Rows are keyed by ``(file, record_id)``, the ``export job-map`` keys; only rows present in both the
truth and the job map are scored (quarantined rows have no job), and the rows found on one side only
are counted. The result is the same ``PairwiseMetrics`` the customer evaluation reports.
"""

from __future__ import annotations

from pathlib import Path

import polars as pl

from crm_pipeline.config import Settings
from crm_pipeline.errors import InputError
from crm_pipeline.match.evaluate import PairwiseMetrics

KEYS = ("file", "record_id")


def _pairs(counts: pl.Series) -> int:
    return int((counts * (counts - 1) // 2).sum())


def pairwise_scores(
    predicted: pl.DataFrame, truth: pl.DataFrame, *, cluster: str, entity: str
) -> PairwiseMetrics:
    """Scores of ``predicted`` (keys + ``cluster``) against ``truth`` (keys + ``entity``)."""
    predicted = predicted.select(*KEYS, cluster).unique(KEYS)
    truth = truth.select(*KEYS, entity).unique(KEYS)
    both = predicted.join(truth, on=KEYS)
    tp = _pairs(both.group_by(cluster, entity).len()["len"])
    n_pred = _pairs(both.group_by(cluster).len()["len"])
    n_true = _pairs(both.group_by(entity).len()["len"])
    precision = tp / n_pred if n_pred else 1.0
    recall = tp / n_true if n_true else 1.0
    return PairwiseMetrics(
        precision=precision,
        recall=recall,
        f1=2 * precision * recall / (precision + recall) if precision + recall else 0.0,
        true_positive_pairs=tp,
        predicted_pairs=n_pred,
        true_pairs=n_true,
        records_scored=both.height,
        records_missing_in_truth=predicted.height - both.height,
        records_missing_in_prediction=truth.height - both.height,
    )


def read_job_truth(truth_dir: Path) -> pl.DataFrame:
    path = truth_dir / "jobs.csv"
    if not path.is_file():
        raise InputError("no jobs.csv in the truth folder", file=path)
    text_columns = {"file": pl.String, "record_id": pl.String, "job_entity": pl.String}
    truth = pl.read_csv(path, schema_overrides=text_columns)
    missing = {"file", "record_id", "job_entity"} - set(truth.columns)
    if missing:
        raise InputError(f"missing column(s) {sorted(missing)}", file=path, line=1)
    return truth


def evaluate_jobs(settings: Settings, truth_dir: Path) -> PairwiseMetrics | None:
    """Pairwise scores of the job map in the database against ``truth_dir/jobs.csv``; None when the
    database holds no unified jobs yet (load and ``analytics job-duplicates`` not run)."""
    from crm_pipeline.db import analytics_sql
    from crm_pipeline.db.connection import connect

    truth = read_job_truth(truth_dir)
    with connect(settings, application_name="crm-pipeline evaluate") as conn:
        job_map = analytics_sql.read_job_map(conn) if analytics_sql.has_job_map(conn) else None
    if job_map is None or job_map.height == 0:
        return None
    return pairwise_scores(job_map, truth, cluster="job_id", entity="job_entity")
