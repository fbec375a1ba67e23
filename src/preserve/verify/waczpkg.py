"""Verify WACZ 1.1.1 files.

Not built yet: every package of this kind gets PACKAGE_NOT_SUPPORTED."""

from __future__ import annotations

from pathlib import Path

from .collection import VerifyOptions
from .report import Report, finding
from .runner import ProgressCallback

__all__ = ["verify_wacz"]


def verify_wacz(path: Path, options: VerifyOptions, *,
        on_progress: ProgressCallback | None = None) -> Report:
    report = Report()
    report.findings.append(finding("PACKAGE_NOT_SUPPORTED", str(path),
                                   "verifying this kind of package is not built yet"))
    return report
