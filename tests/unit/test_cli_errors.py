"""The command line under careless use: a bad setting, a typo'd command, Ctrl-C — each one readable
line (no traceback) and the exit code of the CLI contract (2 usage, 130 interrupted)."""

from __future__ import annotations

import os
import signal
import subprocess
import sys
import time
from pathlib import Path

CLI = [sys.executable, "-m", "crm_pipeline.cli"]


def _env(tmp_path: Path, **extra: str) -> dict[str, str]:
    env = {k: v for k, v in os.environ.items() if not k.startswith("CRM_") and k != "DATABASE_URL"}
    return {**env, "CRM_HOME": str(tmp_path / "home"), "COLUMNS": "200", **extra}


def test_a_bad_setting_is_one_line_naming_the_variable_and_exit_2(tmp_path: Path) -> None:
    secret = "postgresql://u:hunter2@db.invalid/x"
    proc = subprocess.run(
        [*CLI, "db", "url"],
        env=_env(tmp_path, CRM_MAX_COLUMNS="abc", CRM_MATCH_THRESHOLD="high", DATABASE_URL=secret),
        capture_output=True,
        text=True,
        timeout=120,
    )
    assert proc.returncode == 2, proc.stderr
    message = " ".join(proc.stderr.split())
    assert "invalid setting(s): CRM_MAX_COLUMNS:" in message and "CRM_MATCH_THRESHOLD:" in message
    assert "Traceback" not in proc.stderr and "hunter2" not in proc.stderr + proc.stdout


def test_an_unknown_command_or_missing_argument_is_a_usage_error(tmp_path: Path) -> None:
    for args in (["nonsense"], ["clean"]):
        proc = subprocess.run([*CLI, *args], env=_env(tmp_path), capture_output=True, text=True, timeout=120)
        assert proc.returncode == 2, (args, proc.stderr)
        assert "Usage:" in proc.stderr and "Traceback" not in proc.stderr


def test_ctrl_c_exits_130_without_a_traceback(tmp_path: Path) -> None:
    proc = subprocess.Popen(
        [*CLI, "generate", "--people", "300000", "--out", str(tmp_path / "gen")],
        env=_env(tmp_path),
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        text=True,
    )
    time.sleep(4)  # well inside generating 300k people (tens of seconds)
    assert proc.poll() is None, "generate finished before it could be interrupted"
    proc.send_signal(signal.SIGINT)
    _, err = proc.communicate(timeout=120)
    assert proc.returncode == 130, err
    assert "Traceback" not in err and "Aborted" not in err


def test_version_and_help_speak_the_users_words(tmp_path: Path) -> None:
    from importlib.metadata import version

    proc = subprocess.run([*CLI, "--version"], env=_env(tmp_path), capture_output=True, text=True, timeout=60)
    assert (proc.returncode, proc.stdout.strip()) == (0, f"crm-pipeline {version('crm-pipeline')}")
    for command in ("clean", "match", "load", "analytics", "run"):
        help_text = subprocess.run(
            [*CLI, command, "--help"], env=_env(tmp_path), capture_output=True, text=True, timeout=60
        ).stdout
        assert "Phase" not in help_text, command  # the project's internal phase numbers mean nothing to users
