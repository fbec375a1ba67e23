"""Inflate benchmark (issue 19): which inflate backend preserve's readers use.

On bench/verify.py's corpus (built once, deterministically, reused from ``--workdir``;
500 MB by default), in the same run:

a. the inflate loop alone, in this process: every gzip member of every file inflated in
   verify's steps (128 KiB reads, at most 1 MiB out per call) with the standard zlib,
   zlib-ng and isal (each if importable; isal is measured for the choice, never used
   by preserve), CPU seconds;
b. preserve's own read loops: ``preserve verify --jobs 1 FILES`` (record-level) and
   ``preserve index COLL`` (the CDXJ index and pages rebuilt), each with the default
   backend and with ``PRESERVE_INFLATE=zlib``.

Rounds rotate which goes first, after one read of every file to warm the page cache;
medians are reported, with each round's pair ratio. The figures replace the Inflate
section of docs/benchmarks.md (between its markers). Run from the repository::

    .venv/bin/python bench/inflate.py [--size 500MB] [--repeat 5] [--workdir DIR] [--quick]
"""

from __future__ import annotations

import argparse
import importlib
import importlib.metadata
import platform
import sys
import tempfile
import time
import zlib
from datetime import UTC, datetime
from pathlib import Path
from types import ModuleType

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT / "src"))
sys.path.insert(0, str(ROOT / "bench"))

from harness import Run, log, machine, measure, median, publish, warm  # noqa: E402
from verify import build_corpus  # noqa: E402

from preserve.config import parse_size  # noqa: E402
from preserve.web import inflate  # noqa: E402

START = "<!-- bench:inflate:start -->"
END = "<!-- bench:inflate:end -->"
READ = 1 << 17
OUT_MAX = 1 << 20


def _backends() -> dict[str, ModuleType]:
    found: dict[str, ModuleType] = {"zlib": zlib}
    for name, module in (("zlib-ng", "zlib_ng.zlib_ng"), ("isal", "isal.isal_zlib")):
        try:
            found[name] = importlib.import_module(module)
        except ImportError:
            log(f"{name} is not importable here: left out of the loop")
    return found


def inflate_loop(module: ModuleType, files: list[Path]) -> int:
    """Inflate every member of ``files`` as verify's scanner does; bytes out."""
    total = 0
    new = module.decompressobj
    for path in files:
        with open(path, "rb") as f:
            d = None
            while data := f.read(READ):
                view = data
                while view:
                    if d is None:
                        d = new(31)
                    total += len(d.decompress(view, OUT_MAX))
                    if d.eof:
                        view, d = d.unused_data, None
                    else:
                        view = d.unconsumed_tail
    return total


def loop_rounds(files: list[Path], n: int) -> tuple[dict[str, list[float]], int]:
    backends = _backends()
    times: dict[str, list[float]] = {k: [] for k in backends}
    out = 0
    for i in range(n):
        order = list(backends) if i % 2 == 0 else list(reversed(backends))
        for name in order:
            t0 = time.process_time()
            out = inflate_loop(backends[name], files)
            times[name].append(time.process_time() - t0)
            log(f"  loop {name}: {times[name][-1]:.3f} s CPU")
    return times, out


def command_rounds(commands: dict[str, list[str]], n: int, cwd: Path
                   ) -> dict[str, list[Run]]:
    runs: dict[str, list[Run]] = {k: [] for k in commands}
    names = list(commands)
    for i in range(n):
        for name in names if i % 2 == 0 else list(reversed(names)):
            run = measure(commands[name], cwd)
            if run.status not in (0, 1):
                raise SystemExit(f"{name} exited {run.status}: see {cwd.parent / 'err.txt'}")
            log(f"  {name}: {run.wall:.2f} s wall, {run.cpu:.2f} s CPU")
            runs[name].append(run)
    return runs


def _pair(runs: dict[str, list[Run]], fast: str, slow: str) -> str:
    ratios = [s.cpu / f.cpu for f, s in zip(runs[fast], runs[slow], strict=True) if f.cpu]
    return f"{median(ratios):.2f}x" if ratios else "?"


def section(files: list[Path], loops: dict[str, list[float]], out: int,
            runs: dict[str, dict[str, list[Run]]], repeat: int) -> str:
    ver = {}
    for dist in ("zlib-ng", "isal"):
        try:
            ver[dist] = importlib.metadata.version(dist)
        except importlib.metadata.PackageNotFoundError:
            ver[dist] = "not installed"
    base = median(loops["zlib"])
    lines = [
        "",
        f"Run {datetime.now(UTC):%Y-%m-%d %H:%M} UTC by `bench/inflate.py`. Machine: "
        f"{machine()}; Python {platform.python_version()}, zlib "
        f"{zlib.ZLIB_RUNTIME_VERSION}, zlib-ng {ver['zlib-ng']}, isal {ver['isal']}. "
        f"Corpus: bench/verify.py's, {len(files)} gzip WARC files, "
        f"{sum(f.stat().st_size for f in files) / 1e6:.0f} MB ({out / 1e6:.0f} MB "
        f"inflated; 60% HTML pages, 40% incompressible image-like payloads). Medians of "
        f"{repeat} rounds, each round rotating which goes first; page cache warm.",
        "",
        "(a) The inflate loop alone (verify's steps, every member), CPU seconds:",
        "",
        "| backend | CPU s | vs zlib |",
        "| --- | ---: | ---: |",
    ]
    for name, times in loops.items():
        lines.append(f"| {name} | {median(times):.3f} | {base / median(times):.2f}x |")
    lines += [
        "",
        f"(b) preserve's own read loops, backend `{inflate.backend()}` (the default) against "
        "`PRESERVE_INFLATE=zlib`; the ratio is the median of each round's CPU ratio:",
        "",
        "| command | backend | wall s | CPU s | zlib CPU / this CPU |",
        "| --- | --- | ---: | ---: | ---: |",
    ]
    for group, group_runs in runs.items():
        fast = next(name for name in group_runs if name != "zlib")
        for name in ("zlib", fast):
            r = group_runs[name]
            ratio = _pair(group_runs, fast, "zlib") if name == fast else "1.00x"
            lines.append(f"| `{group}` | {name} | {median([x.wall for x in r]):.2f} | "
                         f"{median([x.cpu for x in r]):.2f} | {ratio} |")
    lines.append("")
    return "\n".join(lines)


def main(argv: list[str] | None = None) -> int:
    p = argparse.ArgumentParser(description="preserve's inflate backends side by side")
    p.add_argument("--size", default="500MB", help="corpus size [default: 500MB]")
    p.add_argument("--repeat", type=int, default=5)
    p.add_argument("--workdir", type=Path, help="keep the corpus here and reuse it")
    p.add_argument("--out", type=Path, default=ROOT / "docs" / "benchmarks.md")
    p.add_argument("--quick", action="store_true",
                   help="a 50 MB corpus, one round; prints the section, writes nothing")
    args = p.parse_args(argv)
    if args.quick:
        args.size, args.repeat = "50MB", 1
    if inflate.backend() == "zlib":
        raise SystemExit("preserve inflates with the standard zlib here (zlib-ng is not "
                         "installed, or PRESERVE_INFLATE=zlib): nothing to compare")
    work = args.workdir or Path(tempfile.mkdtemp(prefix="bench-inflate-"))
    work.mkdir(parents=True, exist_ok=True)
    size = parse_size(args.size)
    coll = build_corpus(work / ("coll-quick" if args.quick else "coll"), size)
    files = coll.closed_warcs()
    rel = [str(f.relative_to(coll.root)) for f in files]
    warm(files)
    log("inflate loop:")
    loops, out = loop_rounds(files, args.repeat)
    python = sys.executable
    zlib_env = ["env", "PRESERVE_INFLATE=zlib"]
    verify = [python, "-m", "preserve", "verify", "--quiet", "--json", "--jobs", "1", *rel]
    index = [python, "-m", "preserve", "index", "--quiet", "."]
    fast = inflate.backend()
    runs = {}
    for group, cmd in (("preserve verify --jobs 1 FILES", verify),
                       ("preserve index COLL", index)):
        log(f"{group}:")
        runs[group] = command_rounds({"zlib": [*zlib_env, *cmd], fast: cmd},
                                     args.repeat, coll.root)
    publish(section(files, loops, out, runs, args.repeat), quick=args.quick,
            out=args.out, start=START, end=END, heading="Inflate")
    return 0


if __name__ == "__main__":
    sys.exit(main())
