"""WACZ verify benchmark (issue 18): ``preserve verify FILE.wacz`` against py-wacz's
``wacz validate -f FILE.wacz`` on the same 1 GB WACZ, in the same run.

The WACZ is ``preserve export --format wacz`` of bench/verify.py's corpus (WARC files of
220 MB, response and request records, gzip per record, with the CDXJ index and pages
list), built once, deterministically, in a work directory and reused. Rounds are
paired: in each, both tools run, the first alternating, after one read of the WACZ to
warm the page cache; medians are reported, with the ratio of the medians and the peak
memory of preserve (max RSS from wait4; target under 100 MB). The figures replace the
"Verify: WACZ" section of docs/benchmarks.md (between its markers). Run from the
repository::

    .venv/bin/python bench/verify_wacz.py [--size 1GB] [--repeat 5] [--workdir DIR] [--quick]
"""

from __future__ import annotations

import argparse
import importlib.metadata
import platform
import resource
import shutil
import subprocess
import sys
import tempfile
from datetime import UTC, datetime
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT / "src"))
sys.path.insert(0, str(ROOT / "bench"))

from harness import Run, log, machine, measure, median, publish, verdict, warm  # noqa: E402
from verify import build_corpus  # noqa: E402

from preserve.config import parse_size  # noqa: E402

START = "<!-- bench:verify-wacz:start -->"
END = "<!-- bench:verify-wacz:end -->"
HEADING = "Verify: WACZ"
TARGET_RSS_MB = 100.0


class BenchError(Exception):
    pass


def build_wacz(work: Path, size: int, name: str) -> Path:
    """The corpus exported as a WACZ (kept beside it and reused)."""
    wacz = work / f"{name}.wacz"
    if wacz.exists():
        return wacz
    coll = build_corpus(work / name, size)
    log(f"exporting {coll.root} as {wacz}")
    part = work / f".{name}.part.wacz"
    done = subprocess.run([sys.executable, "-m", "preserve", "export", str(coll.root),
                           "--format", "wacz", "--output", str(part)],
                          capture_output=True, text=True)
    if done.returncode != 0:
        raise BenchError(f"preserve export failed: {done.stderr.strip()}")
    part.rename(wacz)
    return wacz


def paired(commands: dict[str, list[str]], n: int, cwd: Path) -> dict[str, list[Run]]:
    runs: dict[str, list[Run]] = {k: [] for k in commands}
    names = list(commands)
    for i in range(n):
        for name in names if i % 2 == 0 else names[::-1]:
            run = measure(commands[name], cwd)
            log(f"  round {i + 1} {name}: {run.wall:.2f} s wall, {run.cpu:.2f} s CPU, "
                f"{run.max_rss_kb / 1024:.0f} MB, exit {run.status}")
            runs[name].append(run)
    return runs


def own_peak(command: list[str], cwd: Path) -> float | None:
    """The max RSS in MB of ``command`` alone, by GNU time (a small process, so the
    child it forks starts small), or None without /usr/bin/time."""
    if not Path("/usr/bin/time").exists():
        return None
    done = subprocess.run(["/usr/bin/time", "-f", "%M", *command], cwd=cwd,
                          stdout=subprocess.DEVNULL, stderr=subprocess.PIPE, text=True)
    last = done.stderr.strip().splitlines()[-1:] or ["?"]
    return int(last[0]) / 1024 if last[0].isdigit() else None


def render(args: argparse.Namespace, wacz: Path, runs: dict[str, list[Run]],
           shown: dict[str, str], peaks: dict[str, float | None]) -> str:
    size = wacz.stat().st_size
    spawn_mb = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024
    walls = {k: median([r.wall for r in v]) for k, v in runs.items()}
    ratio = walls["wacz validate"] / walls["preserve verify"]
    pairs = [w.wall / p.wall for w, p in zip(runs["wacz validate"], runs["preserve verify"],
                                            strict=True)]
    peak = max(r.max_rss_kb for r in runs["preserve verify"]) / 1024
    own = peaks["preserve verify"]
    if own is not None:
        peak = own
    lines = [
        "",
        "Written by `bench/verify_wacz.py`; edit the script, not this text.",
        "",
        f"- **Date:** {datetime.now(UTC):%Y-%m-%d %H:%M} UTC; {args.repeat} paired "
        "round(s), the first tool alternating; medians.",
        f"- **Machine:** {machine()}; shared and noisy.",
        f"- **Versions:** preserve {importlib.metadata.version('preserve')}, Python "
        f"{platform.python_version()}, py-wacz {importlib.metadata.version('wacz')}.",
        f"- **WACZ:** {size / 1e9:.2f} GB, `preserve export --format wacz` of "
        "bench/verify.py's corpus (WARCs of up to 220 MB, gzip per record, response and request "
        "records, 60% HTML of 5-50 KB, 40% random payloads of 50 KB-2 MB, sha1 digests; "
        "ZipNum CDXJ index and pages list). The WACZ is read once before timing, so both "
        "tools read from the page cache.",
        "- **What each does:** `wacz validate` unpacks the whole ZIP to a temporary "
        "directory, checks the datapackage with frictionless and every file's SHA-256 "
        "against it (it reads no WARC record). `preserve verify` streams each member from "
        "the ZIP, never unpacked, with its SHA-256 and size, and parses every WARC record "
        "(gzip CRCs, framing, headers, block and payload digests, record ids), checks "
        "every index line against the record at its offset and every page against the "
        "index.",
        "- **Method:** each tool is a child process; wall time, CPU time (user+sys) and "
        "max RSS come from `wait4`. Linux counts the script's own pages at spawn in a "
        f"child's max RSS, so it is an upper bound (the script's own peak: {spawn_mb:.0f} MB); "
        "one more run of each under GNU time (`/usr/bin/time -f %M`, whose child starts "
        "small) gives the tool's own peak: "
        + ", ".join(f"{name} {mb:.1f} MB" for name, mb in peaks.items() if mb is not None)
        + ".",
        "",
        "| command | wall s | MB/s | CPU s | max RSS MB | exit |",
        "| --- | ---: | ---: | ---: | ---: | ---: |",
    ]
    for name, rs in runs.items():
        lines.append(
            f"| `{shown[name]}` | {walls[name]:.2f} | {size / 1e6 / walls[name]:,.0f} | "
            f"{median([r.cpu for r in rs]):.2f} | {max(r.max_rss_kb for r in rs) / 1024:.1f}"
            f" | {','.join(sorted({str(r.status) for r in rs}))} |")
    lines += [
        "",
        f"- **wacz validate/preserve verify, median wall time: {ratio:.2f}x** (target: at "
        f"least as fast, >= 1.00x: {verdict(ratio >= 1.0)}); per round "
        f"{', '.join(f'{x:.2f}x' for x in pairs)}.",
        f"- **Peak memory of preserve: {peak:.1f} MB** (target < "
        f"{TARGET_RSS_MB:.0f} MB: {verdict(peak < TARGET_RSS_MB)}): reads of 128 KiB, "
        "inflated output at most 1 MiB at a time, index lines and records' offsets in "
        "SQLite.",
        "",
    ]
    return "\n".join(lines)


def main(argv: list[str] | None = None) -> int:
    p = argparse.ArgumentParser(description="preserve verify vs wacz validate on a WACZ")
    p.add_argument("--size", default="1.05GB", help="WARC bytes in the WACZ [default: 1.05GB]")
    p.add_argument("--repeat", type=int, default=5)
    p.add_argument("--workdir", type=Path, help="keep the corpus and WACZ here, and reuse "
                   "them")
    p.add_argument("--out", type=Path, default=ROOT / "docs" / "benchmarks.md")
    p.add_argument("--quick", action="store_true",
                   help="a 100 MB WACZ, one round; prints the section, writes nothing")
    args = p.parse_args(argv)
    if args.quick:
        args.size, args.repeat = "100MB", 1
    python = sys.executable
    wacz_tool = Path(python).parent / "wacz"
    if not wacz_tool.exists():
        raise BenchError(f"py-wacz's wacz is not at {wacz_tool}: install the test extra")
    work = args.workdir or Path(tempfile.mkdtemp(prefix="bench-verify-wacz-"))
    work.mkdir(parents=True, exist_ok=True)
    wacz = build_wacz(work, parse_size(args.size), "coll-quick" if args.quick else "coll")
    warm([wacz])
    commands = {
        "wacz validate": [str(wacz_tool), "validate", "-f", str(wacz)],
        "preserve verify": [python, "-m", "preserve", "verify", "--quiet", "--json",
                            str(wacz)],
    }
    shown = {"wacz validate": f"wacz validate -f {wacz.name}",
             "preserve verify": f"python -m preserve verify {wacz.name}"}
    # measure() writes the output beside cwd: a folder of its own inside the work dir.
    cwd = work / "run"
    cwd.mkdir(exist_ok=True)
    log("paired rounds:")
    runs = paired(commands, args.repeat, cwd)
    for name, rs in runs.items():
        if any(r.status != 0 for r in rs):
            raise BenchError(f"{name} did not pass the WACZ (exit "
                             f"{sorted({r.status for r in rs})}); see {work}/err.txt")
    peaks = {name: own_peak(command, cwd) for name, command in commands.items()}
    log(f"own peaks (MB): {peaks}")
    publish(render(args, wacz, runs, shown, peaks), quick=args.quick, out=args.out, start=START,
            end=END, heading=HEADING)
    if not args.workdir:
        shutil.rmtree(work)
    return 0


if __name__ == "__main__":
    try:
        sys.exit(main())
    except BenchError as e:
        print(f"bench/verify_wacz.py: {e}", file=sys.stderr)
        sys.exit(2)
    except KeyboardInterrupt:
        sys.exit(130)
