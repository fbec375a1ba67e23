"""Two SHA-1 digests over the same bytes at once: a response record's block digest (HTTP
head and payload) and its payload digest (the payload alone) are both SHA-1 in almost
every WARC, and hashing is half of verify's time.

``new()`` makes a SHA-1 hasher and ``update2(a, b, data)`` feeds ``data`` to two of them.
Where the optional extension verify/_sha1x2.c was built and the CPU has the x86 SHA
extensions (cpuid, at import), the two streams run interleaved in one instruction stream,
about 1.6 times the speed of two hashlib passes; anywhere else hashlib does the work,
with the same digests. ``COMPILED`` says which.
"""

from __future__ import annotations

import hashlib
from collections.abc import Callable
from typing import Protocol

__all__ = ["Sha1", "new", "update2", "COMPILED"]


class Sha1(Protocol):
    def update(self, data: bytes | bytearray | memoryview, /) -> None: ...

    def digest(self) -> bytes: ...


def _update2(a: Sha1, b: Sha1, data: bytes | bytearray | memoryview) -> None:
    a.update(data)
    b.update(data)


new: Callable[[], Sha1] = hashlib.sha1
update2: Callable[[Sha1, Sha1, bytes | bytearray | memoryview], None] = _update2
COMPILED = False

try:
    from . import _sha1x2
except ImportError:  # built without a C compiler, or not built (a source checkout)
    pass
else:
    if _sha1x2.available():
        new = _sha1x2.Sha1
        update2 = _sha1x2.update2  # type: ignore[assignment]  # takes only its own Sha1
        COMPILED = True
