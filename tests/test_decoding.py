"""Content-coding removal: round trips, damaged input, and bombs that must stop at the limit."""

from __future__ import annotations

import gzip
import importlib
import importlib.util
import zlib
from collections.abc import Callable
from types import ModuleType
from typing import Any

import pytest

from preserve.web import inflate
from preserve.web.decoding import (
    DEFAULT_DECODE_LIMIT,
    css_charset,
    decode_body,
    html_charset,
    supported_encodings,
)

PAGE = b"<html><body>" + b"<p>hello, archive</p>" * 2000 + b"</body></html>"
HAS_BROTLI = importlib.util.find_spec("brotli") is not None


def _brotli(data: bytes, quality: int = 11) -> bytes:
    brotli = importlib.import_module("brotli")
    compressed: bytes = brotli.compress(data, quality=quality)
    return compressed


def _raw_deflate(data: bytes) -> bytes:
    co = zlib.compressobj(9, zlib.DEFLATED, -zlib.MAX_WBITS)
    return co.compress(data) + co.flush()


@pytest.mark.parametrize(
    ("coding", "encode"),
    [
        (None, lambda d: d),
        ("", lambda d: d),
        ("identity", lambda d: d),
        ("gzip", gzip.compress),
        ("GZIP", gzip.compress),
        ("x-gzip", gzip.compress),
        ("deflate", zlib.compress),
        ("deflate", _raw_deflate),
        ("deflate", gzip.compress),  # mislabelled, as some servers do
        ("gzip", zlib.compress),  # mislabelled the other way
        ("gzip, gzip", lambda d: gzip.compress(gzip.compress(d))),
        ("deflate,gzip", lambda d: gzip.compress(zlib.compress(d))),
        ("identity, gzip", gzip.compress),
        ("gzip", lambda d: gzip.compress(d[:1000]) + gzip.compress(d[1000:])),  # two members
    ],
)
def test_round_trip(coding: str | None, encode: object) -> None:
    assert callable(encode)
    assert decode_body(encode(PAGE), coding) == PAGE


@pytest.mark.skipif(not HAS_BROTLI, reason="no brotli module installed")
@pytest.mark.parametrize("coding", ["br", "gzip, br", "br, gzip"])
def test_brotli_round_trip(coding: str) -> None:
    data = PAGE
    for step in [c.strip() for c in coding.split(",")]:
        data = _brotli(data) if step == "br" else gzip.compress(data)
    assert decode_body(data, coding) == PAGE
    assert "br" in supported_encodings()


@pytest.mark.parametrize("coding", ["gzip", "deflate", "br"])
def test_plain_body_under_a_wrong_label_is_passed_through(coding: str) -> None:
    if coding == "br" and not HAS_BROTLI:
        pytest.skip("no brotli module installed")
    assert decode_body(PAGE, coding) == PAGE


def test_unknown_coding_stops_decoding() -> None:
    body = gzip.compress(PAGE)
    assert decode_body(body, "compress") == body
    # Only the codings after the unknown one (applied last) are undone.
    assert decode_body(gzip.compress(body), "compress, gzip") == body


def test_truncated_gzip_gives_what_decoded() -> None:
    body = gzip.compress(PAGE + bytes(range(256)) * 400)
    cut = decode_body(body[: len(body) // 2], "gzip")
    assert 0 < len(cut) < len(PAGE) + 256 * 400
    assert (PAGE + bytes(range(256)) * 400).startswith(cut)


@pytest.mark.parametrize(
    "body",
    [
        b"\x1f\x8b",
        b"\x1f\x8b\x08\x00garbage-after-a-gzip-header",
        b"\x1f\x8b" + bytes(100),
        b"\x78\x9c" + b"\xff" * 100,  # zlib header, corrupt stream
    ],
)
def test_corrupt_data_never_raises(body: bytes) -> None:
    for coding in ("gzip", "deflate", "gzip, deflate"):
        assert isinstance(decode_body(body, coding), bytes)


def test_corruption_midway_keeps_the_good_part() -> None:
    body = bytearray(gzip.compress(PAGE + bytes(range(256)) * 4000, compresslevel=1))
    body[len(body) // 2 :] = b"\xff" * (len(body) - len(body) // 2)
    decoded = decode_body(bytes(body), "gzip")
    assert decoded.startswith(PAGE)


@pytest.mark.parametrize("limit", [0, 1, 100, len(PAGE) - 1])
def test_output_never_exceeds_the_limit(limit: int) -> None:
    for coding, body in [
        ("gzip", gzip.compress(PAGE)),
        (None, PAGE),
        ("deflate", zlib.compress(PAGE)),
    ]:
        assert decode_body(body, coding, limit) == PAGE[:limit]


def _single_stream_bomb(target_size: int) -> bytes:
    # A full flush byte-aligns the stream and resets the dictionary, so the deflate
    # blocks for each further MiB of zeros are identical and can be repeated: one
    # gzip stream of ~10 MB that claims about 10 GB.
    zeros = bytes(1 << 20)
    co = zlib.compressobj(9, zlib.DEFLATED, 16 + zlib.MAX_WBITS)
    first = co.compress(zeros) + co.flush(zlib.Z_FULL_FLUSH)
    block = co.compress(zeros) + co.flush(zlib.Z_FULL_FLUSH)
    assert block == co.compress(zeros) + co.flush(zlib.Z_FULL_FLUSH)
    return first + block * (target_size // len(block))


class _Counting:
    """A real decompressor that adds up the bytes each of its calls gives back: the
    work a bomb costs, counted whatever the machine's load."""

    def __init__(self, inner: Any, counts: list[int]) -> None:
        self._inner = inner
        self._counts = counts

    def __getattr__(self, name: str) -> Any:
        attr = getattr(self._inner, name)
        if name not in ("decompress", "process", "flush"):
            return attr

        def counted(*args: Any) -> Any:
            out = attr(*args)
            self._counts.append(len(out))
            return out

        return counted


# The module each inflate backend (preserve.web.inflate) makes its decompressors with.
_BACKEND_MODULES = {"zlib": "zlib", "zlib-ng": "zlib_ng.zlib_ng"}


def _count_output(monkeypatch: pytest.MonkeyPatch, module: ModuleType, factory: str) -> list[int]:
    """Make ``module.factory()`` hand out counting decompressors; returns their counts."""
    make: Callable[..., Any] = getattr(module, factory)
    counts: list[int] = []
    monkeypatch.setattr(module, factory, lambda *args: _Counting(make(*args), counts))
    return counts


@pytest.mark.parametrize(
    "bomb",
    [
        pytest.param(lambda: _single_stream_bomb(10_000_000), id="one-stream-10GB"),
        pytest.param(lambda: gzip.compress(bytes(1 << 20), mtime=0) * 10_000, id="members-10GB"),
    ],
)
@pytest.mark.parametrize("backend", inflate.available())
def test_gzip_bomb_stops_at_the_limit(bomb: object, backend: str,
                                      monkeypatch: pytest.MonkeyPatch) -> None:
    assert callable(bomb)
    body = bomb()
    assert len(body) > 9_000_000
    module = importlib.import_module(_BACKEND_MODULES[backend])
    inflated = _count_output(monkeypatch, module, "decompressobj")
    with inflate.using(backend):
        decoded = decode_body(body, "gzip")
    assert len(decoded) == DEFAULT_DECODE_LIMIT
    assert decoded.count(0) == len(decoded)
    # Stopping means inflating ~20 MB, not ~10 GB: at most one MiB past the limit.
    assert DEFAULT_DECODE_LIMIT <= sum(inflated) <= DEFAULT_DECODE_LIMIT + (1 << 20)
    assert len(decode_body(body, "gzip", limit=1000)) == 1000


@pytest.mark.skipif(not HAS_BROTLI, reason="no brotli module installed")
def test_brotli_bomb_stops_at_the_limit(monkeypatch: pytest.MonkeyPatch) -> None:
    body = _brotli(bytes(200_000_000), quality=1)
    assert len(body) < 100_000
    inflated = _count_output(monkeypatch, importlib.import_module("brotli"), "Decompressor")
    assert len(decode_body(body, "br", limit=5_000_000)) == 5_000_000
    # 5 MB and at most one meta-block (16 MiB) more, not the 200 MB the body claims.
    assert 5_000_000 <= sum(inflated) <= 5_000_000 + (16 << 20)


@pytest.mark.parametrize(
    ("body", "http_charset", "codec"),
    [
        (b"<html>", None, "utf-8"),
        (b'<meta charset="windows-1251">', None, "cp1251"),
        (b"<meta charset=utf-8>", "koi8-r", "koi8-r"),
        (b'<meta http-equiv="content-type" content="text/html; charset=Shift_JIS">', None, "cp932"),
        (b'<meta charset="iso-8859-1">', None, "cp1252"),
        (b'<meta charset="utf-16">', None, "utf-8"),
        (b'<meta charset="no-such-charset">', None, "utf-8"),
        (b"<html>", "no-such-charset", "utf-8"),
        (b"\xef\xbb\xbf<meta charset=latin1>", "koi8-r", "utf-8"),
        (b"\xff\xfe<\x00", "utf-8", "utf-16-le"),
        (b"\xfe\xff\x00<", None, "utf-16-be"),
        (b"<?xml version='1.0' encoding='ISO-8859-15'?><html>", None, "iso8859-15"),
        (b" " * 5000 + b'<meta charset="windows-1251">', None, "utf-8"),
    ],
)
def test_html_charset(body: bytes, http_charset: str | None, codec: str) -> None:
    assert html_charset(body, http_charset) == codec


@pytest.mark.parametrize(
    ("body", "codec"),
    [
        (b"a{}", "utf-8"),
        (b'@charset "windows-1251"; a{}', "cp1251"),
        (b'@charset "ISO-8859-1";', "cp1252"),
        (b"@charset 'koi8-r';", "utf-8"),  # only the exact double-quoted form counts
        (b' @charset "koi8-r";', "utf-8"),
        (b'@charset "utf-16";', "utf-8"),
        (b'@charset "nonsense";', "utf-8"),
        (b'\xef\xbb\xbf@charset "koi8-r";', "utf-8-sig"),
        (b"\xff\xfea\x00", "utf-16"),
    ],
)
def test_css_charset(body: bytes, codec: str) -> None:
    assert css_charset(body) == codec
