"""Normalise reads each page once: the same bytes as the two-pass reader it replaced.

The corpus (tests/data/normalise_single_pass/: a crawl of the test site with its images,
and the extraction fixtures with an image, a repeated payload and a revisit) has its
articles.jsonl, sites.jsonl and search index rows as written before the change
(``expected/``, by generate.py). Normalise must give them byte for byte, whether it
finds the pages through the CDXJ index or, with the index missing or stale, by reading
every record."""

from __future__ import annotations

import importlib.util
import sys
from pathlib import Path
from types import ModuleType

import pytest

from preserve.collection import Collection
from preserve.normalise.collection import normalise_collection

DATA = Path(__file__).resolve().parent / "data" / "normalise_single_pass"


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
