"""Verify BagIt bags (RFC 8493, BagIt 0.93 to 1.0; directories, .zip, .tar, .tar.gz).

Not built yet: every package of this kind gets PACKAGE_NOT_SUPPORTED."""

from __future__ import annotations

from pathlib import Path

from .collection import VerifyOptions
from .report import Report, finding
from .runner import ProgressCallback

__all__ = ["verify_bag"]


def verify_bag(path: Path, options: VerifyOptions, *,
        on_progress: ProgressCallback | None = None) -> Report:
    report = Report()
    report.findings.append(finding("PACKAGE_NOT_SUPPORTED", str(path),
                                   "verifying this kind of package is not built yet"))
    return report
