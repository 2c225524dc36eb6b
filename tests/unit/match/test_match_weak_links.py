"""Clustering: a link on name and place alone (no email, phone or street address in common) needs
``WEAK_LINK_PROBABILITY``; a link through a shared key needs only the threshold."""

from __future__ import annotations

from pathlib import Path

import duckdb

from crm_pipeline.match.engine import WEAK_LINK_PROBABILITY, MatchEngine
from crm_pipeline.match.features import build_match_input


def _clusters(tmp_path: Path, probability: float) -> dict[str, int]:
    con = duckdb.connect()
    con.execute(
        """CREATE TABLE src AS SELECT * FROM (VALUES
            ('a1', 'Theresa', 'Weeks', NULL, '21 GULF LN', 'TALLAHASSEE', '32363'),
            ('a2', 'Theresa', 'Weeks', NULL, '577 PINE ISLAND WAY', 'TALLAHASSEE', NULL),
            ('b1', 'Ravi', 'Okafor', '+18505550101', '9 OAK ST', 'TALLAHASSEE', '32301'),
            ('b2', 'Ravi', 'Okafor', '+18505550101', '14 ELM ST', 'TALLAHASSEE', '32303')
        ) t(uid, first_name, last_name, phone, street, city, zip)"""
    )
    build_match_input(con, "src")
    weight = 10.0
    con.execute(
        f"""CREATE TEMP TABLE match_predictions AS
        SELECT l.unique_id AS unique_id_l, r.unique_id AS unique_id_r,
               {weight} AS match_weight, {probability} AS match_probability
        FROM match_input l JOIN match_input r ON l.last_name = r.last_name AND l.unique_id < r.unique_id"""
    )
    engine = MatchEngine(con, checkpoint_path=tmp_path / "ckpt.duckdb", threshold=0.95, min_probability=0.8)
    engine._cluster()
    return dict(con.execute("SELECT uid, cluster FROM match_clusters").fetchall())


def test_name_and_place_alone_need_the_weak_link_probability(tmp_path: Path) -> None:
    clusters = _clusters(tmp_path, 0.99)
    assert clusters["a1"] != clusters["a2"]  # same rare name, same town, nothing else: not enough
    assert clusters["b1"] == clusters["b2"]  # the same phone: the threshold is enough


def test_a_very_strong_name_and_place_link_still_joins(tmp_path: Path) -> None:
    clusters = _clusters(tmp_path, (1 + WEAK_LINK_PROBABILITY) / 2)
    assert clusters["a1"] == clusters["a2"]
