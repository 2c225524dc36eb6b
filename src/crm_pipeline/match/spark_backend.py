"""Scoring candidate pairs with Splink's Spark backend (``crm-pipeline match --backend spark``).

The same model, rendered for Spark: ``PersonModel.settings_dict("spark")`` turns the portable
spec into Spark SQL (a model JSON saved by Splink under DuckDB would not load into Spark). Only
the blocking and scoring move to Spark, the part that grows with the square of the data; building
the match input, clustering and unification stay in DuckDB, so both backends produce the same
customers from the same scores. Training, when asked for, also runs in DuckDB (on a sample of
pairs, which fits one machine even for very large inputs).

Spark runs in ``local[*]`` mode by default (``CRM_SPARK_MASTER`` style configuration can be added
by pointing ``SPARK_*`` environment variables at a cluster). The whole input is one checkpoint
chunk: Spark does its own partitioning, and its predictions are written to the checkpoint file
in one transaction when scoring finishes.
"""

from __future__ import annotations

import logging
import tempfile
from pathlib import Path
from typing import Any

import duckdb

from crm_pipeline.errors import ConfigError
from crm_pipeline.match.checkpoint import CheckpointStore
from crm_pipeline.match.features import MATCH_INPUT_TABLE
from crm_pipeline.match.model import PersonModel
from crm_pipeline.match.scoring import ScoreOutcome, rule_names
from crm_pipeline.match.term_frequencies import shrunk_tf_sql, tf_columns

log = logging.getLogger(__name__)

SPARK_CHUNK = 1


def spark_session() -> Any:
    """A local Spark session with Splink's string-similarity UDF jar (needs the ``.[spark]`` extra)."""
    try:
        from pyspark.sql import SparkSession
        from splink.backends.spark import similarity_jar_location
    except ImportError as exc:
        raise ConfigError(
            "the Spark backend needs pyspark: pip install 'crm-pipeline[spark]' (and Java 17)"
        ) from exc
    return (
        SparkSession.builder.master("local[*]")
        .appName("crm-pipeline-match")
        .config("spark.jars", similarity_jar_location())
        .config("spark.sql.shuffle.partitions", "8")
        .config("spark.default.parallelism", "8")
        .config("spark.driver.memory", "2g")
        .config("spark.ui.enabled", "false")
        .config("spark.sql.session.timeZone", "UTC")
        .getOrCreate()
    )


def score_on_spark(
    con: duckdb.DuckDBPyConnection,
    store: CheckpointStore,
    key: str,
    model: PersonModel,
    min_probability: float,
    present: frozenset[str],
) -> ScoreOutcome:
    """Score ``match_input`` with Spark; the pairs land in the checkpoint like DuckDB's do."""
    if SPARK_CHUNK in store.done_chunks(key):
        log.info("spark scoring: already done (checkpoint)")
        return ScoreOutcome(store.pred_table(key), store.rule_counts(key), chunks=1, chunks_reused=1)
    from splink import Linker
    from splink.backends.spark import SparkAPI

    spark = spark_session()
    with tempfile.TemporaryDirectory(prefix="crm-spark-") as tmp:
        work = Path(tmp)
        spark.sparkContext.setCheckpointDir(str(work / "spark-checkpoints"))  # Splink breaks lineage
        _to_parquet(con, f"SELECT * FROM {MATCH_INPUT_TABLE}", work / "input.parquet")
        db_api = SparkAPI(spark_session=spark)  # type: ignore[no-untyped-call]
        sdf = db_api.register(spark.read.parquet(str(work / "input.parquet")), table_name="match_input_spark")
        settings = model.settings_dict("spark", present)
        linker = Linker(sdf, settings, log_level=None)
        n_records = int(con.execute(f"SELECT count(*) FROM {MATCH_INPUT_TABLE}").fetchall()[0][0])
        for column, u in tf_columns(settings).items():
            path = work / f"tf_{column}.parquet"
            _to_parquet(con, shrunk_tf_sql(MATCH_INPUT_TABLE, column, n_records, u), path)
            tf = db_api.register(spark.read.parquet(str(path)), table_name=f"tf_shrunk_spark_{column}")
            linker.table_management.register_term_frequency_lookup(tf, column)

        blocked = linker.inference.compute_blocked_pairs_for_predict()
        names = rule_names(present)
        by_key = {
            int(row["match_key"]): int(row["count"])
            for row in blocked.as_spark_dataframe().groupBy("match_key").count().collect()
        }
        counts = {names[k]: by_key[k] for k in sorted(by_key)}  # in rule order, like DuckDB's
        predictions = linker.inference.predict(
            threshold_match_probability=min_probability, warning_mode="never"
        )
        out = work / "predictions.parquet"
        (
            predictions.as_spark_dataframe()
            .select("unique_id_l", "unique_id_r", "match_weight", "match_probability", "match_key")
            .write.mode("overwrite")
            .parquet(str(out))
        )
        con.execute(
            f"CREATE OR REPLACE TEMP TABLE spark_predictions AS SELECT * FROM read_parquet('{out}/*.parquet')"
        )
        store.finish_chunk(key, SPARK_CHUNK, "spark_predictions", counts)
        con.execute("DROP TABLE spark_predictions")
    store.finish(key)
    log.info("spark scoring: %d candidate pairs", sum(counts.values()))
    return ScoreOutcome(store.pred_table(key), store.rule_counts(key), chunks=1, chunks_reused=0)


def _to_parquet(con: duckdb.DuckDBPyConnection, query: str, path: Path) -> None:
    con.execute(f"COPY ({query}) TO '{path}' (FORMAT parquet)")
