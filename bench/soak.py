"""Soak benchmark (issue 13): one long crawl of the bundled test site, watched from /proc.

preserve crawls a one-host test site of about ``--urls`` URLs (50,000 by default) served by
a separate process (``python -m testsite serve``). Once a second the script samples the
crawler's resident memory (``VmRSS``), its open file descriptors (``/proc/PID/fd``) and the
URLs fetched so far (crawl-log lines whose outcome is captured or revisit). The crawl loop
(from the first logged URL to the last) is cut into four quarters of equal time, and three
claims are checked:

- memory flat: the median RSS of the last quarter is within 25% of the first quarter's;
- no descriptor leak: the most descriptors open in the last quarter exceed the first
  quarter's most by at most 2;
- throughput steady: URLs per second in the last quarter are at least 75% of the first's.

After the crawl, ``preserve verify`` runs on the collection and must exit 0. The figures
replace the Soak section of docs/benchmarks.md (between its markers). Run it from the
repository::

    .venv/bin/python bench/soak.py                 # 50,000 URLs: 10-20 minutes
    .venv/bin/python bench/soak.py --urls 3000 --print   # quick: prints the section only
"""

from __future__ import annotations

import argparse
import importlib.util
import os
import re
import shlex
import shutil
import statistics
import subprocess
import sys
import tempfile
import time
from dataclasses import dataclass
from datetime import UTC, datetime
from pathlib import Path

from crawl import BenchError, articles_for, serve, site_command
from harness import log, machine, publish, tool_version, verdict

ROOT = Path(__file__).resolve().parent.parent
START = "<!-- bench:soak:start -->"
END = "<!-- bench:soak:end -->"
MAX_RSS_GROWTH = 1.25
MAX_FD_GROWTH = 2
MIN_RATE_RATIO = 0.75
FETCHED = re.compile(rb'"outcome": "(?:captured|revisit)"')
CLK_TCK = os.sysconf("SC_CLK_TCK")
PAGE_KB = os.sysconf("SC_PAGE_SIZE") // 1024


@dataclass(frozen=True)
class Sample:
    t: float  # seconds since the crawler started
    rss_kb: int
    fds: int
    cpu: float  # user+sys seconds so far
    urls: int  # crawl-log lines so far


def proc_sample(pid: int) -> tuple[int, int, float] | None:
    """RSS in KiB, open descriptors and CPU seconds of ``pid``; None once it has gone."""
    try:
        with open(f"/proc/{pid}/statm") as f:
            rss_kb = int(f.read().split()[1]) * PAGE_KB
        fds = len(os.listdir(f"/proc/{pid}/fd"))
        with open(f"/proc/{pid}/stat") as f:
            fields = f.read().rsplit(")", 1)[1].split()
        cpu = (int(fields[11]) + int(fields[12])) / CLK_TCK
    except (OSError, IndexError, ValueError):
        return None
    return rss_kb, fds, cpu


class LineCounter:
    """Counts the URLs fetched (crawl-log lines whose outcome is captured or revisit; not
    the out-of-scope and robots-blocked links, which need no fetch) as the log grows,
    reading only what is new."""

    def __init__(self, logs: Path) -> None:
        self.logs = logs
        self.offset = 0
        self.lines = 0

    def count(self) -> int:
        found = sorted(self.logs.glob("crawl-*.jsonl"))
        if not found:
            return self.lines
        with open(found[-1], "rb") as f:
            f.seek(self.offset)
            chunk = f.read()
        end = chunk.rfind(b"\n") + 1  # a half-written last line is counted next time
        self.lines += sum(1 for line in chunk[:end].splitlines() if FETCHED.search(line))
        self.offset += end
        return self.lines


def crawl_command(python: str, seed: str) -> list[str]:
    return [python, "-m", "preserve", "crawl", "coll", "--seed", seed, "--delay", "0",
            "--concurrency", "4", "--max-depth", "20", "--quiet", "--json"]


def watch(command: list[str], work: Path) -> tuple[list[Sample], int, float]:
    """Run the crawl, sampling it once a second: the samples, exit status, wall seconds."""
    counter = LineCounter(work / "coll" / "logs")
    samples: list[Sample] = []
    with open(work / "crawl.out", "wb") as out, open(work / "crawl.err", "wb") as err:
        t0 = time.monotonic()
        proc = subprocess.Popen(command, cwd=work, stdout=out, stderr=err)
        next_at = t0
        while proc.poll() is None:
            got = proc_sample(proc.pid)
            if got is not None:
                samples.append(Sample(time.monotonic() - t0, got[0], got[1], got[2],
                                      counter.count()))
            next_at += 1.0
            time.sleep(max(0.0, next_at - time.monotonic()))
        wall = time.monotonic() - t0
    return samples, proc.returncode, wall


@dataclass(frozen=True)
class Quarter:
    start: float
    end: float
    rss_median_kb: float
    rss_max_kb: int
    fds_max: int
    rate: float  # URLs per second
    cpu_ms_per_url: float  # the crawler's CPU per URL: steadier than URLs/s on a shared machine


def quarters(samples: list[Sample]) -> tuple[list[Quarter], float, float]:
    """The crawl loop (first to last logged URL) in four quarters of equal time."""
    first = next(s.t for s in samples if s.urls > 0)
    last_urls = samples[-1].urls
    last = next(s.t for s in samples if s.urls == last_urls)
    span = (last - first) / 4
    out: list[Quarter] = []
    for i in range(4):
        lo, hi = first + i * span, first + (i + 1) * span
        inside = [s for s in samples if lo <= s.t <= hi]
        urls = max(1, inside[-1].urls - inside[0].urls)
        rate = (inside[-1].urls - inside[0].urls) / max(1e-9, inside[-1].t - inside[0].t)
        cpu = 1000 * (inside[-1].cpu - inside[0].cpu) / urls
        out.append(Quarter(lo, hi, statistics.median(s.rss_kb for s in inside),
                           max(s.rss_kb for s in inside), max(s.fds for s in inside), rate,
                           cpu))
    return out, first, last


def mb(kb: float) -> str:
    return f"{kb / 1024:.1f}"


def render(args: argparse.Namespace, articles: int, samples: list[Sample], status: int,
           wall: float, verify_status: int, verify_wall: float, date: str) -> str:
    qs, first, last = quarters(samples)
    urls = samples[-1].urls
    rss_ratio = qs[3].rss_median_kb / qs[0].rss_median_kb
    fd_growth = qs[3].fds_max - qs[0].fds_max
    rate_ratio = qs[3].rate / qs[0].rate if qs[0].rate else float("nan")
    peak = max(s.rss_kb for s in samples)
    peak_at = next(s.t for s in samples if s.rss_kb == peak)
    python = "python"
    out = ["", "Written by `bench/soak.py`; edit the script, not this text.", "",
           f"- **Date:** {date}; one run, sampled once a second from `/proc`.",
           f"- **Machine:** {machine()}; shared and noisy.",
           f"- **Versions:** {tool_version([sys.executable, '-m', 'preserve', '--version'])}, "
           f"Python {sys.version.split()[0]}.",
           "- **Method:** the test site runs in its own process; the crawler is a child of "
           "the script, which reads its `VmRSS` (`/proc/PID/statm`), open descriptors "
           "(`/proc/PID/fd`) and the URLs fetched so far (crawl-log lines whose outcome is "
           "`captured` or `revisit`) every second. The crawl loop runs from the first logged "
           "URL to the last; it is cut into four quarters of equal time. After the loop "
           "the crawler builds the CDXJ index and pages list from the WARCs; that tail is "
           "reported apart.",
           "", "```sh",
           shlex.join([python, "-m", "testsite", "serve", "--articles", str(articles),
                       "--hosts", "1", "--latency", "0"]),
           shlex.join([python] + crawl_command(python, "URL")[1:]),
           "python -m preserve verify coll", "```", "",
           "| quarter of the crawl loop | seconds | URLs/s | CPU ms/URL | RSS median MB "
           "| RSS max MB | open fds max |",
           "| --- | ---: | ---: | ---: | ---: | ---: | ---: |"]
    for i, q in enumerate(qs, 1):
        out.append(f"| {i} ({q.start:.0f}-{q.end:.0f} s) | {q.end - q.start:.0f} | "
                   f"{q.rate:.1f} | {q.cpu_ms_per_url:.2f} | {mb(q.rss_median_kb)} | "
                   f"{mb(q.rss_max_kb)} | {q.fds_max} |")
    tail = [s for s in samples if s.t > last]
    out += ["",
            f"- **URLs:** {urls:,} captured in {wall:.0f} s (crawler exit status "
            f"{status}); the loop took {last - first:.0f} s "
            f"({urls / max(1e-9, last - first):.1f} URLs/s), CPU "
            f"{samples[-1].cpu:.0f} s in all.",
            f"- Memory flat: {verdict(rss_ratio <= MAX_RSS_GROWTH)}: median RSS "
            f"{mb(qs[0].rss_median_kb)} MB in the first quarter, {mb(qs[3].rss_median_kb)} MB "
            f"in the last ({rss_ratio:.2f}×; the bound is {MAX_RSS_GROWTH}×). Peak "
            f"{mb(peak)} MB at {peak_at:.0f} s"
            + (f", in the index-building tail ({len(tail)} s after the loop)."
               if peak_at > last else ", during the loop."),
            f"- No descriptor leak: {verdict(fd_growth <= MAX_FD_GROWTH)}: at most "
            f"{qs[0].fds_max} open in the first quarter, {qs[3].fds_max} in the last "
            f"(all samples: {min(s.fds for s in samples)} to {max(s.fds for s in samples)}).",
            f"- Throughput steady: {verdict(rate_ratio >= MIN_RATE_RATIO)}: "
            f"{qs[0].rate:.1f} URLs/s in the first quarter, {qs[3].rate:.1f} in the last "
            f"({rate_ratio:.2f}×; the bound is {MIN_RATE_RATIO}×). The machine is shared, "
            "so URLs/s moves with other work; the crawler's CPU per URL moves less: "
            f"{qs[0].cpu_ms_per_url:.2f} ms in the first quarter, "
            f"{qs[3].cpu_ms_per_url:.2f} in the last.",
            f"- **`preserve verify`** on the result: exit status {verify_status} in "
            f"{verify_wall:.0f} s.", ""]
    return "\n".join(out)


def parse_args(argv: list[str] | None) -> argparse.Namespace:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--urls", type=int, default=50_000,
                        help="size of the test site in URLs (default 50,000)")
    parser.add_argument("--print", action="store_true", dest="quick",
                        help="print the section instead of writing docs/benchmarks.md")
    parser.add_argument("--out", type=Path, default=ROOT / "docs" / "benchmarks.md",
                        help="Markdown file to update (default docs/benchmarks.md)")
    parser.add_argument("--workdir", type=Path, default=None,
                        help="where the crawl writes (default: a temporary directory)")
    parser.add_argument("--keep", action="store_true", help="keep the collection")
    args = parser.parse_args(argv)
    if args.urls < 200:
        parser.error("--urls must be at least 200")
    return args


def main(argv: list[str] | None = None) -> int:
    args = parse_args(argv)
    if importlib.util.find_spec("preserve") is None:
        print("error: preserve is not importable; run `make test` and use .venv/bin/python",
              file=sys.stderr)
        return 2
    python = sys.executable
    work = args.workdir or Path(tempfile.mkdtemp(prefix="preserve-soak-"))
    work.mkdir(parents=True, exist_ok=True)
    date = datetime.now(UTC).strftime("%Y-%m-%d %H:%M UTC")
    articles = articles_for(args.urls)
    try:
        with serve(site_command(python, articles, 1, 0), 1, work) as urls:
            log(f"soak: crawling {urls[0]} ({articles:,} articles, about {args.urls:,} URLs)")
            samples, status, wall = watch(crawl_command(python, urls[0]), work)
        if status != 0:
            tail = (work / "crawl.err").read_text(errors="replace")[-800:]
            raise BenchError(f"preserve crawl exited with status {status}: {tail}")
        if len(samples) < 8 or samples[-1].urls == 0:
            raise BenchError("the crawl ended too soon to be cut into quarters; raise --urls")
        log(f"soak: {samples[-1].urls:,} URLs in {wall:.0f} s; verifying")
        t0 = time.monotonic()
        verify = subprocess.run([python, "-m", "preserve", "verify", "coll", "--quiet"],
                                cwd=work, capture_output=True)
        verify_wall = time.monotonic() - t0
    except BenchError as exc:
        print(f"error: {exc}", file=sys.stderr)
        return 1
    finally:
        if args.workdir is None and not args.keep:
            shutil.rmtree(work, ignore_errors=True)
    section = render(args, articles, samples, status, wall, verify.returncode, verify_wall,
                     date)
    publish(section, quick=args.quick, out=args.out, start=START, end=END, heading="Soak")
    return 0


if __name__ == "__main__":
    sys.exit(main())
