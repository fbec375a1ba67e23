"""An export records one ``package exported`` event, and a read-only collection is exported
all the same, saying in one line that the event could not be recorded (#13, #14).

The read-only collection is a real read-only bind mount, made in a private mount
namespace (``unshare``) around the one ``preserve export`` process, so nothing outside
the test sees it.
"""

from __future__ import annotations

import fcntl
import json
import os
import shutil
import subprocess
import sys
import tempfile
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest

from helpers_crawl import cli, tool
from helpers_export import copy_collection, crawl_small
from preserve.collection import Collection
from preserve.export import FORMATS, ExportOptions, export_collection
from preserve.export.ocfl import EXPORT_EVENT
from preserve.store.events import EventLog


@pytest.fixture(scope="module")
def crawled(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Path]:
    yield crawl_small(tmp_path_factory.mktemp("export-events") / "coll", articles=1)


@pytest.fixture
def coll(crawled: Path, tmp_path: Path) -> Path:
    return copy_collection(crawled, tmp_path / "coll")


def _events(coll: Path) -> list[dict[str, Any]]:
    return list(EventLog(coll / "events.jsonl").read())


def _dest(tmp: Path, fmt: str) -> Path:
    return tmp / ("package.wacz" if fmt == "wacz" else "package")


@pytest.mark.parametrize("fmt", FORMATS)
def test_an_export_appends_one_event(coll: Path, tmp_path: Path, fmt: str) -> None:
    before = _events(coll)
    dest = _dest(tmp_path, fmt)
    result = cli("export", coll, "--format", fmt, "-o", dest, "--json")
    assert result.returncode == 0, result.stderr
    assert result.stderr == ""
    out = json.loads(result.stdout)
    assert out["event_error"] is None
    after = _events(coll)
    assert after[:len(before)] == before and len(after) == len(before) + 1
    event = after[-1]
    assert event["eventType"] == EXPORT_EVENT == "package exported"
    assert event["eventOutcome"] == "success"
    assert event["linkingObject"] == "coll"
    assert str(dest) in event["eventOutcomeDetail"]
    data = event["data"]
    assert data["format"] == fmt and data["dest"] == str(dest)
    assert (data["files"], data["bytes"], data["checked"]) == (
        out["files"], out["bytes"], out["checked"])
    assert data["files"] > 0 and data["bytes"] > 0
    assert data["checked"] == len(Collection(coll).closed_warcs())
    if fmt == "ocfl":
        assert data["version"] == "v1" and data["new_files"] == data["files"]


def test_export_events_alone_add_no_ocfl_version(coll: Path, tmp_path: Path) -> None:
    obj = tmp_path / "object"
    one = export_collection(Collection(coll), ExportOptions("ocfl", obj))
    assert one.version == "v1"
    for _ in range(2):  # the events.jsonl in v1 lacks the export events since: no change
        again = export_collection(Collection(coll), ExportOptions("ocfl", obj))
        assert again.version is None
    events = [e for e in _events(coll) if e["eventType"] == EXPORT_EVENT]
    assert [e["data"]["version"] for e in events] == ["v1", None, None]
    EventLog(coll / "events.jsonl").append("fixity check", outcome="pass", obj="x")
    three = export_collection(Collection(coll), ExportOptions("ocfl", obj))
    assert three.version == "v2" and three.new_files == ("v2/content/events.jsonl",)
    assert three.event_error is None
    packaged = (obj / "v2" / "content" / "events.jsonl").read_bytes()
    assert packaged.count(b'"package exported"') == 3  # the earlier exports' events
    done = tool("ocfl-validate.py", obj)
    assert done.returncode == 0 and "is VALID" in done.stdout, done.stdout + done.stderr


def _unshare_works() -> bool:
    if shutil.which("unshare") is None:
        return False
    with tempfile.TemporaryDirectory() as probe:
        return subprocess.run(["unshare", "-rm", "mount", "--bind", probe, probe],
                              capture_output=True).returncode == 0


read_only_mounts = pytest.mark.skipif(
    not _unshare_works(), reason="needs unshare(1) with user and mount namespaces")


def _export_read_only(coll: Path, *args: str | Path) -> subprocess.CompletedProcess[str]:
    """``preserve export COLL ARGS`` with COLL mounted read-only for that process alone."""
    script = ('mount --bind "$1" "$1" && mount -o remount,bind,ro "$1" && shift && '
              'exec "$@"')
    env = {**os.environ, "PYTHONPATH": os.pathsep.join(sys.path)}
    return subprocess.run(
        ["unshare", "-rm", "sh", "-c", script, "sh", str(coll), sys.executable, "-m",
         "preserve", "export", str(coll), *map(str, args)],
        capture_output=True, text=True, timeout=60, stdin=subprocess.DEVNULL, env=env)


@read_only_mounts
@pytest.mark.parametrize("fmt", FORMATS)
def test_a_read_only_collection_is_exported_and_says_so(coll: Path, tmp_path: Path,
                                                         fmt: str) -> None:
    before = sorted((str(p), p.stat().st_mtime_ns) for p in coll.rglob("*"))
    dest = _dest(tmp_path, fmt)
    result = _export_read_only(coll, "--format", fmt, "-o", dest)
    assert result.returncode == 0, result.stderr
    lines = result.stderr.strip().splitlines()
    assert len(lines) == 1 and "Traceback" not in result.stderr, result.stderr
    assert lines[0].startswith("preserve: warning: the export is complete, but it is not "
                               "recorded in the collection's event log")
    assert "Read-only file system" in lines[0]
    assert dest.exists()
    assert sorted((str(p), p.stat().st_mtime_ns) for p in coll.rglob("*")) == before


@read_only_mounts
def test_a_read_only_collection_is_not_exported_during_a_crawl(coll: Path,
                                                               tmp_path: Path) -> None:
    fd = os.open(coll / "state" / "lock", os.O_RDWR)
    try:
        fcntl.flock(fd, fcntl.LOCK_EX)  # as a crawl holds it
        os.pwrite(fd, b"4242", 0)
        result = _export_read_only(coll, "--format", "bagit", "-o", tmp_path / "bag")
    finally:
        os.close(fd)
    assert result.returncode == 2, result.stderr
    assert "collection is in use by process 4242" in result.stderr
    assert len(result.stderr.strip().splitlines()) == 1
    assert not (tmp_path / "bag").exists()
