"""What a scheduled job does: one library call per action, its result as an Outcome.

Each action takes the collection, the schedule and the slot it serves, and returns
(outcome, detail, figures); a PreserveError is left to the runner, which records it as
a failure.
"""

from __future__ import annotations

import threading
from collections.abc import Mapping
from dataclasses import dataclass, field
from datetime import datetime
from pathlib import Path
from typing import Any, Protocol

from ..collection import Collection
from ..config import Schedule
from ..units import plural

__all__ = ["Outcome", "Action", "ACTIONS", "export_destination"]


@dataclass(frozen=True)
class Outcome:
    outcome: str  # success, warning or failure (PREMIS eventOutcome)
    detail: str
    data: dict[str, Any] = field(default_factory=dict)


class Action(Protocol):
    """One job: ``stop`` is set (by a signal) when the job should stop as soon as it can."""

    def __call__(self, coll: Collection, schedule: Schedule, slot: datetime, *,
                 stop: threading.Event) -> Outcome: ...


def run_crawl(coll: Collection, schedule: Schedule, slot: datetime, *,
              stop: threading.Event) -> Outcome:
    """A new crawl (or the resumption of an unfinished one) with the preserve.toml settings,
    labelled with the schedule's label (and marked final if the schedule says so)."""
    from ..capture.crawler import Crawler
    from ..capture.session import open_for_crawl

    coll, config, _ = open_for_crawl(coll.root, {})
    summary = Crawler(coll, config, final=schedule.final, label=schedule.label or None,
                      stop=stop).run()
    figures = {"crawl": summary.crawl, "status": summary.status,
               "captured": summary.captured, "failures": summary.failures}
    detail = (f"crawl {summary.crawl} {summary.status}: {summary.captured} captured, "
              f"{summary.failures} failed")
    if summary.status in ("interrupted", "storage-error") or summary.captured == 0:
        return Outcome("failure", detail + (f" ({summary.stop_reason})"
                                            if summary.stop_reason else ""), figures)
    return Outcome("warning" if summary.failures else "success", detail, figures)


def run_verify(coll: Collection, schedule: Schedule, slot: datetime, *,
               stop: threading.Event) -> Outcome:
    from ..verify import VerifyOptions, verify_collection

    options = VerifyOptions(budget_seconds=schedule.budget_seconds,
                            budget_bytes=schedule.budget_bytes)
    report = verify_collection(coll, options)
    figures = {"files": len(report.files), "errors": len(report.errors),
               "skipped": len(report.skipped), "bytes": report.bytes_read}
    detail = (f"{plural(len(report.files), 'file')} verified, "
              f"{plural(len(report.errors), 'error')}"
              + (f", {len(report.skipped)} left for a later run" if report.skipped else ""))
    return Outcome("success" if report.ok else "failure", detail, figures)


def export_destination(schedule: Schedule, slot: datetime) -> Path:
    """The destination with {date} (YYYYMMDD) and {datetime} (YYYYMMDDTHHMMSSZ) filled in."""
    assert schedule.destination is not None
    text = str(schedule.destination)
    text = text.replace("{date}", slot.strftime("%Y%m%d"))
    text = text.replace("{datetime}", slot.strftime("%Y%m%dT%H%M%SZ"))
    return Path(text)


def run_export(coll: Collection, schedule: Schedule, slot: datetime, *,
               stop: threading.Event) -> Outcome:
    from ..export import ExportOptions, export_collection, export_lock

    options = ExportOptions(
        format=schedule.format,  # type: ignore[arg-type]  # checked when loaded
        output=export_destination(schedule, slot), force=schedule.force).validate()
    with export_lock(coll):  # the command line's lock: shared on a read-only collection
        result = export_collection(coll, options)
    return Outcome("success", f"exported {plural(result.files, 'file')} as {result.format} "
                              f"to {result.path}", {"path": str(result.path),
                                                    "files": result.files})


ACTIONS: Mapping[str, Action] = {"crawl": run_crawl, "verify": run_verify,
                                 "export": run_export}
