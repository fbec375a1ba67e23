"""Fire times and due computation, with no collection: cron syntax and the missed count."""

from __future__ import annotations

import pytest

from helpers_schedule import SINCE, at
from preserve.config import Schedule
from preserve.schedule import LastRun, due_jobs, next_fire, previous_fire


@pytest.mark.parametrize(("cron", "now", "prev", "nxt"), [
    ("*/15 * * * *", "2030-01-01T10:07", "2030-01-01T10:00", "2030-01-01T10:15"),
    ("*/15 * * * *", "2030-01-01T10:15", "2030-01-01T10:15", "2030-01-01T10:30"),
    ("0 9-17/4 * * *", "2030-01-01T16:00", "2030-01-01T13:00", "2030-01-01T17:00"),
    ("0 3 1,15 * *", "2030-01-10T00:00", "2030-01-01T03:00", "2030-01-15T03:00"),
    ("0 2 * * mon-fri", "2030-01-05T12:00", "2030-01-04T02:00", "2030-01-07T02:00"),
    ("0 0 1 jan *", "2030-06-01T00:00", "2030-01-01T00:00", "2031-01-01T00:00"),
    ("@daily", "2030-01-01T12:00", "2030-01-01T00:00", "2030-01-02T00:00"),
    ("@weekly", "2030-01-03T00:00", "2029-12-30T00:00",
     "2030-01-06T00:00"),
])
def test_fire_times(cron: str, now: str, prev: str, nxt: str) -> None:
    assert previous_fire(cron, at(now)) == at(prev)
    assert next_fire(cron, at(now)) == at(nxt)


@pytest.mark.parametrize("now", ["2030-01-01T10:14:59.871", "2030-01-01T10:14:59.000001",
                                 "2030-01-01T10:14:59"])
def test_the_slot_is_never_after_now_in_the_last_second_before_a_fire_time(now: str) -> None:
    """A clock with microseconds in the second before a fire time: the slot is the fire
    time before, never the one about to come (it once came out a fraction of a second
    after the job started, at a minute boundary in a full test run)."""
    assert previous_fire("*/15 * * * *", at(now)) == at("2030-01-01T10:00")


def test_due_counts_the_missed_fire_times_and_serves_the_latest() -> None:
    s = Schedule(cron="0 */6 * * *", action="verify")
    (due,) = due_jobs([s], {}, SINCE, at("2030-01-02T13:00"))
    assert due.slot == at("2030-01-02T12:00") and due.missed == 6
    last = {s.key: LastRun(s.key, due.slot, at("2030-01-02T13:00"), at("2030-01-02T14:30"),
                           "success", "")}
    assert due_jobs([s], last, SINCE, at("2030-01-02T17:59")) == []
    (again,) = due_jobs([s], last, SINCE, at("2030-01-02T18:00"))
    assert again.slot == at("2030-01-02T18:00") and again.missed == 1


def test_a_never_run_schedule_waits_for_a_fire_time_after_it_was_written() -> None:
    s = Schedule(cron="0 9 15 6 *", action="crawl", label="final crawl before dissolution")
    assert due_jobs([s], {}, at("2030-06-15T09:30"), at("2031-06-15T08:59")) == []
    (due,) = due_jobs([s], {}, at("2030-06-15T09:30"), at("2031-06-15T09:00"))
    assert due.slot == at("2031-06-15T09:00")
