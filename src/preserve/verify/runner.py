"""Scanning many files on several cores, with progress and a time budget.

Each file is one job for a worker process (``jobs`` > 1) or for this process; workers
report bytes read through a queue, so ``on_progress`` sees the whole run's bytes/s.
With a deadline, no file is started that the rate so far says would end after it, and
files still running at the deadline are abandoned (they count as not checked).
"""

from __future__ import annotations

import multiprocessing
import os
import queue
import time
from collections.abc import Callable, Sequence
from concurrent.futures import FIRST_COMPLETED, Future, ProcessPoolExecutor, wait
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from .facts import FactWriter
from .report import FileResult
from .warcscan import scan_warc

__all__ = ["Job", "ScanOutput", "run_scans", "ProgressCallback", "default_jobs"]

ProgressCallback = Callable[[int, int], None]  # bytes done, bytes in total
_REPORT_STEP = 8 << 20
_ASSUMED_RATE = 100e6  # bytes/s before the first file ends, for the deadline estimate

_progress_queue: Any = None


def default_jobs() -> int:
    return max(1, min(os.cpu_count() or 1, 8))


@dataclass(frozen=True)
class Job:
    path: Path
    name: str  # how findings name the file
    size: int
    algorithms: tuple[str, ...] = ("sha256",)
    parse: bool = True  # a WARC: parse records; else only digests
    index: bool = False  # record CDXJ and page facts (collection WARCs)


@dataclass(frozen=True)
class ScanOutput:
    job: Job
    result: FileResult
    ids: Path | None
    cdxj: Path | None
    pages: Path | None


def _init_worker(q: Any) -> None:
    global _progress_queue
    _progress_queue = q


def _scan(job: Job, scratch: Path, stem: str) -> ScanOutput:
    pending = [0]

    def report(n: int) -> None:
        pending[0] += n
        if pending[0] >= _REPORT_STEP and _progress_queue is not None:
            _progress_queue.put(pending[0])
            pending[0] = 0

    out = _scan_local(job, scratch, stem, report)
    if pending[0] and _progress_queue is not None:
        _progress_queue.put(pending[0])
    return out


def run_scans(jobs: Sequence[Job], scratch: Path, *, workers: int = 1,
              deadline: float | None = None,
              on_progress: ProgressCallback | None = None,
              clock: Callable[[], float] = time.monotonic) -> list[ScanOutput]:
    """Scan ``jobs`` in order (at most ``workers`` at once); results in ``jobs`` order.
    ``deadline`` is a time on ``clock``; jobs not finished by then are left out."""
    total = sum(j.size for j in jobs)
    done = [0]
    started = clock()

    def progress(n: int) -> None:
        done[0] += n
        if on_progress is not None:
            on_progress(min(done[0], total), total)

    def fits(job: Job) -> bool:
        if deadline is None:
            return True
        elapsed = clock() - started
        rate = done[0] / elapsed if done[0] and elapsed > 0 else _ASSUMED_RATE
        return clock() + job.size / rate <= deadline

    results: dict[int, ScanOutput] = {}
    if workers <= 1 or len(jobs) <= 1:
        global _progress_queue
        for i, job in enumerate(jobs):
            if not fits(job):
                continue
            _progress_queue = None
            out = _scan_local(job, scratch, f"f{i}", progress)
            if deadline is not None and clock() > deadline:
                break
            results[i] = out
        return [results[i] for i in sorted(results)]
    ctx = multiprocessing.get_context("spawn")
    q = ctx.Queue()
    pool = ProcessPoolExecutor(max_workers=workers, mp_context=ctx, initializer=_init_worker,
                               initargs=(q,))
    running: dict[Future[ScanOutput], int] = {}
    todo = list(enumerate(jobs))
    try:
        while todo or running:
            while todo and len(running) < workers:
                i, job = todo.pop(0)
                if fits(job):
                    running[pool.submit(_scan, job, scratch, f"f{i}")] = i
            if not running:
                break
            finished, _ = wait(running, timeout=0.2, return_when=FIRST_COMPLETED)
            _drain(q, progress)
            for fut in finished:
                results[running.pop(fut)] = fut.result()
            if deadline is not None and clock() > deadline:
                break
    finally:
        _drain(q, progress)
        for fut in running:
            fut.cancel()
        pool.shutdown(wait=not running, cancel_futures=True)
        if running:  # abandoned at the deadline: stop the workers still reading
            for proc in list((getattr(pool, "_processes", None) or {}).values()):
                proc.terminate()
        q.close()
    return [results[i] for i in sorted(results)]


def _scan_local(job: Job, scratch: Path, stem: str,
                progress: Callable[[int], None]) -> ScanOutput:
    writer = (FactWriter(scratch, stem, Path(job.name).name, index=job.index)
              if job.parse else None)
    try:
        result = scan_warc(job.path, job.name, algorithms=job.algorithms, sink=writer,
                           on_bytes=progress, parse=job.parse)
    finally:
        if writer is not None:
            writer.close()
    if writer is None:
        return ScanOutput(job, result, None, None, None)
    return ScanOutput(job, result, writer.ids_path,
                      writer.cdxj_path if job.index else None,
                      writer.pages_path if job.index else None)


def _drain(q: Any, progress: Callable[[int], None]) -> None:
    while True:
        try:
            n = q.get_nowait()
        except (queue.Empty, OSError, ValueError):
            return
        progress(n)
