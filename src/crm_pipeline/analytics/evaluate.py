"""Job-level pairwise precision / recall / F1 against a generator's ``truth/jobs.csv``.

Pairwise: every two source job rows that share a unified job form a predicted pair, every two that
share a ``job_entity`` a true pair. Counting pairs per cluster (``n·(n−1)/2``) avoids listing them.
Rows are keyed by ``(file, record_id)``, the ``export job-map`` keys; only rows present in both the
truth and the job map are scored (quarantined rows have no job), and the coverage is reported.
"""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path

import polars as pl

from crm_pipeline.config import Settings
from crm_pipeline.errors import InputError

KEYS = ("file", "record_id")


@dataclass(frozen=True)
class PairwiseScores:
    true_positive_pairs: int
    predicted_pairs: int
    true_pairs: int
    rows_scored: int
    rows_missing_in_truth: int = 0  # predicted rows the truth does not list
    rows_missing_in_prediction: int = 0  # truth rows without a unified job (e.g. quarantined)

    @property
    def precision(self) -> float:
        return self.true_positive_pairs / self.predicted_pairs if self.predicted_pairs else 1.0

    @property
    def recall(self) -> float:
        return self.true_positive_pairs / self.true_pairs if self.true_pairs else 1.0

    @property
    def f1(self) -> float:
        p, r = self.precision, self.recall
        return 2 * p * r / (p + r) if p + r else 0.0


@dataclass(frozen=True)
class JobEvaluation:
    scores: PairwiseScores
    truth_rows: int
    mapped_rows: int


def _pairs(counts: pl.Series) -> int:
    return int((counts * (counts - 1) // 2).sum())


def pairwise_scores(
    predicted: pl.DataFrame, truth: pl.DataFrame, cluster: str, entity: str
) -> PairwiseScores:
    """Scores of ``predicted`` (keys + ``cluster``) against ``truth`` (keys + ``entity``)."""
    both = (
        predicted.select(*KEYS, cluster).unique(KEYS).join(truth.select(*KEYS, entity).unique(KEYS), on=KEYS)
    )
    return PairwiseScores(
        true_positive_pairs=_pairs(both.group_by(cluster, entity).len()["len"]),
        predicted_pairs=_pairs(both.group_by(cluster).len()["len"]),
        true_pairs=_pairs(both.group_by(entity).len()["len"]),
        rows_scored=both.height,
        rows_missing_in_truth=predicted.height - both.height,
        rows_missing_in_prediction=truth.height - both.height,
    )


def read_job_truth(truth_dir: Path) -> pl.DataFrame:
    path = truth_dir / "jobs.csv"
    if not path.is_file():
        raise InputError("no jobs.csv in the truth folder", file=path)
    truth = pl.read_csv(
        path, schema_overrides={"file": pl.String, "record_id": pl.String, "job_entity": pl.String}
    )
    missing = {"file", "record_id", "job_entity"} - set(truth.columns)
    if missing:
        raise InputError(f"missing column(s) {sorted(missing)}", file=path, line=1)
    return truth


def evaluate_jobs(settings: Settings, truth_dir: Path) -> JobEvaluation:
    """Pairwise scores of the job map in the database against ``truth_dir/jobs.csv``."""
    from crm_pipeline.db import analytics_sql
    from crm_pipeline.db.connection import connect

    truth = read_job_truth(truth_dir)
    with connect(settings, application_name="crm-pipeline evaluate") as conn:
        job_map = analytics_sql.read_job_map(conn)
    scores = pairwise_scores(job_map, truth, cluster="job_id", entity="job_entity")
    return JobEvaluation(scores=scores, truth_rows=truth.height, mapped_rows=job_map.height)
