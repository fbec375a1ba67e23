"""run-due with a fake clock: due, not due, missed runs run once, the lock, a stale lock.

The actions are a recorder (an injected seam, not a patch), so these tests watch what
the runner decides without crawling; test_schedule_jobs.py runs real jobs.
"""

from __future__ import annotations

import json
import subprocess
import sys
import textwrap
from pathlib import Path

import pytest

from helpers_schedule import SINCE, Clock, Recorder, at, make_collection
from preserve.collection import Collection
from preserve.errors import CollectionError
from preserve.schedule import due_jobs, last_runs, run_due, schedule_lock, schedule_status
from preserve.schedule.actions import Outcome
from preserve.store.events import EventLog

HOURLY_AND_NIGHTLY = """
[[schedule]]
cron = "0 * * * *"
action = "verify"
label = "hourly"

[[schedule]]
cron = "0 3 * * *"
action = "crawl"
label = "nightly"
"""


@pytest.fixture
def coll(tmp_path: Path) -> Collection:
    return make_collection(tmp_path / "coll", HOURLY_AND_NIGHTLY)


def runs(coll: Collection) -> list[dict[str, object]]:
    return [e for e in EventLog(coll.events_path).read() if e["eventType"] == "schedule run"]


def test_nothing_is_due_before_the_first_fire_time(coll: Collection) -> None:
    rec = Recorder()
    result = run_due(coll, coll.load_config(), clock=Clock(at("2030-01-01T00:59")),
                     actions=rec.actions)
    assert result.jobs == [] and rec.ran == [] and runs(coll) == []


def test_a_job_runs_when_its_time_has_come_and_not_again(coll: Collection) -> None:
    rec, clock = Recorder(), Clock(at("2030-01-01T01:00"))
    run_due(coll, coll.load_config(), clock=clock, actions=rec.actions)
    assert rec.ran == [("hourly", at("2030-01-01T01:00"))]
    clock.now = at("2030-01-01T01:59")
    assert run_due(coll, coll.load_config(), clock=clock, actions=rec.actions).jobs == []
    clock.now = at("2030-01-01T02:00:30")
    run_due(coll, coll.load_config(), clock=clock, actions=rec.actions)
    assert rec.ran[-1] == ("hourly", at("2030-01-01T02:00"))
    assert len(rec.ran) == 2


def test_a_run_missed_many_times_runs_once_and_says_so(coll: Collection) -> None:
    rec, clock = Recorder(), Clock(at("2030-01-03T05:30"))
    result = run_due(coll, coll.load_config(), clock=clock, actions=rec.actions)
    assert rec.ran == [("hourly", at("2030-01-03T05:00")), ("nightly", at("2030-01-03T03:00"))]
    assert [j.missed for j in result.jobs] == [53, 3]
    events = runs(coll)
    assert [e["data"]["missed"] for e in events] == [53, 3]  # type: ignore[index]
    assert "53 runs were due, run once" in str(events[0]["eventOutcomeDetail"])
    clock.now = at("2030-01-03T05:31")
    assert run_due(coll, coll.load_config(), clock=clock, actions=rec.actions).jobs == []


def test_each_run_is_an_event_with_its_schedule_start_end_and_outcome(coll: Collection) -> None:
    clock = Clock(at("2030-01-01T03:00"))

    def slow_fail(c: Collection, s: object, slot: object, **_: object) -> Outcome:
        clock.now = at("2030-01-01T03:07")
        raise CollectionError("collection is in use by process 1", c.root)

    rec = Recorder()
    result = run_due(coll, coll.load_config(), clock=clock,
                     actions={"verify": rec, "crawl": slow_fail})
    assert result.failed
    hourly, nightly = runs(coll)
    assert hourly["eventOutcome"] == "success"
    assert nightly["eventOutcome"] == "failure"
    assert "in use" in str(nightly["eventOutcomeDetail"])
    assert nightly["data"] == {"schedule": "nightly", "action": "crawl", "cron": "0 3 * * *",
                               "label": "nightly", "slot": "2030-01-01T03:00:00Z",
                               "started": "2030-01-01T03:00:00Z",
                               "ended": "2030-01-01T03:07:00Z", "missed": 1}
    assert nightly["eventDateTime"] == "2030-01-01T03:07:00.000000Z"
    last = last_runs(EventLog(coll.events_path).read())
    assert last["nightly"].outcome == "failure"
    # A failed run served its slot: it is not retried until the next fire time.
    assert due_jobs(coll.load_config().schedules, last, SINCE, at("2030-01-01T03:30")) == []


def test_list_shows_last_run_and_next_run(coll: Collection) -> None:
    clock = Clock(at("2030-01-01T01:10"))
    before = {s.schedule.key: s for s in schedule_status(coll, coll.load_config(), clock=clock)}
    assert before["hourly"].due and before["hourly"].next_run == at("2030-01-01T01:00")
    assert not before["nightly"].due and before["nightly"].next_run == at("2030-01-01T03:00")
    run_due(coll, coll.load_config(), clock=clock, actions=Recorder().actions)
    after = {s.schedule.key: s for s in schedule_status(coll, coll.load_config(), clock=clock)}
    assert not after["hourly"].due and after["hourly"].next_run == at("2030-01-01T02:00")
    assert after["hourly"].last is not None and after["hourly"].last.outcome == "success"
    assert after["hourly"].to_dict()["last_run"] == "2030-01-01T01:10:00Z"


HOLDER = textwrap.dedent("""
    import sys
    from pathlib import Path
    from preserve.collection import Collection
    from preserve.schedule import schedule_lock
    with schedule_lock(Collection(Path(sys.argv[1]))):
        print("held", flush=True)
        sys.stdin.read()
""")


def test_an_overlapping_run_is_blocked_by_the_lock_of_another_process(
        coll: Collection) -> None:
    rec, clock = Recorder(), Clock(at("2030-01-01T01:00"))
    holder = subprocess.Popen([sys.executable, "-c", HOLDER, str(coll.root)],
                              stdin=subprocess.PIPE, stdout=subprocess.PIPE, text=True)
    try:
        assert holder.stdout is not None and holder.stdout.readline() == "held\n"
        result = run_due(coll, coll.load_config(), clock=clock, actions=rec.actions)
        assert result.locked and result.locked_by == holder.pid
        assert rec.ran == [] and runs(coll) == []
    finally:
        assert holder.stdin is not None
        holder.stdin.close()
        holder.wait(timeout=30)
        assert holder.stdout is not None
        holder.stdout.close()
    assert holder.returncode == 0
    result = run_due(coll, coll.load_config(), clock=clock, actions=rec.actions)
    assert not result.locked and result.recovered_from is None  # released cleanly
    assert rec.ran == [("hourly", at("2030-01-01T01:00"))]


def test_a_stale_lock_of_a_dead_process_is_recovered(coll: Collection) -> None:
    dead = subprocess.Popen([sys.executable, "-c", "pass"])
    dead.wait(timeout=30)
    coll.state.mkdir(exist_ok=True)
    (coll.state / "schedule.lock").write_text(str(dead.pid))
    rec = Recorder()
    result = run_due(coll, coll.load_config(), clock=Clock(at("2030-01-01T01:00")),
                     actions=rec.actions)
    assert result.recovered_from == dead.pid and not result.locked
    assert rec.ran == [("hourly", at("2030-01-01T01:00"))]
    kinds = [e["eventType"] for e in EventLog(coll.events_path).read()]
    assert kinds == ["schedule lock recovered", "schedule run"]
    assert (coll.state / "schedule.lock").read_text() == ""  # cleared on release
    with schedule_lock(coll) as stale:
        assert stale is None


def test_a_malformed_event_line_does_not_hide_a_last_run(coll: Collection) -> None:
    clock = Clock(at("2030-01-01T01:00"))
    run_due(coll, coll.load_config(), clock=clock, actions=Recorder().actions)
    with open(coll.events_path, "a", encoding="utf-8") as f:
        f.write(json.dumps({"eventType": "schedule run", "data": {"schedule": "hourly"}}) + "\n")
        f.write("{not json\n")
    assert last_runs(EventLog(coll.events_path).read())["hourly"].slot == clock.now
