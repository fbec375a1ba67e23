"""run-due: under each collection's schedule lock, run the jobs that are due, in order,
and record each run as a ``schedule run`` event (schedule, slot, start, end, outcome).

The clock is injected so tests can move time; the actions too, so a test can watch what
runs without crawling. A job that fails is recorded and the next one still runs.

A ``stop`` event set by a signal (SIGTERM from ``systemctl stop``, Ctrl-C) stops the
running job gracefully (a crawl finishes its in-flight fetches and stays resumable) and
starts no further job; the stopped job is a ``schedule interrupted`` event, not a
``schedule run``, so it is still due and the next call runs it again (a crawl resumes).
"""

from __future__ import annotations

import threading
from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass, field
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

from ..collection import CONFIG_NAME, Collection
from ..config import CollectionConfig, Schedule
from ..errors import CollectionError, PreserveError, ScheduleLocked
from ..store.events import EventLog
from .actions import ACTIONS, Action, Outcome
from .due import Due, due_jobs, next_fire
from .history import LastRun, last_runs
from .lock import schedule_lock

__all__ = ["CollectionRun", "JobResult", "ScheduleStatus", "collections_under",
           "open_scheduled", "run_due", "schedule_status", "since_of"]

Clock = Callable[[], datetime]


def _now() -> datetime:
    return datetime.now(UTC)


def _iso(when: datetime) -> str:
    return when.astimezone(UTC).isoformat().replace("+00:00", "Z")


@dataclass(frozen=True)
class JobResult:
    schedule: Schedule
    slot: datetime
    missed: int
    started: datetime
    ended: datetime
    outcome: str
    detail: str


@dataclass
class CollectionRun:
    root: Path
    jobs: list[JobResult] = field(default_factory=list)
    locked_by: int | None = None  # set with ``locked``: another run-due holds the lock
    locked: bool = False
    recovered_from: int | None = None  # the pid of a dead run-due whose lock was taken over

    @property
    def failed(self) -> bool:
        return any(j.outcome == "failure" for j in self.jobs)

    @property
    def interrupted(self) -> bool:
        return any(j.outcome == "interrupted" for j in self.jobs)


def collections_under(root: Path) -> list[Path]:
    """The collections directly inside ``root``, by name."""
    if not root.is_dir():
        raise CollectionError("no such directory of collections", root)
    return sorted(p for p in root.iterdir() if (p / CONFIG_NAME).is_file())


def since_of(coll: Collection) -> datetime:
    """When a never-run schedule starts counting: preserve.toml's last modification."""
    return datetime.fromtimestamp(coll.config_path.stat().st_mtime, UTC)


def _run_one(coll: Collection, job: Due, action: Action, events: EventLog,
             clock: Clock, stop: threading.Event) -> JobResult:
    s = job.schedule
    started = clock()
    try:
        result = action(coll, s, job.slot, stop=stop)
    except PreserveError as e:
        result = Outcome("failure", str(e))
    ended = clock()
    named = result.data.get("crawl") if s.action == "crawl" else None
    crawl = named if isinstance(named, str) else None  # None if it failed before starting
    if stop.is_set():  # stopped by a signal: still due, so the next call runs it again
        detail = f"{s.describe()}: stopped by a signal ({result.detail}); still due"
        events.append("schedule interrupted", outcome="failure", obj=coll.name,
                      crawl=crawl, detail=detail,
                      data={"schedule": s.key, "action": s.action, "slot": _iso(job.slot),
                            "started": _iso(started), "ended": _iso(ended)})
        return JobResult(s, job.slot, job.missed, started, ended, "interrupted", detail)
    missed = f"; {job.missed} runs were due, run once" if job.missed > 1 else ""
    data: dict[str, Any] = {"schedule": s.key, "action": s.action, "cron": s.cron,
                            "label": s.label, "slot": _iso(job.slot),
                            "started": _iso(started), "ended": _iso(ended),
                            "missed": job.missed}
    if result.data:
        data["result"] = result.data
    events.append("schedule run", outcome=result.outcome, obj=coll.name, crawl=crawl,
                  detail=f"{s.describe()}: {result.detail}{missed}", data=data)
    return JobResult(s, job.slot, job.missed, started, ended, result.outcome, result.detail)


def run_due(coll: Collection, config: CollectionConfig, *, clock: Clock = _now,
            actions: Mapping[str, Action] = ACTIONS,
            on_job: Callable[[Due], None] | None = None,
            stop: threading.Event | None = None) -> CollectionRun:
    """Run every due job of ``coll``; a locked collection is skipped (``locked``).

    When ``stop`` is set the running job is asked to stop and no further job starts."""
    stop = stop if stop is not None else threading.Event()
    run = CollectionRun(coll.root)
    events = EventLog(coll.events_path, clock)
    try:
        with schedule_lock(coll) as stale:
            run.recovered_from = stale
            if stale is not None:
                events.append("schedule lock recovered", outcome="warning", obj=coll.name,
                              detail=f"process {stale} died holding the schedule lock",
                              data={"pid": stale})
            due = due_jobs(config.schedules, last_runs(events.read()), since_of(coll),
                           clock())
            for job in due:
                if stop.is_set():
                    break
                if on_job is not None:
                    on_job(job)
                run.jobs.append(_run_one(coll, job, actions[job.schedule.action], events,
                                         clock, stop))
    except ScheduleLocked as e:
        run.locked, run.locked_by = True, e.pid
    return run


@dataclass(frozen=True)
class ScheduleStatus:
    schedule: Schedule
    last: LastRun | None
    next_run: datetime  # the slot it is due for now, or the next fire time
    due: bool

    def to_dict(self) -> dict[str, Any]:
        s, last = self.schedule, self.last
        return {"schedule": s.key, "label": s.label, "cron": s.cron, "action": s.action,
                "what": s.describe(),
                "last_run": _iso(last.started) if last else None,
                "last_outcome": last.outcome if last else None,
                "next_run": _iso(self.next_run), "due": self.due}


def schedule_status(coll: Collection, config: CollectionConfig, *,
                    clock: Clock = _now) -> list[ScheduleStatus]:
    """Each schedule with its last run and its next run time (now, if it is due)."""
    now = clock()
    last = last_runs(EventLog(coll.events_path).read())
    due = {d.schedule.key: d for d in due_jobs(config.schedules, last, since_of(coll), now)}
    out = []
    for s in config.schedules:
        d = due.get(s.key)
        out.append(ScheduleStatus(s, last.get(s.key),
                                  d.slot if d else next_fire(s.cron, now), d is not None))
    return out


def open_scheduled(paths: Sequence[Path]) -> list[tuple[Collection, CollectionConfig]]:
    """Open and load every collection first, so bad input stops before any job runs."""
    return [(c, c.load_config()) for c in (Collection.open(p) for p in paths)]
