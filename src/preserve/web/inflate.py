"""The one inflate path: every reader of gzip WARC members (store.reader, verify's scan
and its piece finder) and of gzip or deflate content coding (web.decoding) inflates here.

The backend is ``zlib-ng`` (its Python binding, a default dependency) when it is
installed, and the standard ``zlib`` otherwise. Both give the same bytes, the same
``eof``, ``unused_data`` and ``unconsumed_tail`` at every step, and the same error
wording (zlib-ng keeps zlib's messages), so a damaged file gets the same findings
whichever backend read it; docs/benchmarks.md has the measurements behind the choice
(zlib-ng inflates about twice as fast as zlib 1.2.13 in preserve's read loop; isal is
close behind but words its errors differently).

The environment variable ``PRESERVE_INFLATE=zlib`` forces the standard zlib. It is read
here, once, rather than passed down from the CLI, because it must reach verify's spawned
worker processes and every command a test runs: it is a switch for comparing backends,
not a setting. ``using`` switches the backend within a process, for tests.
"""

from __future__ import annotations

import os
import zlib
from collections.abc import Iterator
from contextlib import contextmanager
from types import ModuleType
from typing import Protocol

__all__ = ["Decompressor", "ERRORS", "available", "backend", "decompressobj", "using"]

_BACKENDS: dict[str, ModuleType] = {"zlib": zlib}
try:
    from zlib_ng import zlib_ng
except ImportError:  # not installed: the standard zlib does everything
    pass
else:
    _BACKENDS["zlib-ng"] = zlib_ng


class Decompressor(Protocol):
    """What a decompress object offers every backend alike (``zlib.Decompress``'s API
    less ``copy``)."""

    @property
    def eof(self) -> bool: ...
    @property
    def unused_data(self) -> bytes: ...
    @property
    def unconsumed_tail(self) -> bytes: ...
    def decompress(self, data: bytes, max_length: int = ..., /) -> bytes: ...
    def flush(self, length: int = ..., /) -> bytes: ...


# What a corrupt stream raises, whichever backend reads it (their messages are the same).
ERRORS: tuple[type[Exception], ...] = tuple(dict.fromkeys(m.error for m in _BACKENDS.values()))

_FASTEST = "zlib-ng" if "zlib-ng" in _BACKENDS else "zlib"
_name = "zlib" if os.environ.get("PRESERVE_INFLATE") == "zlib" else _FASTEST
_module = _BACKENDS[_name]


def decompressobj(wbits: int) -> Decompressor:
    """A decompress object of the backend in use (``wbits`` as ``zlib.decompressobj``)."""
    obj: Decompressor = _module.decompressobj(wbits)
    return obj


def backend() -> str:
    """The name of the backend in use: ``zlib-ng`` or ``zlib``."""
    return _name


def available() -> list[str]:
    """The backends installed, the standard zlib first."""
    return list(_BACKENDS)


@contextmanager
def using(name: str) -> Iterator[None]:
    """Inflate with backend ``name`` within the block (ValueError if it is not installed)."""
    global _name, _module
    if name not in _BACKENDS:
        raise ValueError(f"inflate backend {name!r} is not installed "
                         f"(installed: {', '.join(_BACKENDS)})")
    saved = _name, _module
    _name, _module = name, _BACKENDS[name]
    try:
        yield
    finally:
        _name, _module = saved
