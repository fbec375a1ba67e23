"""Verify OCFL 1.0 and 1.1 objects and storage roots.

Not built yet: every package of this kind gets PACKAGE_NOT_SUPPORTED."""

from __future__ import annotations

from pathlib import Path

from .collection import VerifyOptions
from .report import Report, finding
from .runner import ProgressCallback

__all__ = ["verify_ocfl"]


def verify_ocfl(path: Path, options: VerifyOptions, *,
        on_progress: ProgressCallback | None = None) -> Report:
    report = Report()
    report.findings.append(finding("PACKAGE_NOT_SUPPORTED", str(path),
                                   "verifying this kind of package is not built yet"))
    return report
