"""A package given to `preserve verify` is named as one: one line, exit status 2.

Verifying WACZ files, BagIt bags and OCFL objects is not built yet (issue #18); until it
is, such a path gets one line that says what it is, instead of WARC_NOT_WARC or "not a
collection".
"""

from __future__ import annotations

import zipfile
from pathlib import Path

import pytest

from helpers_crawl import cli
from preserve.verify.packages import package_kind


def wacz(path: Path) -> Path:
    with zipfile.ZipFile(path, "w") as z:
        z.writestr("datapackage.json", "{}")
        z.writestr("archive/data.warc.gz", b"")
    return path


def bag(path: Path) -> Path:
    (path / "data").mkdir(parents=True)
    (path / "bagit.txt").write_text("BagIt-Version: 1.0\nTag-File-Character-Encoding: "
                                    "UTF-8\n")
    return path


def ocfl(path: Path, namaste: str) -> Path:
    path.mkdir()
    (path / namaste).write_text(namaste[2:] + "\n")
    return path


@pytest.mark.parametrize(("make", "kind"), [
    (lambda d: wacz(d / "x.wacz"), "a WACZ file"),
    (lambda d: wacz(d / "x.zip"), "a WACZ file"),
    (lambda d: bag(d / "bag"), "a BagIt bag"),
    (lambda d: ocfl(d / "obj", "0=ocfl_object_1.1"), "an OCFL object"),
    (lambda d: ocfl(d / "root", "0=ocfl_1.1"), "an OCFL storage root"),
])
def test_a_package_is_named_in_one_line(tmp_path: Path, make: object, kind: str) -> None:
    path = make(tmp_path)  # type: ignore[operator]
    assert package_kind(path) == kind
    done = cli("verify", path)
    assert done.returncode == 2 and done.stdout == ""
    assert done.stderr.count("\n") == 1 and done.stderr.startswith("preserve: error: ")
    assert f"is {kind}: verifying packages is not supported yet" in done.stderr


def test_a_collection_and_a_warc_are_no_packages(tmp_path: Path) -> None:
    coll = bag(tmp_path / "coll")
    (coll / "preserve.toml").write_text("")
    assert package_kind(coll) is None
    warc = tmp_path / "x.warc.gz"
    warc.write_bytes(b"\x1f\x8b")
    assert package_kind(warc) is None
    assert package_kind(tmp_path / "missing.warc") is None
