"""Name knowledge and conflict-aware clustering (pure Python, no Splink)."""

from __future__ import annotations

import pyarrow as pa
import pytest

from crm_pipeline.match.cluster import cluster_with_conflicts, first_names_compatible, signatures_conflict
from crm_pipeline.match.names import are_nickname_equivalent, name_gender, name_key


@pytest.mark.parametrize(
    ("a", "b"),
    [
        ("bob", "robert"),
        ("bob", "rob"),
        ("liz", "elizabeth"),
        ("chris", "christina"),
        ("jon", "john"),
        ("peggy", "margaret"),
        # from nicknames_extra.csv (the package lacks them)
        ("cat", "catherine"),
        ("kate", "katherine"),
        ("suzy", "susan"),
        ("trish", "patricia"),
        ("manny", "manuel"),
        ("beto", "alberto"),
        ("chuy", "jesus"),
        ("nacho", "ignacio"),
        ("lupe", "guadalupe"),
    ],
)
def test_nicknames_are_equivalent(a: str, b: str) -> None:
    assert are_nickname_equivalent(a, b)


@pytest.mark.parametrize(("a", "b"), [("robert", "william"), ("christopher", "christina"), ("mary", "mark")])
def test_different_formal_names_are_not_nicknames(a: str, b: str) -> None:
    assert not are_nickname_equivalent(a, b)


def test_name_key_and_gender() -> None:
    assert name_key(" Mary-Jane ") == "maryjane"
    assert name_key("O'Néil") == "oneil"
    assert name_key("--") is None
    assert (name_gender("mary"), name_gender("mark"), name_gender("j")) == ("f", "m", None)


@pytest.mark.parametrize(
    ("fa", "la", "fb", "lb", "compatible"),
    [
        ("john", "smith", "jonh", "smith", True),  # typo
        ("robert", "smith", "bob", "smith", True),  # nickname
        ("charles", "long", "chrles", "long", True),
        ("chrles", "long", "chuck", "long", True),  # typo of a nickname's formal name
        ("smith", "john", "john", "smith", True),  # swapped
        ("sweeney", "liz", "lisa", "sweeney", True),  # swapped + nickname
        ("j", "smith", "john", "smith", True),  # initial
        ("mary", "grant", "mark", "grant", False),  # one edit but opposite genders
        ("daniel", "price", "danielle", "price", False),
        ("mary", "johnson", "emily", "johnson", False),
        ("tom", "lee", "tim", "lee", False),  # short names: one edit is another name
        ("jhn", "lee", "john", "lee", True),  # short-name typo that is no name
        ("dn", "lee", "don", "lee", True),
        ("deb", "lee", "dtb", "lee", True),
        ("jhn", "lee", "ann", "lee", False),  # another initial
        ("cat", "lee", "catherine", "lee", True),  # nickname from nicknames_extra.csv
    ],
)
def test_first_name_compatibility(fa: str, la: str, fb: str, lb: str, compatible: bool) -> None:
    assert first_names_compatible(fa, la, fb, lb) is compatible


def test_different_suffixes_conflict_even_with_the_same_name() -> None:
    assert signatures_conflict(("james", "carter", "SR"), ("james", "carter", "JR"))
    assert not signatures_conflict(("james", "carter", "SR"), ("james", "carter", None))


def _nodes(rows: list[tuple[int, str | None, str, str | None]]) -> pa.Table:
    ids, firsts, lasts, suffixes = zip(*rows, strict=True)
    return pa.table(
        {
            "unique_id": list(ids),
            "first_name": list(firsts),
            "last_name": list(lasts),
            "name_suffix": list(suffixes),
        }
    )


def _edges(rows: list[tuple[int, int, float]]) -> pa.Table:
    left, right, weight = zip(*rows, strict=True)
    return pa.table({"unique_id_l": list(left), "unique_id_r": list(right), "match_weight": list(weight)})


def test_an_initial_does_not_chain_two_household_members() -> None:
    """J. Smith links strongly to John and weakly to Jane: John and Jane must not end up together."""
    nodes = _nodes(
        [
            (1, "john", "smith", None),
            (2, "j", "smith", None),
            (3, "jane", "smith", None),
            (4, "jane", "smith", None),
        ]
    )
    edges = _edges([(1, 2, 20.0), (2, 3, 8.0), (3, 4, 25.0)])
    out = cluster_with_conflicts(nodes, edges)
    cluster = dict(zip(out.node_ids.tolist(), out.cluster_of.tolist(), strict=True))
    assert cluster[1] == cluster[2] == 1
    assert cluster[3] == cluster[4] == 3
    assert out.n_links_used == 2 and out.n_links_refused == 1


def test_clusters_are_named_by_their_smallest_id_whatever_the_edge_order() -> None:
    nodes = _nodes(
        [(5, "ann", "lee", None), (7, "ann", "lee", None), (9, "ann", "lee", None), (11, "bo", "yu", None)]
    )
    a = cluster_with_conflicts(nodes, _edges([(7, 9, 10.0), (5, 7, 10.0)]))
    b = cluster_with_conflicts(nodes, _edges([(5, 7, 10.0), (7, 9, 10.0)]))
    assert a.cluster_of.tolist() == b.cluster_of.tolist() == [5, 5, 5, 11]
