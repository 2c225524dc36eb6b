"""The matching engine shared by the pipeline stage and the standalone CSV mode.

``MatchEngine.run`` takes the ``match_input`` table already built in a DuckDB connection and
leaves behind, in the same connection:

- ``match_predictions``: scored pairs at or above the review band's lower edge
  (``unique_id_l, unique_id_r, match_weight, match_probability, match_key``);
- ``match_links``: the same pairs with what clustering did with them (``link_used``,
  ``link_refused``; pairs below the threshold are neither);
- ``match_clusters``: ``uid, unique_id, cluster`` for every record.

Steps: resolve the model (load, or train when there is none or ``retrain``), score the candidate
pairs with checkpoints (DuckDB, or Spark with ``backend="spark"``), then cluster at the threshold
with conflict-aware clustering — a link between different known addresses with no email or phone
in common needs ``WEAK_LINK_PROBABILITY``.
"""

from __future__ import annotations

import logging
import math
import time
from dataclasses import dataclass, field
from pathlib import Path
from typing import Literal

import duckdb
import pyarrow as pa
from splink import Linker
from splink.backends.duckdb import DuckDBAPI

from crm_pipeline.errors import ConfigError
from crm_pipeline.match import spec
from crm_pipeline.match.checkpoint import CheckpointStore, run_key, table_fingerprint
from crm_pipeline.match.cluster import cluster_with_conflicts
from crm_pipeline.match.features import MATCH_INPUT_TABLE, ColumnUse, column_use
from crm_pipeline.match.model import PersonModel
from crm_pipeline.match.scoring import CHUNK_RECORDS, chunk_count, score_with_checkpoints
from crm_pipeline.match.term_frequencies import register_shrunk_tf_tables
from crm_pipeline.match.train import train

log = logging.getLogger(__name__)

Backend = Literal["duckdb", "spark"]

#: A link between two records at *different known addresses* with no email or phone in common
#: rests on the name and the town; it needs at least this probability: same-name strangers in one
#: town, and a rare name's term frequency, reach the ordinary threshold too easily (tuned on an
#: independent test set, seed 7; see docs/matching.md). A record without a street, the same house
#: number in the same ZIP or city (a street typo), or a job's destination that is the other's
#: address is not a different address.
WEAK_LINK_PROBABILITY = 0.999
_SHARED_KEY = (
    "(l.email = r.email OR l.phone = r.phone OR l.phone = r.phone2 OR l.phone2 = r.phone "
    "OR l.street IS NULL OR r.street IS NULL "
    "OR l.addr_key = r.addr_key OR l.dest_key = r.addr_key OR l.addr_key = r.dest_key "
    "OR (l.street = r.street AND (l.addr_key IS NULL OR r.addr_key IS NULL)) "
    "OR (l.house_number = r.house_number AND (l.zip = r.zip OR l.city = r.city)))"
)

#: Two records whose contacts say "two people" although their names allow one: they share no
#: email and no phone, and either exactly one carries a name suffix while an email or a phone of
#: theirs conflicts (a father and a son whose records lack the JR, each with his own email or
#: phone), or the first names differ (nicknames: Bella/Isabella) while both their emails and their
#: phones conflict (two household members). Clustering never puts such a pair in one customer
#: (``cluster.cluster_with_conflicts``). Chosen on independent test sets, seeds 7 and 8.
_NO_SHARED_CONTACT = (
    "NOT coalesce(l.email = r.email, false) AND NOT coalesce(l.phone = r.phone, false) "
    "AND NOT coalesce(l.phone = r.phone2, false) AND NOT coalesce(l.phone2 = r.phone, false)"
)
_EMAIL_CONFLICT = "coalesce(l.email <> r.email, false)"
_PHONE_CONFLICT = "coalesce(l.phone <> r.phone, false)"
CONTACT_CONFLICT = (
    f"({_NO_SHARED_CONTACT}) AND ("
    f"((l.name_suffix IS NULL) <> (r.name_suffix IS NULL) AND ({_EMAIL_CONFLICT} OR {_PHONE_CONFLICT})) "
    f"OR (coalesce(l.first_name <> r.first_name, false) AND {_EMAIL_CONFLICT} AND {_PHONE_CONFLICT}))"
)


@dataclass
class EngineOutcome:
    model_path: Path
    model_sha256: str
    trained: bool
    input_fingerprint: str
    n_records: int
    n_scored_pairs: int
    n_links_used: int
    n_links_refused: int
    n_clusters: int
    rule_counts: dict[str, int]
    chunks: int
    chunks_reused: int
    column_use: ColumnUse
    comparisons: list[str]  # the optional comparisons used (spec.OPTIONAL order)
    warnings: list[str]  # columns left out, and why
    timings: dict[str, float] = field(default_factory=dict)
    training_timings: dict[str, float] = field(default_factory=dict)


def review_band(threshold: float, band: float) -> tuple[float, float]:
    """The band of match probability whose pairs go to clerical review.

    The lower edge is ``threshold − band``; the upper edge mirrors it on the match-weight
    (log-odds) scale, so the band is symmetric in evidence: with 0.95 ± 0.15 it is [0.80, 0.989).
    """
    lower = min(max(threshold - band, 1e-9), threshold)
    w_t = math.log2(threshold / (1 - threshold))
    w_low = math.log2(lower / (1 - lower))
    w_up = 2 * w_t - w_low
    upper = 2**w_up / (1 + 2**w_up)
    return lower, upper


class MatchEngine:
    """One matching run over ``match_input`` in ``con`` (see the module docstring)."""

    def __init__(
        self,
        con: duckdb.DuckDBPyConnection,
        *,
        checkpoint_path: Path,
        threshold: float,
        min_probability: float,
        min_fill_rate: float = 0.01,
        backend: Backend = "duckdb",
        chunk_records: int = CHUNK_RECORDS,
    ) -> None:
        if backend not in ("duckdb", "spark"):
            raise ConfigError(f"unknown backend {backend!r}: use duckdb or spark")
        if not 0.0 < threshold < 1.0:
            raise ConfigError(f"match threshold must be between 0 and 1, got {threshold}")
        self.con = con
        self.checkpoint_path = checkpoint_path
        self.threshold = threshold
        self.min_probability = min(min_probability, threshold)
        self.min_fill_rate = min_fill_rate
        self.backend = backend
        self.chunk_records = chunk_records
        self.db_api = DuckDBAPI(connection=con)

    # ------------------------------------------------------------------ model

    def resolve_model(
        self, n_records: int, model_path: Path, present: frozenset[str], *, must_exist: bool, retrain: bool
    ) -> tuple[PersonModel, str, bool, dict[str, float]]:
        """Load ``model_path`` or train and save it there; returns model, sha256, trained?, timings.

        A new model is trained on the optional comparisons in ``present`` only (the columns that
        carry data), so its EM sessions never block on an empty column.
        """
        if model_path.is_file() and not retrain:
            model, digest = PersonModel.load(model_path)
            log.info("using model %s (sha256 %s)", model_path, digest[:12])
            return model, digest, False, {}
        if must_exist and not retrain:
            raise ConfigError(f"model file not found: {model_path} (add --retrain to train one there)")
        if not spec.trainable(present):
            raise ConfigError(
                "cannot train a matching model on names alone (email, phone and address carry no data): "
                "give a trained model with --model"
            )
        log.info("training a new model on %d records (%s)", n_records, ", ".join(sorted(present)))
        sdf = self.db_api.register(MATCH_INPUT_TABLE, table_name="match_input_for_training")
        linker = Linker(sdf, spec.settings_creator(present), log_level=None)
        model, timings = train(linker, n_records, present)
        digest = model.save(model_path)
        return model, digest, True, timings

    @staticmethod
    def active_comparisons(model: PersonModel, use: ColumnUse) -> tuple[frozenset[str], list[str]]:
        """The optional comparisons to score with — those with data that the model knows — and a
        warning for each column with data that the model was trained without."""
        unknown = sorted(use.present - model.optional_comparisons)
        warnings = [
            f"the model has no {name} comparison (it was trained on a file without it): "
            "those columns are not used; `--retrain` trains a model that uses them"
            for name in unknown
        ]
        for warning in warnings:
            log.warning("match: %s", warning)
        return use.present & model.optional_comparisons, warnings

    # ------------------------------------------------------------------ run

    def run(
        self, model_path: Path, *, model_must_exist: bool = False, retrain: bool = False
    ) -> EngineOutcome:
        timings: dict[str, float] = {}
        use = column_use(self.con, self.min_fill_rate)
        n_records = use.n_records

        start = time.perf_counter()
        model, digest, trained, training_timings = self.resolve_model(
            n_records, model_path, use.present, must_exist=model_must_exist, retrain=retrain
        )
        present, model_warnings = self.active_comparisons(model, use)
        timings["train" if trained else "load_model"] = time.perf_counter() - start

        start = time.perf_counter()
        fingerprint = table_fingerprint(self.con, MATCH_INPUT_TABLE)
        shape = ",".join(sorted(present))
        key = run_key(
            fingerprint, digest, spec.SPEC_VERSION, round(self.min_probability, 6), self.backend, shape
        )
        store = CheckpointStore(self.con, self.checkpoint_path)
        try:
            n_chunks = store.start(key, fingerprint, digest, chunk_count(n_records, self.chunk_records))
            if self.backend == "spark":
                from crm_pipeline.match.spark_backend import score_on_spark

                outcome = score_on_spark(self.con, store, key, model, self.min_probability, present)
            else:
                sdf = self.db_api.register(MATCH_INPUT_TABLE, table_name="match_input_for_predict")
                settings = model.settings_dict("duckdb", present)
                linker = Linker(sdf, settings, log_level=None)
                register_shrunk_tf_tables(
                    linker, self.db_api, self.con, settings, MATCH_INPUT_TABLE, "predict"
                )
                outcome = score_with_checkpoints(
                    linker, self.db_api, store, key, n_chunks, self.min_probability, present
                )
            self.con.execute(
                f"CREATE OR REPLACE TEMP TABLE match_predictions AS SELECT * FROM {outcome.predictions_table}"
            )
        finally:
            store.detach()
        timings["predict"] = time.perf_counter() - start

        start = time.perf_counter()
        n_used, n_refused, n_clusters = self._cluster()
        timings["cluster"] = time.perf_counter() - start
        n_scored = int(self.con.execute("SELECT count(*) FROM match_predictions").fetchall()[0][0])
        return EngineOutcome(
            model_path=model_path,
            model_sha256=digest,
            trained=trained,
            input_fingerprint=fingerprint,
            n_records=n_records,
            n_scored_pairs=n_scored,
            n_links_used=n_used,
            n_links_refused=n_refused,
            n_clusters=n_clusters,
            rule_counts=outcome.rule_counts,
            chunks=outcome.chunks,
            chunks_reused=outcome.chunks_reused,
            column_use=use,
            comparisons=[name for name in spec.OPTIONAL if name in present],
            warnings=use.warnings() + model_warnings,
            timings=timings,
            training_timings=training_timings,
        )

    def _cluster(self) -> tuple[int, int, int]:
        nodes = self.con.sql(
            "SELECT unique_id, first_name, last_name, name_suffix "
            f"FROM {MATCH_INPUT_TABLE} ORDER BY unique_id"
        ).to_arrow_table()
        edges = self.con.sql(
            f"""SELECT p.unique_id_l, p.unique_id_r, p.match_weight
            FROM match_predictions p
            JOIN {MATCH_INPUT_TABLE} l ON l.unique_id = p.unique_id_l
            JOIN {MATCH_INPUT_TABLE} r ON r.unique_id = p.unique_id_r
            WHERE p.match_probability >= {self.threshold!r}
              AND ({_SHARED_KEY} OR p.match_probability >= {max(self.threshold, WEAK_LINK_PROBABILITY)!r})
            ORDER BY p.unique_id_l, p.unique_id_r"""
        ).to_arrow_table()
        cannot_link = self.con.sql(
            f"""SELECT p.unique_id_l, p.unique_id_r
            FROM match_predictions p
            JOIN {MATCH_INPUT_TABLE} l ON l.unique_id = p.unique_id_l
            JOIN {MATCH_INPUT_TABLE} r ON r.unique_id = p.unique_id_r
            WHERE {CONTACT_CONFLICT}"""
        ).to_arrow_table()
        outcome = cluster_with_conflicts(nodes, edges, cannot_link)
        clusters = pa.table({"unique_id": outcome.node_ids, "cluster": outcome.cluster_of})
        links = (
            edges.select(["unique_id_l", "unique_id_r"])
            .append_column("link_used", pa.array(outcome.link_used))
            .append_column("link_refused", pa.array(outcome.link_refused))
        )
        self.con.register("cluster_arrow", clusters)
        self.con.register("links_arrow", links)
        try:
            self.con.execute(
                f"""CREATE OR REPLACE TEMP TABLE match_clusters AS
                SELECT m.uid, m.unique_id, c.cluster
                FROM {MATCH_INPUT_TABLE} m JOIN cluster_arrow c USING (unique_id)"""
            )
            self.con.execute(
                """CREATE OR REPLACE TEMP TABLE match_links AS
                SELECT p.*, coalesce(l.link_used, false) AS link_used,
                       coalesce(l.link_refused, false) AS link_refused
                FROM match_predictions p LEFT JOIN links_arrow l USING (unique_id_l, unique_id_r)"""
            )
        finally:
            self.con.unregister("cluster_arrow")
            self.con.unregister("links_arrow")
        n_clusters = int(
            self.con.execute("SELECT count(DISTINCT cluster) FROM match_clusters").fetchall()[0][0]
        )
        return outcome.n_links_used, outcome.n_links_refused, n_clusters
