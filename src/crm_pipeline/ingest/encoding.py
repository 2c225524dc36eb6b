"""Turn a file's bytes into text without ever failing on a bad byte.

Exports come as UTF-8, UTF-8 with a BOM or Windows-1252. The order of tests matters:
1. a BOM decides (UTF-8, UTF-16);
2. strict UTF-8 succeeds for most files and costs one fast C call;
3. bytes that are *mostly* UTF-8 (valid multi-byte sequences outnumber the broken ones) are a
   UTF-8 file with a few damaged bytes: decode with U+FFFD replacement, and the rows holding a
   replacement character are quarantined as ``bad_encoding`` by the reader;
4. anything else: charset-normalizer names the family. Any single-byte Latin code page means
   Windows-1252 (what Excel on Windows writes in the US): on short Latin samples
   charset-normalizer cannot tell cp1250 from cp1252 and tends to say cp1250, which would turn
   "Peña" into "Peńa". Other guesses (UTF-16 without BOM, cp932, ...) are used as given; no guess
   at all (random bytes) falls back to cp1252. Undefined bytes become U+FFFD.
"""

from __future__ import annotations

import codecs
import re
from dataclasses import dataclass

REPLACEMENT = "\ufffd"

# charset-normalizer names of single-byte Latin code pages, all read as Windows-1252
_LATIN_SINGLE_BYTE = frozenset(
    {"cp1250", "cp1252", "cp1254", "cp1257", "latin_1", "iso8859_15", "mac_roman", "mac_latin2", "ascii"}
)
_SAMPLE_BYTES = 256 * 1024
# a valid UTF-8 multi-byte sequence (2-4 bytes)
_UTF8_MULTIBYTE = re.compile(rb"[\xc2-\xdf][\x80-\xbf]|[\xe0-\xef][\x80-\xbf]{2}|[\xf0-\xf4][\x80-\xbf]{3}")


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
    return "cp1252" if name in _LATIN_SINGLE_BYTE else name
