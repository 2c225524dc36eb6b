"""Typed errors. Each says whether a retry can help; the CLI turns them into a red line + exit code.

Exit codes (``shared/spec/cli.md``): 1 a data problem reported (``PipelineError``: input rejected
or held back, an SLA failed), 2 usage (``ConfigError``; Click's own usage errors too), 3 another
run holds the lock (``LockHeld``).
"""

from __future__ import annotations

from pathlib import Path
from typing import Any


class PipelineError(Exception):
    """Base of every error the pipeline reports to the user (exit code 1)."""

    exit_code: int = 1
    retryable: bool = False


class ConfigError(PipelineError):
    """Bad or missing configuration (exit code 2: a usage problem)."""

    exit_code = 2


class InputError(PipelineError):
    """Bad input that the user must fix; names the file and, where known, the line."""

    def __init__(self, message: str, *, file: str | Path | None = None, line: int | None = None):
        self.file = str(file) if file is not None else None
        self.line = line
        where = ""
        if self.file is not None:
            where = f"{self.file}"
            if line is not None:
                where += f":{line}"
            where += ": "
        super().__init__(f"{where}{message}")


class ValidationFailed(PipelineError):
    """A critical data-quality expectation failed; ``report`` holds the readable summary."""

    def __init__(self, message: str, *, report: Any = None):
        self.report = report
        super().__init__(message)


class InputRejected(PipelineError):
    """The run finished but input was rejected or held back (exit code 1): the operator must look."""


class LockHeld(PipelineError):
    """Another run holds the lock of this database or processed folder (exit code 3)."""

    exit_code = 3


class LoadError(PipelineError):
    """Loading into PostgreSQL failed."""

    def __init__(self, message: str, *, table: str | None = None, key: str | None = None):
        self.table = table
        self.key = key
        super().__init__(message)


class TransientLoadError(LoadError):
    """Connection lost, serialization failure, server restarting: retrying can help."""

    retryable = True


class TerminalLoadError(LoadError):
    """Bad data or a violated constraint: retrying will not help."""


class DatabaseUnavailable(PipelineError):
    """The database server cannot be reached or started."""

    retryable = True


class ApiError(PipelineError):
    """The SmartMoving API answered with an error."""

    def __init__(self, message: str, *, status: int | None = None):
        self.status = status
        super().__init__(message)


class RetryableApiError(ApiError):
    """429 / 5xx / network error: retrying with backoff can help."""

    retryable = True
