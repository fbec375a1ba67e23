"""Misbehaving endpoints under ``/fault/``: the failures a crawler meets on the real web.

Each works at the connection level (stalls, resets, short bodies, endless bodies) or by
failing a fixed number of times per URL before succeeding, so retries can be tested.
``/fault/private-link`` is ordinary HTML and is served by the site itself.
"""

from __future__ import annotations

import threading
from collections import Counter
from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Protocol

__all__ = ["FAULT_PATHS", "FaultSettings", "FaultState", "Connection", "serve_fault"]

FAULT_PATHS = (
    "/fault/slow", "/fault/reset", "/fault/truncated", "/fault/truncated-chunked",
    "/fault/huge", "/fault/503", "/fault/429", "/fault/flaky", "/fault/private-link",
)

_BLOCK = 64 * 1024


class Connection(Protocol):
    """What a fault needs from the request handler."""

    close_connection: bool

    def head(self, status: int, headers: list[tuple[str, str]]) -> bytes:
        """Status line, Date, Server, the given headers and the blank line."""
        ...

    def send(self, data: bytes) -> None: ...

    def reset(self) -> None:
        """Abort the connection with a TCP RST."""
        ...

    def stop_recording_body(self) -> None: ...

    def pause(self, seconds: float) -> bool:
        """Sleep; True if the server began stopping meanwhile."""
        ...


@dataclass(frozen=True)
class FaultSettings:
    slow_delay: float = 5.0  # seconds between the headers and the body of /fault/slow
    huge_size: int = 200_000_000
    failures: int = 2  # times /fault/503 and /fault/429 fail per URL before succeeding


@dataclass
class FaultState:
    """Per-URL hit counters, so a retrying client eventually succeeds."""

    settings: FaultSettings = field(default_factory=FaultSettings)
    _hits: Counter[str] = field(default_factory=Counter)
    _lock: threading.Lock = field(default_factory=threading.Lock)

    def hit(self, key: str) -> int:
        with self._lock:
            self._hits[key] += 1
            return self._hits[key]

    def reset(self) -> None:
        with self._lock:
            self._hits.clear()


def _html(text: str) -> bytes:
    return f"<!DOCTYPE html>\n<html><head><title>{text}</title></head><body><p>{text}</p>" \
           "</body></html>\n".encode()


def _filler(size: int) -> bytes:
    line = b"The quick brown fox jumps over the lazy dog. 0123456789\n"
    return (line * (size // len(line) + 1))[:size]


def _complete(conn: Connection, status: int, body: bytes, extra: list[tuple[str, str]],
              head_only: bool) -> None:
    headers = [("Content-Type", "text/html; charset=utf-8"), *extra,
               ("Content-Length", str(len(body))), ("Cache-Control", "no-store")]
    conn.send(conn.head(status, headers) + (b"" if head_only else body))


def _slow(conn: Connection, state: FaultState, key: str, head_only: bool) -> None:
    body = _html("Eventually served")
    conn.send(conn.head(200, [("Content-Type", "text/html; charset=utf-8"),
                              ("Content-Length", str(len(body)))]))
    if head_only:
        return
    if conn.pause(state.settings.slow_delay):
        conn.close_connection = True  # the server is stopping
        return
    conn.send(body)


def _reset(conn: Connection, state: FaultState, key: str, head_only: bool) -> None:
    conn.send(conn.head(200, [("Content-Type", "text/plain"), ("Content-Length", "10000")])
              + _filler(1000))
    conn.reset()


def _truncated(conn: Connection, state: FaultState, key: str, head_only: bool) -> None:
    conn.send(conn.head(200, [("Content-Type", "text/plain"), ("Content-Length", "10000")])
              + _filler(4000))
    conn.close_connection = True  # a FIN after 4000 of the 10000 promised bytes


def _truncated_chunked(conn: Connection, state: FaultState, key: str, head_only: bool) -> None:
    chunk = _filler(1000)
    conn.send(conn.head(200, [("Content-Type", "text/plain"), ("Transfer-Encoding", "chunked")])
              + (b"3e8\r\n" + chunk + b"\r\n") * 2)
    conn.close_connection = True  # no last-chunk: the body never ends properly


def _huge(conn: Connection, state: FaultState, key: str, head_only: bool) -> None:
    size = state.settings.huge_size
    conn.send(conn.head(200, [("Content-Type", "application/octet-stream"),
                              ("Content-Length", str(size))]))
    if head_only:
        return
    conn.stop_recording_body()
    block = _filler(_BLOCK)
    sent = 0
    while sent < size:
        piece = block[: min(_BLOCK, size - sent)]
        conn.send(piece)
        sent += len(piece)
        if sent % (_BLOCK * 64) == 0 and conn.pause(0):
            conn.close_connection = True
            return


def _retry_after(status: int) -> Callable[[Connection, FaultState, str, bool], None]:
    def serve(conn: Connection, state: FaultState, key: str, head_only: bool) -> None:
        if state.hit(key) <= state.settings.failures:
            _complete(conn, status, _html(f"Try again later ({status})"),
                      [("Retry-After", "1")], head_only)
        else:
            _complete(conn, 200, _html("Served after retrying"), [], head_only)
    return serve


def _flaky(conn: Connection, state: FaultState, key: str, head_only: bool) -> None:
    if state.hit(key) == 1:
        _complete(conn, 500, _html("Internal server error"), [], head_only)
    else:
        _complete(conn, 200, _html("Served after one failure"), [], head_only)


_FAULTS: dict[str, Callable[[Connection, FaultState, str, bool], None]] = {
    "/fault/slow": _slow,
    "/fault/reset": _reset,
    "/fault/truncated": _truncated,
    "/fault/truncated-chunked": _truncated_chunked,
    "/fault/huge": _huge,
    "/fault/503": _retry_after(503),
    "/fault/429": _retry_after(429),
    "/fault/flaky": _flaky,
}


def serve_fault(conn: Connection, state: FaultState, path: str, target: str,
                head_only: bool) -> bool:
    """Serve the fault at path; False if there is none (the site answers instead).

    ``target`` (path and query) keys the per-URL counters, so ``/fault/503?a`` and
    ``/fault/503?b`` fail independently.
    """
    fault = _FAULTS.get(path)
    if fault is None:
        return False
    fault(conn, state, target, head_only)
    return True
