"""The audit trail: ``fixity check`` events in, per-file history and rolling order out.

Every verify run on a collection appends one ``fixity check`` event per file it checked
(PREMIS 3 semantics: eventOutcome ``pass`` or ``fail``, the object's path, its SHA-256
and size in ``data``). ``history`` folds the log into each file's last check and last
pass; ``rolling_order`` puts the files whose last pass is oldest (or never) first, which
is how a ``--budget`` run chooses what to read.
"""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from dataclasses import dataclass, field
from datetime import UTC, datetime, timedelta
from typing import Any

from ..collection import Collection
from ..safeopen import Refused, open_in
from ..store.events import EventLog
from .listing import list_collection
from .report import Report

__all__ = ["FileHistory", "history", "rolling_order", "record_run", "audit_collection",
           "audit_entries", "AuditEntry", "FIXITY_CHECK", "DEFAULT_MAX_AGE"]

FIXITY_CHECK = "fixity check"
DEFAULT_MAX_AGE = 365 * 86400.0  # NDSA level 3 asks for fixity checks at least yearly


@dataclass
class FileHistory:
    path: str
    last_check: str | None = None  # eventDateTime
    last_outcome: str | None = None
    last_pass: str | None = None
    last_pass_data: dict[str, Any] = field(default_factory=dict)
    last_detail: str = ""
    checks: int = 0


def history(events: Iterable[dict[str, Any]]) -> dict[str, FileHistory]:
    """Path -> its fixity-check history, from the events in log order."""
    out: dict[str, FileHistory] = {}
    for e in events:
        if e.get("eventType") != FIXITY_CHECK or not isinstance(e.get("linkingObject"), str):
            continue
        h = out.setdefault(e["linkingObject"], FileHistory(e["linkingObject"]))
        h.checks += 1
        h.last_check = e.get("eventDateTime")
        h.last_outcome = e.get("eventOutcome")
        h.last_detail = e.get("eventOutcomeDetail") or ""
        if h.last_outcome == "pass":
            h.last_pass = h.last_check
            data = e.get("data")
            h.last_pass_data = data if isinstance(data, dict) else {}
    return out


def time_key(when: str) -> str:
    """An eventDateTime that sorts as time does: events written before 2026-12-07 left
    out a fraction of exactly .000000 ("...:15Z"), which sorts after "...:15.5Z"."""
    if when.endswith("Z") and "." not in when[-8:]:
        return when[:-1] + ".000000Z"
    return when


def rolling_order(paths: Sequence[str], hist: dict[str, FileHistory]) -> list[str]:
    """``paths`` with never-passed files first, then by oldest last pass; stable."""
    def key(path: str) -> tuple[int, str]:
        h = hist.get(path)
        return (1, time_key(h.last_pass)) if h and h.last_pass else (0, "")
    return sorted(paths, key=key)


def record_run(log: EventLog, report: Report, checked: Iterable[str],
               data: dict[str, dict[str, Any]]) -> None:
    """Append one ``fixity check`` event per checked file: pass unless an error names it."""
    failed: dict[str, list[str]] = {}
    for f in report.errors:
        failed.setdefault(f.file, []).append(f.code)
    for path in checked:
        codes = sorted(set(failed.get(path, [])))
        facts = dict(data.get(path, {}))
        if codes:
            facts["codes"] = codes
            detail = f"{len(failed[path])} problem(s): {', '.join(codes)}"
        else:
            detail = "all checks passed"
        log.append("fixity check", outcome="fail" if codes else "pass", detail=detail,
                   obj=path, data=facts)


@dataclass(frozen=True)
class AuditEntry:
    path: str
    exists: bool
    last_check: str | None
    last_outcome: str | None
    last_pass: str | None
    status: str  # ok, failed, never, overdue, gone
    detail: str

    def to_dict(self) -> dict[str, Any]:
        return dict(self.__dict__)


def _parse_time(text: str) -> datetime:
    return datetime.fromisoformat(text.replace("Z", "+00:00"))


def audit_collection(coll: Collection, *, max_age: float = DEFAULT_MAX_AGE,
                     now: datetime | None = None) -> list[AuditEntry]:
    """Each file verify covers (and each file once checked), with its last check."""
    hist = history(EventLog(coll.events_path).read())
    covered = set(_covered_files(coll))
    return audit_entries(covered, covered, hist, max_age=max_age, now=now,
                         where="the collection")


def audit_entries(covered: set[str], present: set[str], hist: dict[str, FileHistory], *,
                  max_age: float = DEFAULT_MAX_AGE, now: datetime | None = None,
                  where: str = "the collection") -> list[AuditEntry]:
    """Each file of ``covered`` (which every verify checks) and each file ``hist``
    names, with its last check and its status (ok, failed, never, overdue; gone if not
    in ``present``)."""
    now = now or datetime.now(UTC)
    out = []
    for path in sorted(covered | set(hist)):
        h = hist.get(path)
        exists = path in present
        if not exists:
            status, detail = "gone", f"checked before, no longer in {where}"
        elif h is None or h.last_check is None:
            status, detail = "never", "never verified"
        elif h.last_outcome != "pass":
            status, detail = "failed", h.last_detail
        elif now - _parse_time(h.last_check) > timedelta(seconds=max_age):
            status, detail = "overdue", f"last verified more than {max_age / 86400:g} days ago"
        else:
            status, detail = "ok", h.last_detail
        out.append(AuditEntry(path, exists, h.last_check if h else None,
                              h.last_outcome if h else None, h.last_pass if h else None,
                              status, detail))
    return out


def _covered_files(coll: Collection) -> list[str]:
    """What verify covers: every file it lists (working data and `.open` WARCs left out,
    which verify does not check either) and every file a manifest lists."""
    listing = list_collection(coll)
    found = {rel for rel in listing.present
             if not (Collection.is_warc_rel(rel) and rel.endswith(".open"))}
    for rel in listing.files:
        if rel.startswith(Collection.MANIFEST_PREFIX) and rel.count("/") == 1:
            try:
                with open_in(coll.root, rel) as f:
                    text = f.read().decode("utf-8", "replace")
            except (OSError, Refused):
                continue
            for line in text.splitlines(keepends=True):
                digest, sep, path = line.rstrip("\n").partition("  ")
                if sep and line.endswith("\n") and digest:
                    found.add(path)
    return sorted(found)
