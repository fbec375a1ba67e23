"""The output of ``preserve normalise`` checked as derived files.

``normalised/articles.jsonl`` and ``normalised/sites.jsonl`` are rebuilt from the WARCs
and replaced whole by every normalise run, so no manifest lists them. Each must be JSON
lines (one object a line) and have the SHA-256 that ``preserve normalise`` recorded in
its ``articles normalised`` event, or, when that event recorded none, the one of the
file's last passing check since: a change that no normalise run explains is an error.
Normalise's state database is working data and is not checked (Collection.is_working).
"""

from __future__ import annotations

import hashlib
import json
from typing import BinaryIO

from .report import Finding, finding

__all__ = ["check_normalised", "NORMALISED_EVENT"]

NORMALISED_EVENT = "articles normalised"
_REPORT_MAX = 20


def check_normalised(f: BinaryIO, rel: str, base: tuple[str | None, str] | None
                     ) -> tuple[list[Finding], str, int]:
    """Read ``f`` (the file at ``rel``) once; ``base``: the digest it should have and
    since when, if known. The findings, the file's SHA-256 and its size."""
    out: list[Finding] = []
    h = hashlib.sha256()
    size = 0
    bad = 0
    for lineno, raw in enumerate(f, 1):
        h.update(raw)
        start = size
        size += len(raw)
        try:
            ok = raw.endswith(b"\n") and isinstance(json.loads(raw), dict)
        except ValueError:
            ok = False
        if not ok:
            bad += 1
            if bad <= _REPORT_MAX:
                out.append(finding("NORMALISED_MALFORMED", rel, f"line {lineno} is not a "
                                   "JSON object and a newline", start,
                                   found=raw[:120].decode("utf-8", "replace")))
    digest = h.hexdigest()
    if base is not None and base[0] is not None and base[0] != digest:
        out.append(finding("NORMALISED_CHANGED", rel, f"changed since {base[1]}, and no "
                           "`preserve normalise` run since explains it; rebuild it: remove "
                           "normalised/ and run `preserve normalise`", None, base[0], digest))
    return out, digest, size
