"""The collection's append-only event log (COLL/events.jsonl), one PREMIS-style event a line.

Field names follow PREMIS 3 semantic units so the log maps one-to-one onto PREMIS XML:
eventIdentifier, eventType, eventDateTime, eventOutcome, eventOutcomeDetail,
linkingObject (a path in the collection or a URL), linkingAgent (preserve and its
version); ``crawl`` names the crawl an event belongs to and ``data`` holds figures.

The log is a hash chain: each event carries ``prev``, the SHA-256 of the line before it
as it stands in the file (``null`` for the first line), and ends with ``lineDigest``, the
SHA-256 of its own line up to that field. A change to any past line breaks the next
line's ``prev``; a change to the last line breaks its own ``lineDigest``; a line
removed or inserted breaks ``prev``. ``chain_problems`` checks a log line by line.
"""

from __future__ import annotations

import errno
import fcntl
import hashlib
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

__all__ = ["EventLog", "AGENT", "EventChain", "LINE_DIGEST"]

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
            # Always to the microsecond, so that the times sort as strings.
            "eventDateTime": self.clock().astimezone(UTC).isoformat(timespec="microseconds")
            .replace("+00:00", "Z"),
            "eventOutcome": outcome,
            "eventOutcomeDetail": detail,
            "linkingObject": obj,
            "linkingAgent": AGENT,
        }
        if crawl is not None:
            event["crawl"] = crawl
        if data:
            event["data"] = data
        try:
            # One write of one line in append mode; fsync so the audit trail survives a crash.
            fd = os.open(self.path, os.O_RDWR | os.O_APPEND | os.O_CREAT | _SAFE, 0o644)
            try:
                _check_regular(fd, self.path)
                # Another process appending at once would fork the chain: one at a time.
                fcntl.flock(fd, fcntl.LOCK_EX)
                size = os.fstat(fd).st_size
                lead = b""
                if size and os.pread(fd, 1, size - 1) != b"\n":
                    # A line cut short by a crash: end it, or this event would be glued
                    # onto it and skipped by readers with it.
                    lead = b"\n"
                last = _last_line(fd, size) + lead
                event["prev"] = _sha256(last) if last else None
                os.write(fd, lead + chained_line(event))
                os.fsync(fd)
            finally:
                os.close(fd)
        except OSError as e:
            raise StorageError(f"cannot append to the event log ({_why(e)})", self.path) from e
        return event

    def read(self) -> Iterator[dict[str, Any]]:
        """Every complete event; a line cut short by a crash, or damaged, is skipped. Raises
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
        with open(fd, "rb") as f:
            for line in f:
                if not line.endswith(b"\n"):
                    continue
                try:
                    event = json.loads(line)
                except (ValueError, RecursionError):  # not JSON or UTF-8; "[[[[..." too deep
                    continue
                if isinstance(event, dict):  # a damaged line may be any JSON value
                    yield event


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


LINE_DIGEST = b', "lineDigest": "sha256:'
_TAIL = 1 << 16


def _sha256(data: bytes) -> str:
    return f"sha256:{hashlib.sha256(data).hexdigest()}"


def chained_line(event: dict[str, Any]) -> bytes:
    """The event as its line: JSON whose last field, ``lineDigest``, is the SHA-256 of the
    line's bytes before it."""
    body = json.dumps(event, ensure_ascii=False).encode("utf-8")
    assert body.endswith(b"}")
    head = body[:-1]
    return head + LINE_DIGEST + hashlib.sha256(head).hexdigest().encode() + b'"}\n'


def _last_line(fd: int, size: int) -> bytes:
    """The file's last line (with its newline if it has one), read from the end."""
    end = size
    tail = b""
    while end > 0:
        start = max(0, end - _TAIL)
        tail = os.pread(fd, end - start, start) + tail
        end = start
        cut = tail.rfind(b"\n", 0, len(tail) - 1)
        if cut >= 0:
            return tail[cut + 1:]
    return tail


class EventChain:
    """Checks a log's lines, fed in order, against the chain (see the module docstring).
    Lines before the first chained event (a log written before the chain existed) are
    taken as they are; from the first one on, every line must hold."""

    def __init__(self) -> None:
        self.prev: str | None = None  # the SHA-256 of the line before (None: first line)
        self.chained = False
        # A complete line that is no event: damage, unless the next line's `prev` vouches
        # for it (a line a crash cut short, ended by the next append). (offset, why)
        self.held: tuple[int, str] | None = None

    def feed(self, raw: bytes, offset: int, event: Any) -> list[tuple[int, str]]:
        """The problems this line settles, as (offset of the line at fault, why);
        ``event``: the line parsed as JSON (anything; None if it has no newline or is
        not JSON), so that it is parsed once."""
        out: list[tuple[int, str]] = []
        held, self.held = self.held, None
        if not isinstance(event, dict) or not raw.endswith(b"\n"):
            event = None
        claims = LINE_DIGEST in raw or (event is not None and "prev" in event)
        if self.chained or claims:
            self.chained = True
            if event is None:
                if raw.endswith(b"\n"):
                    self.held = (offset, "not a complete JSON event, and the next line's "
                                 "`prev` does not vouch for it (as it would for a line a "
                                 "crash cut short): the line was changed")
                elif _line_problem(raw[:-1] + b"\n", _parse(raw[:-1] + b"\n")) is None:
                    # A whole event whose newline is another byte: damage, not a crash
                    # (which cuts bytes off, and is vouched for by the next append).
                    out.append((offset, "the last event's newline was changed"))
                if held is not None:
                    out.append(held)
            else:
                why = _line_problem(raw, event)
                if why is not None:
                    out.append((offset, why))
                    if held is not None:
                        out.append(held)
                elif event["prev"] != self.prev:
                    out.append((offset, "its `prev` is not the SHA-256 of the line before "
                                "it: that line was changed, or lines were removed or "
                                "inserted"))
        self.prev = _sha256(raw)
        return out

    def end(self) -> list[tuple[int, str]]:
        """The problem of a last line nothing vouched for."""
        held, self.held = self.held, None
        return [held] if held is not None else []


def _parse(raw: bytes) -> dict[str, Any] | None:
    try:
        event = json.loads(raw)
    except ValueError:
        return None
    return event if isinstance(event, dict) else None


def _line_problem(raw: bytes, event: dict[str, Any] | None) -> str | None:
    """Why a complete line is not a sound chained event, or None."""
    if event is None:
        return "not a complete JSON event"
    if "prev" not in event or "lineDigest" not in event:
        return ("an event without `prev` or `lineDigest` after chained events: it was "
                "changed or inserted")
    at = raw.rfind(LINE_DIGEST)
    end = at + len(LINE_DIGEST) + 64
    if at < 0 or raw[end:] != b'"}\n':
        return "its `lineDigest` is not the line's last field: the line was changed"
    if hashlib.sha256(raw[:at]).hexdigest().encode() != raw[at + len(LINE_DIGEST):end]:
        return "its `lineDigest` does not match the line: the line was changed"
    return None
