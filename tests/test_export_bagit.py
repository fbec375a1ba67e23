"""BagIt export: bagit.py (the Library of Congress validator) accepts our bags.

One small crawl is exported in each test to a fresh destination; damage made to the
bag after export must make bagit.py fail, and damage to the collection must stop the
export with nothing written.
"""

from __future__ import annotations

import tarfile
import zipfile
from collections.abc import Iterator
from pathlib import Path

import pytest

from helpers_crawl import cli
from helpers_export import bagit_validate, copy_collection, crawl_small
from preserve.collection import Collection
from preserve.errors import FixityMismatch
from preserve.export import ExportOptions, export_collection


@pytest.fixture(scope="module")
def crawled(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Path]:
    yield crawl_small(tmp_path_factory.mktemp("export") / "coll")


@pytest.fixture
def coll(crawled: Path, tmp_path: Path) -> Path:
    return copy_collection(crawled, tmp_path / "coll")


def _payload(coll: Path) -> set[str]:
    c = Collection(coll)
    return {*(f"data/warcs/{p.name}" for p in c.closed_warcs()), "data/preserve.toml",
            "data/events.jsonl", "data/fixity/manifest-sha256.txt",
            "data/indexes/index.cdxj", "data/pages/pages.jsonl"}


def test_bag_validates_and_holds_the_collection(coll: Path, tmp_path: Path) -> None:
    bag = tmp_path / "bag"
    result = cli("export", coll, "--format", "bagit", "--output", bag)
    assert result.returncode == 0, result.stderr
    status, output = bagit_validate(bag)
    assert status == 0, output
    assert "bag is valid" in output
    assert (bag / "bagit.txt").read_text() == (
        "BagIt-Version: 1.0\nTag-File-Character-Encoding: UTF-8\n")
    files = {str(p.relative_to(bag)) for p in bag.rglob("*") if p.is_file()}
    assert {str(p) for p in files if p.startswith("data/")} == _payload(coll)
    for name in ("manifest-sha256.txt", "manifest-sha512.txt", "tagmanifest-sha256.txt",
                 "tagmanifest-sha512.txt", "bag-info.txt"):
        assert name in files
    # The WARCs are byte for byte the collection's.
    for warc in Collection(coll).closed_warcs():
        assert (bag / "data" / "warcs" / warc.name).read_bytes() == warc.read_bytes()
    # The collection's own manifest lines are the bag's, for the WARCs.
    ours = set((coll / "fixity" / "manifest-sha256.txt").read_text().splitlines())
    bags = {line.replace("  data/", "  ", 1)
            for line in (bag / "manifest-sha256.txt").read_text().splitlines()}
    assert ours <= bags


def test_bag_info_carries_the_description(coll: Path, tmp_path: Path) -> None:
    toml = coll / "preserve.toml"
    toml.write_text(toml.read_text().replace(
        'title = "Test crawl"',
        'title = "Test crawl"\npublisher = "Parliament Library"\n'
        'identifier = "hdl:1234/5678"\ndescription = "The test site"'))
    export_collection(Collection(coll), ExportOptions("bagit", tmp_path / "bag"))
    info = dict(line.split(": ", 1)
                for line in (tmp_path / "bag" / "bag-info.txt").read_text().splitlines())
    assert info["Source-Organization"] == "Parliament Library"
    assert info["Contact-Name"] == "Web Archive Team"
    assert info["Contact-Email"] == "web@library.example"
    assert info["External-Description"] == "The test site"
    assert info["External-Identifier"] == "hdl:1234/5678"
    assert info["DC-Title"] == "Test crawl"
    assert info["DC-Publisher"] == "Parliament Library"
    assert len(info["Bagging-Date"]) == 10
    payload = [p for p in (tmp_path / "bag" / "data").rglob("*") if p.is_file()]
    assert info["Payload-Oxum"] == f"{sum(p.stat().st_size for p in payload)}.{len(payload)}"
    assert info["Bag-Size"].endswith("KB")
    assert bagit_validate(tmp_path / "bag")[0] == 0


def test_a_payload_byte_changed_after_export_fails_validation(coll: Path,
                                                               tmp_path: Path) -> None:
    bag = tmp_path / "bag"
    export_collection(Collection(coll), ExportOptions("bagit", bag))
    warc = sorted((bag / "data" / "warcs").iterdir())[0]
    data = bytearray(warc.read_bytes())
    data[len(data) // 2] ^= 0x01
    warc.write_bytes(bytes(data))
    status, output = bagit_validate(bag)
    assert status != 0
    assert warc.name in output


def test_normalised_output_is_included_when_asked(coll: Path, tmp_path: Path) -> None:
    (coll / "normalised").mkdir()
    (coll / "normalised" / "articles.jsonl").write_text('{"url": "x"}\n')
    result = cli("export", coll, "--format", "bagit", "--output", tmp_path / "bag",
                 "--include", "normalised")
    assert result.returncode == 0, result.stderr
    assert (tmp_path / "bag" / "data" / "normalised" / "articles.jsonl").is_file()
    assert bagit_validate(tmp_path / "bag")[0] == 0


@pytest.mark.parametrize("flag", ["--zip", "--tar"])
def test_serialised_bag_unpacks_to_a_valid_bag(coll: Path, tmp_path: Path, flag: str) -> None:
    dest = tmp_path / f"deposit{flag.replace('--', '.')}"
    result = cli("export", coll, "--format", "bagit", flag, "--output", dest)
    assert result.returncode == 0, result.stderr
    unpacked = tmp_path / "unpacked"
    if flag == "--zip":
        with zipfile.ZipFile(dest) as z:
            assert {i.compress_type for i in z.infolist()
                    if i.filename.startswith("deposit/data/warcs/")} == {zipfile.ZIP_STORED}
            z.extractall(unpacked)
    else:
        with tarfile.open(dest) as t:
            t.extractall(unpacked, filter="data")
    assert [p.name for p in unpacked.iterdir()] == ["deposit"]  # one top-level directory
    status, output = bagit_validate(unpacked / "deposit")
    assert status == 0, output


def test_a_corrupted_warc_aborts_with_its_name_and_leaves_nothing(coll: Path,
                                                                  tmp_path: Path) -> None:
    warc = Collection(coll).closed_warcs()[1]
    data = bytearray(warc.read_bytes())
    data[100] ^= 0x40
    warc.write_bytes(bytes(data))
    for args in ([], ["--zip"]):
        dest = tmp_path / "bag"
        result = cli("export", coll, "--format", "bagit", *args, "--output", dest)
        assert result.returncode == 1
        assert f"warcs/{warc.name}" in result.stderr
        assert "Traceback" not in result.stderr
        assert len(result.stderr.strip().splitlines()) == 1
        assert list(tmp_path.iterdir()) == [coll]  # no bag, no temporary left beside it
    with pytest.raises(FixityMismatch) as caught:
        export_collection(Collection(coll), ExportOptions("bagit", tmp_path / "bag"))
    assert caught.value.path == f"warcs/{warc.name}"
    assert caught.value.algorithm == "sha256"
    assert caught.value.expected != caught.value.found


def test_a_failed_forced_export_keeps_the_previous_package(coll: Path, tmp_path: Path) -> None:
    bag = tmp_path / "bag"
    export_collection(Collection(coll), ExportOptions("bagit", bag))
    before = (bag / "manifest-sha256.txt").read_bytes()
    warc = Collection(coll).closed_warcs()[0]
    warc.write_bytes(warc.read_bytes()[:-10])
    result = cli("export", coll, "--format", "bagit", "--output", bag, "--force")
    assert result.returncode == 1
    assert (bag / "manifest-sha256.txt").read_bytes() == before
    assert sorted(p.name for p in tmp_path.iterdir()) == ["bag", "coll"]


def test_existing_dest_is_refused_unless_forced(coll: Path, tmp_path: Path) -> None:
    bag = tmp_path / "bag"
    assert cli("export", coll, "--format", "bagit", "-o", bag).returncode == 0
    again = cli("export", coll, "--format", "bagit", "-o", bag)
    assert again.returncode == 2
    assert "already exists" in again.stderr and "--force" in again.stderr
    forced = cli("export", coll, "--format", "bagit", "-o", bag, "--force")
    assert forced.returncode == 0, forced.stderr
    assert bagit_validate(bag)[0] == 0
    assert sorted(p.name for p in tmp_path.iterdir()) == ["bag", "coll"]


def test_progress_reports_every_byte_read(coll: Path, tmp_path: Path) -> None:
    seen: list[tuple[int, int]] = []
    result = export_collection(Collection(coll), ExportOptions("bagit", tmp_path / "bag"),
                               on_progress=lambda done, total: seen.append((done, total)))
    assert seen and [d for d, _ in seen] == sorted(d for d, _ in seen)
    assert seen[-1] == (result.bytes, result.bytes)
