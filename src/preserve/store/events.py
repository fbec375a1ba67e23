"""The collection's append-only event log (COLL/events.jsonl), one PREMIS-style event a line.

Field names follow PREMIS 3 semantic units so the log maps one-to-one onto PREMIS XML:
eventIdentifier, eventType, eventDateTime, eventOutcome, eventOutcomeDetail,
linkingObject (a path in the collection or a URL), linkingAgent (preserve and its
version); ``crawl`` names the crawl an event belongs to and ``data`` holds figures.
"""

from __future__ import annotations

import errno
import json
import os
import stat
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
            fd = os.open(self.path, os.O_RDWR | os.O_APPEND | os.O_CREAT | _SAFE, 0o644)
            try:
                _check_regular(fd, self.path)
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
            raise StorageError(f"cannot append to the event log ({_why(e)})", self.path) from e
        return event

    def read(self) -> Iterator[dict[str, Any]]:
        """Every complete event; a line cut short by a crash is skipped. Raises
        StorageError if the log is a symbolic link or not a regular file (a FIFO)."""
        try:
            fd = os.open(self.path, os.O_RDONLY | _SAFE)
        except FileNotFoundError:
            return
        except OSError as e:
            raise StorageError(f"cannot read the event log ({_why(e)})", self.path) from e
        try:
            _check_regular(fd, self.path)
        except OSError as e:
            os.close(fd)
            raise StorageError(f"cannot read the event log ({_why(e)})", self.path) from e
        with open(fd, encoding="utf-8") as f:
            for line in f:
                if not line.endswith("\n"):
                    continue
                try:
                    yield json.loads(line)
                except json.JSONDecodeError:
                    continue


# Never through a symbolic link (it could lead out of the collection), never blocking on
# a FIFO put in the log's place.
_SAFE = os.O_NOFOLLOW | os.O_NONBLOCK | os.O_CLOEXEC


def _check_regular(fd: int, path: Path) -> None:
    if not stat.S_ISREG(os.fstat(fd).st_mode):
        raise OSError(errno.EINVAL, "not a regular file", str(path))


def _why(e: OSError) -> str:
    if e.errno == errno.ELOOP:
        return "it is a symbolic link, never followed"
    return e.strerror or str(e)
