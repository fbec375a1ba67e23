"""Read-only collections (issue #13): verify and export work, the rest say what they need.

The collection is made read-only for real: as root (who ignores permissions) through a
read-only bind mount in a private mount namespace (`unshare -m`), otherwise by taking
away write permission. Before, every command gave a traceback
(`OSError: [Errno 30] Read-only file system: '.../state/lock'`).
"""

from __future__ import annotations

import fcntl
import hashlib
import json
import os
import shutil
import stat
import subprocess
import sys
from collections.abc import Iterator
from pathlib import Path

import pytest

from helpers_crawl import cli, crawl
from preserve.collection import Collection
from testsite import TestSite

TIMEOUT = 60.0
_MOUNT = ('mount --bind "$1" "$2" && mount -o remount,bind,ro "$2" || exit 97; '
          'shift 2; exec "$@"')


def _unshare_works(tmp: Path) -> str | None:
    """None if a read-only bind mount can be made here, else why not."""
    if shutil.which("unshare") is None:
        return "no unshare(1)"
    (tmp / "probe-src").mkdir()
    (tmp / "probe-mnt").mkdir()
    probe = subprocess.run(["unshare", "-m", "sh", "-c", _MOUNT, "sh", tmp / "probe-src",
                            tmp / "probe-mnt", "sh", "-c", 'touch "$0/x"',
                            tmp / "probe-mnt"],
                           capture_output=True, text=True, timeout=TIMEOUT)
    if probe.returncode == 97:
        return f"cannot make a read-only bind mount ({probe.stderr.strip()})"
    if probe.returncode == 0:
        return "the bind mount was not read-only"
    return None


class ReadOnly:
    """Runs `preserve` on a read-only view of ``root`` at ``view``."""

    def __init__(self, root: Path, view: Path) -> None:
        self.root, self.view = root, view
        self.as_root = os.geteuid() == 0

    def __call__(self, *args: str | Path) -> subprocess.CompletedProcess[str]:
        command = [sys.executable, "-m", "preserve", *map(str, args)]
        if self.as_root:
            command = ["unshare", "-m", "sh", "-c", _MOUNT, "sh", str(self.root),
                       str(self.view), *command]
        return subprocess.run(command, capture_output=True, text=True, timeout=TIMEOUT,
                              stdin=subprocess.DEVNULL)


def _tree(root: Path) -> dict[str, str]:
    return {p.relative_to(root).as_posix(): hashlib.sha256(p.read_bytes()).hexdigest()
            for p in sorted(root.rglob("*")) if p.is_file()}


@pytest.fixture(scope="module")
def crawled(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Path]:
    root = tmp_path_factory.mktemp("readonly") / "coll"
    with TestSite(articles=2) as site:
        crawl(root, (site.url,), max_depth=2)
    assert cli("verify", root).returncode == 0  # a baseline in the audit trail
    yield root


@pytest.fixture
def ro(crawled: Path, tmp_path: Path) -> Iterator[ReadOnly]:
    copy = tmp_path / "coll"
    shutil.copytree(crawled, copy)
    view = tmp_path / "view"
    view.mkdir()
    runner = ReadOnly(copy, view)
    if runner.as_root:
        why = _unshare_works(tmp_path)
        if why is not None:
            pytest.skip(f"running as root, and {why}: no way to make a real read-only "
                        "collection here")
        yield runner
        return
    runner.view = copy  # not root: permissions are honoured
    modes = {p: p.stat().st_mode for p in [copy, *copy.rglob("*")]}
    for p in modes:
        p.chmod(modes[p] & ~(stat.S_IWUSR | stat.S_IWGRP | stat.S_IWOTH))
    try:
        yield runner
    finally:
        for p, mode in sorted(modes.items(), key=lambda kv: len(kv[0].parts)):
            p.chmod(mode)


def test_verify_works_and_says_nothing_was_recorded(ro: ReadOnly) -> None:
    before = _tree(ro.root)
    result = ro("verify", ro.view)
    assert result.returncode == 0, result.stdout + result.stderr
    assert "Traceback" not in result.stderr
    warning = [line for line in result.stdout.splitlines() if "EVENTS_NOT_RECORDED" in line]
    assert len(warning) == 1 and "shared lock" in warning[0], result.stdout
    assert _tree(ro.root) == before


def test_verify_json_still_finds_damage(ro: ReadOnly) -> None:
    warc = Collection(ro.root).closed_warcs()[0]
    mode = warc.stat().st_mode
    warc.chmod(mode | stat.S_IWUSR)
    with open(warc, "r+b") as f:
        f.seek(200)
        byte = f.read(1)
        f.seek(200)
        f.write(bytes([byte[0] ^ 1]))
    warc.chmod(mode)
    result = ro("verify", "--json", ro.view)
    assert result.returncode == 1, result.stderr
    report = json.loads(result.stdout)
    codes = {f["code"] for f in report["findings"]}
    assert "FIXITY_MISMATCH" in codes and "EVENTS_NOT_RECORDED" in codes


def test_audit_and_export_work(ro: ReadOnly, tmp_path: Path) -> None:
    assert ro("audit", ro.view).returncode == 0
    out = tmp_path / "bag"
    result = ro("export", ro.view, "--format", "bagit", "-o", out)
    assert result.returncode == 0, result.stderr
    assert (out / "bagit.txt").is_file()


@pytest.mark.parametrize("command", [("index",), ("normalise",), ("crawl",)])
def test_commands_that_write_say_so_in_one_line(ro: ReadOnly,
                                                command: tuple[str, ...]) -> None:
    before = _tree(ro.root)
    result = ro(*command, ro.view)
    assert result.returncode == 2, result.stdout + result.stderr
    lines = result.stderr.strip().splitlines()
    assert len(lines) == 1 and lines[0].startswith("preserve: error:"), result.stderr
    assert "writable" in lines[0]
    assert _tree(ro.root) == before


def test_a_read_only_verify_never_runs_beside_a_crawl(ro: ReadOnly) -> None:
    """The shared lock still meets a crawl's exclusive one (same file, through the mount).
    The crawl is played by an exclusive flock taken here on the lock file."""
    fd = os.open(Collection(ro.root).lock_path, os.O_RDONLY)
    try:
        fcntl.flock(fd, fcntl.LOCK_EX)
        result = ro("verify", ro.view)
    finally:
        os.close(fd)
    assert result.returncode == 2
    assert "in use" in result.stderr and result.stderr.count("\n") == 1
