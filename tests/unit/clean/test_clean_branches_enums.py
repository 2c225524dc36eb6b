"""Branches (alias table + fuzzy typos, never a guess), job status and service type enums."""

from __future__ import annotations

from pathlib import Path

import polars as pl
import pytest

from crm_pipeline.clean.branches import DEFAULT_TABLE_PATH, load_branch_table, normalize_branches
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
# Places with no branch, some one or two letters away from one, must be quarantined, not guessed.
NOT_BRANCHES = [
    "Atlanta", "Denver", "Head Office", "TBD", "Seattle", "Online Sales", "Test Branch", "Houston", "Newark",
    "Boise", "Bolton", "Miami Beach", "Chicago Heights", "West Chicago", "New Jersey", "New Haven", "York",
    "Austin", "Phoenix", "San Diego", "San Jose", "Dalton", "Brockton", "Queens",
]  # fmt: skip


def test_typos_are_matched_and_other_places_are_not() -> None:
    raw = pl.Series(list(TYPOS) + NOT_BRANCHES)
    out = normalize_branches(raw)
    assert out["branch"].to_list() == list(TYPOS.values()) + [None] * len(NOT_BRANCHES)
    assert out["branch_error"].to_list() == [None] * len(TYPOS) + ["unknown_branch"] * len(NOT_BRANCHES)


def test_blank_branch_is_null_without_error() -> None:
    out = normalize_branches(pl.Series(["", None, "   "], dtype=pl.Utf8))
    assert out.rows() == [(None, None)] * 3


def test_threshold_is_configurable() -> None:
    assert branch("Bolton") == (None, "unknown_branch")
    assert branch("Bolton", threshold=85) == ("Boston", None)
    assert branch("Nwe York", threshold=99.5) == (None, "unknown_branch")


def test_users_extend_the_table_with_their_own_yaml(tmp_path: Path) -> None:
    own = tmp_path / "branches.yaml"
    own.write_text(
        DEFAULT_TABLE_PATH.read_text(encoding="utf-8")
        + "  - name: Seattle\n    aliases: [SEA, Seattle WA, Emerald City]\n",
        encoding="utf-8",
    )
    out = normalize_branches(pl.Series(["emerald city", "Seatle", "NYC"]), own)
    assert out["branch"].to_list() == ["Seattle", "Seattle", "New York City"]
    assert branch("Seattle") == (None, "unknown_branch")  # the packaged table is unchanged


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
    ("raw", "status", "error"),
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
        ("Pending", None, "unknown_status"),
        ("", None, None),
    ],
)
def test_status(raw: str, status: str | None, error: str | None) -> None:
    assert normalize_status(pl.Series([raw])).row(0) == (status, error)


@pytest.mark.parametrize(
    ("raw", "service_type", "error"),
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
        ("Storage", None, "unknown_service_type"),  # in or out? not guessed
        (None, None, None),
    ],
)
def test_service_type(raw: str | None, service_type: str | None, error: str | None) -> None:
    assert normalize_service_type(pl.Series([raw], dtype=pl.Utf8)).row(0) == (service_type, error)
