"""OCFL export: ocfl-py's validator accepts our objects, and a repeat export is incremental.

A first export makes v1 with everything; the collection is then crawled again (new
WARCs, grown index, pages and event log) and exported to the same object: v2 must hold
only the new content, and its state the whole collection.
"""

from __future__ import annotations

import hashlib
import json
from collections.abc import Iterator
from pathlib import Path

import pytest

from helpers_crawl import cli, tool
from helpers_export import copy_collection, crawl_small, recrawl
from preserve.collection import Collection
from preserve.export import ExportOptions, export_collection


@pytest.fixture(scope="module")
def crawled(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Path]:
    yield crawl_small(tmp_path_factory.mktemp("ocfl") / "coll")


@pytest.fixture
def coll(crawled: Path, tmp_path: Path) -> Path:
    return copy_collection(crawled, tmp_path / "coll")


def validate(path: Path) -> str:
    done = tool("ocfl-validate.py", path)
    assert done.returncode == 0, done.stdout + done.stderr
    assert "is VALID" in done.stdout, done.stdout
    return done.stdout


def inventory(obj: Path) -> dict:  # type: ignore[type-arg]
    return json.loads((obj / "inventory.json").read_text())


def files(root: Path) -> set[str]:
    return {str(p.relative_to(root)) for p in root.rglob("*") if p.is_file()}


@pytest.mark.slow
def test_first_and_incremental_exports_validate(coll: Path, tmp_path: Path) -> None:
    obj = tmp_path / "object"
    first = cli("export", coll, "--format", "ocfl", "--output", obj)
    assert first.returncode == 0, first.stderr
    assert "version v1" in first.stdout
    validate(obj)
    v1 = inventory(obj)
    assert v1["head"] == "v1" and v1["digestAlgorithm"] == "sha512"
    assert v1["id"] == "urn:preserve:coll"
    assert (obj / "0=ocfl_object_1.1").read_text() == "ocfl_object_1.1\n"
    sidecar = (obj / "inventory.json.sha512").read_text()
    assert sidecar == f"{hashlib.sha512((obj / 'inventory.json').read_bytes()).hexdigest()}" \
        " inventory.json\n"
    v1_files = files(obj / "v1")
    old_warcs = {p.name for p in Collection(coll).closed_warcs()}

    recrawl(coll)
    new_warcs = {p.name for p in Collection(coll).closed_warcs()} - old_warcs
    assert new_warcs
    second = cli("export", coll, "--format", "ocfl", "--output", obj)
    assert second.returncode == 0, second.stderr
    assert "version v2" in second.stdout
    validate(obj)
    v2 = inventory(obj)
    assert v2["head"] == "v2"
    assert files(obj / "v1") == v1_files  # earlier versions are never changed
    content = {p.removeprefix("v2/content/") for p in files(obj) if p.startswith("v2/content/")}
    # Only what is new: the new WARCs and the collection files that changed.
    assert content == {*(f"warcs/{n}" for n in new_warcs), "events.jsonl",
                       "fixity/manifest-sha256.txt", "indexes/index.cdxj",
                       "pages/pages.jsonl"}
    for digest, paths in v2["manifest"].items():
        assert len(paths) == 1
        assert hashlib.sha512((obj / paths[0]).read_bytes()).hexdigest() == digest
    # The v2 state is the whole collection; an old WARC points at its v1 content.
    state = {p: d for d, paths in v2["versions"]["v2"]["state"].items() for p in paths}
    assert {p for p in state if p.startswith("warcs/")} == {
        f"warcs/{p.name}" for p in Collection(coll).closed_warcs()}
    old = f"warcs/{sorted(old_warcs)[0]}"
    assert v2["manifest"][state[old]] == [f"v1/content/{old}"]
    assert v2["versions"]["v1"] == v1["versions"]["v1"]


@pytest.mark.slow
def test_an_unchanged_collection_adds_no_version(coll: Path, tmp_path: Path) -> None:
    obj = tmp_path / "object"
    one = export_collection(Collection(coll), ExportOptions("ocfl", obj))
    assert one.version == "v1" and one.checked == len(Collection(coll).closed_warcs())
    before = {p: (obj / p).read_bytes() for p in files(obj)}
    two = export_collection(Collection(coll), ExportOptions("ocfl", obj))
    assert two.version is None and two.new_files == ()
    assert two.checked == 0  # every WARC was known by its SHA-256 from v1: not read again
    assert two.bytes < one.bytes
    assert {p: (obj / p).read_bytes() for p in files(obj)} == before
    result = cli("export", coll, "--format", "ocfl", "--output", obj)
    assert result.returncode == 0 and "unchanged" in result.stdout
    assert sorted(p.name for p in tmp_path.iterdir()) == ["coll", "object"]
    validate(obj)


@pytest.mark.slow
def test_storage_root_with_the_0004_layout(coll: Path, tmp_path: Path) -> None:
    toml = coll / "preserve.toml"
    # The worked example of the 0004-hashed-n-tuple-storage-layout specification.
    toml.write_text(toml.read_text().replace('title = "Test crawl"',
                                             'title = "Test crawl"\nidentifier = "object-01"'))
    root = tmp_path / "root"
    result = cli("export", coll, "--format", "ocfl", "--ocfl-root", root)
    assert result.returncode == 0, result.stderr
    assert (root / "0=ocfl_1.1").read_text() == "ocfl_1.1\n"
    layout = json.loads((root / "ocfl_layout.json").read_text())
    assert layout["extension"] == "0004-hashed-n-tuple-storage-layout"
    config = json.loads(
        (root / "extensions" / "0004-hashed-n-tuple-storage-layout" / "config.json").read_text())
    assert config == {"extensionName": "0004-hashed-n-tuple-storage-layout",
                      "digestAlgorithm": "sha256", "tupleSize": 3, "numberOfTuples": 3,
                      "shortObjectRoot": False}
    obj = root / "3c0/ff4/240/3c0ff4240c1e116dba14c7627f2319b58aa3d77606d0d90dfc6161608ac987d4"
    assert inventory(obj)["id"] == "object-01"
    validate(obj)
    # ocfl-py 2.1 implements the 0002 and 0003 layouts only, so the root's one complaint
    # is E071 (unknown layout); the root declaration before it is checked and passes.
    done = tool("ocfl-root.py", "validate", "--root", root)
    out = done.stdout + done.stderr
    assert done.returncode == 0 or (out.count("[E") == 1 and "[E071]" in out
                                    and "unknown layout 0004-hashed" in out), out
    # No file in the hierarchy outside the object (E072), nothing else at the top.
    outside = {p for p in files(root) if not p.startswith(str(obj.relative_to(root)))}
    assert outside == {"0=ocfl_1.1", "ocfl_layout.json",
                       "extensions/0004-hashed-n-tuple-storage-layout/config.json"}
    recrawl(coll)
    again = cli("export", coll, "--format", "ocfl", "--ocfl-root", root)
    assert again.returncode == 0, again.stderr
    assert inventory(obj)["head"] == "v2"
    validate(obj)


@pytest.mark.slow
def test_a_corrupted_warc_leaves_the_object_as_it_was(coll: Path, tmp_path: Path) -> None:
    obj = tmp_path / "object"
    export_collection(Collection(coll), ExportOptions("ocfl", obj))
    before = files(obj)
    recrawl(coll)
    new = sorted(set(Collection(coll).closed_warcs()))[-1]
    data = new.read_bytes()
    new.write_bytes(data[:-1] + bytes([data[-1] ^ 1]))
    result = cli("export", coll, "--format", "ocfl", "--output", obj)
    assert result.returncode == 1
    assert f"warcs/{new.name}" in result.stderr
    assert files(obj) == before and inventory(obj)["head"] == "v1"
    assert sorted(p.name for p in tmp_path.iterdir()) == ["coll", "object"]
    validate(obj)


def test_another_objects_directory_is_refused(coll: Path, tmp_path: Path) -> None:
    obj = tmp_path / "object"
    obj.mkdir()
    (obj / "file.txt").write_text("not an object")
    result = cli("export", coll, "--format", "ocfl", "--output", obj)
    assert result.returncode == 2
    assert "not an OCFL object" in result.stderr
    assert (obj / "file.txt").exists()


def test_a_failed_export_into_a_new_storage_root_leaves_nothing(coll: Path,
                                                                tmp_path: Path) -> None:
    warc = Collection(coll).closed_warcs()[0]
    data = warc.read_bytes()
    warc.write_bytes(data[:10] + bytes([data[10] ^ 1]) + data[11:])
    result = cli("export", coll, "--format", "ocfl", "--ocfl-root", tmp_path / "root")
    assert result.returncode == 1
    assert f"warcs/{warc.name}" in result.stderr
    assert sorted(p.name for p in tmp_path.iterdir()) == ["coll"]
    # In a root that was there before, the root stays, without the object's directories.
    warc.write_bytes(data)
    assert cli("export", coll, "--format", "ocfl", "--ocfl-root", tmp_path / "root",
               ).returncode == 0
    (coll / "preserve.toml").write_text((coll / "preserve.toml").read_text().replace(
        'title = "Test crawl"', 'title = "Test crawl"\nidentifier = "other"'))
    root = tmp_path / "root"
    before = {str(p.relative_to(root)) for p in root.rglob("*")}  # files and directories
    warc.write_bytes(data[:10] + bytes([data[10] ^ 1]) + data[11:])
    assert cli("export", coll, "--format", "ocfl", "--ocfl-root", root).returncode == 1
    assert {str(p.relative_to(root)) for p in root.rglob("*")} == before
