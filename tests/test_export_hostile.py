"""A collection made hostile by hand: export reads nothing outside it and writes nothing
outside DEST (issue #13).

Links (to a file outside, to /dev/zero), FIFOs, absolute and ``..`` paths in the fixity
manifest (with a forged ``file closed`` event to match), a linked ``warcs/`` directory,
an index line whose filename leaves ``warcs/``: each is refused with one line naming the
file, before anything is written, in every format. A DEST that is a symbolic link is
replaced, link and all; its target is untouched.
"""

from __future__ import annotations

import hashlib
import json
import os
import stat
from collections.abc import Callable, Iterator
from pathlib import Path

import pytest

from helpers_crawl import cli
from helpers_export import copy_collection, crawl_small
from preserve.collection import Collection
from preserve.errors import ExportError
from preserve.export import FORMATS, ExportOptions, export_collection

SECRET = b"root:x:0:0:root:/root:/bin/bash\n"  # what must never get into a package


@pytest.fixture(scope="module")
def crawled(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Path]:
    yield crawl_small(tmp_path_factory.mktemp("export-hostile") / "coll", articles=1)


@pytest.fixture
def coll(crawled: Path, tmp_path: Path) -> Path:
    return copy_collection(crawled, tmp_path / "coll")


def _list(coll: Path, rel: str, data: bytes) -> None:
    """A manifest line for ``rel`` with the digest of ``data``, and a forged event."""
    digest = hashlib.sha256(data).hexdigest()
    with open(coll / "fixity" / "manifest-sha256.txt", "a") as f:
        f.write(f"{digest}  {rel}\n")
    event = {"eventType": "file closed", "eventOutcome": "success", "linkingObject": rel,
             "data": {"sha256": digest, "size": len(data), "records": 1}}
    with open(coll / "events.jsonl", "a") as f:
        f.write(json.dumps(event) + "\n")


def _secret(tmp: Path) -> Path:
    secret = tmp / "secret.txt"
    secret.write_bytes(SECRET)
    return secret


def link_listed(coll: Path, tmp: Path) -> str:
    (coll / "warcs" / "evil.warc.gz").symlink_to(_secret(tmp))
    _list(coll, "warcs/evil.warc.gz", SECRET)
    return "warcs/evil.warc.gz: is a symbolic link"


def link_unlisted(coll: Path, tmp: Path) -> str:
    (coll / "warcs" / "evil.warc.gz").symlink_to(_secret(tmp))
    return "warcs/evil.warc.gz: is a symbolic link"


def link_to_dev_zero(coll: Path, tmp: Path) -> str:
    (coll / "warcs" / "zero.warc.gz").symlink_to("/dev/zero")
    _list(coll, "warcs/zero.warc.gz", b"")
    return "warcs/zero.warc.gz: is a symbolic link"


def fifo_listed(coll: Path, tmp: Path) -> str:
    os.mkfifo(coll / "warcs" / "pipe.warc.gz")
    _list(coll, "warcs/pipe.warc.gz", b"")
    return "warcs/pipe.warc.gz: is a FIFO"


def fifo_unlisted(coll: Path, tmp: Path) -> str:
    os.mkfifo(coll / "warcs" / "pipe.warc.gz")
    return "warcs/pipe.warc.gz: is a FIFO"


def device_listed(coll: Path, tmp: Path) -> str:
    try:  # a character device like /dev/zero, inside the collection
        os.mknod(coll / "warcs" / "dev.warc.gz", 0o600 | stat.S_IFCHR, os.makedev(1, 5))
    except PermissionError:
        pytest.skip("making a device node needs CAP_MKNOD")
    _list(coll, "warcs/dev.warc.gz", b"")
    return "warcs/dev.warc.gz: is a character device"


def absolute_path(coll: Path, tmp: Path) -> str:
    secret = _secret(tmp)
    _list(coll, str(secret), SECRET)
    return "an absolute path"


def dotdot_path(coll: Path, tmp: Path) -> str:
    (tmp / "outside.warc.gz").write_bytes(SECRET)
    _list(coll, "warcs/../../outside.warc.gz", SECRET)
    return "a path with '..'"


def linked_warcs_dir(coll: Path, tmp: Path) -> str:
    elsewhere = tmp / "elsewhere"
    (coll / "warcs").rename(elsewhere)
    (elsewhere / "evil.warc.gz").write_bytes(SECRET)
    _list(coll, "warcs/evil.warc.gz", SECRET)
    (coll / "warcs").symlink_to(elsewhere)
    return "coll/warcs: is a symbolic link"


def linked_own_file(coll: Path, tmp: Path) -> str:
    (coll / "events.jsonl").unlink()
    (coll / "events.jsonl").symlink_to(_secret(tmp))
    return "events.jsonl: is a symbolic link"


def linked_manifest(coll: Path, tmp: Path) -> str:
    (coll / "fixity" / "manifest-sha512.txt").symlink_to(_secret(tmp))
    return "manifest-sha512.txt: is a symbolic link"


def _index_filename(coll: Path, hostile: str) -> None:
    index = coll / "indexes" / "index.cdxj"
    lines = index.read_text(encoding="utf-8").splitlines(keepends=True)
    name = json.loads(lines[-1].split(" ", 2)[2])["filename"]
    lines[-1] = lines[-1].replace(json.dumps(name), json.dumps(hostile))
    index.write_text("".join(lines), encoding="utf-8")


def index_names_dotdot(coll: Path, tmp: Path) -> str:
    _index_filename(coll, "../../outside.warc.gz")
    return "its filename '../../outside.warc.gz' is a path with '..'"


def index_names_absolute(coll: Path, tmp: Path) -> str:
    _index_filename(coll, str(_secret(tmp)))
    return "is an absolute path, not the name of a file in warcs/"


CASES: list[Callable[[Path, Path], str]] = [
    link_listed, link_unlisted, link_to_dev_zero, fifo_listed, fifo_unlisted, device_listed,
    absolute_path, dotdot_path, linked_warcs_dir, linked_own_file, linked_manifest,
    index_names_dotdot, index_names_absolute]


def _tree(root: Path) -> list[str]:
    return sorted(str(p) for p in root.rglob("*"))


@pytest.mark.parametrize("fmt", FORMATS)
@pytest.mark.parametrize("case", CASES, ids=lambda c: c.__name__)
def test_a_hostile_collection_is_refused_and_nothing_written(
        coll: Path, tmp_path: Path, fmt: str, case: Callable[[Path, Path], str]) -> None:
    hostile = tmp_path / "hostile"
    hostile.mkdir()
    needle = case(coll, hostile)
    out = tmp_path / "out"
    out.mkdir()
    dest = out / "sub" / "package"
    dest.parent.mkdir()
    before = _tree(tmp_path)
    with pytest.raises(ExportError) as caught:
        export_collection(Collection.open(coll), ExportOptions(fmt, output=dest))  # type: ignore[arg-type]
    message = str(caught.value)
    assert needle in message and "\n" not in message, message
    assert _tree(tmp_path) == before  # nothing half-written, inside DEST's parent or out


@pytest.mark.parametrize("fmt", FORMATS)
def test_the_command_says_one_line_and_exits_2(coll: Path, tmp_path: Path, fmt: str) -> None:
    link_listed(coll, tmp_path)
    result = cli("export", coll, "--format", fmt, "-o", tmp_path / "package")
    assert result.returncode == 2, result.stdout + result.stderr
    assert result.stderr.startswith("preserve: error: ")
    assert len(result.stderr.strip().splitlines()) == 1, result.stderr
    assert "evil.warc.gz: is a symbolic link" in result.stderr
    assert not (tmp_path / "package").exists()
    assert sorted(p.name for p in tmp_path.iterdir()) == ["coll", "secret.txt"]


def _contains(path: Path, needle: bytes) -> bool:
    files = [path] if path.is_file() else [p for p in path.rglob("*") if p.is_file()]
    return any(needle in p.read_bytes() for p in files)


@pytest.mark.parametrize("fmt,serialise", [("bagit", None), ("bagit", "zip"),
                                           ("bagit", "tar"), ("wacz", None),
                                           ("ocfl", None)])
def test_a_dest_that_is_a_link_is_replaced_not_written_through(
        coll: Path, tmp_path: Path, fmt: str, serialise: str | None) -> None:
    directory = serialise is None and fmt != "wacz"
    target = tmp_path / "target"
    if directory:
        target.mkdir()
        (target / "keep.txt").write_bytes(SECRET)
    else:
        target.write_bytes(SECRET)
    link = tmp_path / "link"
    link.symlink_to(target)
    args = [coll, "--format", fmt, "-o", link, "--force"]
    result = cli("export", *args, *([f"--{serialise}"] if serialise else []))
    assert result.returncode == 0, result.stderr
    assert not link.is_symlink() and link.exists()
    assert (target / "keep.txt" if directory else target).read_bytes() == SECRET
    assert sorted(p.name for p in tmp_path.iterdir()) == ["coll", "link", "target"]
    assert not _contains(link, SECRET)


def test_an_ocfl_dest_that_is_a_link_needs_force(coll: Path, tmp_path: Path) -> None:
    first = tmp_path / "object"
    assert cli("export", coll, "--format", "ocfl", "-o", first).returncode == 0
    link = tmp_path / "link"
    link.symlink_to(first)
    result = cli("export", coll, "--format", "ocfl", "-o", link)
    assert result.returncode == 2
    assert "is a symbolic link; give --force" in result.stderr
    assert link.is_symlink()
