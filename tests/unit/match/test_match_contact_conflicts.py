"""Clustering: two records whose own contacts say "two people" never end in one customer
(``engine.CONTACT_CONFLICT``), while records that share a contact, or lack one, still join."""

from __future__ import annotations

from pathlib import Path

import duckdb
import pyarrow as pa

from crm_pipeline.match.cluster import cluster_with_conflicts
from crm_pipeline.match.engine import MatchEngine
from crm_pipeline.match.features import build_match_input

Row = tuple[str, str, str, str | None, str | None, str | None]  # uid, first, last, suffix, email, phone
STREET = ("1591 BAYSHORE TER", "ORANGE PARK", "32017")


def _clusters(
    tmp_path: Path, rows: list[Row], weights: dict[tuple[str, str], float] | None = None
) -> dict[str, int]:
    """Cluster ``rows`` (all at one address) as if every pair of them scored p = 0.9999; ``weights``
    orders the links (default 20)."""
    con = duckdb.connect()
    con.execute(
        "CREATE TABLE src (uid VARCHAR, first_name VARCHAR, last_name VARCHAR, name_suffix VARCHAR, "
        "email VARCHAR, phone VARCHAR, street VARCHAR, city VARCHAR, zip VARCHAR)"
    )
    con.executemany("INSERT INTO src VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?)", [(*row, *STREET) for row in rows])
    build_match_input(con, "src")
    con.execute(
        """CREATE TEMP TABLE match_predictions AS
        SELECT l.unique_id AS unique_id_l, r.unique_id AS unique_id_r, l.uid AS uid_l, r.uid AS uid_r,
               20.0 AS match_weight, 0.9999 AS match_probability
        FROM match_input l JOIN match_input r ON l.unique_id < r.unique_id"""
    )
    for (a, b), weight in (weights or {}).items():
        con.execute(
            "UPDATE match_predictions SET match_weight = ? WHERE (uid_l, uid_r) IN ((?, ?), (?, ?))",
            [weight, a, b, b, a],
        )
    engine = MatchEngine(con, checkpoint_path=tmp_path / "ckpt.duckdb", threshold=0.95, min_probability=0.8)
    engine._cluster()
    return dict(con.execute("SELECT uid, cluster FROM match_clusters").fetchall())


def test_father_and_son_without_the_jr_on_one_record_stay_apart(tmp_path: Path) -> None:
    clusters = _clusters(
        tmp_path,
        [
            ("f1", "Rodney", "Benitez", "SR", None, "+18135664709"),
            ("f2", "Rodney", "Benitez", "SR", None, "+18135664709"),
            ("s1", "Rodney", "Benitez", None, None, "+18133503623"),  # the son, his own phone
            ("g1", "Gagan", "Issac", "SR", "issac.gagan@icloud.com", None),
            ("g2", "Gagan", "Issac", None, "gagan.issac@att.net", None),  # the son, his own email
        ],
    )
    assert clusters["f1"] == clusters["f2"]
    assert clusters["s1"] != clusters["f1"]
    assert clusters["g1"] != clusters["g2"]


def test_a_suffix_missing_on_one_record_still_joins_the_same_person(tmp_path: Path) -> None:
    """Must-merge: the record without the suffix shares the phone, or has no contact of its own."""
    clusters = _clusters(
        tmp_path,
        [
            ("a1", "Rodney", "Benitez", "SR", "rb@example.com", "+18135664709"),
            ("a2", "Rodney", "Benitez", None, None, "+18135664709"),  # same phone
            ("a3", "Rodney", "Benitez", None, None, None),  # no contact at all
            ("b1", "Tung", "Duong", "SR", None, "+19047077908"),
            ("b2", "Tung", "Duong", None, "tung.duong@icloud.com", None),  # nothing to conflict with
        ],
    )
    assert clusters["a1"] == clusters["a2"] == clusters["a3"]
    assert clusters["b1"] == clusters["b2"]


def test_nickname_household_members_with_their_own_email_and_phone_stay_apart(tmp_path: Path) -> None:
    clusters = _clusters(
        tmp_path,
        [
            ("b1", "Bella", "Goncalves", None, "bella.goncalves@outlook.com", "+19048554725"),
            ("i1", "Isabella", "Goncalves", None, "isabella.goncalves@outlook.com", "+19045010761"),
        ],
    )
    assert clusters["b1"] != clusters["i1"]


def test_a_nickname_record_that_shares_or_lacks_a_contact_still_joins(tmp_path: Path) -> None:
    """Must-merge: a shared email; or only the phones differ (a new phone, no email on one side);
    and the same first name with other contacts (a person who changed both) is not vetoed."""
    clusters = _clusters(
        tmp_path,
        [
            ("b1", "Bella", "Lane", None, "bella.lane@outlook.com", "+19048554725"),
            ("b2", "Isabella", "Lane", None, "bella.lane@outlook.com", "+19045010761"),  # same email
            ("c1", "Cindy", "Weeks", None, "weeks.cindy@gmail.com", "+19048882450"),
            ("c2", "Cynthia", "Weeks", None, None, "+19049919637"),  # phones differ, no email
            ("d1", "Alison", "Clark", None, "alison_1976@att.net", "+12394337165"),
            ("d2", "Alison", "Clark", None, "aclark@outlook.com", "+12393564073"),  # same name
        ],
    )
    assert clusters["b1"] == clusters["b2"]
    assert clusters["c1"] == clusters["c2"]
    assert clusters["d1"] == clusters["d2"]


def test_a_record_without_contacts_cannot_bridge_father_and_son(tmp_path: Path) -> None:
    """The contact-less record joins the father first (strongest link); the son's link to it would
    put father and son in one customer, so it is refused."""
    clusters = _clusters(
        tmp_path,
        [
            ("f1", "Craig", "Richmond", "SR", None, "+18135459917"),
            ("x1", "Craig", "Richmond", None, None, None),
            ("s1", "Craig", "Richmond", None, None, "+12396427362"),
        ],
        weights={("f1", "x1"): 30.0, ("x1", "s1"): 25.0},
    )
    assert clusters["f1"] == clusters["x1"]
    assert clusters["s1"] != clusters["f1"]


def test_cannot_link_pairs_hold_for_whole_clusters() -> None:
    """Pure clustering: 1-2 and 3-4 join; 2-3 would join 1 and 4, which cannot be linked."""
    nodes = pa.table(
        {
            "unique_id": [1, 2, 3, 4],
            "first_name": ["ann"] * 4,
            "last_name": ["lee"] * 4,
            "name_suffix": [None] * 4,
        }
    )
    edges = pa.table({"unique_id_l": [1, 3, 2], "unique_id_r": [2, 4, 3], "match_weight": [30.0, 30.0, 10.0]})
    out = cluster_with_conflicts(nodes, edges, pa.table({"unique_id_l": [1], "unique_id_r": [4]}))
    assert out.cluster_of.tolist() == [1, 1, 3, 3]
    assert out.n_links_refused == 1
    without = cluster_with_conflicts(nodes, edges)
    assert without.cluster_of.tolist() == [1, 1, 1, 1]
