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
from typing import Any, BinaryIO

from ..collection import Collection
from .audit import FIXITY_CHECK
from .report import Finding, finding

__all__ = ["check_normalised", "Baselines", "NORMALISED", "NORMALISED_EVENT"]

NORMALISED = (Collection.ARTICLES_REL, Collection.SITES_REL)
NORMALISED_EVENT = "articles normalised"
_REPORT_MAX = 20


class Baselines(dict[str, tuple[str | None, str]]):
    """Normalise's output -> the digest it should have (None: not known) and since when,
    folded from the event log in order: the digests an ``articles normalised`` event
    recorded, or a later passing check's."""

    def fold(self, event: dict[str, Any]) -> None:
        data = event.get("data")
        data = data if isinstance(data, dict) else {}
        when = str(event.get("eventDateTime"))
        if event.get("eventType") == NORMALISED_EVENT:
            digests = data.get("sha256")
            for rel in NORMALISED:
                d = digests.get(rel) if isinstance(digests, dict) else None
                self[rel] = (d if isinstance(d, str) else None,
                             f"`preserve normalise` wrote it ({when})")
        elif (event.get("eventType") == FIXITY_CHECK and event.get("eventOutcome") == "pass"
              and event.get("linkingObject") in NORMALISED
              and isinstance(data.get("sha256"), str)):
            self[event["linkingObject"]] = (data["sha256"], f"its check of {when}")


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
