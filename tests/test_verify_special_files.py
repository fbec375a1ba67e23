"""Hostile files handed to verify (issue #13): FIFOs, devices and symbolic links.

Reading a FIFO blocks for ever and /dev/zero never ends, so each case runs
`preserve verify` (or `audit`) in a subprocess with a timeout: a hang fails the test.
Nothing but a regular file is opened, no link is followed, and each is reported with its
own code (or, given as an argument, refused with one line and exit 2).
"""

from __future__ import annotations

import hashlib
import json
import os
import shutil
import subprocess
from collections.abc import Iterator
from pathlib import Path

import pytest

from helpers_crawl import cli, crawl
from preserve.collection import Collection
from preserve.store.events import EventLog
from preserve.verify import verify_collection
from testsite import TestSite

TIMEOUT = 60.0


@pytest.fixture(scope="module")
def crawled(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Path]:
    root = tmp_path_factory.mktemp("special") / "coll"
    with TestSite(articles=2) as site:
        crawl(root, (site.url,), max_depth=2)
    assert verify_collection(Collection.open(root), record=False).findings == []
    yield root


@pytest.fixture
def coll(crawled: Path, tmp_path: Path) -> Path:
    copy = tmp_path / "coll"
    shutil.copytree(crawled, copy, symlinks=True)
    return copy


def verify(*args: str | Path) -> tuple[subprocess.CompletedProcess[str], dict[str, set[str]]]:
    """`preserve verify --json ARGS` (it must end within TIMEOUT); file -> finding codes."""
    result = cli("verify", "--json", *args, timeout=TIMEOUT)
    codes: dict[str, set[str]] = {}
    if result.stdout:
        for f in json.loads(result.stdout)["findings"]:
            codes.setdefault(f["file"], set()).add(f["code"])
    return result, codes


def first_warc(root: Path) -> Path:
    return Collection(root).closed_warcs()[0]


def test_a_fifo_given_as_an_argument_is_one_error_line(tmp_path: Path) -> None:
    fifo = tmp_path / "pipe.warc.gz"
    os.mkfifo(fifo)
    result = cli("verify", fifo, timeout=TIMEOUT)
    assert result.returncode == 2
    lines = result.stderr.strip().splitlines()
    assert len(lines) == 1 and lines[0].startswith("preserve: error:"), result.stderr
    assert "FIFO" in lines[0] and str(fifo) in lines[0]
    assert "Traceback" not in result.stderr


def test_a_link_to_dev_zero_given_as_an_argument_is_refused(tmp_path: Path) -> None:
    link = tmp_path / "zero.warc.gz"
    link.symlink_to("/dev/zero")
    result = cli("verify", link, timeout=TIMEOUT)
    assert result.returncode == 2
    assert result.stderr.count("\n") == 1 and "character device" in result.stderr


def test_a_fifo_in_warcs_is_reported_not_read(coll: Path) -> None:
    os.mkfifo(coll / "warcs" / "zz-pipe.warc.gz")
    result, codes = verify(coll)
    assert result.returncode == 1, result.stderr
    assert codes == {"warcs/zz-pipe.warc.gz": {"FILE_NOT_REGULAR"}}


def test_a_listed_warc_replaced_by_a_link_to_dev_zero(coll: Path) -> None:
    warc = first_warc(coll)
    warc.unlink()
    warc.symlink_to("/dev/zero")
    result, codes = verify(coll)
    assert result.returncode == 1, result.stderr
    rel = Collection(coll).rel(warc)
    assert codes.pop(rel) == {"FILE_SYMLINK"}
    # Its index lines name a WARC that exists but was not read: checked for form only.
    assert codes == {}
    f = next(f for f in json.loads(result.stdout)["findings"] if f["file"] == rel)
    assert "/dev/zero" in f["message"]


def test_a_link_out_of_the_collection_is_never_followed(coll: Path, tmp_path: Path) -> None:
    """The link leads to a FIFO outside: if verify followed it, it would hang."""
    outside = tmp_path / "outside"
    outside.mkdir()
    os.mkfifo(outside / "trap")
    warc = first_warc(coll)
    shutil.move(warc, outside / warc.name)
    warc.symlink_to(outside / "trap")
    result, codes = verify(coll)
    assert result.returncode == 1
    assert codes[Collection(coll).rel(warc)] == {"FILE_SYMLINK"}


@pytest.mark.slow  # a verify in a child process
def test_manifest_paths_out_of_the_collection_are_never_opened(coll: Path,
                                                               tmp_path: Path) -> None:
    """Manifest lines and chained `file closed` events (as a forger with preserve's own
    library writes them) name a FIFO outside, absolute and by `..`: opened, it would hang."""
    outside = tmp_path / "outside"
    outside.mkdir()
    os.mkfifo(outside / "trap.warc.gz")
    rels = [str(outside / "trap.warc.gz"), "warcs/../../outside/trap.warc.gz"]
    digest = hashlib.sha256(b"").hexdigest()
    for rel in rels:
        with open(coll / "fixity" / "manifest-sha256.txt", "a") as f:
            f.write(f"{digest}  {rel}\n")
        EventLog(Collection(coll).events_path).append(
            "file closed", obj=rel, data={"sha256": digest, "size": 0, "records": 0})
    result, codes = verify(coll)
    assert result.returncode == 1, result.stderr
    assert codes.pop("fixity/manifest-sha256.txt") == {"MANIFEST_MALFORMED"}
    assert set(codes) <= set(rels) and set().union(*codes.values()) <= {"FILE_MISSING"}, codes


def test_a_linked_directory_is_reported_once(coll: Path, tmp_path: Path) -> None:
    shutil.move(coll / "warcs", tmp_path / "warcs-elsewhere")
    (coll / "warcs").symlink_to(tmp_path / "warcs-elsewhere")
    result, codes = verify(coll)
    assert result.returncode == 1
    assert codes.pop("warcs") == {"FILE_SYMLINK"}
    assert all(not f.startswith("warcs/") for f in codes), codes


@pytest.mark.parametrize("rel", ["events.jsonl", "fixity/manifest-sha256.txt",
                                 "indexes/index.cdxj", "pages/pages.jsonl"])
def test_collection_files_replaced_by_fifos(coll: Path, rel: str) -> None:
    (coll / rel).unlink()
    os.mkfifo(coll / rel)
    result, codes = verify(coll)
    assert result.returncode == 1, result.stderr
    assert "FILE_NOT_REGULAR" in codes[rel]
    assert "Traceback" not in result.stderr


def test_events_replaced_by_a_fifo_is_not_written_to(coll: Path) -> None:
    events = coll / "events.jsonl"
    events.unlink()
    os.mkfifo(events)
    result, codes = verify(coll)
    assert codes["events.jsonl"] == {"FILE_NOT_REGULAR", "EVENTS_NOT_RECORDED"}
    audit = cli("audit", coll, timeout=TIMEOUT)
    assert audit.returncode == 1
    assert audit.stderr.startswith("preserve: error:") and audit.stderr.count("\n") == 1


def test_audit_names_the_fifo_as_failed(coll: Path) -> None:
    os.mkfifo(coll / "warcs" / "zz-pipe.warc.gz")
    verify(coll)
    result = cli("audit", "--json", coll, timeout=TIMEOUT)
    assert result.returncode == 1
    status = {e["path"]: e["status"] for e in json.loads(result.stdout)}
    assert status["warcs/zz-pipe.warc.gz"] == "failed"


def test_the_lock_is_never_taken_through_a_link(coll: Path, tmp_path: Path) -> None:
    victim = tmp_path / "victim.txt"
    victim.write_text("keep me\n")
    lock = Collection(coll).lock_path
    lock.unlink(missing_ok=True)
    lock.symlink_to(victim)
    result = cli("verify", coll, timeout=TIMEOUT)
    assert result.returncode == 2
    assert result.stderr.count("\n") == 1 and "symbolic link" in result.stderr
    assert victim.read_text() == "keep me\n"
