"""From body bytes to parseable text: undo content coding, boundedly, and pick a charset.

The crawler parses decoded bodies for links and sitemaps; the WARC keeps the bytes as
they came off the wire. A hostile server can send a few kilobytes that inflate to
gigabytes, so every decoder here works in bounded steps and stops at ``limit``. Bad
data is a fact about the response, not an error: decoding stops and what was decoded
so far is returned. Charsets are chosen as browsers choose them (BOM, HTTP, then the
document's own declaration), with browsers' reading of the common labels.
"""

from __future__ import annotations

import codecs
import importlib
import re
import zlib
from types import ModuleType

from . import inflate

__all__ = [
    "decode_body",
    "DEFAULT_DECODE_LIMIT",
    "supported_encodings",
    "html_charset",
    "css_charset",
]

DEFAULT_DECODE_LIMIT = 20_000_000

# Output is produced in steps of at most this many bytes, so memory stays near the
# limit even when one input byte expands a thousandfold.
_STEP = 1 << 16
# brotli bindings cannot cap their output per call; feeding a few input bytes at a time
# keeps each call's output to a handful of meta-blocks (at most 16 MiB each).
_BROTLI_INPUT_STEP = 64

_GZIP_MAGIC = b"\x1f\x8b"


def _load_brotli() -> ModuleType | None:
    # Optional: brotli, brotlipy and brotlicffi all install a module named "brotli".
    try:
        return importlib.import_module("brotli")
    except ImportError:
        return None


_brotli = _load_brotli()


def supported_encodings() -> tuple[str, ...]:
    """The content codings decode_body understands (for an Accept-Encoding header)."""
    return ("gzip", "deflate", "br") if _brotli is not None else ("gzip", "deflate")


def decode_body(
    body: bytes, content_encoding: str | None, limit: int = DEFAULT_DECODE_LIMIT
) -> bytes:
    """Undo ``content_encoding`` on ``body``, returning at most ``limit`` bytes.

    Stacked codings ("gzip, br") are undone last-applied first. An unknown coding
    stops decoding and returns the bytes as decoded so far. When the first bytes are
    not in the declared coding at all (a server labelling a plain body "gzip", a
    common misconfiguration), the body is returned unchanged, as most clients do.
    """
    limit = max(limit, 0)
    codings = [c.strip().lower() for c in (content_encoding or "").split(",")]
    data = body
    for coding in reversed([c for c in codings if c]):
        if coding == "identity":
            continue
        if coding in ("gzip", "x-gzip"):
            data = _gunzip(data, limit)
        elif coding == "deflate":
            data = _inflate(data, limit)
        elif coding == "br" and _brotli is not None:
            data = _unbrotli(_brotli, data, limit)
        else:
            break
    return data[:limit]


def _gunzip(data: bytes, limit: int) -> bytes:
    if data.startswith(_GZIP_MAGIC):
        return _zlib_stream(data, 16 + zlib.MAX_WBITS, limit, members=True)
    if _looks_like_zlib(data):
        # Some servers send a zlib stream labelled gzip.
        return _zlib_stream(data, zlib.MAX_WBITS, limit)
    # Not gzip at all: a plain body under a wrong label.
    return data


def _inflate(data: bytes, limit: int) -> bytes:
    # "deflate" means a zlib stream (RFC 9110 8.4.1.2), but many servers send raw
    # deflate and a few send gzip; browsers accept all three.
    if _looks_like_zlib(data):
        return _zlib_stream(data, zlib.MAX_WBITS, limit)
    if data.startswith(_GZIP_MAGIC):
        return _zlib_stream(data, 16 + zlib.MAX_WBITS, limit, members=True)
    return _zlib_stream(data, -zlib.MAX_WBITS, limit, unreadable=data)


def _looks_like_zlib(data: bytes) -> bool:
    # RFC 1950: CM=8 (deflate) and the header check bits make CMF*256+FLG a multiple of 31.
    return len(data) >= 2 and data[0] & 0x0F == 8 and (data[0] << 8 | data[1]) % 31 == 0


def _zlib_stream(
    data: bytes,
    wbits: int,
    limit: int,
    *,
    members: bool = False,
    unreadable: bytes = b"",
) -> bytes:
    """Inflate in steps of at most _STEP bytes; ``unreadable`` is returned when the
    very first bytes are rejected."""
    out = bytearray()
    decoder = inflate.decompressobj(wbits)
    pending = data
    try:
        while pending and len(out) < limit:
            out += decoder.decompress(pending, min(_STEP, limit - len(out)))
            pending = decoder.unconsumed_tail
            if decoder.eof:
                rest = decoder.unused_data
                # A gzip file may be several members back to back (RFC 1952 2.2).
                if not (members and rest.startswith(_GZIP_MAGIC)):
                    break
                decoder = inflate.decompressobj(wbits)
                pending = rest
        if not decoder.eof and len(out) < limit:
            # All input is consumed here; what inflate still holds is at most one
            # pending match, so this flush is small.
            out += decoder.flush()
    except inflate.ERRORS:
        if not out:
            return unreadable
    return _cut(out, limit)


def _unbrotli(module: ModuleType, data: bytes, limit: int) -> bytes:
    decoder = module.Decompressor()
    # Google's Brotli calls it process(); brotlipy and brotlicffi call it decompress().
    step = getattr(decoder, "process", None) or decoder.decompress
    out = bytearray()
    try:
        for start in range(0, len(data), _BROTLI_INPUT_STEP):
            out += step(data[start : start + _BROTLI_INPUT_STEP])
            if len(out) >= limit:
                break
    except Exception:  # each brotli binding raises its own error class
        if not out:
            return data
    return _cut(out, limit)


def _cut(out: bytearray, limit: int) -> bytes:
    # Cut in place: ``bytes(out[:limit])`` would hold three copies of a body that may
    # be the whole limit (a sitemap's 50 MiB) at the same moment.
    del out[limit:]
    return bytes(out)


# Encoding labels that browsers read differently from Python's codec of that name.
_CHARSET_ALIASES = {
    "iso-8859-1": "cp1252",
    "iso8859-1": "cp1252",
    "latin1": "cp1252",
    "latin-1": "cp1252",
    "l1": "cp1252",
    "ascii": "cp1252",
    "us-ascii": "cp1252",
    "x-user-defined": "cp1252",
    "iso-8859-9": "cp1254",
    "latin5": "cp1254",
    "gb2312": "gb18030",
    "gbk": "gb18030",
    "x-gbk": "gb18030",
    "shift_jis": "cp932",
    "shift-jis": "cp932",
    "sjis": "cp932",
    "x-sjis": "cp932",
    "windows-31j": "cp932",
    "euc-kr": "cp949",
    "ks_c_5601-1987": "cp949",
    "windows-874": "cp874",
    "tis-620": "cp874",
    "iso-8859-8-i": "iso-8859-8",
    "x-mac-roman": "mac_roman",
    "big5": "big5hkscs",
}
_BOMS = (
    (codecs.BOM_UTF8, "utf-8"),
    (codecs.BOM_UTF16_LE, "utf-16-le"),
    (codecs.BOM_UTF16_BE, "utf-16-be"),
)
_META_CHARSET = re.compile(
    rb"""<meta[^>]*?charset\s*=\s*["']?\s*([A-Za-z0-9._:-]+)"""
    rb"""|^\s*<\?xml[^>]*encoding\s*=\s*["']([A-Za-z0-9._:-]+)""",
    re.I,
)
_PRESCAN_BYTES = 4096


def _codec(label: str | None) -> str | None:
    if not label:
        return None
    name = label.strip().strip("\"'").lower()
    name = _CHARSET_ALIASES.get(name, name)
    try:
        return codecs.lookup(name).name
    except (LookupError, ValueError):  # ValueError: a NUL in the label (a hostile header)
        return None


def html_charset(body: bytes, http_charset: str | None = None) -> str:
    """The Python codec to read ``body`` with: BOM, then HTTP charset, then ``<meta>``
    in the first 4 KB (HTML's prescan, simplified), then UTF-8."""
    for bom, name in _BOMS:
        if body.startswith(bom):
            return name
    codec = _codec(http_charset)
    if codec is not None:
        return codec
    m = _META_CHARSET.search(body, 0, _PRESCAN_BYTES)
    if m is not None:
        codec = _codec((m.group(1) or m.group(2)).decode("ascii"))
        # A document that can be read as ASCII to find its meta cannot be UTF-16.
        if codec is not None and not codec.startswith("utf-16"):
            return codec
    return "utf-8"


def css_charset(body: bytes) -> str:
    """The Python codec to read a stylesheet with: BOM, then ``@charset``, then UTF-8.

    The codec names returned for a BOM ("utf-8-sig", "utf-16") consume it.
    """
    for bom, name in _BOMS:
        if body.startswith(bom):
            return "utf-8-sig" if name == "utf-8" else "utf-16"
    # CSS Syntax 3.2: exactly this form, at the very start.
    m = re.match(rb'@charset "([A-Za-z0-9._:-]+)";', body)
    codec = _codec(m.group(1).decode("ascii")) if m else None
    if codec is None or codec.startswith("utf-16"):
        return "utf-8"
    return codec
