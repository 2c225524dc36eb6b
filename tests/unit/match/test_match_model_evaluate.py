"""The model artifact (checksum, shape check, rendering per backend) and the pairwise metrics."""

from __future__ import annotations

import shutil
from pathlib import Path

import duckdb
import pytest

from crm_pipeline.errors import ConfigError
from crm_pipeline.match.evaluate import pairwise_metrics
from crm_pipeline.match.model import PersonModel, checksum_path


def test_committed_model_loads_and_renders_for_duckdb_and_spark(committed_model: Path) -> None:
    model, digest = PersonModel.load(committed_model)
    assert len(digest) == 64
    for dialect in ("duckdb", "spark"):
        settings = model.settings_dict(dialect)
        first = next(c for c in settings["comparisons"] if c["output_column_name"] == "first_name")
        different = first["comparison_levels"][-1]
        assert different["label_for_charts"] == "Different first names"
        assert different["m_probability"] < 1e-9 < different["u_probability"]
    spark_sql = " ".join(
        lv["sql_condition"]
        for c in model.settings_dict("spark")["comparisons"]
        for lv in c["comparison_levels"]
    )
    assert "arrays_overlap" in spark_sql and "list_has_any" not in spark_sql


def test_model_roundtrip_and_checksum(committed_model: Path, tmp_path: Path) -> None:
    model, _ = PersonModel.load(committed_model)
    path = tmp_path / "m.json"
    digest = model.save(path)
    again, digest2 = PersonModel.load(path)
    assert digest == digest2 and again.comparisons == model.comparisons
    path.write_text(path.read_text().replace('"spec_version"', ' "spec_version"'))
    with pytest.raises(ConfigError, match="checksum"):
        PersonModel.load(path)


def test_model_of_another_shape_is_refused(committed_model: Path, tmp_path: Path) -> None:
    path = tmp_path / "m.json"
    shutil.copy(committed_model, path)
    checksum_path(path).unlink(missing_ok=True)
    model, _ = PersonModel.load(path)
    broken = PersonModel(
        probability_two_random_records_match=model.probability_two_random_records_match,
        comparisons={**model.comparisons, "email": model.comparisons["email"][:-1]},
    )
    with pytest.raises(ConfigError, match="retrain"):
        broken.settings_dict("duckdb")


def test_pairwise_metrics_counts_pairs_per_group() -> None:
    con = duckdb.connect()
    # truth: {a1,a2,a3} {b1,b2}; predicted: {a1,a2} {a3,b1,b2}
    con.execute(
        "CREATE TABLE t AS SELECT * FROM (VALUES ('f','a1','A'),('f','a2','A'),('f','a3','A'),('f','b1','B'),"
        "('f','b2','B')) v(file, record_id, entity_id)"
    )
    con.execute(
        "CREATE TABLE p AS SELECT * FROM (VALUES ('f','a1','x'),('f','a2','x'),('f','a3','y'),('f','b1','y'),"
        "('f','b2','y'),('f','zz','z')) v(file, record_id, customer_id)"
    )
    m = pairwise_metrics(con, "p", "t")
    # predicted pairs: 1 + 3 = 4; true pairs: 3 + 1 = 4; true positives: a1a2 + b1b2 = 2
    assert (m.predicted_pairs, m.true_pairs, m.true_positive_pairs) == (4, 4, 2)
    assert m.precision == m.recall == m.f1 == 0.5
    assert m.records_missing_in_truth == 1
