"""SIGTERM to `preserve schedule run-due` (systemctl stop, a shutdown) while a crawl job runs.

The crawl stops gracefully and stays resumable, no further job starts, the stopped job is
a `schedule interrupted` event (not a `schedule run`), so it is still due: the next
run-due resumes the same crawl and records the run.
"""

from __future__ import annotations

import json
import signal
import subprocess
import sys
import time
from datetime import UTC, datetime, timedelta
from pathlib import Path

import pytest

from helpers_crawl import cli
from helpers_schedule import make_collection
from testsite import TestSite

SCHEDULES = """
[[schedule]]
cron = "* * * * *"
action = "crawl"

[[schedule]]
cron = "* * * * *"
action = "verify"
"""

# A crawl job in a child process, signalled and then resumed: seconds, not milliseconds.
pytestmark = pytest.mark.slow


def _events(root: Path) -> list[dict[str, object]]:
    path = root / "events.jsonl"
    lines = path.read_text(encoding="utf-8").splitlines() if path.exists() else []
    return [json.loads(line) for line in lines if line.strip()]


def _types(root: Path) -> list[object]:
    return [e.get("eventType") for e in _events(root)]


def test_sigterm_stops_the_crawl_job_which_stays_due_and_resumes(tmp_path: Path) -> None:
    with TestSite(articles=12, latency=0.05) as site:
        coll = make_collection(tmp_path / "c", SCHEDULES, seeds=(site.url,), delay=0.0,
                               concurrency=1,
                               since=datetime.now(UTC) - timedelta(hours=1))
        proc = subprocess.Popen([sys.executable, "-m", "preserve", "schedule", "run-due",
                                 str(coll.root)], stdout=subprocess.PIPE,
                                stderr=subprocess.PIPE, text=True, stdin=subprocess.DEVNULL)
        deadline = time.monotonic() + 60
        while "crawl started" not in _types(coll.root) or len(site.requests) < 10:
            assert proc.poll() is None and time.monotonic() < deadline, proc.communicate()
            time.sleep(0.05)
        try:
            proc.send_signal(signal.SIGTERM)
            out, err = proc.communicate(timeout=60)
        finally:
            proc.kill()
            proc.wait()
        assert proc.returncode == 1, (out, err)
        assert "Traceback" not in err
        assert "stopping" in err and "interrupted" in out, (out, err)
        types = _types(coll.root)
        assert "schedule interrupted" in types and "schedule run" not in types, types
        assert "crawl stopped" in types
        assert "fixity check" not in types  # the verify job after it did not start
        stopped = next(e for e in _events(coll.root) if e.get("eventType") == "crawl stopped")
        interrupted = next(e for e in _events(coll.root)
                           if e.get("eventType") == "schedule interrupted")
        assert interrupted["crawl"] == stopped["crawl"]  # names the crawl it stopped

        again = cli("schedule", "run-due", coll.root, timeout=180)
    assert again.returncode == 0, again.stdout + again.stderr
    runs = [e for e in _events(coll.root) if e.get("eventType") == "schedule run"]
    assert [r["data"]["action"] for r in runs] == ["crawl", "verify"]  # type: ignore[index]
    assert runs[0]["crawl"] == stopped["crawl"]  # the same crawl, resumed
    assert "crawl resumed" in _types(coll.root)
