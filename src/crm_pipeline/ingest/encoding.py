"""Turn a file's bytes into text without ever failing on a bad byte.

Exports come as UTF-8, UTF-8 with a BOM or Windows-1252. The order of tests matters:
1. a BOM decides (UTF-8, UTF-16);
2. strict UTF-8 succeeds for most files and costs one fast C call;
3. bytes that are *mostly* UTF-8 (valid multi-byte sequences outnumber the broken ones) are a
   UTF-8 file with a few damaged bytes: decode with U+FFFD replacement, and the rows holding a
   replacement character are quarantined as ``bad_encoding`` by the reader;
4. anything else: charset-normalizer names the family. A multi-byte guess (UTF-16 without BOM,
   cp932, ...) is used as given; any single-byte guess means Windows-1252, what Excel on Windows
   writes in the US: on short Latin samples charset-normalizer cannot tell the code pages apart
   and says cp1250 or cp775, which would turn "Peña" into "Peńa". No guess at all (random bytes)
   also means cp1252. Undefined bytes become U+FFFD.
"""

from __future__ import annotations

import codecs
import re
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


@dataclass(frozen=True, slots=True)
class Decoded:
    text: str
    encoding: str  # name recorded in files.parquet: utf-8, utf-8-sig, utf-16, cp1252, ...
    replaced: bool  # some bytes could not be decoded and became U+FFFD


def _decode(data: bytes, encoding: str) -> Decoded:
    text = data.decode(encoding, errors="replace")
    # a literal U+FFFD in a valid file is also unreadable data, so it counts the same way
    return Decoded(text, encoding, REPLACEMENT in text)


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
        return _decode(data, "utf-8")
    return _decode(data, _guess_legacy(data[:_SAMPLE_BYTES]))


def _guess_legacy(sample: bytes) -> str:
    from charset_normalizer import from_bytes  # imported here: only legacy files pay for it

    best = from_bytes(sample).best()
    if best is None:
        return "cp1252"
    name = str(best.encoding).lower()
    return name if name.startswith(_MULTI_BYTE_PREFIXES) else "cp1252"
