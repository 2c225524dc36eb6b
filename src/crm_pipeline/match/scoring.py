"""Blocking and scoring of candidate pairs, chunk by chunk, with checkpoints (see checkpoint.py)."""

from __future__ import annotations

import logging
import math
from dataclasses import dataclass

from splink import Linker
from splink.internals.database_api import DatabaseAPI

from crm_pipeline.match import spec
from crm_pipeline.match.checkpoint import CheckpointStore

log = logging.getLogger(__name__)

#: Left-hand records per scoring chunk; one chunk is the unit of resume after an interruption.
CHUNK_RECORDS = 100_000


@dataclass(frozen=True)
class ScoreOutcome:
    predictions_table: str
    rule_counts: dict[str, int]
    chunks: int
    chunks_reused: int


def rule_names(present: frozenset[str] = spec.ALL_OPTIONAL) -> list[str]:
    """Readable names of the prediction blocking rules, in match_key order."""
    return [r.get_blocking_rule("duckdb").blocking_rule_sql for r in spec.prediction_blocking_rules(present)]


def chunk_count(n_records: int, chunk_records: int = CHUNK_RECORDS) -> int:
    return max(1, math.ceil(n_records / chunk_records))


def score_with_checkpoints(
    linker: Linker,
    db_api: DatabaseAPI,  # type: ignore[type-arg]
    store: CheckpointStore,
    key: str,
    n_chunks: int,
    min_probability: float,
    present: frozenset[str] = spec.ALL_OPTIONAL,
) -> ScoreOutcome:
    """Score every chunk not yet done for ``key``; returns where all its scored pairs are.

    ``present``: the optional comparisons the linker's settings were built with (for rule names).
    """
    con = store.con
    done = store.done_chunks(key)
    names = rule_names(present)
    for chunk in range(1, n_chunks + 1):
        if chunk in done:
            log.info("scoring chunk %d/%d: already done (checkpoint)", chunk, n_chunks)
            continue
        if store.has_blocked(key, chunk):
            log.info("scoring chunk %d/%d: reusing checkpointed blocked pairs", chunk, n_chunks)
        else:
            blocked = linker.inference.compute_blocked_pairs_for_predict_chunk(
                left_chunk=(chunk, n_chunks), right_chunk=(1, 1)
            )
            store.save_blocked(key, chunk, blocked.physical_name)
            blocked.drop_table_from_database_and_remove_from_cache()
        blocked_name = store.blocked_table(key, chunk)
        counts = {
            names[int(k)] if k is not None and int(k) < len(names) else str(k): int(n)
            for k, n in con.execute(
                f"SELECT match_key, count(*) FROM {blocked_name} GROUP BY 1 ORDER BY 1"
            ).fetchall()
        }
        registered = db_api.register(blocked_name, table_name=f"blocked_input_{key}_{chunk}")
        linker.table_management.register_blocked_pairs_for_predict(registered)
        predictions = linker.inference.predict(
            threshold_match_probability=min_probability, warning_mode="never"
        )
        store.finish_chunk(key, chunk, predictions.physical_name, counts)
        predictions.drop_table_from_database_and_remove_from_cache()
        log.info("scoring chunk %d/%d: %d candidate pairs", chunk, n_chunks, sum(counts.values()))
    store.finish(key)
    return ScoreOutcome(
        predictions_table=store.pred_table(key),
        rule_counts=store.rule_counts(key),
        chunks=n_chunks,
        chunks_reused=len(done),
    )
