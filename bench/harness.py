"""What the benchmark scripts share: timing a child process with wait4, describing the
machine, and replacing a script's own section of docs/benchmarks.md.

It does not import preserve, so a script can still say plainly when preserve is missing."""

from __future__ import annotations

import os
import platform
import statistics
import subprocess
import sys
import time
from collections.abc import Sequence
from dataclasses import dataclass
from pathlib import Path

__all__ = ["Run", "log", "machine", "measure", "median", "publish", "stop", "tool_version",
           "verdict", "warm", "write_section"]


def log(message: str) -> None:
    print(message, file=sys.stderr, flush=True)


@dataclass
class Run:
    wall: float
    cpu: float
    max_rss_kb: int
    status: int


def measure(command: list[str], cwd: Path) -> Run:
    """Wall time, CPU (user+sys) and max RSS (of the largest process of the tree that the
    child waited for) from wait4; output to files (beside ``cwd``, never in a collection)
    so no pipe can block."""
    with open(cwd.parent / "out.txt", "wb") as out, open(cwd.parent / "err.txt", "wb") as err:
        t0 = time.perf_counter()
        proc = subprocess.Popen(command, cwd=cwd, stdout=out, stderr=err)
        _, status, usage = os.wait4(proc.pid, 0)
        wall = time.perf_counter() - t0
    return Run(wall, usage.ru_utime + usage.ru_stime, usage.ru_maxrss,
               os.waitstatus_to_exitcode(status))


def stop(proc: subprocess.Popen[bytes] | subprocess.Popen[str]) -> None:
    """End a helper process (a test site, a redis-server): SIGTERM, then SIGKILL after 20 s."""
    proc.terminate()
    try:
        proc.wait(timeout=20)
    except subprocess.TimeoutExpired:
        proc.kill()
        proc.wait()


def median(values: Sequence[float]) -> float:
    return statistics.median(values) if values else float("nan")


def warm(files: list[Path]) -> None:
    """Read every file once, so every tool timed after reads from the page cache."""
    for p in files:
        with open(p, "rb") as f:
            while f.read(1 << 24):
                pass


def tool_version(command: list[str]) -> str:
    try:
        out = subprocess.run(command, capture_output=True, text=True, timeout=30).stdout
    except OSError:
        return "?"
    return out.splitlines()[0] if out else "?"


def verdict(ok: bool) -> str:
    return "**met**" if ok else "**missed**"


def machine() -> str:
    """CPUs, CPU model, RAM and OS, as a section's Machine line gives them."""
    def first(path: str, key: str) -> str:
        try:
            for line in Path(path).read_text().splitlines():
                if line.startswith(key):
                    return line.split(":", 1)[1].strip()
        except OSError:
            pass
        return "unknown"

    mem_kb = first("/proc/meminfo", "MemTotal").split()[0]
    memory = f"{int(mem_kb) / 1024 / 1024:.1f} GiB" if mem_kb.isdigit() else mem_kb
    return (f"{len(os.sched_getaffinity(0))} CPUs (nproc), {first('/proc/cpuinfo', 'model name')}"
            f", {memory} RAM, {platform.system()} {platform.release()}")


def write_section(path: Path, start: str, end: str, heading: str, section: str,
                  new: str | None = None) -> None:
    """Put ``section`` (which begins with the start marker and ends with the end marker) in
    place of the text between those markers in ``path``, or append it under ``## heading``;
    other sections stay. ``new`` is the file's text if it does not exist yet."""
    text = path.read_text() if new is None or path.exists() else new
    if start in text and end in text:
        before, rest = text.split(start, 1)
        text = before + section + rest.split(end, 1)[1]
    else:
        text = text.rstrip("\n") + f"\n\n## {heading}\n\n" + section + "\n"
    tmp = path.with_name(f".{path.name}.tmp")
    with open(tmp, "w", encoding="utf-8") as f:
        f.write(text)
        f.flush()
        os.fsync(f.fileno())
    os.replace(tmp, path)


def publish(section: str, *, quick: bool, out: Path, start: str, end: str,
            heading: str) -> None:
    """Print ``section`` (a quick run writes nothing), or put it between its markers in
    ``out``."""
    if quick:
        print(section)
    else:
        write_section(out, start, end, heading, start + section + end)
        log(f"wrote the {heading} section of {out}")
