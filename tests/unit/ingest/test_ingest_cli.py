"""`crm-pipeline clean` as a user runs it: summary table, validation files, exit code 1 for a
rejected file (its header matches no profile), while a bad value or an unknown branch costs no
row. One run (Great Expectations is slow to import), several assertions."""

from __future__ import annotations

import json
import os
import stat
import subprocess
import sys
from pathlib import Path

import pytest

HEADER = (
    "Job Number,Quote Number,Customer Id,Customer Name,Email,Phone,Service Date,Service Type,Status,Branch,"
    "Move Size,Origin Address,Destination Address,Estimated Total,Final Total,Sales Person,Referral Source,"
    "Created At"
)
ROWS = [
    "10-1,10,,Ann Lee,ann@example.com,617-555-0100,2024-01-05,Moving,Completed,Boston,,,,,,,,",
    "10-2,10,,Bob Ray,bob@example.com,617-555-0101,2024-01-05,Moving,Completed,Atlanta,,,,,,,,",
    "10-3,10,,Cy Day,cy@example.com,617-555-0102,01/05/1950,Moving,Completed,Boston,,,,,,,,",
]


@pytest.fixture(scope="module")
def cli_run(tmp_path_factory: pytest.TempPathFactory) -> tuple[subprocess.CompletedProcess[str], Path]:
    base = tmp_path_factory.mktemp("cli")
    raw = base / "raw"
    raw.mkdir()
    (raw / "sm_jobs.csv").write_text("\n".join([HEADER, *ROWS]) + "\n", encoding="utf-8")
    (raw / "notes.csv").write_text("what,is,this\n1,2,3\n", encoding="utf-8")
    out = base / "processed"
    code = "from crm_pipeline.cli import main; main()"
    proc = subprocess.run(  # noqa: S603 - our own interpreter and module
        [sys.executable, "-c", code, "clean", str(raw), str(out)],
        capture_output=True,
        text=True,
        timeout=600,
        env={"COLUMNS": "200", "PATH": "/usr/bin:/bin", "CRM_HOME": str(base / "home")},
        check=False,
        preexec_fn=lambda: os.umask(0o022),  # a usual shell umask: files would be world-readable
    )
    return proc, out


def test_prints_the_summary_table_and_exits_1_for_the_rejected_file(
    cli_run: tuple[subprocess.CompletedProcess[str], Path],
) -> None:
    proc, _ = cli_run
    assert proc.returncode == 1, proc.stderr
    assert "notes.csv" in proc.stdout and "rejected" in proc.stdout and "unknown_profile" in proc.stdout
    # the 1950 date is a value-level entry; the unknown branch is listed, with the snippet to paste
    assert "date_out_of_range" in proc.stdout and "value" in proc.stdout
    assert "unconfirmed branches" in proc.stdout and "Atlanta (1)" in proc.stdout
    assert "- name: Atlanta\n  aliases: []" in proc.stdout
    assert "unknown_branch" not in proc.stdout
    # a changed header rejects that file (exit 1 naming it); it is no systemic failure of the run
    assert "rejected input file(s): notes.csv: notes.csv: header matches no profile" in " ".join(
        proc.stderr.split()
    )
    assert "systemic failure" not in proc.stderr
    assert "critical data-quality check(s) failed" not in proc.stderr
    assert "Traceback" not in proc.stderr
    assert "Calculating Metrics" not in proc.stderr + proc.stdout  # GX progress bars are silenced


def test_outputs_and_validation_results_are_written_before_failing(
    cli_run: tuple[subprocess.CompletedProcess[str], Path],
) -> None:
    _, out = cli_run
    for name in ("persons", "jobs", "leads", "quarantine", "files"):
        assert (out / f"{name}.parquet").is_file()
    results = json.loads((out / "validation" / "results.json").read_text())
    failed = [c["name"] for c in results["checks"] if not c["success"] and c["severity"] == "critical"]
    assert failed == []
    assert (out / "validation" / "data_docs" / "index.html").is_file()
    summary = json.loads((out / "clean_summary.json").read_text())
    assert summary["validation"]["critical_failures"] == []
    assert (summary["rows_in"], summary["rows_clean"], summary["rows_quarantined"]) == (4, 3, 1)
    assert summary["values_quarantined"] == 1
    assert summary["quarantine_by_level"] == {
        "file": {"unknown_profile": 1},
        "value": {"date_out_of_range": 1},
    }
    assert summary["systemic_failures"] == []
    assert [f["status"] for f in summary["files"] if f["file"] == "notes.csv"] == ["rejected"]
    assert [(b["name"], b["rows"]) for b in summary["unconfirmed_branches"]] == [("Atlanta", 1)]


def test_processed_folder_and_files_are_owner_only(
    cli_run: tuple[subprocess.CompletedProcess[str], Path],
) -> None:
    """review_pairs.csv, the Parquet files and the validation docs hold PII: 0700 folders, 0600 files."""
    _, out = cli_run
    paths = [out, *out.rglob("*")]
    assert len(paths) > 10  # outputs, summary, validation results and Data Docs
    modes = {str(p.relative_to(out.parent)): stat.S_IMODE(p.stat().st_mode) for p in paths}
    wrong = {p: oct(m) for p, m in modes.items() if m & 0o077}
    assert wrong == {}
    assert modes["processed"] == 0o700
    assert modes["processed/persons.parquet"] == 0o600
