"""Pairwise precision / recall / F1 of a job map against truth, checked by hand-counted pairs."""

from __future__ import annotations

import polars as pl
import pytest

from crm_pipeline.analytics.evaluate import pairwise_scores


def frame(rows: list[tuple[str, str, str]], label: str) -> pl.DataFrame:
    return pl.DataFrame(rows, schema=["file", "record_id", label], orient="row")


def test_pairwise_scores_count_pairs_not_rows() -> None:
    truth = frame(
        [("a", "1", "T1"), ("b", "1", "T1"), ("c", "1", "T1"), ("a", "2", "T2"), ("b", "2", "T2")], "e"
    )
    # predicted: {a1, b1} together, c1 alone, {a2, b2} together with an extra quarantined row not in truth
    pred = frame(
        [("a", "1", "J1"), ("b", "1", "J1"), ("c", "1", "J2"), ("a", "2", "J3"), ("b", "2", "J3")], "j"
    )
    pred = pl.concat([pred, frame([("z", "9", "J3")], "j")])
    scores = pairwise_scores(pred, truth, cluster="j", entity="e")
    # true pairs: 3 (T1) + 1 (T2) = 4; predicted pairs among scored rows: 1 + 1 = 2, both right
    assert (scores.true_positive_pairs, scores.predicted_pairs, scores.true_pairs) == (2, 2, 4)
    assert (scores.records_scored, scores.records_missing_in_truth, scores.records_missing_in_prediction) == (
        5,
        1,
        0,
    )
    assert scores.precision == 1.0
    assert scores.recall == 0.5
    assert scores.f1 == pytest.approx(2 / 3)


def test_a_wrong_merge_lowers_precision() -> None:
    truth = frame([("a", "1", "T1"), ("a", "2", "T2")], "e")
    pred = frame([("a", "1", "J1"), ("a", "2", "J1")], "j")
    scores = pairwise_scores(pred, truth, cluster="j", entity="e")
    assert (scores.precision, scores.recall, scores.f1) == (0.0, 1.0, 0.0)
