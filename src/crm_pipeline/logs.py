"""Logging: configured only by the CLI. Every line carries the run id; emails and phones are masked.

One record is one line: control characters (C0 such as ``\\n`` and ``\\r``, DEL, C1), line and
paragraph separators and the bidi / zero-width format characters are escaped (``\\n``, ``\\x1b``,
``\\u202e``) by the formatter of every handler, so a file name or a value holding a newline cannot
write a forged log line, and a right-to-left override cannot make a line read differently on screen
than in the file. Tracebacks keep their own line structure; the exception's message inside them
is escaped (and masked) the same way.
"""

from __future__ import annotations

import logging
import re
import traceback
from pathlib import Path
from types import TracebackType

_EMAIL = re.compile(r"([A-Za-z0-9._%+-])[A-Za-z0-9._%+-]*@([A-Za-z0-9.-]+\.[A-Za-z]{2,})")
# a phone-like run starts after neither a digit nor a letter (not inside a hex digest or an id)
_PHONE = re.compile(r"(?<![0-9A-Za-z])(\+?\d[\d\s().-]{6,}\d)(?!\d)")
# run ids and other UUIDs are not personal data: never masked (their digit groups look like phones)
_UUID = re.compile(r"\b[0-9a-fA-F]{8}-[0-9a-fA-F]{4}-[0-9a-fA-F]{4}-[0-9a-fA-F]{4}-[0-9a-fA-F]{12}\b")
_URL_PASSWORD = re.compile(r"(://[^:/@\s]+:)[^@\s]+@")

_run_id = "-"

# C0 + DEL + C1, Arabic letter mark, zero-width and bidi marks, line/paragraph separators, bidi
# embeddings/overrides/isolates, word joiner and invisible operators, BOM / zero-width no-break space
_UNSAFE = re.compile("[\x00-\x1f\x7f-\x9f\u061c\u200b-\u200f\u2028-\u202e\u2060-\u206f\ufeff]")
_SHORT_ESCAPES = {"\n": "\\n", "\r": "\\r", "\t": "\\t"}
# the lines a chained traceback puts between its parts (traceback module, Python 3.11)
_CHAIN_MESSAGES = frozenset(
    {
        "\nThe above exception was the direct cause of the following exception:\n\n",
        "\nDuring handling of the above exception, another exception occurred:\n\n",
    }
)


def _escape_one(match: re.Match[str]) -> str:
    char = match.group(0)
    if char in _SHORT_ESCAPES:
        return _SHORT_ESCAPES[char]
    code = ord(char)
    return f"\\x{code:02x}" if code < 0x100 else f"\\u{code:04x}"


def escape_controls(text: str) -> str:
    """``text`` on one line: control, separator and bidi characters as escapes (``\\n``, ``\\u202e``)."""
    return _UNSAFE.sub(_escape_one, text) if _UNSAFE.search(text) else text


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


ExcInfo = tuple[type[BaseException], BaseException, TracebackType | None] | tuple[None, None, None]


class _OneLineFormatter(logging.Formatter):
    """Escapes what could break a record's line (see the module docstring)."""

    def formatMessage(self, record: logging.LogRecord) -> str:
        return escape_controls(super().formatMessage(record))

    def formatException(self, ei: ExcInfo) -> str:
        # frames and chain messages keep their newlines; the rest (the exception's message) is
        # data and goes on one line, masked like any message
        chunks = []
        for chunk in traceback.format_exception(*ei):
            if chunk.startswith("  File ") or chunk in _CHAIN_MESSAGES:
                chunks.append("\n".join(escape_controls(line) for line in chunk.split("\n")))
            else:
                body = chunk.removesuffix("\n")
                chunks.append(escape_controls(mask_pii(body)) + chunk[len(body) :])
        return "".join(chunks).removesuffix("\n")

    def formatStack(self, stack_info: str) -> str:
        return "\n".join(escape_controls(line) for line in stack_info.split("\n"))


def set_run_id(run_id: str) -> None:
    global _run_id
    _run_id = run_id


def configure(level: int = logging.INFO, log_file: Path | None = None) -> None:
    """Called once by the CLI. Library code only calls ``logging.getLogger(__name__)``."""
    root = logging.getLogger()
    for h in list(root.handlers):
        root.removeHandler(h)
    fmt = _OneLineFormatter("%(asctime)s %(levelname)s run=%(run_id)s %(name)s: %(message)s")
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
