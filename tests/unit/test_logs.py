"""Log lines: one record is one line, whatever a file name or a value holds (issue 12, item 11)."""

from __future__ import annotations

import io
import logging
from collections.abc import Iterator
from pathlib import Path

import pytest

from crm_pipeline import logs

FORGED = "evil.csv\nERROR run=- crm_pipeline.load: all rows deleted"  # a second, forged record


@pytest.fixture
def configured(tmp_path: Path) -> Iterator[Path]:
    log_file = tmp_path / "run.log"
    logs.configure(logging.INFO, log_file=log_file)
    yield log_file
    root = logging.getLogger()
    for handler in list(root.handlers):
        root.removeHandler(handler)
        handler.close()


def test_a_newline_in_a_file_name_stays_one_log_line(configured: Path) -> None:
    terminal = io.StringIO()
    for handler in logging.getLogger().handlers:
        if type(handler) is logging.StreamHandler:  # the terminal's handler (not the file's)
            handler.setStream(terminal)
    logging.getLogger("crm_pipeline.ingest").warning("%s: header matches no profile", FORGED)
    lines = configured.read_text(encoding="utf-8").splitlines()
    assert len(lines) == 1
    assert lines[0].endswith(
        "evil.csv\\nERROR run=- crm_pipeline.load: all rows deleted: header matches no profile"
    )
    console = terminal.getvalue().splitlines()
    assert len(console) == 1 and "evil.csv\\nERROR" in console[0]


@pytest.mark.parametrize(
    ("raw", "shown"),
    [
        ("a\rb", "a\\rb"),
        ("a\x1b[31mb", "a\\x1b[31mb"),
        ("a\x85b", "a\\x85b"),
        ("a\u202eb", "a\\u202eb"),
        ("a\u2028b", "a\\u2028b"),
        ("tab\there", "tab\\there"),
        ("Zoë Peña", "Zoë Peña"),
    ],
)
def test_control_and_bidi_characters_are_escaped(configured: Path, raw: str, shown: str) -> None:
    logging.getLogger("crm_pipeline").info("file %s", raw)
    assert configured.read_text(encoding="utf-8").splitlines()[0].endswith(f"file {shown}")


def test_a_traceback_keeps_its_lines_but_cannot_start_a_forged_record(configured: Path) -> None:
    try:
        raise ValueError(FORGED)
    except ValueError:
        logging.getLogger("crm_pipeline").exception("failed")
    lines = configured.read_text(encoding="utf-8").splitlines()
    assert "failed" in lines[0]
    assert not any(line.startswith("ERROR") for line in lines)
    assert any("evil.csv\\nERROR run=-" in line for line in lines[1:])
