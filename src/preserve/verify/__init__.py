"""Verification of WARC files and collections: fixity, WARC structure and digests, derived
files, the audit trail. Library only: results are a Report of findings with stable codes
(docs/verify.md); the CLI renders them and turns them into an exit status.

Names are imported on first use, so a worker process that needs only the scanner does
not pay for importing the rest.
"""

from __future__ import annotations

import importlib
from typing import TYPE_CHECKING, Any

if TYPE_CHECKING:
    from .audit import AuditEntry, FileHistory, audit_collection, history
    from .collection import VerifyOptions, verify_collection
    from .digests import Digest, DigestFormatError, parse_digest
    from .files import verify_files
    from .premis import write_premis
    from .report import CODES, FileResult, Finding, Report
    from .runner import default_jobs

__all__ = [
    "AuditEntry",
    "CODES",
    "Digest",
    "DigestFormatError",
    "FileHistory",
    "FileResult",
    "Finding",
    "Report",
    "VerifyOptions",
    "audit_collection",
    "default_jobs",
    "history",
    "parse_digest",
    "verify_collection",
    "verify_files",
    "write_premis",
]

_WHERE = {
    "AuditEntry": "audit", "FileHistory": "audit", "audit_collection": "audit",
    "history": "audit", "VerifyOptions": "collection", "verify_collection": "collection",
    "Digest": "digests", "DigestFormatError": "digests", "parse_digest": "digests",
    "verify_files": "files", "write_premis": "premis", "CODES": "report",
    "FileResult": "report", "Finding": "report", "Report": "report",
    "default_jobs": "runner",
}


def __getattr__(name: str) -> Any:
    if name not in _WHERE:
        raise AttributeError(f"module {__name__!r} has no attribute {name!r}")
    return getattr(importlib.import_module(f".{_WHERE[name]}", __name__), name)
