"""Export benchmark (issue 5): preserve export against ``cp`` followed by ``sha256sum``.

On the verify benchmark's corpus (at least 1 GB of WARCs, built once with a fixed seed by
bench/verify.py's builder and reused), in the same run:

a. the floor for a verified copy: ``cp -r warcs DEST`` then ``sha256sum`` of the copy,
   and the same followed by ``sync`` (export fsyncs every file it writes);
b. ``preserve export --format bagit`` (SHA-256 and SHA-512 of every file), ``wacz``
   (SHA-256) and ``ocfl`` (SHA-512 and SHA-256), each a first export to a new DEST;
c. peak memory of preserve (max RSS from wait4): it must not grow with the corpus.

Each command runs ``--repeat`` times, alternating the order, after one read of every
file to warm the page cache; DEST is removed after each run; medians are reported. The
figures replace the Export section of docs/benchmarks.md (between its markers). Run from
the repository::

    .venv/bin/python bench/export.py [--size 1.05GB] [--repeat 5] [--workdir DIR] [--quick]
"""

from __future__ import annotations

import argparse
import hashlib
import importlib.metadata
import platform
import shutil
import subprocess
import sys
import tempfile
import time
from datetime import UTC, datetime
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT / "src"))
sys.path.insert(0, str(ROOT / "bench"))

from harness import (  # noqa: E402
    Run,
    log,
    machine,
    measure,
    median,
    publish,
    tool_version,
    verdict,
    warm,
)
from verify import FILE_SIZE, build_corpus  # noqa: E402  (the verify benchmark's corpus)

from preserve.config import parse_size  # noqa: E402

# preserve's own peak resident set (VmHWM of its image after exec), printed as it exits:
# wait4's max RSS also counts the benchmark's pages copied at fork.
PEAK = """import atexit, sys
def peak():
    hwm = [x for x in open("/proc/self/status") if x.startswith("VmHWM")][0].split()[1]
    print("VmHWM", hwm, file=sys.stderr)
atexit.register(peak)
from preserve.cli.main import main
sys.argv = ["preserve", *sys.argv[1:]]
main()
"""

START = "<!-- bench:export:start -->"
END = "<!-- bench:export:end -->"
TARGET = 0.8
FLOOR = "cp + sha256sum"


def repeat(commands: dict[str, list[str]], n: int, cwd: Path, dest: Path,
           peaks: dict[str, list[int]]) -> dict[str, list[Run]]:
    runs: dict[str, list[Run]] = {k: [] for k in commands}
    names = list(commands)
    for i in range(n):
        for name in names if i % 2 == 0 else list(reversed(names)):
            subprocess.run(["sync"], check=False)  # no dirty pages of the last run left
            run = measure(commands[name], cwd)
            log(f"  {name}: {run.wall:.2f} s wall, {run.cpu:.2f} s CPU, "
                f"{run.max_rss_kb / 1024:.0f} MB, exit {run.status}")
            if run.status != 0:
                raise SystemExit(f"{name} failed: {(cwd.parent / 'err.txt').read_text()}")
            runs[name].append(run)
            for line in (cwd.parent / "err.txt").read_text().splitlines():
                if line.startswith("VmHWM "):
                    peaks.setdefault(name, []).append(int(line.split()[1]))
            shutil.rmtree(dest, ignore_errors=True)
            dest.with_name(dest.name + ".wacz").unlink(missing_ok=True)
    return runs


def hash_speeds(files: list[Path]) -> dict[str, float]:
    """MB/s of coreutils sha256sum on the first file, and of Python's hashlib (OpenSSL)."""
    size = files[0].stat().st_size
    t0 = time.perf_counter()
    subprocess.run(["sha256sum", str(files[0])], capture_output=True, check=True)
    speeds = {"sha256sum": size / 1e6 / (time.perf_counter() - t0)}
    data = files[0].read_bytes()[: 64 << 20]
    for name in ("sha256", "sha512"):
        t0 = time.perf_counter()
        hashlib.new(name, data)
        speeds[name] = len(data) / 1e6 / (time.perf_counter() - t0)
    return speeds


def render(args: argparse.Namespace, total: int, nfiles: int, runs: dict[str, list[Run]],
           shown: dict[str, str], peaks: dict[str, list[int]],
           speeds: dict[str, float]) -> str:
    wall = {name: median([r.wall for r in rs]) for name, rs in runs.items()}
    lines = [
        "",
        "Written by `bench/export.py`; edit the script, not this text.",
        "",
        f"- **Date:** {datetime.now(UTC):%Y-%m-%d %H:%M} UTC; {args.repeat} run(s) of each "
        "command, alternating the order; medians.",
        f"- **Machine:** {machine()}; shared and noisy.",
        f"- **Versions:** preserve {importlib.metadata.version('preserve')}, Python "
        f"{platform.python_version()}, {tool_version(['cp', '--version'])}, "
        f"{tool_version(['sha256sum', '--version'])}.",
        f"- **Corpus:** the verify benchmark's: {nfiles} WARC files of up to "
        f"{FILE_SIZE / 1e6:.0f} MB, {total / 1e9:.2f} GB, with their fixity manifest. Every "
        "file is read once before timing (page cache warm); `sync` runs before each command "
        "and DEST is removed after it, on the same file system as the collection.",
        "- **Method:** each command is a child process; wall time and CPU time (user+sys) "
        "from `wait4`; throughput is the corpus size over wall time. Peak memory is "
        "preserve's own VmHWM (from /proc/self/status as it exits), not wait4's max RSS, "
        "which also counts the benchmark's pages copied at fork.",
        "",
        "| command | wall s | MB/s | CPU s | peak RSS MB | vs cp + sha256sum |",
        "| --- | ---: | ---: | ---: | ---: | ---: |",
    ]
    for name, rs in runs.items():
        peak = f"{max(peaks[name]) / 1024:.1f}" if name in peaks else "-"
        lines.append(
            f"| `{shown[name]}` | {wall[name]:.2f} | {total / 1e6 / wall[name]:,.0f} | "
            f"{median([r.cpu for r in rs]):.2f} | {peak} | {wall[FLOOR] / wall[name]:.2f}x |")
    ratios = {f: wall[FLOOR] / wall[f"preserve export --format {f}"]
              for f in ("bagit", "wacz", "ocfl")}
    synced = {f: wall[FLOOR + " + sync"] / wall[f"preserve export --format {f}"]
              for f in ratios}
    peak = max(max(p) for p in peaks.values()) / 1024
    lines += [
        "",
        "- **Throughput against cp + sha256sum** (target >= "
        f"{TARGET}x): " + "; ".join(f"{f} **{ratios[f]:.2f}x** ({verdict(ratios[f] >= TARGET)})"
                                   for f in ratios)
        + ". Against cp + sha256sum + sync, which like export leaves the copy on disk: "
        + "; ".join(f"{f} {synced[f]:.2f}x" for f in synced) + ".",
        "- Export reads each file once and hashes it on the way (BagIt: SHA-256 and SHA-512, "
        "each on a thread of its own; WACZ: SHA-256; OCFL: SHA-512 for the inventory and "
        "SHA-256 for the fixity block), compares the SHA-256 with the manifest, and fsyncs "
        "every file; `cp` then `sha256sum` reads the data twice (the second time from the "
        "page cache) and computes one digest. The floor is set by `sha256sum`, which hashes "
        f"at {speeds['sha256sum']:,.0f} MB/s here, while Python's hashlib (OpenSSL"
        + (", with the CPU's SHA extensions" if " sha_ni" in Path("/proc/cpuinfo").read_text()
           else "") + f") does SHA-256 at {speeds['sha256']:,.0f} MB/s and SHA-512 at "
        f"{speeds['sha512']:,.0f} MB/s: BagIt and OCFL are bound by SHA-512.",
        f"- **Peak memory of preserve: {peak:.1f} MB** (the largest over every run and "
        f"format, with files of up to {FILE_SIZE / 1e6:.0f} MB): reads are 1 MiB and at "
        "most two chunks are held at once, whatever the size of a file or of the "
        "collection.",
        "",
    ]
    return "\n".join(lines)


def main(argv: list[str] | None = None) -> int:
    p = argparse.ArgumentParser(description="preserve export vs cp + sha256sum")
    p.add_argument("--size", default="1.05GB", help="corpus size [default: 1.05GB]")
    p.add_argument("--repeat", type=int, default=5)
    p.add_argument("--workdir", type=Path, help="keep the corpus here and reuse it")
    p.add_argument("--out", type=Path, default=ROOT / "docs" / "benchmarks.md")
    p.add_argument("--quick", action="store_true",
                   help="a 100 MB corpus, one run each; prints the section, writes nothing")
    args = p.parse_args(argv)
    if args.quick:
        args.size, args.repeat = "100MB", 1
    work = args.workdir or Path(tempfile.mkdtemp(prefix="bench-export-"))
    work.mkdir(parents=True, exist_ok=True)
    coll = build_corpus(work / ("coll-quick" if args.quick else "coll"), parse_size(args.size))
    files = coll.closed_warcs()
    total = sum(f.stat().st_size for f in files)
    warm(files)
    dest = work / "dest"
    copy = f"cp -r warcs {dest} && sha256sum {dest}/*.warc.gz > /dev/null"
    preserve = [sys.executable, "-c", PEAK, "export", "."]
    commands = {
        FLOOR: ["sh", "-c", copy],
        FLOOR + " + sync": ["sh", "-c", copy + " && sync"],
        **{f"preserve export --format {f}": [*preserve, "--format", f, "--output",
                                             str(dest) + (".wacz" if f == "wacz" else "")]
           for f in ("bagit", "wacz", "ocfl")},
    }
    peaks: dict[str, list[int]] = {}
    runs = repeat(commands, args.repeat, coll.root, dest, peaks)
    shown = {FLOOR: "cp -r warcs DEST && sha256sum DEST/*",
             FLOOR + " + sync": "cp -r warcs DEST && sha256sum DEST/* && sync",
             **{f"preserve export --format {f}": f"preserve export COLL --format {f} "
                f"--output DEST" for f in ("bagit", "wacz", "ocfl")}}
    section = render(args, total, len(files), runs, shown, peaks, hash_speeds(files))
    publish(section, quick=args.quick, out=args.out, start=START, end=END,
            heading="Export")
    if not args.workdir:
        shutil.rmtree(work)
    return 0


if __name__ == "__main__":
    sys.exit(main())
