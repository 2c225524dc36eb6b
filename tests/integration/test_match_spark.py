"""The Spark backend scores with the same model and finds the same customers as DuckDB.

Needs the ``.[spark]`` extra (pyspark) and Java 17; skipped when pyspark is missing.
"""

from __future__ import annotations

import sys
from pathlib import Path

import polars as pl
import pytest

pytest.importorskip("pyspark")

sys.path.insert(0, str(Path(__file__).resolve().parents[1] / "unit" / "match"))
from match_fixtures import COMMITTED_MODEL, build_scenarios, settings_for  # noqa: E402

from crm_pipeline.match import run_match  # noqa: E402

pytestmark = pytest.mark.spark


def test_spark_finds_the_same_customers_as_duckdb(tmp_path: Path) -> None:
    scenarios = build_scenarios()
    results = {}
    for backend in ("duckdb", "spark"):
        processed = tmp_path / backend
        scenarios.write(processed)
        result = run_match(
            processed, settings_for(tmp_path / "home"), model_path=COMMITTED_MODEL, backend=backend
        )
        assert result.backend == backend
        results[backend] = result

    maps = {b: pl.read_parquet(r.outputs["unification_map"]).sort("uid") for b, r in results.items()}
    assert maps["spark"].equals(maps["duckdb"])

    pairs = {
        b: pl.read_parquet(r.outputs["pairs"]).sort("uid_l", "uid_r").select("uid_l", "uid_r", "match_weight")
        for b, r in results.items()
    }
    joined = pairs["duckdb"].join(pairs["spark"], on=["uid_l", "uid_r"], how="full", suffix="_spark")
    assert joined.height == pairs["duckdb"].height == pairs["spark"].height
    assert (joined["match_weight"] - joined["match_weight_spark"]).abs().max() < 1e-6
    assert results["spark"].rule_counts == results["duckdb"].rule_counts
