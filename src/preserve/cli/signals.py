"""Ctrl-C and SIGTERM while a long command runs: ask it to stop, never kill it midway."""

from __future__ import annotations

import signal
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from typing import Any

__all__ = ["on_stop_signals"]


@contextmanager
def on_stop_signals(stop: Callable[[], None]) -> Iterator[None]:
    """While the block runs, SIGINT and SIGTERM call ``stop`` (each time one arrives)
    instead of raising KeyboardInterrupt or ending the process; the previous handlers
    are put back after it."""

    def handler(signum: int, frame: Any) -> None:
        stop()

    previous = {s: signal.signal(s, handler) for s in (signal.SIGINT, signal.SIGTERM)}
    try:
        yield
    finally:
        for s, old in previous.items():
            signal.signal(s, old)
