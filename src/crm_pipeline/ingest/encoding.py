"""Turn a file's bytes into text without ever failing on a bad byte.

Exports come as UTF-8, UTF-8 with a BOM or Windows-1252. The order of tests matters:
1. a BOM decides (UTF-8, UTF-16);
2. strict UTF-8 succeeds for most files and costs one fast C call;
3. bytes that are *mostly* UTF-8 (valid multi-byte sequences outnumber the broken ones) are a
   UTF-8 file with a few damaged bytes: decode with U+FFFD replacement, and the rows holding a
   replacement character are quarantined as ``bad_encoding`` by the reader;
4. anything else: charset-normalizer names the family. Any single-byte guess means Windows-1252,
   what Excel on Windows writes in the US: on short Latin samples charset-normalizer cannot tell
   the code pages apart and says cp1250 or cp775, which would turn "Peña" into "Peńa". No guess at
   all (random bytes) also means cp1252. Undefined bytes become U+FFFD.
   A multi-byte guess (UTF-16 without BOM, big5, cp932, ...) is checked before it is trusted: on a
   small file of Latin names charset-normalizer took "Inés Peña,$$" for big5 ("In廥 Pe鎙"). The
   guess is dropped for cp1252 when its decoding has errors, or when most of its non-Latin
   characters sit inside Latin words (each accented letter ate the ASCII letter after it, the
   mark of a single-byte file read two bytes at a time) while cp1252 reads as Latin text.

Every answer carries a ``confidence`` (0-1: 1 for a BOM or valid UTF-8; the share of valid
sequences for damaged UTF-8; for a legacy file the share of its non-ASCII characters that read as
the chosen encoding's script) and a ``note`` when a guess was overruled or the answer is unsure
(below ``AMBIGUOUS_BELOW``); the clean stage shows both and warns about the note.
"""

from __future__ import annotations

import codecs
import re
import unicodedata
from dataclasses import dataclass

REPLACEMENT = "\ufffd"

_SAMPLE_BYTES = 256 * 1024
# a valid UTF-8 multi-byte sequence (2-4 bytes)
_UTF8_MULTIBYTE = re.compile(rb"[\xc2-\xdf][\x80-\xbf]|[\xe0-\xef][\x80-\xbf]{2}|[\xf0-\xf4][\x80-\xbf]{3}")
# charset-normalizer guesses trusted as given: multi-byte encodings, which a single-byte guess
# cannot be confused with. Every single-byte guess (cp1250, cp775, latin_1, ...) means cp1252.
_MULTI_BYTE_PREFIXES = (
    "utf_16",
    "utf_32",
    "cp932",
    "shift_jis",
    "euc",
    "gb",
    "big5",
    "cp949",
    "cp950",
    "iso2022",
    "johab",
    "hz",
)


AMBIGUOUS_BELOW = 0.8
"""A legacy file whose best reading is less sure than this is reported as ambiguous."""
_GLUED_SHARE = 0.5  # above it, a multi-byte guess is taken for a single-byte file misread
_NON_ASCII = re.compile(r"[^\x00-\x7f]")
_LATIN_PUNCTUATION = frozenset("‘’‚“”„–—…•€™†‡‰‹›ˆ˜")


@dataclass(frozen=True, slots=True)
class Decoded:
    text: str
    encoding: str  # name recorded in files.parquet: utf-8, utf-8-sig, utf-16, cp1252, ...
    replaced: bool  # some bytes could not be decoded and became U+FFFD
    confidence: float = 1.0  # see the module docstring
    note: str | None = None  # an overruled guess or an ambiguous reading, said in words


def _decode(data: bytes, encoding: str, confidence: float = 1.0, note: str | None = None) -> Decoded:
    text = data.decode(encoding, errors="replace")
    # a literal U+FFFD in a valid file is also unreadable data, so it counts the same way
    return Decoded(text, encoding, REPLACEMENT in text, round(confidence, 3), note)


def decode_bytes(data: bytes) -> Decoded:
    """Decode ``data``; never raises on content."""
    if data.startswith(codecs.BOM_UTF8):
        return _decode(data[len(codecs.BOM_UTF8) :], "utf-8-sig")
    if data.startswith((codecs.BOM_UTF16_LE, codecs.BOM_UTF16_BE)):
        return _decode(data, "utf-16")
    try:
        text = data.decode("utf-8")
    except UnicodeDecodeError:
        pass
    else:
        return Decoded(text, "utf-8", REPLACEMENT in text)

    good = len(_UTF8_MULTIBYTE.findall(data[:_SAMPLE_BYTES]))
    broken = data[:_SAMPLE_BYTES].decode("utf-8", errors="replace").count(REPLACEMENT)
    if good > broken:
        return _decode(data, "utf-8", good / (good + broken))
    return _decode(data, *_guess_legacy(data[:_SAMPLE_BYTES]))


def _guess_legacy(sample: bytes) -> tuple[str, float, str | None]:
    """(encoding, confidence, note) of a file that is not UTF-8."""
    from charset_normalizer import from_bytes  # imported here: only legacy files pay for it

    latin = _latin_share(sample.decode("cp1252", errors="replace"))
    best = from_bytes(sample).best()
    name = str(best.encoding).lower() if best is not None else "cp1252"
    if best is None or not name.startswith(_MULTI_BYTE_PREFIXES):
        note = (
            None if latin >= AMBIGUOUS_BELOW else f"ambiguous encoding: read as cp1252, {latin:.0%} plausible"
        )
        return "cp1252", latin, note
    # a multi-byte guess: the sample may end inside a character, so one replacement is allowed
    text = sample.decode(name, errors="replace")
    errors = text[:-1].count(REPLACEMENT)
    glued = _glued_share(text)
    if errors or (glued > _GLUED_SHARE and latin >= AMBIGUOUS_BELOW):
        why = (
            f"{errors} undecodable byte sequence(s)"
            if errors
            else f"{glued:.0%} of its characters inside Latin words"
        )
        return "cp1252", latin, f"{name} guess rejected ({why}); read as cp1252"
    confidence = (1.0 - float(best.chaos)) * (1.0 - glued)
    note = (
        None
        if confidence >= AMBIGUOUS_BELOW
        else f"ambiguous encoding: read as {name}, {confidence:.0%} sure"
    )
    return name, confidence, note


def _latin_like(char: str) -> bool:
    """A letter of the Latin script (accents included) or Windows typographic punctuation."""
    return (ord(char) < 0x250 and unicodedata.category(char).startswith("L")) or char in _LATIN_PUNCTUATION


def _latin_share(text: str) -> float:
    """Share of the non-ASCII characters of ``text`` that read as Latin text (1.0 when none)."""
    foreign = _NON_ASCII.findall(text)
    if not foreign:
        return 1.0
    return sum(map(_latin_like, foreign)) / len(foreign)


def _glued_share(text: str) -> float:
    """Share of the non-Latin characters of ``text`` with an ASCII letter right before or after.

    Real Chinese or Japanese words stand next to each other or to delimiters; a Latin name read two
    bytes at a time leaves one odd character in the middle of each word ("In廥", "Pe鎙").
    """
    total = glued = 0
    for i, char in enumerate(text):
        if ord(char) <= 0x7F or _latin_like(char) or char == REPLACEMENT:
            continue
        total += 1
        before = text[i - 1] if i else ""
        after = text[i + 1] if i + 1 < len(text) else ""
        glued += (before.isascii() and before.isalpha()) or (after.isascii() and after.isalpha())
    return glued / total if total else 0.0
