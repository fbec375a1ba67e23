"""The last run of each schedule, read back from the collection's events.jsonl."""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass
from datetime import datetime
from typing import Any

__all__ = ["LastRun", "last_runs", "EVENT_TYPE"]

EVENT_TYPE = "schedule run"


@dataclass(frozen=True)
class LastRun:
    schedule: str  # Schedule.key
    slot: datetime  # the fire time the run served
    started: datetime
    ended: datetime
    outcome: str  # success, warning or failure
    detail: str


def _when(text: Any) -> datetime | None:
    if not isinstance(text, str):
        return None
    try:
        return datetime.fromisoformat(text.replace("Z", "+00:00"))
    except ValueError:
        return None


def last_runs(events: Iterable[dict[str, Any]]) -> dict[str, LastRun]:
    """Schedule key -> its run that served the latest slot; malformed events are skipped."""
    runs: dict[str, LastRun] = {}
    for e in events:
        if e.get("eventType") != EVENT_TYPE:
            continue
        data = e.get("data")
        if not isinstance(data, dict) or not isinstance(data.get("schedule"), str):
            continue
        slot, started, ended = (_when(data.get(k)) for k in ("slot", "started", "ended"))
        if slot is None or started is None or ended is None:
            continue
        key = data["schedule"]
        if key in runs and runs[key].slot > slot:
            continue
        runs[key] = LastRun(key, slot, started, ended, str(e.get("eventOutcome", "")),
                            str(e.get("eventOutcomeDetail", "")))
    return runs
