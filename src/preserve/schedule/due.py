"""Which schedules are due: the latest cron fire time not yet served by a run.

A schedule is due when a fire time has passed since the slot its last run served (or,
before its first run, since ``since``: when preserve.toml was last written). However many
fire times were missed, the job runs once, for the latest of them.
"""

from __future__ import annotations

from collections.abc import Iterator, Mapping, Sequence
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta

from croniter import croniter

from ..config import Schedule
from .history import LastRun

__all__ = ["Due", "due_jobs", "fire_times", "next_fire", "previous_fire"]

# How many missed fire times are counted for the record; beyond it, "at least".
MISSED_CAP = 1000


def _utc(when: datetime) -> datetime:
    return when.astimezone(UTC) if when.tzinfo else when.replace(tzinfo=UTC)


def previous_fire(cron: str, now: datetime) -> datetime:
    """The latest fire time at or before ``now`` (cron has minute resolution)."""
    # croniter's get_prev is strictly before its start: start a second later so that a
    # fire time equal to ``now`` counts, from the whole second (from 20:41:59.9 a second
    # later is 20:42:00.9, and the slot would be 20:42:00, after ``now``).
    start = _utc(now).replace(microsecond=0) + timedelta(seconds=1)
    prev: datetime = croniter(cron, start).get_prev(datetime)
    return _utc(prev)


def next_fire(cron: str, after: datetime) -> datetime:
    """The first fire time strictly after ``after``."""
    nxt: datetime = croniter(cron, _utc(after)).get_next(datetime)
    return _utc(nxt)


def fire_times(cron: str, after: datetime, until: datetime) -> Iterator[datetime]:
    """Fire times in (after, until], oldest first."""
    it = croniter(cron, _utc(after))
    while True:
        t = _utc(it.get_next(datetime))
        if t > _utc(until):
            return
        yield t


@dataclass(frozen=True)
class Due:
    schedule: Schedule
    slot: datetime  # the fire time this run serves: the latest one passed
    missed: int  # fire times passed since the last run (1 if none was missed)


def due_jobs(schedules: Sequence[Schedule], last: Mapping[str, LastRun],
             since: datetime, now: datetime) -> list[Due]:
    """The schedules due at ``now``, in preserve.toml order."""
    due = []
    for s in schedules:
        run = last.get(s.key)
        baseline = run.slot if run is not None else _utc(since)
        slot = previous_fire(s.cron, now)
        if slot > baseline:
            missed = 0
            for _ in fire_times(s.cron, baseline, now):
                missed += 1
                if missed >= MISSED_CAP:
                    break
            due.append(Due(s, slot, missed))
    return due
