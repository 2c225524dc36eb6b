from __future__ import annotations

import polars as pl
import pytest

from crm_pipeline.analytics.addresses import split_street, street_similarity


@pytest.mark.parametrize(
    ("street", "expected"),
    [
        ("123 N MAIN ST", ("123", "N MAIN ST")),
        ("123 North Main Street", ("123", "N MAIN ST")),
        ("12B Elm Av.", ("12B", "ELM AVE")),
        ("MAIN ST", (None, "MAIN ST")),
        ("  ", (None, None)),
        (None, (None, None)),
    ],
)
def test_split_street(street: str | None, expected: tuple[str | None, str | None]) -> None:
    assert split_street(street) == expected


def test_street_similarity_scores_each_aligned_pair() -> None:
    left = pl.Series(["MAIN ST", "MAIN ST", None, "ELM ST"])
    right = pl.Series(["MAIN ST", "MIAN ST", "ELM ST", "OAK AVE"])
    scores = street_similarity(left, right).to_list()
    assert scores[0] == 100
    assert 80 < scores[1] < 100
    assert scores[2] is None
    assert scores[3] < 60
