"""``preserve status`` tells the truth, and a damaged state database has a way out.

A running crawl is named as running, with its process, never as something to resume
(which the lock would refuse); the counts of an unfinished crawl agree with what its
WARCs hold and are labelled; a missing collection gets advice that works for status; a
``--title`` that would be ignored is said to be; and a state database with damaged pages
is one line saying how to set it aside, after which the collection works again.
"""

from __future__ import annotations

import json
import signal
import subprocess
import sys
import time
from pathlib import Path
from typing import Any

import pytest
from warcio.archiveiterator import ArchiveIterator

from helpers_crawl import cli, crawl
from testsite import TestSite

pytestmark = pytest.mark.slow  # crawls, and damages a real state database

PRESERVE = [sys.executable, "-m", "preserve"]


def one_error_line(result: subprocess.CompletedProcess[str]) -> str:
    assert result.returncode == 2, (result.returncode, result.stdout, result.stderr)
    assert "Traceback" not in result.stderr
    lines = [line for line in result.stderr.splitlines() if line.strip()]
    assert len(lines) == 1, result.stderr
    assert lines[0].startswith("preserve: error: ")
    return lines[0]


def status_json(coll: Path) -> dict[str, Any]:
    result = cli("status", coll, "--json")
    assert result.returncode == 0, result.stderr
    info: dict[str, Any] = json.loads(result.stdout)
    return info


def captures(coll: Path) -> int:
    count = 0
    for path in sorted((coll / "warcs").glob("*.warc.gz")):
        with open(path, "rb") as f:
            count += sum(r.rec_type in ("response", "revisit") for r in ArchiveIterator(f))
    return count


def wait_until(condition: Any, proc: subprocess.Popen[str], timeout: float = 30) -> None:
    deadline = time.monotonic() + timeout
    while not condition():
        assert proc.poll() is None, proc.communicate()
        assert time.monotonic() < deadline, "timed out"
        time.sleep(0.02)


# -- a running crawl, then a stopped one ------------------------------------------------


def test_status_of_a_running_then_a_stopped_crawl(tmp_path: Path) -> None:
    coll = tmp_path / "c"
    with TestSite(articles=30, latency=0.05) as site:
        proc = subprocess.Popen([*PRESERVE, "crawl", str(coll), "--seed", site.url, "--delay",
                                 "0.05", "--quiet", "--json"], text=True,
                                stdout=subprocess.PIPE, stderr=subprocess.PIPE)
        try:
            wait_until(lambda: len(site.requests) >= 8, proc)
            text = cli("status", coll)
            info = status_json(coll)
            assert proc.poll() is None, "the crawl ended before status was asked"
        finally:
            proc.send_signal(signal.SIGTERM)
            out, err = proc.communicate(timeout=60)
    assert text.returncode == 0, text.stderr
    assert f"running     crawl 0001 (process {proc.pid})" in text.stdout, text.stdout
    assert "to resume" not in text.stdout
    running = info["unfinished"]
    assert (running["id"], running["running"], running["pid"]) == ("0001", True, proc.pid)
    assert info["locked_by"] == proc.pid

    # Stopped: resumable, with the captures its WARCs hold and the crawl said the same.
    summary = json.loads(out)
    assert summary["status"] == "interrupted", err
    text = cli("status", coll)
    info = status_json(coll)
    stopped = info["unfinished"]
    assert (stopped["running"], stopped["pid"], stopped["in_flight"]) == (False, None, 0)
    assert info["locked_by"] is None
    assert stopped["captured"] == summary["captured"] == captures(coll)
    assert stopped["queued"] > 0
    line = (f"unfinished  crawl 0001: {stopped['captured']} captured, {stopped['queued']} "
            f"queued; run `preserve crawl {coll}` to resume")
    assert line in text.stdout.splitlines(), text.stdout
    assert text.stdout.count(" captured") == 1, text.stdout  # one figure, not two that differ


def test_status_of_a_missing_collection_gives_advice_that_works(tmp_path: Path) -> None:
    line = one_error_line(cli("status", tmp_path / "nope"))
    assert "no such collection" in line
    assert "preserve init" in line and "or give --seed" not in line


def test_title_on_an_existing_collection_is_warned_about(tmp_path: Path) -> None:
    coll = tmp_path / "c"
    with TestSite(articles=2) as site:
        assert cli("init", coll, "--seed", site.url, "--title", "Old").returncode == 0
        before = (coll / "preserve.toml").read_bytes()
        result = cli("crawl", coll, "--title", "New", "--delay", "0", "--max-urls", "2", "-q")
        same = cli("crawl", coll, "--title", "Old", "--delay", "0", "--max-urls", "2", "-q")
    assert result.returncode == 0, result.stderr
    assert result.stderr.splitlines() == [
        f"preserve: warning: --title is used only when crawl creates the collection; {coll} "
        "keeps its title 'Old' (set [collection] title in its preserve.toml to change it)"]
    assert (coll / "preserve.toml").read_bytes() == before
    assert (same.returncode, same.stderr) == (0, "")


# -- a damaged state database -----------------------------------------------------------


def test_a_damaged_state_database_is_one_line_and_a_way_out(tmp_path: Path) -> None:
    with TestSite(articles=6) as site:
        coll, summary = crawl(tmp_path / "c", (site.url,))
        root = coll.root
        db = root / "state" / "state.sqlite3"
        assert not db.with_name("state.sqlite3-wal").exists()  # checkpointed on close
        data = bytearray(db.read_bytes())
        page = int.from_bytes(data[16:18], "big")
        assert len(data) >= 6 * page
        last = len(data) // page - 1
        for n in (3, last - 1):  # pages of tables, not the header and schema the open reads
            data[n * page: (n + 1) * page] = bytes(range(256)) * (page // 256)
        db.write_bytes(bytes(data))

        for args in (("status",), ("status", "--json"), ("crawls",), ("crawl",)):
            line = one_error_line(cli(*args, root))
            assert "crawl state is damaged" in line, line
            assert f"mv {root / 'state'} {root}.state-damaged)" in line
            assert "`preserve index`" in line

        # The way out it gives: set the state aside, rebuild from the WARCs, crawl again.
        (root / "state").rename(root.with_name("c.state-damaged"))
        assert cli("index", root).returncode == 0
        assert status_json(root)["crawls"] == []
        result = cli("crawl", root, "--delay", "0", "--json", "-q")
    assert result.returncode == 0, result.stderr
    again = json.loads(result.stdout)
    assert again["crawl"] == "0002"  # never 0001 twice: its log and WARCs are still there
    assert (root / "logs" / "crawl-0001.jsonl").stat().st_size > 0
    assert again["captured"] == summary.captured
    verify = cli("verify", root)
    assert verify.returncode == 0, verify.stdout + verify.stderr
