"""Start-up (issue 19): what every ``preserve`` command pays before it does any work.

Times ``python -m preserve --help``, ``python -m preserve verify -q COLL`` on a tiny
collection (two pages crawled from a server on 127.0.0.1 started by this script) and
``python -m preserve verify -q WARC`` on that collection's one WARC file, with
``python -c pass`` for scale: wall time and CPU from wait4, medians of rotating rounds.
With ``--before REV`` the same commands also run with that revision's ``src/`` (taken
with ``git archive``) first on the path, in turns with this checkout's, so a slow spell
of the shared machine falls on both. The number of modules each command imports (lines
of ``-X importtime``) is given too: it does not depend on the machine's load. The
figures replace the "Start-up" section of docs/benchmarks.md. Run from the repository::

    .venv/bin/python bench/startup.py [--before REV] [--repeat 20] [--quick]
"""

from __future__ import annotations

import argparse
import functools
import os
import platform
import shutil
import subprocess
import sys
import tarfile
import tempfile
import threading
from collections.abc import Iterator
from contextlib import contextmanager
from datetime import UTC, datetime
from http.server import SimpleHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path

from harness import log, machine, measure, median, publish

ROOT = Path(__file__).resolve().parent.parent
START, END = "<!-- bench:startup:start -->", "<!-- bench:startup:end -->"
PAGES = {
    "index.html": '<html><head><title>Home</title></head><body><p>Home page.</p>'
                  '<a href="b.html">B</a></body></html>',
    "b.html": "<html><head><title>B</title></head><body><p>Page B.</p></body></html>",
}


class _Quiet(SimpleHTTPRequestHandler):
    def log_message(self, format: str, *args: object) -> None:
        pass


@contextmanager
def serve(directory: Path) -> Iterator[str]:
    server = ThreadingHTTPServer(("127.0.0.1", 0),
                                 functools.partial(_Quiet, directory=str(directory)))
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    try:
        yield f"http://127.0.0.1:{server.server_address[1]}/"
    finally:
        server.shutdown()
        server.server_close()


def source_of(rev: str, dest: Path) -> Path:
    """``src/`` of revision ``rev`` of this repository, unpacked under ``dest``."""
    archive = dest / "src.tar"
    with open(archive, "wb") as f:
        subprocess.run(["git", "archive", rev, "src"], cwd=ROOT, stdout=f, check=True)
    with tarfile.open(archive) as tar:
        tar.extractall(dest, filter="data")
    return dest / "src"


def env_for(src: Path) -> dict[str, str]:
    return {**os.environ, "PYTHONPATH": str(src)}


def cache_bytecode(work: Path) -> None:
    """Let every child keep its compiled modules (in ``work``, not the checkout), as an
    installed preserve does: compiling the sources on every run would be timed too."""
    os.environ.pop("PYTHONDONTWRITEBYTECODE", None)
    os.environ["PYTHONPYCACHEPREFIX"] = str(work / "pycache")


def imported(command: list[str], src: Path, cwd: Path) -> int:
    """How many modules ``command`` imports (its ``-X importtime`` lines)."""
    err = subprocess.run([command[0], "-X", "importtime", *command[1:]], cwd=cwd,
                         env=env_for(src), capture_output=True, text=True).stderr
    return sum(1 for line in err.splitlines() if line.startswith("import time:")
               and not line.rstrip().endswith("| package"))


def main(argv: list[str] | None = None) -> int:
    p = argparse.ArgumentParser(description="start-up of preserve commands")
    p.add_argument("--before", metavar="REV", help="also time this revision's src/")
    p.add_argument("--repeat", type=int, default=20)
    p.add_argument("--out", type=Path, default=ROOT / "docs" / "benchmarks.md")
    p.add_argument("--quick", action="store_true", help="3 rounds; prints only")
    args = p.parse_args(argv)
    if args.quick:
        args.repeat = 3
    python = sys.executable
    work = Path(tempfile.mkdtemp(prefix="bench-startup-"))
    try:
        sides = {"after": ROOT / "src"}
        if args.before:
            (work / "before").mkdir()
            sides = {"before": source_of(args.before, work / "before"), **sides}
        site = work / "site"
        site.mkdir()
        for name, html in PAGES.items():
            (site / name).write_text(html)
        coll = work / "coll"
        cwd = work / "run"  # measure() writes out.txt beside it, in work
        cwd.mkdir()
        with serve(site) as url:
            subprocess.run([python, "-m", "preserve", "crawl", str(coll), "--seed", url,
                            "--delay", "0", "--quiet"], env=env_for(ROOT / "src"), check=True)
        commands = {
            "`python -c pass`": [python, "-c", "pass"],
            "`preserve --help`": [python, "-m", "preserve", "--help"],
            "`preserve verify -q COLL`": [python, "-m", "preserve", "verify", "-q", str(coll)],
            "`preserve verify -q WARC`": [python, "-m", "preserve", "verify", "-q",
                                          str(next(coll.glob("warcs/*.warc.gz")))],
        }
        wall: dict[tuple[str, str], list[float]] = {}
        cpu: dict[tuple[str, str], list[float]] = {}
        cache_bytecode(work)
        order = list(sides)
        for side in order:  # once untimed: compiles and caches every module
            os.environ["PYTHONPATH"] = str(sides[side])
            for command in commands.values():
                measure(command, cwd)
        for r in range(args.repeat):
            for side in order[r % len(order):] + order[:r % len(order)]:
                for label, command in commands.items():
                    os.environ["PYTHONPATH"] = str(sides[side])
                    run = measure(command, cwd)
                    if run.status != 0:
                        raise SystemExit(f"{label} ({side}) exited {run.status}")
                    wall.setdefault((side, label), []).append(run.wall)
                    cpu.setdefault((side, label), []).append(run.cpu)
            log(f"round {r + 1}/{args.repeat}")
        modules = {(side, label): imported(command, src, cwd)
                   for side, src in sides.items() for label, command in commands.items()}
    finally:
        shutil.rmtree(work, ignore_errors=True)
    what = f"before (`{args.before}`) and after (this checkout), in turns" if args.before \
        else "this checkout"
    lines = [
        "",
        f"Run {datetime.now(UTC):%Y-%m-%d %H:%M} UTC by `bench/startup.py`. Machine: "
        f"{machine()}; Python {platform.python_version()}. {what}; medians of "
        f"{args.repeat} rounds, wall time and CPU (user+sys) from wait4, in ms; COLL is a "
        "collection of two small pages, WARC its one WARC file. Compiled modules are "
        "cached, as in an installed preserve (one untimed run first). Modules: how many "
        "the command imports (`-X importtime`), interpreter start-up included.",
        "",
        "| command | side | wall ms | CPU ms | modules |",
        "| --- | --- | ---: | ---: | ---: |",
    ]
    for label in commands:
        for side in sides:
            lines.append(f"| {label} | {side} | {median(wall[side, label]) * 1000:.0f} "
                         f"| {median(cpu[side, label]) * 1000:.0f} "
                         f"| {modules[side, label]} |")
    if args.before:
        lines += ["", "| command | after/before, wall | after/before, CPU |",
                  "| --- | ---: | ---: |"]
        for label in list(commands)[1:]:
            w = median(wall["after", label]) / median(wall["before", label])
            c = median(cpu["after", label]) / median(cpu["before", label])
            lines.append(f"| {label} | {w:.2f} | {c:.2f} |")
    publish("\n".join(lines) + "\n", quick=args.quick, out=args.out, start=START,
            end=END, heading="Start-up")
    return 0


if __name__ == "__main__":
    sys.exit(main())
