"""Resume after an interrupted scoring run, standalone CSV mode, and the explain chart."""

from __future__ import annotations

import csv
from pathlib import Path

import polars as pl
import pytest
from match_fixtures import Persons, settings_for

from crm_pipeline.errors import InputError
from crm_pipeline.match import run_match
from crm_pipeline.match.checkpoint import CheckpointStore
from crm_pipeline.match.explain import explain_customer
from crm_pipeline.match.standalone import match_canonical_csv


class Interrupted(Exception):
    pass


def test_interrupted_match_resumes_without_redoing_finished_chunks(
    scenarios: Persons, committed_model: Path, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    processed = tmp_path / "processed"
    scenarios.write(processed)
    settings = settings_for(tmp_path / "home")
    chunk = 15  # several scoring chunks
    n_chunks = -(-len(scenarios.rows) // chunk)
    assert n_chunks >= 3

    real_finish = CheckpointStore.finish_chunk
    calls = {"n": 0}

    def crash_on_second_chunk(self: CheckpointStore, *args: object, **kwargs: object) -> None:
        calls["n"] += 1
        if calls["n"] == 2:
            raise Interrupted("killed while scoring chunk 2")
        real_finish(self, *args, **kwargs)  # type: ignore[arg-type]

    monkeypatch.setattr(CheckpointStore, "finish_chunk", crash_on_second_chunk)
    with pytest.raises(Interrupted):
        run_match(processed, settings, model_path=committed_model, chunk_records=chunk)
    assert not (processed / "unification_map.parquet").exists()
    monkeypatch.setattr(CheckpointStore, "finish_chunk", real_finish)

    resumed = run_match(processed, settings, model_path=committed_model, chunk_records=chunk)
    assert resumed.chunks == n_chunks and resumed.chunks_reused == 1
    resumed_map = pl.read_parquet(processed / "unification_map.parquet")

    fresh_dir = tmp_path / "fresh"
    scenarios.write(fresh_dir)
    fresh = run_match(fresh_dir, settings_for(tmp_path / "home2"), model_path=committed_model)
    assert fresh.chunks_reused == 0
    assert resumed.customers == fresh.customers
    assert resumed_map.equals(pl.read_parquet(fresh_dir / "unification_map.parquet"))


def _write_canonical(scenarios: Persons, path: Path) -> dict[str, str]:
    columns = ["record_id", "first_name", "last_name", "email", "phone", "street", "city", "state", "zip"]
    columns.append("name_suffix")  # an extra column the matcher uses when present
    person_of = {}
    with path.open("w", newline="") as f:
        writer = csv.writer(f)
        writer.writerow(columns)
        for row in scenarios.rows:
            writer.writerow([row["uid"] if c == "record_id" else (row[c] or "") for c in columns])
            person_of[row["uid"]] = scenarios.truth[row["uid"]]
    return person_of


def test_standalone_csv_dedupe(scenarios: Persons, committed_model: Path, tmp_path: Path) -> None:
    person_of = _write_canonical(scenarios, tmp_path / "people.csv")
    result = match_canonical_csv(
        tmp_path / "people.csv", tmp_path / "out", settings_for(tmp_path / "h"), committed_model
    )
    clusters = pl.read_csv(result.outputs["clusters"])
    assert clusters.columns == ["record_id", "cluster_id"]
    assert clusters.height == len(person_of)
    cluster_of = dict(zip(clusters["record_id"], clusters["cluster_id"], strict=True))
    people: dict[str, set[str]] = {}
    for record, person in person_of.items():
        people.setdefault(person, set()).add(cluster_of[record])
    assert len(people["wilson"]) == 1 and len(people["garcia"]) == 1  # typo, changed email
    assert not people["Mary"] & people["Robert"]  # household
    assert not people["carter-SR"] & people["carter-JR"]  # father and son
    pairs = pl.read_csv(result.outputs["pairs"])
    assert pairs.columns == ["record_id_l", "record_id_r", "match_probability"]
    assert pairs.height > 0


def test_standalone_csv_needs_unique_record_ids(tmp_path: Path, committed_model: Path) -> None:
    (tmp_path / "dup.csv").write_text("record_id,first_name\n1,Ann\n1,Bob\n")
    with pytest.raises(InputError, match="unique"):
        match_canonical_csv(
            tmp_path / "dup.csv", tmp_path / "out", settings_for(tmp_path / "h"), committed_model
        )


def test_explain_charts_the_links_of_a_customer(
    scenarios: Persons, committed_model: Path, tmp_path: Path
) -> None:
    processed = tmp_path / "processed"
    scenarios.write(processed)
    run_match(processed, settings_for(tmp_path / "home"), model_path=committed_model)
    umap = pl.read_parquet(processed / "unification_map.parquet")
    wilson_uids = [uid for uid, person in scenarios.truth.items() if person == "wilson"]
    customer = umap.filter(pl.col("uid") == wilson_uids[0])["customer_id"][0]

    explanation = explain_customer(processed, customer)
    assert sorted(explanation.records) == sorted(wilson_uids)
    assert len(explanation.pairs) == 3  # every pair of the three records
    assert sum(p.link_used for p in explanation.pairs) == 2  # two links join three records
    assert all(p.match_probability >= 0.95 for p in explanation.pairs if p.link_used)
    html = explanation.chart.read_text()
    assert "<html" in html.lower() and "first_name" in html
    assert "Different first names" in explanation.weights_chart.read_text()

    with pytest.raises(InputError, match="not in the unification map"):
        explain_customer(processed, "cus_0000000000000000")
