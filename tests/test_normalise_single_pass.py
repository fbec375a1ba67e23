"""Normalise reads each page once: the same bytes as the two-pass reader it replaced.

The corpus (tests/data/normalise_single_pass/: a crawl of the test site with its images,
and the extraction fixtures with an image, a repeated payload and a revisit) has its
articles.jsonl, sites.jsonl and search index rows as written before the change
(``expected/``, by generate.py). Normalise must give them byte for byte, whether it
finds the pages through the CDXJ index or, with the index missing or stale, by reading
every record."""

from __future__ import annotations

import importlib.util
import os
import shutil
import sys
from dataclasses import replace
from pathlib import Path
from types import ModuleType

import pytest

from preserve.collection import Collection
from preserve.errors import WarcFormatError
from preserve.normalise.collection import normalise_collection
from preserve.store.cdxj import CdxjEntry

DATA = Path(__file__).resolve().parent / "data" / "normalise_single_pass"
# Each test normalises 110 pages (one to two seconds).
pytestmark = pytest.mark.slow


def _generate() -> ModuleType:
    spec = importlib.util.spec_from_file_location("normalise_single_pass", DATA / "generate.py")
    assert spec is not None and spec.loader is not None
    module = importlib.util.module_from_spec(spec)
    sys.modules[spec.name] = module
    spec.loader.exec_module(module)
    return module


GEN = _generate()


def _expected() -> dict[str, str]:
    return {p.name: p.read_text("utf-8") for p in sorted((DATA / "expected").iterdir())}


@pytest.fixture
def coll(tmp_path: Path) -> Collection:
    made: Collection = GEN.collection(tmp_path / "c")
    return made


def test_output_is_byte_identical_through_the_index(coll: Collection) -> None:
    normalise_collection(coll)
    assert GEN.outputs(coll) == _expected()


def test_output_is_byte_identical_without_the_index(coll: Collection) -> None:
    coll.index_path.unlink()
    normalise_collection(coll)
    assert GEN.outputs(coll) == _expected()


def _entries(coll: Collection) -> list[CdxjEntry]:
    return [CdxjEntry.from_line(line) for line in
            coll.index_path.read_text("utf-8").splitlines()]


def _wreck_images(coll: Collection) -> int:
    """Zero the deflate data of every image's gzip member (its header and trailer kept):
    inflating any byte of it fails at once (a stored block whose lengths do not match)."""
    wrecked = 0
    for e in _entries(coll):
        if (e.mime or "").startswith("image/"):
            with (coll.warcs / e.filename).open("r+b") as f:
                f.seek(e.offset + 10)
                f.write(bytes(e.length - 18))
            wrecked += 1
    return wrecked


def _index_after_warcs(coll: Collection) -> None:
    """Give the index a later time than the WARCs it was built from, as a rebuild would."""
    stamp = max(p.stat().st_mtime_ns for p in coll.closed_warcs()) + 1_000_000
    os.utime(coll.index_path, ns=(stamp, stamp))


def test_images_are_never_inflated(coll: Collection) -> None:
    assert _wreck_images(coll) >= 3  # the test site's images and the fixtures' one
    _index_after_warcs(coll)
    normalise_collection(coll)
    assert GEN.outputs(coll) == _expected()
    # The same files read whole: the wrecked members are inflated, and fail.
    shutil.rmtree(coll.normalised)
    coll.index_path.unlink()
    with pytest.raises(WarcFormatError, match="corrupt gzip data"):
        normalise_collection(coll)


def test_a_warc_changed_after_the_index_is_read_whole(coll: Collection) -> None:
    _wreck_images(coll)
    _index_after_warcs(coll)
    later = coll.index_path.stat().st_mtime_ns + 1_000_000
    os.utime(coll.warcs / "fixtures-00000.warc.gz", ns=(later, later))
    with pytest.raises(WarcFormatError, match="corrupt gzip data"):
        normalise_collection(coll)


def test_an_index_with_a_wrong_offset_or_repeated_lines(coll: Collection) -> None:
    """A wrong offset: that WARC is read whole. Lines given twice (an index merged twice):
    each record is still read once."""
    entries = _entries(coll)
    first = min((e for e in entries if e.filename == "fixtures-00000.warc.gz"),
                key=lambda e: e.offset)  # a page, not the last record: within the file
    moved = [replace(e, offset=e.offset + 1) if e is first else e for e in entries]
    twice = [e for e in entries if e.filename != first.filename]
    coll.index_path.write_text("".join(e.to_line() + "\n" for e in moved + twice), "utf-8")
    normalise_collection(coll)
    assert GEN.outputs(coll) == _expected()
