"""What the fuzz tests (tests/test_fuzz_*.py) share: one hypothesis profile, bounded and
deterministic, and a strategy that mutates real files from fixtures/ as a fuzzer would.

Every fuzz test runs with ``FUZZ``: at most 200 examples, no deadline (the machines are
shared), derandomized and without the example database, so CI runs the same examples every
time and a failure reproduces. A crash found once is kept as an ``@example`` beside its test.
"""

from __future__ import annotations

import os
from collections.abc import Sequence
from pathlib import Path

from hypothesis import HealthCheck, settings
from hypothesis import strategies as st

__all__ = ["FIXTURES", "FUZZ", "corpus", "mutated"]

FIXTURES = Path(__file__).resolve().parent.parent / "fixtures"

_HUNT = int(os.environ.get("PRESERVE_FUZZ_EXAMPLES", "0"))
FUZZ = settings(max_examples=_HUNT or 200, deadline=None, derandomize=not _HUNT, database=None,
                suppress_health_check=[HealthCheck.too_slow, HealthCheck.data_too_large,
                                       HealthCheck.function_scoped_fixture])

# Bytes that matter to the formats under test, drawn more often than chance would.
_TOKENS = [b"\r\n", b"\n", b"\r\n\r\n", b":", b" ", b"\x00", b"\xff", b"0", b"9" * 20,
           b"-1", b"Content-Length: ", b"WARC/1.1\r\n", b"WARC/1.0\r\n", b"<", b">", b"/>",
           b"&", b"&amp;", b"<!DOCTYPE", b"<![CDATA[", b"]]>", b"<!--", b"-->", b"\"", b"'",
           b"=", b"\xef\xbb\xbf", b"\x1f\x8b\x08", b"Transfer-Encoding: chunked\r\n",
           b"Content-Encoding: gzip\r\n", b"charset=utf-16", b"\xc3", b"\xed\xa0\x80"]


def corpus(directory: str, suffixes: Sequence[str] = ()) -> list[bytes]:
    """The bytes of every file in fixtures/<directory> (with one of ``suffixes``)."""
    return [p.read_bytes() for p in sorted((FIXTURES / directory).iterdir())
            if p.is_file() and (not suffixes or p.name.endswith(tuple(suffixes)))]


@st.composite
def _mutate(draw: st.DrawFn, data: bytes) -> bytes:
    buf = bytearray(data)
    for _ in range(draw(st.integers(1, 6), label="mutations")):
        where = draw(st.integers(0, max(0, len(buf))), label="at")
        kind = draw(st.sampled_from(["flip", "set", "insert", "delete", "truncate",
                                     "duplicate", "token"]), label="kind")
        if kind == "flip" and where < len(buf):
            buf[where] ^= 1 << draw(st.integers(0, 7))
        elif kind == "set" and where < len(buf):
            buf[where] = draw(st.integers(0, 255))
        elif kind == "insert":
            buf[where:where] = draw(st.binary(min_size=1, max_size=16))
        elif kind == "delete":
            del buf[where:where + draw(st.integers(1, 64))]
        elif kind == "truncate":
            del buf[where:]
        elif kind == "duplicate":
            size = draw(st.integers(1, 256))
            buf[where:where] = buf[where:where + size]
        elif kind == "token":
            buf[where:where] = draw(st.sampled_from(_TOKENS))
    return bytes(buf)


def mutated(seeds: Sequence[bytes]) -> st.SearchStrategy[bytes]:
    """One of ``seeds`` (real files) with one to six mutations: bit flips, byte changes,
    insertions, deletions, truncation, duplicated runs and format tokens."""
    return st.sampled_from(list(seeds)).flatmap(_mutate)
