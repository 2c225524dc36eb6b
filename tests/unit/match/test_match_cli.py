"""The CLI commands of Phase 2B: exit codes and files, through the real console script entry."""

from __future__ import annotations

import csv
from pathlib import Path

import pytest
from match_fixtures import COMMITTED_MODEL, Persons

from crm_pipeline import cli


def _run(monkeypatch: pytest.MonkeyPatch, *args: str) -> int:
    monkeypatch.setattr("sys.argv", ["crm-pipeline", *args])
    try:
        cli.main()
    except SystemExit as exc:
        return int(exc.code or 0)
    return 0


def test_match_then_export_and_evaluate(
    scenarios: Persons, tmp_path: Path, monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:
    monkeypatch.setenv("CRM_HOME", str(tmp_path / "home"))
    processed = tmp_path / "processed"
    scenarios.write(processed)
    assert _run(monkeypatch, "match", str(processed), "--model", str(COMMITTED_MODEL)) == 0
    assert "candidate pairs per blocking rule" in capsys.readouterr().out

    out = tmp_path / "map.csv"
    assert (
        _run(monkeypatch, "export", "unification-map", "--processed", str(processed), "--out", str(out)) == 0
    )
    with out.open() as f:
        rows = list(csv.DictReader(f))
    assert len(rows) == len(scenarios.rows)
    assert set(rows[0]) == {"file", "record_id", "customer_id"}

    truth = tmp_path / "truth"
    truth.mkdir()
    with (truth / "customers.csv").open("w", newline="") as f:
        writer = csv.writer(f)
        writer.writerow(["file", "record_id", "entity_id"])
        for row in scenarios.rows:
            writer.writerow([row["file"], row["record_id"], scenarios.truth[row["uid"]]])
    assert _run(monkeypatch, "evaluate", "--truth", str(truth), "--processed", str(processed)) == 0
    assert "precision" in capsys.readouterr().out


def test_usage_and_data_errors_have_their_exit_codes(
    scenarios: Persons, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv("CRM_HOME", str(tmp_path / "home"))
    assert _run(monkeypatch, "match", str(tmp_path / "missing")) == 1  # no persons.parquet: a data problem
    assert _run(monkeypatch, "match", "--input", str(tmp_path / "x.csv")) == 2  # --out missing: usage
    scenarios.write(tmp_path / "processed")
    missing_model = str(tmp_path / "none.json")
    assert _run(monkeypatch, "match", str(tmp_path / "processed"), "--model", missing_model) == 2  # config
