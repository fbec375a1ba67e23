"""Verify WARC files given one by one (any WARC, not only preserve's): each read once,
then record ids and revisit references checked across all of them."""

from __future__ import annotations

import os
import tempfile
import time
from collections.abc import Callable, Sequence
from pathlib import Path

from ..errors import UnreadableInput
from ..safeopen import Refused, open_regular
from .crossfile import CrossFileCheck
from .report import Report
from .runner import Job, ProgressCallback, run_scans

__all__ = ["verify_files"]


def verify_files(paths: Sequence[Path], *, jobs: int = 1, fixity_only: bool = False,
                 on_progress: ProgressCallback | None = None,
                 clock: Callable[[], float] = time.monotonic,
                 piece_size: int | None = None) -> Report:
    """Raises UnreadableInput for a path that is not a readable file. A gzip WARC is
    checked in pieces of about ``piece_size`` bytes (by default only with several
    ``jobs``; verify.runner), with the same report as in one piece."""
    started = clock()
    work = []
    for path in paths:
        try:
            with open_regular(path) as f:  # a FIFO or a device is never opened
                size = os.fstat(f.fileno()).st_size
        except Refused as e:
            raise UnreadableInput(path, f"{e.what}, not a regular file; give a WARC "
                                  "file") from e
        except OSError as e:
            raise UnreadableInput(path, e.strerror or str(e)) from e
        # No manifest to compare with: a whole-file digest only when it is all that is asked.
        work.append(Job(path, str(path), size, ("sha256",) if fixity_only else (),
                        parse=not fixity_only))
    report = Report()
    with tempfile.TemporaryDirectory(prefix="preserve-verify-") as tmp:
        outputs = run_scans(work, Path(tmp), workers=jobs, on_progress=on_progress,
                            clock=clock, piece_size=piece_size)
        cross = CrossFileCheck(Path(tmp) / "ids.sqlite", complete=False)
        for o in outputs:
            report.files.append(o.result)
            report.findings.extend(o.result.findings)
            report.bytes_read += o.result.size
            if o.ids is not None:
                cross.add_file(o.job.name, o.ids)
        report.findings.extend(cross.findings())
    report.seconds = clock() - started
    return report
