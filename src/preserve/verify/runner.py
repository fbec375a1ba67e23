"""Scanning many files on several cores, with progress and a time budget.

Each file is one task for a worker process (``jobs`` > 1) or for this process, except
that a gzip WARC whose only check is its records (no whole-file digest, no index: a
loose WARC file) is cut into pieces at gzip member boundaries, so that five files keep
two workers equally busy (verify.pieces); the pieces' results are merged back per file.
Workers report bytes read through a queue, so ``on_progress`` sees the whole run's
bytes/s. With a deadline, no file is split, none is started that the rate so far says
would end after it, and files still running at the deadline are abandoned (they count
as not checked).
"""

from __future__ import annotations

import os
import queue
import shutil
import time
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import TYPE_CHECKING, Any

from ..safeopen import Refused
from .facts import FactWriter
from .pieces import Piece, is_gzip, merge, plan, scan_piece
from .report import FileResult
from .warcscan import scan_warc

if TYPE_CHECKING:
    from concurrent.futures import Future

__all__ = ["Job", "ScanOutput", "run_scans", "ProgressCallback", "default_jobs"]

ProgressCallback = Callable[[int, int], None]  # bytes done, bytes in total
_REPORT_STEP = 8 << 20
_ASSUMED_RATE = 100e6  # bytes/s before the first file ends, for the deadline estimate
_PIECES_PER_WORKER = 32  # few enough that a piece costs nothing, enough to end together
_MIN_PIECE = 8 << 20

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
    root: Path | None = None  # the collection ``name`` is relative to (no symlink followed)


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


@dataclass(frozen=True)
class _Task:
    """A whole file, or with ``piece`` the nominal range [start, end) of one."""

    job: Job
    stem: str
    start: int = 0
    end: int = 0
    piece: bool = False

    @property
    def size(self) -> int:
        return self.end - self.start if self.piece else self.job.size


_Output = ScanOutput | tuple[Piece, Path]


def _scan(task: _Task, scratch: Path) -> _Output:
    pending = [0]

    def report(n: int) -> None:
        pending[0] += n
        if pending[0] >= _REPORT_STEP and _progress_queue is not None:
            _progress_queue.put(pending[0])
            pending[0] = 0

    out = _run_task(task, scratch, report)
    if pending[0] and _progress_queue is not None:
        _progress_queue.put(pending[0])
    return out


def _run_task(task: _Task, scratch: Path, progress: Callable[[int], None]) -> _Output:
    job = task.job
    if not task.piece:
        return _scan_local(job, scratch, task.stem, progress)
    writer = FactWriter(scratch, task.stem, Path(job.name).name, index=False)
    try:
        piece = scan_piece(job.path, job.name, task.start, task.end, sink=writer,
                           on_bytes=progress)
    finally:
        writer.close()
    return piece, writer.ids_path


def _records_only(job: Job) -> bool:
    """Only its records are checked: no whole-file digest, no index facts."""
    return job.parse and not job.algorithms and not job.index


def _splittable(job: Job) -> bool:
    """Only its records are checked, and it is gzip: pieces can be checked apart."""
    if not _records_only(job) or job.root is not None:
        return False
    try:
        return is_gzip(job.path)
    except (OSError, Refused):
        return False  # the whole-file scan reports it


def _tasks(jobs: Sequence[Job], piece_size: int | None) -> list[list[_Task]]:
    """The tasks of each job: one, or its pieces of about ``piece_size`` bytes."""
    out = []
    for i, job in enumerate(jobs):
        if piece_size is not None and job.size > piece_size and _splittable(job):
            out.append([_Task(job, f"f{i}p{k}", a, b, piece=True)
                        for k, (a, b) in enumerate(plan(job.size, piece_size))])
        else:
            out.append([_Task(job, f"f{i}")])
    return out


def run_scans(jobs: Sequence[Job], scratch: Path, *, workers: int = 1,
              deadline: float | None = None,
              on_progress: ProgressCallback | None = None,
              clock: Callable[[], float] = time.monotonic,
              piece_size: int | None = None) -> list[ScanOutput]:
    """Scan ``jobs`` (at most ``workers`` at once); results in ``jobs`` order.
    ``deadline`` is a time on ``clock``; jobs not finished by then are left out.
    ``piece_size``: cut files that can be split into pieces of about this size (by
    default, with several workers and no deadline, 1/32 of a worker's share)."""
    if piece_size is None and workers > 1 and deadline is None:
        share = sum(j.size for j in jobs if _records_only(j))
        piece_size = max(_MIN_PIECE, share // (workers * _PIECES_PER_WORKER))
    per_job = _tasks(jobs, piece_size if deadline is None else None)
    tasks = [t for ts in per_job for t in ts]
    done = _execute(tasks, scratch, workers, deadline, on_progress, clock)
    outputs = []
    for i, (job, ts) in enumerate(zip(jobs, per_job, strict=True)):
        got = [done.get(t.stem) for t in ts]
        if any(o is None for o in got):
            continue  # not (wholly) checked before the deadline
        if not ts[0].piece:
            whole = got[0]
            assert isinstance(whole, ScanOutput)
            outputs.append(whole)
        else:
            outputs.append(_merged(job, f"f{i}", [o for o in got if isinstance(o, tuple)],
                                   scratch))
    return outputs


def _merged(job: Job, stem: str, pieces: list[tuple[Piece, Path]],
            scratch: Path) -> ScanOutput:
    """One file's output from its pieces' (see verify.pieces: a rescan reads, in this
    process, the rest of a file whose pieces do not join up)."""
    ids = [p for _, p in pieces]

    def rescan(offset: int) -> Piece:
        writer = FactWriter(scratch, f"{stem}r", Path(job.name).name, index=False)
        try:
            piece = scan_piece(job.path, job.name, offset, None, sink=writer, probe=False)
        finally:
            writer.close()
        ids.append(writer.ids_path)
        return piece

    result, taken = merge(job.name, job.size, [p for p, _ in pieces], rescan)
    joined = scratch / f"{stem}.ids"
    with open(joined, "wb") as out:
        for k in taken:
            with open(ids[k], "rb") as f:
                shutil.copyfileobj(f, out)
    return ScanOutput(job, result, joined, None, None)


def _execute(tasks: Sequence[_Task], scratch: Path, workers: int, deadline: float | None,
             on_progress: ProgressCallback | None,
             clock: Callable[[], float]) -> dict[str, _Output]:
    """Run ``tasks``; their outputs by stem (those finished before any deadline)."""
    total = sum(t.size for t in tasks)
    done = [0]
    started = clock()

    def progress(n: int) -> None:
        done[0] += n
        if on_progress is not None:
            on_progress(min(done[0], total), total)

    if on_progress is not None:  # the total is known before the first byte is read
        on_progress(0, total)

    def fits(task: _Task) -> bool:
        if deadline is None:
            return True
        elapsed = clock() - started
        rate = done[0] / elapsed if done[0] and elapsed > 0 else _ASSUMED_RATE
        return clock() + task.size / rate <= deadline

    results: dict[str, _Output] = {}
    if workers <= 1 or len(tasks) <= 1:
        global _progress_queue
        for task in tasks:
            if not fits(task):
                continue
            _progress_queue = None
            out = _run_task(task, scratch, progress)
            if deadline is not None and clock() > deadline:
                break
            results[task.stem] = out
        return results
    # Here, not at the top: a verify of one small file, or with --jobs 1, starts no worker,
    # and multiprocessing with concurrent.futures is a good part of its start-up.
    import multiprocessing
    from concurrent.futures import FIRST_COMPLETED, ProcessPoolExecutor, wait

    ctx = multiprocessing.get_context("spawn")
    q = ctx.Queue()
    pool = ProcessPoolExecutor(max_workers=workers, mp_context=ctx, initializer=_init_worker,
                               initargs=(q,))
    running: dict[Future[_Output], str] = {}
    todo = list(tasks)
    # Without a deadline, keep one task queued per worker, so none waits for this loop.
    ahead = workers if deadline is not None else 2 * workers
    try:
        while todo or running:
            while todo and len(running) < ahead:
                task = todo.pop(0)
                if fits(task):
                    running[pool.submit(_scan, task, scratch)] = task.stem
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
    if on_progress is not None and len(results) == len(tasks) and done[0] < total:
        # A worker's last byte counts can still be in the queue's pipe when its future
        # completes; every task finished, so the run read everything.
        on_progress(total, total)
    return results


def _scan_local(job: Job, scratch: Path, stem: str,
                progress: Callable[[int], None]) -> ScanOutput:
    writer = (FactWriter(scratch, stem, Path(job.name).name, index=job.index)
              if job.parse else None)
    try:
        result = scan_warc(job.path, job.name, algorithms=job.algorithms, sink=writer,
                           on_bytes=progress, parse=job.parse, root=job.root)
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
