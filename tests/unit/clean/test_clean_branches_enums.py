"""Branches (alias table + fuzzy typos, never a guess; unknown spellings kept as unconfirmed branches,
grouped), job status and service type enums (unknown words kept as ``other``)."""

from __future__ import annotations

from pathlib import Path

import polars as pl
import pytest
import yaml

from crm_pipeline.clean.branches import (
    DEFAULT_TABLE_PATH,
    BranchTable,
    group_unconfirmed,
    load_branch_table,
    normalize_branches,
    yaml_snippet,
)
from crm_pipeline.clean.enums import normalize_service_type, normalize_status
from crm_pipeline.errors import ConfigError


def branch(raw: str | None, **kwargs: object) -> tuple[str | None, str | None]:
    row = normalize_branches(pl.Series([raw], dtype=pl.Utf8), **kwargs).row(0)  # type: ignore[arg-type]
    return row[0], row[1]


@pytest.mark.parametrize(
    ("raw", "expected"),
    [
        # the spec's spellings of one branch
        ("NYC", "New York City"),
        ("New York City", "New York City"),
        ("new york", "New York City"),
        ("NY - Manhattan", "New York City"),
        ("Nwe York", "New York City"),
        # case, spacing and punctuation do not matter
        ("  BOSTON ", "Boston"),
        ("L.A.", "Los Angeles"),
        ("la", "Los Angeles"),
        ("dallas-fort worth", "Dallas"),
        ("Philly", "Philadelphia"),
    ],
)
def test_branch_spellings(raw: str, expected: str) -> None:
    assert branch(raw) == (expected, None)


# The generator's one-edit typos (src/crm_pipeline/generate/branch_spellings.py) must all be caught.
TYPOS = {
    "New Yrok City": "New York City", "New York Ctiy": "New York City", "Bostn": "Boston", "Bsoton": "Boston",
    "Philadelpia": "Philadelphia", "Philadephia": "Philadelphia", "Chicgo": "Chicago", "Chciago": "Chicago",
    "Los Angelas": "Los Angeles", "Los Angles": "Los Angeles", "San Fransisco": "San Francisco",
    "San Francsico": "San Francisco", "Maimi": "Miami", "Miamii": "Miami", "Dalas": "Dallas",
    "Dallass": "Dallas",
}  # fmt: skip
# Places with no branch, some one or two letters away from one, are kept as typed, never guessed.
NOT_BRANCHES = [
    "Atlanta", "Denver", "Head Office", "Seattle", "Online Sales", "Test Branch", "Houston", "Newark",
    "Boise", "Bolton", "Miami Beach", "Chicago Heights", "West Chicago", "New Jersey", "New Haven", "York",
    "Austin", "Phoenix", "San Diego", "San Jose", "Dalton", "Brockton", "Queens",
]  # fmt: skip


def test_typos_are_matched_and_other_places_are_not() -> None:
    raw = pl.Series(list(TYPOS) + NOT_BRANCHES)
    out = normalize_branches(raw)
    assert out["branch"].to_list() == list(TYPOS.values()) + NOT_BRANCHES
    assert out["branch_flag"].to_list() == [None] * len(TYPOS) + ["unconfirmed_branch"] * len(NOT_BRANCHES)


def test_blank_branch_is_null_without_flag() -> None:
    placeholders = ["TBD", "unknown", "Unassigned"]  # no branch yet: no unconfirmed branch either
    out = normalize_branches(pl.Series(["", None, "   ", "N/A", *placeholders], dtype=pl.Utf8))
    assert out.rows() == [(None, None)] * 7


def test_a_trailing_state_is_dropped_before_giving_up() -> None:
    assert branch("Boston Massachusetts") == ("Boston", None)
    assert branch("chicago, illinois") == ("Chicago", None)
    assert branch("New Jersey") == ("New Jersey", "unconfirmed_branch")  # a state alone stays


def test_threshold_is_configurable() -> None:
    assert branch("Bolton") == ("Bolton", "unconfirmed_branch")
    assert branch("Bolton", threshold=85) == ("Boston", None)
    assert branch("Nwe York", threshold=99.5) == ("Nwe York", "unconfirmed_branch")


def test_users_extend_the_table_with_their_own_yaml(tmp_path: Path) -> None:
    own = tmp_path / "branches.yaml"
    own.write_text(
        DEFAULT_TABLE_PATH.read_text(encoding="utf-8")
        + "  - name: Seattle\n    aliases: [SEA, Seattle WA, Emerald City]\n",
        encoding="utf-8",
    )
    out = normalize_branches(pl.Series(["emerald city", "Seatle", "NYC"]), own)
    assert out["branch"].to_list() == ["Seattle", "Seattle", "New York City"]
    assert branch("Seattle") == ("Seattle", "unconfirmed_branch")  # the packaged table is unchanged


# ----------------------------------------------------------------------------- unconfirmed branches
def test_unknown_spellings_group_by_case_punctuation_state_and_typo() -> None:
    counts = {"Tampa": 10, "tampa fl": 4, "TAMPA": 3, "Tampa, Florida": 2, "Tmapa": 1, "TPA": 5, "Tempe": 2}
    groups = group_unconfirmed(counts, load_branch_table())
    assert [(g.name, g.rows) for g in groups] == [("Tampa", 20), ("TPA", 5), ("Tempe", 2)]
    assert groups[0].spellings == {"Tampa": 10, "tampa fl": 4, "TAMPA": 3, "Tampa, Florida": 2, "Tmapa": 1}
    assert groups[0].aliases == ["tampa fl", "Tampa, Florida", "Tmapa"]  # "TAMPA" is the name's key


def test_group_name_is_the_most_frequent_spelling_in_display_case() -> None:
    groups = group_unconfirmed({"ORLANDO": 7, "orlando fl": 3, "st. pete": 2}, load_branch_table())
    assert [g.name for g in groups] == ["Orlando", "St. Pete"]
    only_suffixed = group_unconfirmed({"naples fl": 2, "Naples, FL": 1}, load_branch_table())
    assert [(g.name, g.rows) for g in only_suffixed] == [("Naples", 3)]


def test_short_abbreviations_are_never_merged_by_similarity() -> None:
    groups = group_unconfirmed({"TPA": 5, "TPE": 4, "tpa": 1, "Tampa": 9}, load_branch_table())
    assert sorted((g.name, g.rows) for g in groups) == [("TPA", 6), ("TPE", 4), ("Tampa", 9)]


def test_yaml_snippet_parses_into_a_branch_table_that_confirms_every_spelling() -> None:
    counts = {"Tampa": 10, "tampa fl": 4, "Tmapa": 1, "TPA": 5, "Head Office": 2}
    snippet = yaml_snippet(group_unconfirmed(counts, load_branch_table()))
    assert "- name: Tampa\n  aliases: [tampa fl, Tmapa]\n" in snippet
    table = BranchTable.from_entries(yaml.safe_load(snippet)["branches"])
    out = normalize_branches(pl.Series(list(counts)), table)
    assert out.rows() == [("Tampa", None)] * 3 + [("TPA", None), ("Head Office", None)]


@pytest.mark.parametrize(
    ("text", "message"),
    [
        ("branches: [{name: A, aliases: [X]}, {name: B, aliases: [x]}]", "belongs to both"),
        ("branch: []", "top-level 'branches:'"),
        ("branches: [{aliases: [X]}]", "needs a 'name'"),
        ("branches: [", "not valid YAML"),
    ],
)
def test_bad_branch_table_is_a_config_error(tmp_path: Path, text: str, message: str) -> None:
    path = tmp_path / "bad.yaml"
    path.write_text(text, encoding="utf-8")
    with pytest.raises(ConfigError, match=message):
        load_branch_table(path)


def test_missing_branch_table_is_a_config_error(tmp_path: Path) -> None:
    with pytest.raises(ConfigError, match="cannot read"):
        load_branch_table(tmp_path / "nope.yaml")


def test_packaged_table_has_the_eight_branches() -> None:
    table = load_branch_table()
    expected = "New York City|Boston|Philadelphia|Chicago|Los Angeles|San Francisco|Miami|Dallas"
    assert table.names == tuple(expected.split("|"))


# ----------------------------------------------------------------------------- enums
@pytest.mark.parametrize(
    ("raw", "status", "kept"),
    [
        ("Completed", "completed", None),
        ("COMPLETED", "completed", None),
        (" completed ", "completed", None),
        ("Canceled", "cancelled", None),
        ("Cancelled", "cancelled", None),
        ("lead", "lead", None),
        ("Opportunity", "opportunity", None),
        ("Booked", "booked", None),
        ("Closed", "closed", None),
        ("LOST", "lost", None),
        ("Pending", "other", "Pending"),
        ("  done ", "other", "done"),
        ("", None, None),
    ],
)
def test_status(raw: str, status: str | None, kept: str | None) -> None:
    """A word outside the enum is ``other`` with the word kept (and flagged), never an error."""
    out = normalize_status(pl.Series([raw]))
    assert out.columns == ["status", "status_raw", "status_flag"]
    assert out.row(0) == (status, kept, "other" if kept else None)


@pytest.mark.parametrize(
    ("raw", "service_type", "kept"),
    [
        ("Moving", "moving", None),
        ("Packing", "packing", None),
        ("Moving And Packing", "moving_and_packing", None),
        ("Moving & Packing", "moving_and_packing", None),
        ("moving_and_packing", "moving_and_packing", None),
        ("Load Only", "load_only", None),
        ("UNLOAD ONLY", "unload_only", None),
        ("Commercial", "commercial", None),
        ("Storage In", "storage_in", None),
        ("Storage-Out", "storage_out", None),
        ("Storage", "other", "Storage"),  # in or out? not guessed
        (None, None, None),
    ],
)
def test_service_type(raw: str | None, service_type: str | None, kept: str | None) -> None:
    out = normalize_service_type(pl.Series([raw], dtype=pl.Utf8))
    assert out.row(0) == (service_type, kept, "other" if kept else None)
