"""Logging: configured only by the CLI. Every line carries the run id; emails and phones are masked."""

from __future__ import annotations

import logging
import re
from pathlib import Path

_EMAIL = re.compile(r"([A-Za-z0-9._%+-])[A-Za-z0-9._%+-]*@([A-Za-z0-9.-]+\.[A-Za-z]{2,})")
# a phone-like run starts after neither a digit nor a letter (not inside a hex digest or an id)
_PHONE = re.compile(r"(?<![0-9A-Za-z])(\+?\d[\d\s().-]{6,}\d)(?!\d)")
# run ids and other UUIDs are not personal data: never masked (their digit groups look like phones)
_UUID = re.compile(r"\b[0-9a-fA-F]{8}-[0-9a-fA-F]{4}-[0-9a-fA-F]{4}-[0-9a-fA-F]{4}-[0-9a-fA-F]{12}\b")
_URL_PASSWORD = re.compile(r"(://[^:/@\s]+:)[^@\s]+@")

_run_id = "-"


def mask_pii(text: str) -> str:
    """Mask emails (keep first char + domain), phone-like digit runs (keep last 2) and URL passwords."""
    text = _URL_PASSWORD.sub(r"\1***@", text)
    text = _EMAIL.sub(r"\1***@\2", text)

    def _phone(m: re.Match[str]) -> str:
        digits = re.sub(r"\D", "", m.group(1))
        if len(digits) < 7:
            return m.group(1)
        return "***" + digits[-2:]

    parts: list[str] = []
    last = 0
    for uuid in _UUID.finditer(text):  # mask between the UUIDs, keep them whole
        parts.append(_PHONE.sub(_phone, text[last : uuid.start()]))
        parts.append(uuid.group(0))
        last = uuid.end()
    parts.append(_PHONE.sub(_phone, text[last:]))
    return "".join(parts)


def mask_email(value: str | None) -> str:
    return mask_pii(value) if value else ""


def mask_phone(value: str | None) -> str:
    if not value:
        return ""
    digits = re.sub(r"\D", "", value)
    return "***" + digits[-2:] if len(digits) >= 2 else "***"


class _OwnWarningsOnly(logging.Filter):
    """The terminal shows this project's warnings; libraries' chatter goes to the log file only."""

    def filter(self, record: logging.LogRecord) -> bool:
        return record.name.startswith("crm_pipeline") or record.levelno >= logging.ERROR


class _ContextFilter(logging.Filter):
    def filter(self, record: logging.LogRecord) -> bool:
        record.run_id = _run_id
        if isinstance(record.msg, str):
            record.msg = mask_pii(record.msg)
        if record.args:
            record.args = tuple(mask_pii(a) if isinstance(a, str) else a for a in record.args)
        return True


def set_run_id(run_id: str) -> None:
    global _run_id
    _run_id = run_id


def configure(level: int = logging.INFO, log_file: Path | None = None) -> None:
    """Called once by the CLI. Library code only calls ``logging.getLogger(__name__)``."""
    root = logging.getLogger()
    for h in list(root.handlers):
        root.removeHandler(h)
    fmt = logging.Formatter("%(asctime)s %(levelname)s run=%(run_id)s %(name)s: %(message)s")
    handlers: list[logging.Handler] = []
    stream = logging.StreamHandler()
    stream.setLevel(logging.WARNING if level > logging.DEBUG else logging.DEBUG)
    if level > logging.DEBUG:
        stream.addFilter(_OwnWarningsOnly())
    handlers.append(stream)
    if log_file is not None:
        log_file.parent.mkdir(parents=True, exist_ok=True)
        fh = logging.FileHandler(log_file, encoding="utf-8")
        fh.setLevel(level)
        handlers.append(fh)
    for h in handlers:
        h.setFormatter(fmt)
        h.addFilter(_ContextFilter())
        root.addHandler(h)
    root.setLevel(level)
    for noisy in ("great_expectations", "splink", "httpx", "alembic", "faker"):
        logging.getLogger(noisy).setLevel(logging.WARNING)
