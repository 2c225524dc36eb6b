"""Gender labels from first names: the mapping, compound names, and one lookup per distinct name."""

from __future__ import annotations

import pytest

from crm_pipeline.analytics.gender import GenderGuesser


@pytest.fixture(scope="module")
def guesser() -> GenderGuesser:
    return GenderGuesser()


@pytest.mark.parametrize(
    ("name", "label"),
    [
        ("John", "male"),
        ("Elizabeth", "female"),
        ("Mary", "mostly_female"),  # gender-guesser's own answer without a country
        ("Chris", "mostly_male"),
        ("Mary-Jane", "mostly_female"),  # compound: looked up by its first part
        ("MARY", "mostly_female"),  # case does not matter
        ("Zyxwv", None),  # unknown → empty
        ("Casey", None),  # andy (androgynous) → empty
        ("", None),
    ],
)
def test_labels(guesser: GenderGuesser, name: str, label: str | None) -> None:
    assert guesser.label(name) == label


def test_the_guesser_runs_once_per_distinct_name() -> None:
    guesser = GenderGuesser()
    names = ["Anna", "Anna", "Tom", "Anna", "Tom", "Zyxwv"] * 100
    labels = guesser.labels(names)
    assert labels == {"Anna": "female", "Tom": "male", "Zyxwv": None}
    assert guesser.calls == 3
    guesser.labels(["Anna", "Tom"])
    assert guesser.calls == 3


def test_version_is_the_installed_package() -> None:
    assert GenderGuesser().version.startswith("0.4")


def test_plan_updates_sends_only_rows_that_change() -> None:
    from crm_pipeline.analytics.gender import plan_updates

    inferred = ("inferred", "gender-guesser", "0.4.0")
    batch = [
        ("c1", "Anna", None, None, None, None),  # empty: fill
        ("c2", "Anna", "female", *inferred),  # already right: nothing
        ("c3", "Tom", "female", *inferred),  # name changed since: relabel
        ("c4", "Zyxwv", "male", *inferred),  # name lost its label: clear
        ("c5", "Zyxwv", None, None, None, None),  # nothing to say: nothing
        ("c6", "Zyxwv", "female", "smartmoving", None, None),  # (--force) source value, no label: kept
        ("c7", "Anna", "female", "inferred", "gender-guesser", "0.3.0"),  # older version: rewrite
    ]
    labels = {"Anna": "female", "Tom": "male", "Zyxwv": None}
    assert plan_updates(batch, labels, "0.4.0") == [
        ("c1", "female"),
        ("c3", "male"),
        ("c4", None),
        ("c7", "female"),
    ]
