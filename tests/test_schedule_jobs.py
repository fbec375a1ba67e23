"""Real jobs through run-due: a crawl of the bundled test site on 127.0.0.1, a verify and
an export of what it captured, each recorded as a ``schedule run`` event."""

from __future__ import annotations

import json
import os
import re
import time
from collections.abc import Iterator
from datetime import UTC, datetime, timedelta
from pathlib import Path

import pytest

from helpers_crawl import cli
from helpers_schedule import Clock, make_collection
from preserve.collection import Collection
from preserve.schedule import run_due
from preserve.schedule.actions import ACTIONS
from preserve.store.events import EventLog
from testsite import TestSite

JOBS = """
[[schedule]]
cron = "* * * * *"
action = "crawl"
label = "final crawl before dissolution"
final = true

[[schedule]]
cron = "* * * * *"
action = "verify"
budget = "1h"

[[schedule]]
cron = "* * * * *"
action = "export"
format = "wacz"
destination = "{out}/mep-{{date}}.wacz"
"""


@pytest.fixture(scope="module")
def site() -> Iterator[TestSite]:
    with TestSite(articles=3) as started:
        yield started


@pytest.fixture(scope="module")
def ran(site: TestSite, tmp_path_factory: pytest.TempPathFactory) -> tuple[
        Collection, Path, object]:
    base = tmp_path_factory.mktemp("jobs")
    yesterday = datetime.now(UTC) - timedelta(days=1)
    coll = make_collection(base / "my coll", JOBS.format(out=base / "out"), seeds=(site.url,),
                           since=yesterday, delay=0.0, max_pages=25)
    (base / "out").mkdir()
    result = cli("schedule", "run-due", coll.root, timeout=120)
    return coll, base / "out", result


def schedule_runs(coll: Collection) -> list[dict[str, object]]:
    return [e for e in EventLog(coll.events_path).read() if e["eventType"] == "schedule run"]


def test_run_due_crawls_verifies_and_exports_then_exits_0(ran: tuple[Collection, Path,
                                                                     object]) -> None:
    coll, out, result = ran
    assert result.returncode == 0, result.stderr  # type: ignore[attr-defined]
    assert result.stderr == ""  # type: ignore[attr-defined]
    lines = result.stdout.splitlines()  # type: ignore[attr-defined]
    assert len(lines) == 3 and all(": success: " in line for line in lines)
    assert coll.closed_warcs()
    today = datetime.now(UTC)
    assert [p.name for p in out.iterdir()] in (
        [f"mep-{(today - timedelta(days=d)).strftime('%Y%m%d')}.wacz"] for d in (0, 1))


def test_each_job_is_an_event_in_order_between_the_jobs_own_events(
        ran: tuple[Collection, Path, object]) -> None:
    coll, _, _ = ran
    events = list(EventLog(coll.events_path).read())
    kinds = [e["eventType"] for e in events]
    runs = schedule_runs(coll)
    assert [r["data"]["action"] for r in runs] == ["crawl", "verify", "export"]  # type: ignore[index]
    assert all(r["eventOutcome"] == "success" for r in runs)
    crawl_run = kinds.index("schedule run")
    assert kinds.index("crawl started") < crawl_run
    assert kinds.index("crawl finished") < crawl_run
    assert "fixity check" in kinds[crawl_run:]
    crawl_data = runs[0]["data"]
    started = next(e for e in events if e["eventType"] == "crawl started")
    assert started["data"]["final"] is True  # type: ignore[index]
    assert started["data"]["label"] == "final crawl before dissolution"  # type: ignore[index]
    assert runs[0]["crawl"] == crawl_data["result"]["crawl"] == "0001"  # type: ignore[index]
    assert "crawl" not in runs[1]
    assert crawl_data["result"]["status"] in ("finished", "limit-reached")  # type: ignore[index]
    assert crawl_data["result"]["captured"] > 0  # type: ignore[index]
    for r in runs:
        data = r["data"]
        # compared as times: "…00Z" and "…00.39Z" do not sort as strings
        t_slot, t_start, t_end = (datetime.fromisoformat(data[k])  # type: ignore[index]
                                for k in ("slot", "started", "ended"))
        assert t_slot <= t_start <= t_end
    assert runs[1]["eventOutcomeDetail"].startswith("verify (budget 1h): ")  # type: ignore[union-attr]


def test_a_second_call_in_the_same_minute_runs_nothing(ran: tuple[Collection, Path,
                                                                  object]) -> None:
    coll, _, _ = ran
    before = len(schedule_runs(coll))
    result = run_due(coll, coll.load_config(),
                     clock=lambda: datetime.fromisoformat(
                         str(schedule_runs(coll)[-1]["data"]["slot"])  # type: ignore[index]
                         .replace("Z", "+00:00")) + timedelta(seconds=59))
    assert result.jobs == [] and len(schedule_runs(coll)) == before


def test_a_verify_that_finds_damage_is_a_failed_job_and_exit_1(
        ran: tuple[Collection, Path, object], tmp_path: Path) -> None:
    coll, _, _ = ran
    warc = coll.closed_warcs()[0]
    original = warc.read_bytes()
    try:
        with open(warc, "r+b") as f:
            f.seek(len(original) // 2)
            f.write(b"\xff" * 16)
        later = Clock(datetime.now(UTC) + timedelta(days=2))
        only_verify = {"verify": ACTIONS["verify"]}
        config = coll.load_config()
        config = type(config)(config.description, config.crawl,
                              tuple(s for s in config.schedules if s.action == "verify"))
        result = run_due(coll, config, clock=later, actions=only_verify)
        assert result.failed
        last = schedule_runs(coll)[-1]
        assert last["eventOutcome"] == "failure"
        assert re.search(r"\d+ errors?\b", str(last["eventOutcomeDetail"]))
    finally:
        warc.write_bytes(original)
        now = time.time()
        os.utime(warc, (now, now))


def test_run_due_json_lists_the_runs(site: TestSite, tmp_path: Path) -> None:
    since = datetime.now(UTC) - timedelta(hours=2)
    make_collection(tmp_path / "c", '[[schedule]]\ncron = "@hourly"\naction = "crawl"\n',
                    seeds=(site.url,), since=since, delay=0.0, max_pages=3)
    result = cli("schedule", "run-due", "--json", "--root", tmp_path)
    assert result.returncode == 0, result.stderr
    runs = json.loads(result.stdout)
    # Two hours of an hourly schedule: two fire times passed, or three if the hour turned
    # between `since` and the command's own clock (a slow start at hh:59:59).
    hour = (since + timedelta(hours=2)).replace(minute=0, second=0, microsecond=0)
    turned = [datetime.fromisoformat(r["slot"]) for r in runs] == [hour + timedelta(hours=1)]
    assert [(r["schedule"], r["outcome"], r["missed"]) for r in runs] == [
        ("crawl @hourly", "success", 3 if turned else 2)]
    assert [datetime.fromisoformat(r["slot"]) for r in runs] in (
        [hour], [hour + timedelta(hours=1)])
