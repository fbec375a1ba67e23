"""Helpers for the schedule tests: a collection with [[schedule]] entries, a clock to move."""

from __future__ import annotations

import os
from dataclasses import dataclass, field
from datetime import UTC, datetime
from pathlib import Path

from preserve.collection import Collection
from preserve.config import CollectionConfig, CrawlConfig, Description, Schedule
from preserve.schedule.actions import Outcome

SINCE = datetime(2030, 1, 1, 0, 0, tzinfo=UTC)


def at(text: str) -> datetime:
    return datetime.fromisoformat(text).replace(tzinfo=UTC)


@dataclass
class Clock:
    now: datetime

    def __call__(self) -> datetime:
        return self.now


@dataclass
class Recorder:
    """Actions that only note what ran: (schedule key, slot)."""

    ran: list[tuple[str, datetime]] = field(default_factory=list)

    def __call__(self, coll: Collection, schedule: Schedule, slot: datetime, *,
                 stop: object = None) -> Outcome:
        self.ran.append((schedule.key, slot))
        return Outcome("success", "recorded")

    @property
    def actions(self) -> dict[str, Recorder]:
        return {"crawl": self, "verify": self, "export": self}


def make_collection(root: Path, schedules: str, seeds: tuple[str, ...] = ("http://127.0.0.1/",),
                    since: datetime = SINCE, **crawl: object) -> Collection:
    """A collection whose preserve.toml ends with ``schedules`` and was written at ``since``."""
    coll = Collection.create(root, CollectionConfig(Description(title="Scheduled"),
                                                    CrawlConfig(seeds=seeds, **crawl))) # type: ignore[arg-type]
    with open(coll.config_path, "a", encoding="utf-8") as f:
        f.write("\n" + schedules)
    os.utime(coll.config_path, (since.timestamp(), since.timestamp()))
    return coll
