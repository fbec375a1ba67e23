"""Every inflate backend (preserve.web.inflate) reads the fixture corpus alike.

Each fixture WARC, damaged copies of the gzip ones (cut at several places, one bit
flipped at several places), and the WARC conformance suites (jwat's and warcio's test
files, tests/data/warc_conformance.json, when ../shared/conformance is here) are read
under each installed backend: the records the
reader yields (heads, payload bytes, lengths, or the WarcFormatError that stops it), the
index lines, the verify report (whole, and checked in pieces) and content decoding must
be byte-identical to the standard zlib's. A reader that inflated by itself, outside the
one path, would escape this comparison, so that is checked too.
"""

from __future__ import annotations

import ast
import gzip
import os
import random
import subprocess
import sys
import zlib
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest

import preserve
from preserve.errors import WarcFormatError
from preserve.store.indexer import index_warc
from preserve.store.reader import read_records
from preserve.verify import verify_files
from preserve.web import inflate
from preserve.web.decoding import decode_body
from test_verify_foreign_suites import PRESENT
from test_verify_foreign_suites import ROOT as SUITES

ROOT = Path(__file__).resolve().parent.parent
CORPUS = ROOT / "fixtures" / "warc"
WARCS = sorted(p for p in CORPUS.iterdir() if not p.name.endswith(".json"))
FAST = [name for name in inflate.available() if name != "zlib"]
pytestmark = pytest.mark.skipif(not FAST, reason="only the standard zlib is installed "
                                "(install zlib-ng to compare backends)")


def _damaged(tmp: Path) -> list[Path]:
    """The gzip fixtures cut at several places and with one bit flipped at several
    places (seeded), so truncated and corrupt members are read by every backend."""
    rng = random.Random(19)
    out = []
    for path in WARCS:
        data = path.read_bytes()
        if not data.startswith(b"\x1f\x8b") or len(data) < 40:
            continue
        cuts = [len(data) - 1, len(data) - 9, len(data) // 2, 30]
        cuts += rng.sample(range(11, len(data) - 1), 3)
        for at in cuts:
            p = tmp / f"{path.name}.cut{at}"
            p.write_bytes(data[:at])
            out.append(p)
        for _ in range(6):
            at = rng.randrange(10, len(data))
            p = tmp / f"{path.name}.flip{at}"
            p.write_bytes(data[:at] + bytes([data[at] ^ (1 << rng.randrange(8))])
                          + data[at + 1:])
            out.append(p)
    return out


@pytest.fixture(scope="module")
def corpus(tmp_path_factory: pytest.TempPathFactory) -> list[Path]:
    suites = sorted(p for p in SUITES.glob("*/*") if p.is_file()) if PRESENT else []
    return [*WARCS, *suites, *_damaged(tmp_path_factory.mktemp("damaged"))]


def _records(path: Path) -> list[Any]:
    out: list[Any] = []
    try:
        with read_records(path, on_anomaly=lambda o, m: out.append(("anomaly", o, m))
                          ) as reader:
            for record in reader:
                payload = record.payload.read()
                out.append((record.offset, str(record.rec_headers),
                            str(record.http_headers), payload, record.length))
    except WarcFormatError as e:
        out.append(("error", e.offset, str(e)))
    return out


def _index(path: Path) -> list[Any]:
    out: list[Any] = []
    try:
        out.extend(index_warc(path))
    except WarcFormatError as e:
        out.append(("error", e.offset, str(e)))
    return out


def _report(path: Path, piece_size: int | None = None) -> dict[str, Any]:
    data = verify_files([path], piece_size=piece_size).to_dict()
    del data["seconds"]
    return data


def _each_backend(read: Any, path: Path) -> Iterator[tuple[str, Any, Any]]:
    with inflate.using("zlib"):
        want = read(path)
    for name in FAST:
        with inflate.using(name):
            yield name, want, read(path)


def test_the_corpus_has_damaged_members(corpus: list[Path]) -> None:
    """The comparison covers what it claims: corrupt and truncated members, read both
    ways (the reader's error and verify's findings)."""
    with inflate.using("zlib"):
        codes = {f["code"] for p in corpus for f in _report(p)["findings"]}
        errors = " ".join(str(r[-1]) for p in corpus for r in _records(p) if r[0] == "error")
    assert {"WARC_GZIP_CORRUPT", "WARC_TRUNCATED"} <= codes
    assert "corrupt gzip data (Error -3 while decompressing data" in errors
    assert "truncated gzip member" in errors


def test_records_are_byte_identical(corpus: list[Path]) -> None:
    for path in corpus:
        for name, want, got in _each_backend(_records, path):
            assert got == want, (name, path.name)


def test_index_lines_are_identical(corpus: list[Path]) -> None:
    for path in corpus:
        for name, want, got in _each_backend(_index, path):
            assert got == want, (name, path.name)


def test_verify_reports_are_identical(corpus: list[Path]) -> None:
    for path in corpus:
        for name, want, got in _each_backend(_report, path):
            assert got == want, (name, path.name)


@pytest.mark.parametrize("piece_size", [300, 2500])
def test_verify_reports_in_pieces_are_identical(corpus: list[Path], piece_size: int) -> None:
    for path in corpus:
        for name, want, got in _each_backend(lambda p: _report(p, piece_size), path):
            assert got == want, (name, path.name, piece_size)


def _bodies() -> list[tuple[str, bytes]]:
    text = b"<p>" + b"preserve inflates every body the same way " * 400 + b"</p>"
    gz = gzip.compress(text)
    raw = zlib.compressobj(6, zlib.DEFLATED, -15)
    deflated = raw.compress(text) + raw.flush()
    cases = [("gzip", gz), ("gzip", gz + gz), ("deflate", zlib.compress(text)),
             ("deflate", deflated), ("gzip", zlib.compress(text)), ("deflate", gz)]
    for coding, data in list(cases):
        cases += [(coding, data[:len(data) // 2]), (coding, data[:-3]),
                  (coding, data[:40] + bytes([data[40] ^ 4]) + data[41:])]
    return cases


def test_content_decoding_is_identical() -> None:
    for coding, body in _bodies():
        with inflate.using("zlib"):
            want = [decode_body(body, coding, limit) for limit in (100, 10_000_000)]
        for name in FAST:
            with inflate.using(name):
                got = [decode_body(body, coding, limit) for limit in (100, 10_000_000)]
            assert got == want, (name, coding, len(body))


def test_the_environment_forces_the_standard_zlib() -> None:
    code = "from preserve.web import inflate; print(inflate.backend())"
    env = {**os.environ, "PYTHONPATH": os.pathsep.join(sys.path)}
    forced = subprocess.run([sys.executable, "-c", code], env={**env, "PRESERVE_INFLATE": "zlib"},
                            capture_output=True, text=True, check=True)
    env.pop("PRESERVE_INFLATE", None)
    default = subprocess.run([sys.executable, "-c", code], env=env, capture_output=True,
                             text=True, check=True)
    assert forced.stdout.strip() == "zlib"
    assert default.stdout.strip() == FAST[0]


def test_an_unknown_backend_is_refused() -> None:
    with pytest.raises(ValueError, match="not installed"), inflate.using("no-such-zlib"):
        pass
    assert inflate.backend() == FAST[0]


def test_no_reader_inflates_outside_the_one_path() -> None:
    """Only web/inflate.py makes a decompress object: a reader calling zlib (or gzip)
    itself would read with the standard zlib whatever the backend."""
    src = Path(preserve.__file__).parent
    found = []
    for path in sorted(src.rglob("*.py")):
        if path == src / "web" / "inflate.py":
            continue
        for node in ast.walk(ast.parse(path.read_text(encoding="utf-8"))):
            if isinstance(node, ast.Attribute) and isinstance(node.value, ast.Name) and (
                    (node.value.id == "zlib" and node.attr in ("decompressobj", "decompress"))
                    or (node.value.id == "gzip" and node.attr in ("open", "GzipFile",
                                                                  "decompress"))):
                found.append(f"{path.relative_to(src)}:{node.lineno}")
    assert not found, found
