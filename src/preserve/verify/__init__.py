"""Verification of WARC files and collections: fixity, WARC structure and digests, derived
files, the audit trail. Library only: results are a Report of findings with stable codes
(docs/verify.md); the CLI renders them and turns them into an exit status."""

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
