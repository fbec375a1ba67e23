"""The collection's append-only event log (COLL/events.jsonl), one PREMIS-style event a line.

Field names follow PREMIS 3 semantic units so the log maps one-to-one onto PREMIS XML:
eventIdentifier, eventType, eventDateTime, eventOutcome, eventOutcomeDetail,
linkingObject (a path in the collection or a URL), linkingAgent (preserve and its
version); ``crawl`` names the crawl an event belongs to and ``data`` holds figures.
"""

from __future__ import annotations

import json
import os
import uuid
from collections.abc import Callable, Iterator
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

from .. import __version__
from ..errors import StorageError

__all__ = ["EventLog", "AGENT"]

AGENT = f"preserve/{__version__}"


class EventLog:
    def __init__(
        self, path: Path, clock: Callable[[], datetime] = lambda: datetime.now(UTC)
    ) -> None:
        self.path = path
        self.clock = clock

    def append(
        self,
        event_type: str,
        *,
        outcome: str = "success",
        detail: str = "",
        obj: str | None = None,
        crawl: str | None = None,
        data: dict[str, Any] | None = None,
    ) -> dict[str, Any]:
        event: dict[str, Any] = {
            "eventIdentifier": f"urn:uuid:{uuid.uuid4()}",
            "eventType": event_type,
            "eventDateTime": self.clock().astimezone(UTC).isoformat().replace("+00:00", "Z"),
            "eventOutcome": outcome,
            "eventOutcomeDetail": detail,
            "linkingObject": obj,
            "linkingAgent": AGENT,
        }
        if crawl is not None:
            event["crawl"] = crawl
        if data:
            event["data"] = data
        line = json.dumps(event, ensure_ascii=False, sort_keys=False) + "\n"
        try:
            # One write of one line in append mode; fsync so the audit trail survives a crash.
            fd = os.open(self.path, os.O_RDWR | os.O_APPEND | os.O_CREAT, 0o644)
            try:
                size = os.fstat(fd).st_size
                if size and os.pread(fd, 1, size - 1) != b"\n":
                    # A line cut short by a crash: end it, or this event would be glued
                    # onto it and skipped by readers with it.
                    line = "\n" + line
                os.write(fd, line.encode("utf-8"))
                os.fsync(fd)
            finally:
                os.close(fd)
        except OSError as e:
            raise StorageError(f"cannot append to the event log ({e.strerror})", self.path) from e
        return event

    def read(self) -> Iterator[dict[str, Any]]:
        """Every complete event; a line cut short by a crash, or damaged, is skipped."""
        try:
            f = open(self.path, "rb")
        except FileNotFoundError:
            return
        with f:
            for line in f:
                if not line.endswith(b"\n"):
                    continue
                try:
                    event = json.loads(line)
                except (ValueError, RecursionError):  # not JSON or UTF-8; "[[[[..." too deep
                    continue
                if isinstance(event, dict):  # a damaged line may be any JSON value
                    yield event
