"""A package given to `preserve verify` is recognised as one and verified by its own
rules (verify/packages.py dispatches), never taken for a broken WARC or "not a
collection". The kinds' own suites are in test_verify_bag.py, _ocfl.py and _wacz.py.
"""

from __future__ import annotations

import json
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
def test_a_package_is_recognised_not_taken_for_a_warc(tmp_path: Path, make: object,
                                                       kind: str) -> None:
    path = make(tmp_path)  # type: ignore[operator]
    assert package_kind(path) == kind
    done = cli("verify", "--json", path)
    assert done.stderr == "" or "Traceback" not in done.stderr
    # (A WARC inside a WACZ may be found no WARC; the package itself must not be.)
    codes = {f["code"] for f in json.loads(done.stdout)["findings"] if f["file"] == str(path)}
    assert "WARC_NOT_WARC" not in codes and done.returncode in (0, 1)


def test_a_collection_and_a_warc_are_no_packages(tmp_path: Path) -> None:
    coll = bag(tmp_path / "coll")
    (coll / "preserve.toml").write_text("")
    assert package_kind(coll) is None
    warc = tmp_path / "x.warc.gz"
    warc.write_bytes(b"\x1f\x8b")
    assert package_kind(warc) is None
    assert package_kind(tmp_path / "missing.warc") is None
