"""Bad export input: one line on stderr naming the problem, exit status 2, nothing written."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path

import pytest

from helpers_crawl import cli
from helpers_export import copy_collection, crawl_small


@pytest.fixture(scope="module")
def crawled(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Path]:
    yield crawl_small(tmp_path_factory.mktemp("export-errors") / "coll", articles=1)


@pytest.fixture
def coll(crawled: Path, tmp_path: Path) -> Path:
    return copy_collection(crawled, tmp_path / "coll")


def _fails(args: list[str | Path], *needles: str) -> str:
    result = cli("export", *args)
    assert result.returncode == 2, result.stdout + result.stderr
    assert "Traceback" not in result.stderr
    lines = result.stderr.strip().splitlines()
    assert len(lines) == 1, result.stderr
    for needle in needles:
        assert needle in lines[0], lines[0]
    return lines[0]


def _cases(coll: Path, tmp: Path) -> list[tuple[list[str | Path], tuple[str, ...]]]:
    a_file = tmp / "a-file"
    a_file.write_text("x")
    return [
        ([coll, "--format", "tarball", "-o", tmp / "out"], ("unknown format 'tarball'",)),
        ([coll, "--format", "bagit", "-o", coll / "bag"], ("inside the collection",)),
        ([coll, "--format", "bagit", "-o", coll / "warcs" / "x"], ("inside the collection",)),
        ([coll, "--format", "bagit", "-o", coll], ("inside the collection",)),
        ([coll, "--format", "bagit", "-o", tmp, "--force"], ("contains the collection",)),
        ([coll, "--format", "bagit", "-o", a_file / "bag"], ("cannot write here",)),
        ([coll, "--format", "bagit", "-o", tmp / "missing" / "bag"], ("cannot write here",)),
        ([coll, "--format", "bagit", "-o", "/proc/preserve-export-test"], ("cannot write",)),
        ([coll, "--format", "wacz", "--zip", "-o", tmp / "x.wacz"], ("--format bagit",)),
        ([coll, "--format", "bagit", "--ocfl-root", tmp / "r"], ("--format ocfl",)),
        ([coll, "--format", "bagit"], ("--output",)),
        ([tmp / "nothing", "--format", "bagit", "-o", tmp / "out"], ("no such collection",)),
        ([coll, "--format", "bagit", "--tar", "--zip", "-o", tmp / "x.tar"],
         ("either --zip or --tar, not both",)),
        ([coll, "--format", "bagit", "--zip", "--tar", "-o", tmp / "x.zip"],
         ("either --zip or --tar, not both",)),
        ([coll, "--format", "bagit", "--zip", "-o", tmp / "x.tar"],
         ("x.tar: ends in .tar, but this export writes a ZIP file", "ending in .zip")),
        ([coll, "--format", "bagit", "--tar", "-o", tmp / "x.tar.gz"],
         ("ends in .gz, but this export writes an uncompressed tar file", ".tar")),
        ([coll, "--format", "bagit", "-o", tmp / "bag.zip"],
         ("ends in .zip, but this export writes a directory",)),
        ([coll, "--format", "wacz", "-o", tmp / "x.zip"], ("writes a WACZ file", ".wacz")),
        ([coll, "--format", "ocfl", "-o", tmp / "x.tar"], ("writes a directory",)),
        ([coll, "--format", "bagit", "-o", tmp / "b", "--user-address", "mailto:a@b.example"],
         ("--user-address is for --format ocfl",)),
        ([coll, "--format", "ocfl", "-o", tmp / "o", "--user-address", "Ada Archivist"],
         ("'Ada Archivist' is not a URI", "mailto:")),
    ]


@pytest.mark.slow
def test_bad_input_is_one_line_and_exit_2(coll: Path, tmp_path: Path) -> None:
    before = sorted(p.name for p in tmp_path.iterdir())
    inside = sorted(str(p) for p in coll.rglob("*"))
    for args, needles in _cases(coll, tmp_path):
        _fails(args, *needles)
    assert sorted(p.name for p in tmp_path.iterdir()) == sorted([*before, "a-file"])
    assert sorted(str(p) for p in coll.rglob("*")) == inside  # nothing written into it


def test_a_warc_missing_from_the_manifest_stops_the_export(coll: Path, tmp_path: Path) -> None:
    manifest = coll / "fixity" / "manifest-sha256.txt"
    lines = manifest.read_text().splitlines(keepends=True)
    manifest.write_text("".join(lines[1:]))
    result = cli("export", coll, "--format", "bagit", "-o", tmp_path / "bag")
    assert result.returncode == 1
    assert "no line in the fixity manifest" in result.stderr
    assert lines[0].split("  ")[1].strip() in result.stderr
    assert not (tmp_path / "bag").exists()


def test_a_listed_warc_that_is_missing_stops_the_export(coll: Path, tmp_path: Path) -> None:
    warc = sorted((coll / "warcs").iterdir())[0]
    warc.unlink()
    result = cli("export", coll, "--format", "wacz", "-o", tmp_path / "c.wacz")
    assert result.returncode == 1
    assert f"warcs/{warc.name}: is listed in the fixity manifest but missing" in result.stderr
    assert sorted(p.name for p in tmp_path.iterdir()) == ["coll"]


def test_include_normalised_without_normalised_output(coll: Path, tmp_path: Path) -> None:
    _fails([coll, "--format", "bagit", "-o", tmp_path / "bag", "--include", "normalised"],
           "preserve normalise")
