"""Checkpoints of the expensive part of matching (blocking + scoring) in a DuckDB file.

The file lives at ``CRM_HOME/match/checkpoints.duckdb`` and is attached to the matcher's DuckDB
connection as schema ``ckpt``. Work is keyed by ``run_key`` = hash of (input fingerprint, model
checksum, spec version, score floor): the same input scored by the same model is never scored
twice, and a changed input or model starts afresh.

Scoring runs in chunks (a slice of the left-hand records each). For every chunk the blocked pairs
are written first (``ckpt.blocked_<key>_<i>``), then its scored pairs are appended to
``ckpt.pred_<key>`` and the chunk is recorded as done in the same transaction, and its blocked
pairs dropped. An interrupted run therefore resumes at the first unfinished chunk, reusing blocked
pairs already computed for it.
"""

from __future__ import annotations

import hashlib
import json
import logging
from pathlib import Path
from typing import Any

import duckdb

from crm_pipeline.errors import PipelineError

log = logging.getLogger(__name__)

SCHEMA = "ckpt"
#: Finished runs kept in the file; older ones are dropped to bound its size.
KEEP_RUNS = 3


class CheckpointBusy(PipelineError):
    """Another match holds the checkpoint file."""

    retryable = True


def run_key(*parts: object) -> str:
    return hashlib.sha256("|".join(str(p) for p in parts).encode()).hexdigest()[:16]


class CheckpointStore:
    """The ``ckpt`` schema of one connection (see the module docstring)."""

    def __init__(self, con: duckdb.DuckDBPyConnection, path: Path) -> None:
        path.parent.mkdir(parents=True, exist_ok=True)
        try:
            con.execute(f"ATTACH '{_sql_path(path)}' AS {SCHEMA}")
        except duckdb.IOException as exc:
            raise CheckpointBusy(f"checkpoint file {path} is in use by another match run: {exc}") from exc
        self.con = con
        self.path = path
        con.execute(
            f"""
            CREATE TABLE IF NOT EXISTS {SCHEMA}.runs (
                run_key VARCHAR PRIMARY KEY, input_fingerprint VARCHAR, model_sha256 VARCHAR,
                n_chunks INTEGER, started_at TIMESTAMP DEFAULT current_timestamp, finished_at TIMESTAMP)
            """
        )
        con.execute(
            f"""
            CREATE TABLE IF NOT EXISTS {SCHEMA}.chunks (
                run_key VARCHAR, chunk INTEGER, n_blocked BIGINT, rule_counts VARCHAR,
                finished_at TIMESTAMP DEFAULT current_timestamp, PRIMARY KEY (run_key, chunk))
            """
        )

    # --------------------------------------------------------------- names

    @staticmethod
    def blocked_table(key: str, chunk: int) -> str:
        return f"{SCHEMA}.blocked_{key}_{chunk}"

    @staticmethod
    def pred_table(key: str) -> str:
        return f"{SCHEMA}.pred_{key}"

    # --------------------------------------------------------------- state

    def start(self, key: str, fingerprint: str, model_sha256: str, n_chunks: int) -> int:
        """Register the run (if new); returns the chunk count it was started with."""
        row = self.con.execute(f"SELECT n_chunks FROM {SCHEMA}.runs WHERE run_key = ?", [key]).fetchall()
        if row:
            return int(row[0][0])
        self.con.execute(
            f"INSERT INTO {SCHEMA}.runs (run_key, input_fingerprint, model_sha256, n_chunks) "
            "VALUES (?, ?, ?, ?)",
            [key, fingerprint, model_sha256, n_chunks],
        )
        self.con.execute(
            f"""CREATE TABLE IF NOT EXISTS {self.pred_table(key)} (
                unique_id_l BIGINT, unique_id_r BIGINT, match_weight DOUBLE, match_probability DOUBLE,
                match_key VARCHAR)"""
        )
        self._prune(keep=key)
        return n_chunks

    def is_finished(self, key: str) -> bool:
        row = self.con.execute(f"SELECT finished_at FROM {SCHEMA}.runs WHERE run_key = ?", [key]).fetchall()
        return bool(row) and row[0][0] is not None

    def done_chunks(self, key: str) -> set[int]:
        rows = self.con.execute(f"SELECT chunk FROM {SCHEMA}.chunks WHERE run_key = ?", [key]).fetchall()
        return {int(r[0]) for r in rows}

    def has_blocked(self, key: str, chunk: int) -> bool:
        name = f"blocked_{key}_{chunk}"
        rows = self.con.execute(
            "SELECT 1 FROM duckdb_tables() WHERE database_name = ? AND table_name = ?", [SCHEMA, name]
        ).fetchall()
        return bool(rows)

    def save_blocked(self, key: str, chunk: int, source_table: str) -> None:
        self.con.execute(
            f"CREATE OR REPLACE TABLE {self.blocked_table(key, chunk)} AS SELECT * FROM {source_table}"
        )

    def finish_chunk(self, key: str, chunk: int, predictions_table: str, rule_counts: dict[str, int]) -> None:
        """Append the chunk's scored pairs and mark it done, atomically; drop its blocked pairs."""
        n_blocked = sum(rule_counts.values())
        self.con.execute("BEGIN TRANSACTION")
        try:
            self.con.execute(
                f"""INSERT INTO {self.pred_table(key)}
                SELECT unique_id_l, unique_id_r, match_weight, match_probability, match_key
                FROM {predictions_table}"""
            )
            self.con.execute(
                f"INSERT INTO {SCHEMA}.chunks (run_key, chunk, n_blocked, rule_counts) VALUES (?, ?, ?, ?)",
                [key, chunk, n_blocked, json.dumps(rule_counts)],
            )
            self.con.execute("COMMIT")
        except Exception:
            self.con.execute("ROLLBACK")
            raise
        self.con.execute(f"DROP TABLE IF EXISTS {self.blocked_table(key, chunk)}")

    def finish(self, key: str) -> None:
        self.con.execute(f"UPDATE {SCHEMA}.runs SET finished_at = current_timestamp WHERE run_key = ?", [key])

    def rule_counts(self, key: str) -> dict[str, int]:
        totals: dict[str, int] = {}
        for (counts,) in self.con.execute(
            f"SELECT rule_counts FROM {SCHEMA}.chunks WHERE run_key = ?", [key]
        ).fetchall():
            for rule, n in json.loads(counts).items():
                totals[rule] = totals.get(rule, 0) + int(n)
        return totals

    def _prune(self, keep: str) -> None:
        """Drop all but the newest KEEP_RUNS runs (their tables and rows)."""
        old = self.con.execute(
            f"SELECT run_key FROM {SCHEMA}.runs WHERE run_key <> ? ORDER BY started_at DESC OFFSET ?",
            [keep, KEEP_RUNS - 1],
        ).fetchall()
        for (key,) in old:
            tables = self.con.execute(
                "SELECT table_name FROM duckdb_tables() WHERE database_name = ? AND table_name LIKE ?",
                [SCHEMA, f"%{key}%"],
            ).fetchall()
            for (table,) in tables:
                self.con.execute(f"DROP TABLE IF EXISTS {SCHEMA}.{table}")
            self.con.execute(f"DELETE FROM {SCHEMA}.chunks WHERE run_key = ?", [key])
            self.con.execute(f"DELETE FROM {SCHEMA}.runs WHERE run_key = ?", [key])
            log.info("checkpoint: dropped old run %s", key)

    def detach(self) -> None:
        self.con.execute("USE memory")
        self.con.execute(f"DETACH {SCHEMA}")


def _sql_path(path: Path) -> str:
    return str(path).replace("'", "''")


def table_fingerprint(con: duckdb.DuckDBPyConnection, table: str) -> str:
    """Order-independent fingerprint of a table's whole content (count + xor of row hashes).

    Every column counts, the derived match keys included, so a change in how keys are derived
    invalidates old checkpoints even when the input rows are the same.
    """
    row: Any = con.execute(f"SELECT count(*), bit_xor(hash(t)) FROM {table} AS t").fetchall()[0]
    return f"{duckdb.__version__}:{row[0]}:{row[1]}"
