"""Crawl benchmark (issue 2): preserve side by side with wget on the bundled test site.

Three measurements, each against test sites served by a separate process
(``python -m testsite serve``), so the server's CPU counts against neither tool:

a. one host, no added latency: wall time and CPU seconds per captured URL, preserve/wget;
b. eight hosts on 127.0.0.1 (a port each), 20 ms before every response: wall-time ratio
   (and, with ``--baseline DIR``, the same crawl by another checkout of preserve, in the
   same rotating rounds, to measure a change before and after);
c. preserve's peak memory (max RSS) on a 5,000- and a 20,000-URL crawl.

Each crawl runs ``--repeat`` times, rotating which tool goes first, and the medians are
reported. The figures replace the Crawl section of docs/benchmarks.md (between its markers),
leaving the other sections alone; ``--only multi`` writes its own section ("Crawl: every
host busy") instead. Run it from the repository after ``make test``::

    .venv/bin/python bench/crawl.py [--quick] [--repeat N] [--out docs/benchmarks.md]
    .venv/bin/python bench/crawl.py --only multi --repeat 5 --baseline ../main
"""

from __future__ import annotations

import argparse
import functools
import importlib.metadata
import importlib.util
import os
import platform
import queue
import resource
import shlex
import shutil
import subprocess
import sys
import tempfile
import threading
import time
from collections import Counter
from collections.abc import Callable, Iterator, Sequence
from contextlib import contextmanager
from dataclasses import dataclass, field
from datetime import UTC, datetime
from pathlib import Path
from urllib.parse import urlsplit

from harness import log, machine, median, stop, write_section

ROOT = Path(__file__).resolve().parent.parent
START = "<!-- bench:crawl:start -->"
END = "<!-- bench:crawl:end -->"
HOSTS_START = "<!-- bench:crawl-hosts:start -->"
HOSTS_END = "<!-- bench:crawl-hosts:end -->"
DOC_HEAD = """# Benchmarks

Measured figures, one section per benchmark. Each section is written by its script under
`bench/` and states the machine, the date, the versions and the exact commands it ran;
re-run the script to refresh it (see `bench/README.md`). These are not timed tests: the
machines they run on are shared and noisy, so they report medians of repeated runs.
"""
MAX_DEPTH = 20  # preserve's default (as Heritrix); also stops the test site's calendar trap
TARGET_CPU_RATIO = 3.0
TARGET_WALL_RATIO = 0.15  # issue 19: every host kept busy
TARGET_MULTI_CPU_RATIO = 2.0
BASELINE = "preserve (before)"
WGET_OK = (0, 8)  # 8: some response was an HTTP error (the test site's 404 page)


class BenchError(Exception):
    """A benchmark step that cannot go on; main() prints it on one line."""


@dataclass(frozen=True)
class Sizes:
    single_articles: int
    multi_hosts: int
    multi_articles: int
    multi_latency_ms: int
    memory_urls: tuple[int, ...]


FULL = Sizes(500, 8, 100, 20, (5_000, 20_000))
QUICK = Sizes(60, 8, 10, 20, (500, 2_000))


def articles_for(urls: int) -> int:
    """Articles for a one-host crawl of about ``urls`` URLs.

    Each article is a page and an image; every ten make a news list page; the rest of the
    site (fixed pages, requisites, sitemaps, feed and the calendar up to depth 20) is about
    107 URLs. 500 articles give 1,157 URLs.
    """
    return max(1, round((urls - 107) / 2.1))


@dataclass
class Run:
    tool: str
    wall: float
    user: float
    sys: float
    max_rss_kb: int
    status: int
    urls: set[str] = field(repr=False)
    records: int  # response and revisit records, repeated fetches of one URL included
    # The script's own peak RSS when it started the tool. Linux counts the parent's pages,
    # shared or copied at spawn, in the child's max RSS, so a figure at or below this one
    # is only an upper bound.
    spawn_rss_kb: int = 0

    @property
    def cpu(self) -> float:
        return self.user + self.sys

    @property
    def cpu_per_url(self) -> float:
        return self.cpu / max(1, len(self.urls))

    @property
    def wall_per_url(self) -> float:
        return self.wall / max(1, len(self.urls))


@dataclass
class Scenario:
    name: str
    title: str
    site_command: list[str]
    commands: dict[str, list[str]]
    runs: dict[str, list[Run]]
    latency_ms: int = 0
    startup_cpu: float | None = None  # CPU seconds of `python -m preserve --version`
    startup_rss_kb: int | None = None  # and its max RSS


# -- processes ---------------------------------------------------------------------------


def site_command(python: str, articles: int, hosts: int, latency_ms: int) -> list[str]:
    return [python, "-m", "testsite", "serve", "--articles", str(articles),
            "--hosts", str(hosts), "--latency", str(latency_ms)]


@contextmanager
def serve(command: list[str], hosts: int, logdir: Path) -> Iterator[list[str]]:
    """Run the test site in its own process; yields the base URL of each site."""
    with open(logdir / "testsite.err", "wb") as err:
        # From the checkout's root, where `python -m testsite` finds the package.
        proc = subprocess.Popen(command, stdout=subprocess.PIPE, stderr=err, text=True,
                                cwd=ROOT)
    lines: queue.Queue[str] = queue.Queue()
    assert proc.stdout is not None
    stdout = proc.stdout

    def pump() -> None:
        for line in stdout:
            lines.put(line)

    threading.Thread(target=pump, daemon=True).start()
    try:
        urls: list[str] = []
        deadline = time.monotonic() + 300  # 10,000 articles take a few seconds to generate
        while len(urls) < hosts:
            if proc.poll() is not None:
                tail = (logdir / "testsite.err").read_text(errors="replace")[-500:]
                raise BenchError(f"the test site exited with status {proc.returncode}: {tail}")
            if time.monotonic() > deadline:
                raise BenchError("the test site printed no URL within 300 s")
            try:
                urls.append(lines.get(timeout=0.2).strip())
            except queue.Empty:
                continue
        yield urls
    finally:
        stop(proc)


def measure(command: list[str], cwd: Path, name: str,
            env: dict[str, str] | None = None) -> tuple[float, resource.struct_rusage, int]:
    """Run command to completion: wall seconds, its own rusage (from wait4) and exit status.

    Output goes to files, never pipes, so the child can't block on a full pipe.
    """
    with open(cwd / f"{name}.out", "wb") as out, open(cwd / f"{name}.err", "wb") as err:
        t0 = time.perf_counter()
        proc = subprocess.Popen(command, cwd=cwd, stdout=out, stderr=err, env=env)
        _, status, usage = os.wait4(proc.pid, 0)
        wall = time.perf_counter() - t0
    proc.returncode = os.waitstatus_to_exitcode(status)  # reaped here, not by Popen
    return wall, usage, proc.returncode


def warc_urls(paths: Sequence[Path]) -> tuple[set[str], int]:
    """The URLs with a response or revisit record in these WARCs, and how many records."""
    from warcio.archiveiterator import ArchiveIterator

    urls: set[str] = set()
    records = 0
    for path in paths:
        with open(path, "rb") as stream:
            for record in ArchiveIterator(stream):
                if record.rec_type in ("response", "revisit"):
                    urls.add(record.rec_headers.get_header("WARC-Target-URI"))
                    records += 1
    return urls, records


# -- the two tools -----------------------------------------------------------------------


def preserve_command(python: str, collection: str, seeds: Sequence[str],
                     concurrency: int) -> list[str]:
    command = [python, "-m", "preserve", "crawl", collection]
    for seed in seeds:
        command += ["--seed", seed]
    return command + ["--delay", "0", "--concurrency", str(concurrency),
                      "--max-depth", str(MAX_DEPTH), "--quiet", "--json"]


def wget_command(wget: str, seeds: Sequence[str], multi_host: bool) -> list[str]:
    command = [wget, "-r", "-l", str(MAX_DEPTH), "-p", "--warc-file=wget", "--no-verbose",
               "-e", "robots=on", "-P", "mirror"]
    if multi_host:
        # Every site is 127.0.0.1 on its own port: span hosts, but only to that address.
        command += ["-H", "-D", "127.0.0.1"]
    return command + list(seeds)


def cache_bytecode(work: Path, python: str, checkouts: Sequence[Path]) -> None:
    """Let every child keep its compiled modules (in ``work``, not the checkout), as an
    installed preserve does: compiling the sources on every crawl would be timed too.
    Each checkout's ``src`` (and the preserve the script imports) is compiled first, so
    no round pays for it."""
    os.environ.pop("PYTHONDONTWRITEBYTECODE", None)
    os.environ["PYTHONPYCACHEPREFIX"] = str(work / "pycache")
    spec = importlib.util.find_spec("preserve")
    trees = [Path(p) for p in (spec.submodule_search_locations or [])] if spec else []
    trees += [c.resolve() / "src" / "preserve" for c in checkouts]
    for tree in trees:
        subprocess.run([python, "-m", "compileall", "-q", str(tree)], check=False,
                       stdout=subprocess.DEVNULL)


def spawn_rss_kb() -> int:
    return resource.getrusage(resource.RUSAGE_SELF).ru_maxrss


def run_preserve(python: str, workdir: Path, seeds: Sequence[str], concurrency: int,
                 checkout: Path | None = None) -> Run:
    """A crawl by the installed preserve, or by the one in ``checkout`` (its ``src``)."""
    floor = spawn_rss_kb()
    env = None
    if checkout is not None:
        env = dict(os.environ, PYTHONPATH=str(checkout.resolve() / "src"))
    wall, usage, status = measure(preserve_command(python, "coll", seeds, concurrency),
                                  workdir, "preserve", env)
    if status not in (0, 1):
        tail = (workdir / "preserve.err").read_text(errors="replace")[-800:]
        raise BenchError(f"preserve crawl exited with status {status}: {tail}")
    urls, records = warc_urls(sorted((workdir / "coll" / "warcs").glob("*.warc.gz")))
    return Run("preserve", wall, usage.ru_utime, usage.ru_stime, usage.ru_maxrss, status,
               urls, records, floor)


def run_wget(wget: str, workdir: Path, seeds: Sequence[str], multi_host: bool) -> Run:
    floor = spawn_rss_kb()
    wall, usage, status = measure(wget_command(wget, seeds, multi_host), workdir, "wget")
    if status not in WGET_OK:
        tail = (workdir / "wget.err").read_text(errors="replace")[-800:]
        raise BenchError(f"wget exited with status {status}: {tail}")
    urls, records = warc_urls([workdir / "wget.warc.gz"])
    return Run("wget", wall, usage.ru_utime, usage.ru_stime, usage.ru_maxrss, status,
               urls, records, floor)


def repeat_runs(name: str, tools: dict[str, Callable[[Path], Run]], repeat: int, work: Path,
                keep: bool) -> dict[str, list[Run]]:
    """Each tool ``repeat`` times, rotating which one goes first (two tools alternate)."""
    runs: dict[str, list[Run]] = {tool: [] for tool in tools}
    order = list(tools)
    for i in range(repeat):
        k = i % len(order)
        for tool in order[k:] + order[:k]:
            workdir = work / f"{name}-{tool.replace(' ', '-').strip('()')}-{i + 1}"
            workdir.mkdir(parents=True)
            run = tools[tool](workdir)
            runs[tool].append(run)
            log(f"{name}: {tool} run {i + 1}/{repeat}: {len(run.urls)} URLs, "
                f"{run.wall:.2f} s wall, {run.cpu:.2f} s CPU, {run.max_rss_kb / 1024:.0f} MB")
            if not keep:
                shutil.rmtree(workdir)
    return runs


# -- the report --------------------------------------------------------------------------


def versions(wget: str) -> dict[str, str]:
    found = {"preserve": "", "Python": platform.python_version()}
    for package in ("preserve", "requests", "urllib3", "warcio", "lxml"):
        try:
            found[package] = importlib.metadata.version(package)
        except importlib.metadata.PackageNotFoundError:
            found[package] = "not installed"
    out = subprocess.run([wget, "--version"], capture_output=True, text=True).stdout
    found["wget"] = out.splitlines()[0].removeprefix("GNU Wget ").split(" ")[0] if out else "?"
    return found


def shell(command: Sequence[str], replace: dict[str, str]) -> str:
    return shlex.join(replace.get(part, part) for part in command)


def fmt(value: float, digits: int = 2) -> str:
    return f"{value:,.{digits}f}"


def rss(runs: Sequence[Run]) -> str:
    """Median max RSS in MB; "≤ N" when it does not exceed the script's own at spawn."""
    value = median([r.max_rss_kb for r in runs])
    if value <= max(r.spawn_rss_kb for r in runs):
        return f"≤ {value / 1024:,.0f}"
    return f"{value / 1024:,.1f}"


def verdict(ratio: float, target: float) -> str:
    return "**met**" if ratio <= target else "**missed**"


def url_difference(a: set[str], b: set[str]) -> str:
    """The URLs in a and not in b, by path, with how many hosts each path is on."""
    paths = Counter(urlsplit(u)._replace(scheme="", netloc="").geturl() for u in a - b)
    if not paths:
        return "none"
    shown = ", ".join(f"`{p}`" + (f" ×{n}" if n > 1 else "") for p, n in sorted(paths.items())[:8])
    more = len(paths) - 8
    return f"{len(a - b)}: {shown}" + (f" and {more} more paths" if more > 0 else "")


def side_by_side_table(runs: dict[str, list[Run]]) -> list[str]:
    rows = ["| tool | URLs captured | response/revisit records | wall s | CPU s (user+sys) "
            "| CPU ms/URL | wall ms/URL | max RSS MB |",
            "| --- | ---: | ---: | ---: | ---: | ---: | ---: | ---: |"]
    for tool, tool_runs in runs.items():
        rows.append(
            f"| {tool} | {fmt(median([len(r.urls) for r in tool_runs]), 0)} "
            f"| {fmt(median([r.records for r in tool_runs]), 0)} "
            f"| {fmt(median([r.wall for r in tool_runs]))} "
            f"| {fmt(median([r.cpu for r in tool_runs]))} "
            f"| {fmt(1000 * median([r.cpu_per_url for r in tool_runs]), 3)} "
            f"| {fmt(1000 * median([r.wall_per_url for r in tool_runs]), 3)} "
            f"| {rss(tool_runs)} |")
    return rows


def all_runs(runs: dict[str, list[Run]]) -> str:
    parts = []
    for tool, tool_runs in runs.items():
        each = "; ".join(f"{r.wall:.2f} s wall, {r.cpu:.2f} s CPU, {len(r.urls)} URLs"
                         for r in tool_runs)
        parts.append(f"{tool}: {each}")
    return "Every run (in order): " + " — ".join(parts) + "."


def render(args: argparse.Namespace, scenarios: list[Scenario], memory: Scenario | None,
           wget: str, date: str) -> str:
    ver = versions(wget)
    quick = " (`--quick`: smoke-test sizes, not the benchmark's)" if args.quick else ""
    hosts_only = memory is None and [sc.name for sc in scenarios] == ["multi"]
    out = [HOSTS_START if hosts_only else START, "",
           "Written by `bench/crawl.py`; edit the script, not this text.", "",
           f"- **Date:** {date}{quick}; {args.repeat} run(s) of each crawl, rotating "
           "which tool goes first; medians.",
           f"- **Machine:** {machine()}; shared and noisy.",
           "- **Versions:** " + ", ".join(f"{k} {v}" for k, v in ver.items()) + ".",
           "- **Method:** the test site runs in its own process; each tool is a child process "
           "of the script, and its CPU time (user+sys) and max RSS come from `wait4`. "
           "Linux counts the script's own pages at spawn in a child's max RSS, so a figure "
           "marked ≤ is only an upper bound (the script's peak when it started the tool). "
           "A captured URL is a distinct URL with a response or revisit record in the "
           "tool's WARCs. preserve's figures include interpreter start-up and what it writes "
           "besides the WARC (SQLite state, CDXJ index, crawl log, pages.jsonl); wget's "
           "include writing its mirror tree besides the WARC. preserve's compiled modules "
           "are kept between crawls (compiled before the first), as an installed "
           "preserve's are.",
           "- **Scope:** robots.txt obeyed by both. The test site has a calendar trap (months "
           f"without end); preserve stops it with `--max-depth {MAX_DEPTH}` (its default), and "
           f"wget runs with `-l {MAX_DEPTH}` instead of `-l inf`, which would never finish. "
           "Depth counts the same way in both; the URL comparison under each table checks "
           "that they crawled the same URLs.",
           ""]
    replace = {"coll": "COLL"}
    for sc in scenarios:
        p, w = sc.runs["preserve"], sc.runs["wget"]
        cpu_ratio = median([r.cpu_per_url for r in p]) / median([r.cpu_per_url for r in w])
        wall_ratio = median([r.wall for r in p]) / median([r.wall for r in w])
        urls_p = set().union(*(r.urls for r in p))
        urls_w = set().union(*(r.urls for r in w))
        out += [f"### {sc.title}", "", "```sh",
                "python " + shlex.join(sc.site_command[1:]) + "  # prints each site's URL",
                "python " + shell(sc.commands["preserve"][1:], replace),
                shell(sc.commands["wget"], replace), "```", ""]
        out += side_by_side_table(sc.runs) + [""]
        if sc.name == "single":
            out.append(f"- **CPU per URL, preserve/wget: {cpu_ratio:.2f}×** (target ≤ "
                       f"{TARGET_CPU_RATIO:g}×: {verdict(cpu_ratio, TARGET_CPU_RATIO)}). "
                       f"Wall time, preserve/wget: {wall_ratio:.2f}×. preserve runs with "
                       "`--concurrency 4`, but at most one request at a time goes to a host, "
                       "so on this one host it fetches one URL at a time, as wget does.")
            if sc.startup_cpu is not None:
                steady = median([(r.cpu - sc.startup_cpu) / max(1, len(r.urls)) for r in p])
                out.append(f"- Start-up alone (`python -m preserve --version`) takes "
                           f"{sc.startup_cpu:.2f} s CPU; without it preserve's CPU per URL "
                           f"would be {1000 * steady:.3f} ms, "
                           f"{steady / median([r.cpu_per_url for r in w]):.2f}× wget's.")
        else:
            per_host = Counter(urlsplit(u).netloc for r in p for u in r.urls)
            busiest = max(per_host.values()) / len(p) if per_host else 0
            floor = busiest * sc.latency_ms / 1000
            paired = median([a.wall / b.wall for a, b in zip(p, w, strict=True)])
            out.append(f"- **Wall time, preserve/wget: {wall_ratio:.2f}×** (median of the "
                       f"rounds' own ratios {paired:.2f}×; target ≤ {TARGET_WALL_RATIO:g}×: "
                       f"{verdict(wall_ratio, TARGET_WALL_RATIO)}). **CPU per URL, "
                       f"preserve/wget: {cpu_ratio:.2f}×** (target ≤ "
                       f"{TARGET_MULTI_CPU_RATIO:g}×: "
                       f"{verdict(cpu_ratio, TARGET_MULTI_CPU_RATIO)}). wget fetches one URL "
                       "at a time; preserve keeps one connection per host, eight at once. "
                       f"Its floor is the busiest host's {busiest:,.0f} URLs × "
                       f"{sc.latency_ms} ms = {floor:.1f} s.")
            base = sc.runs.get(BASELINE)
            if base:
                b_wall = median([r.wall for r in base]) / median([r.wall for r in w])
                b_cpu = (median([r.cpu_per_url for r in base])
                         / median([r.cpu_per_url for r in w]))
                b_paired = median([a.wall / b.wall for a, b in zip(p, base, strict=True)])
                out.append(f"- Before the change (`{BASELINE}`, the `--baseline` checkout, in "
                           f"the same rounds): wall time {b_wall:.2f}× wget's, CPU per URL "
                           f"{b_cpu:.2f}× wget's; after/before, median of the rounds' own "
                           f"ratios: {b_paired:.2f}×.")
        out.append(f"- Same URLs? Captured by preserve only: {url_difference(urls_p, urls_w)}. "
                   f"By wget only: {url_difference(urls_w, urls_p)}.")
        out += [f"- {all_runs(sc.runs)}", ""]
    if memory is not None:
        out += [f"### {memory.title}", "", "```sh",
                "python -m testsite serve --articles N --hosts 1 --latency 0",
                "python " + shell(memory.commands["preserve"][1:], replace),
                "```", "",
                "| crawl | URLs captured | wall s | CPU s | CPU ms/URL | max RSS MB |",
                "| --- | ---: | ---: | ---: | ---: | ---: |"]
        for label, runs in memory.runs.items():
            out.append(f"| {label} | {fmt(median([len(r.urls) for r in runs]), 0)} "
                       f"| {fmt(median([r.wall for r in runs]))} "
                       f"| {fmt(median([r.cpu for r in runs]))} "
                       f"| {fmt(1000 * median([r.cpu_per_url for r in runs]), 3)} "
                       f"| {rss(runs)} |")
        out.append("")
        groups = list(memory.runs.values())
        if len(groups) >= 2:
            first, last = groups[0], groups[-1]
            size = [median([len(r.urls) for r in g]) for g in (first, last)]
            peak = [median([r.max_rss_kb for r in g]) for g in (first, last)]
            cpu = [median([r.cpu_per_url for r in g]) for g in (first, last)]
            out.append(f"- From {size[0]:,.0f} to {size[1]:,.0f} URLs ({size[1] / size[0]:.1f}× "
                       f"as many), max RSS grows {peak[1] / peak[0]:.2f}× and CPU per URL "
                       f"{cpu[1] / cpu[0]:.2f}×.")
        start = next((sc.startup_rss_kb for sc in scenarios if sc.startup_rss_kb), None)
        if start:
            out.append(f"- Start-up alone (`python -m preserve --version`) reaches "
                       f"{start / 1024:.1f} MB: the interpreter and the libraries.")
        out.append("")
    out.append(HOSTS_END if hosts_only else END)
    return "\n".join(out)


# -- main --------------------------------------------------------------------------------


def parse_args(argv: list[str] | None) -> argparse.Namespace:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--quick", action="store_true",
                        help="small sizes and one run, for a smoke test; prints the section "
                             "instead of writing it unless --out is given")
    parser.add_argument("--repeat", type=int, default=None, metavar="N",
                        help="runs of each crawl (default 3; 1 with --quick)")
    parser.add_argument("--out", type=Path, default=None,
                        help="Markdown file to update (default docs/benchmarks.md)")
    parser.add_argument("--only", default="single,multi,memory",
                        help="comma-separated scenarios to run (default: all three)")
    parser.add_argument("--workdir", type=Path, default=None,
                        help="where the crawls write (default: a temporary directory)")
    parser.add_argument("--keep", action="store_true", help="keep every crawl's output")
    parser.add_argument("--baseline", type=Path, default=None, metavar="DIR",
                        help="another checkout of preserve whose crawl (b) also runs, in "
                             "the same rounds, as the figures from before a change")
    args = parser.parse_args(argv)
    if args.repeat is None:
        args.repeat = 1 if args.quick else 3
    if args.repeat < 1:
        parser.error("--repeat must be at least 1")
    if args.baseline is not None and not (args.baseline / "src" / "preserve").is_dir():
        parser.error(f"--baseline {args.baseline}: not a checkout of preserve (no src/preserve)")
    return args


def main(argv: list[str] | None = None) -> int:
    args = parse_args(argv)
    wget = shutil.which("wget")
    if wget is None:
        print("error: wget is not installed; install it (e.g. apt-get install wget) and "
              "run again", file=sys.stderr)
        return 2
    if importlib.util.find_spec("preserve") is None:
        print("error: preserve is not importable; run `make test` and use .venv/bin/python",
              file=sys.stderr)
        return 2
    sizes = QUICK if args.quick else FULL
    only = set(args.only.split(","))
    python = sys.executable
    work = args.workdir or Path(tempfile.mkdtemp(prefix="preserve-bench-"))
    work.mkdir(parents=True, exist_ok=True)
    cache_bytecode(work, python, [args.baseline] if args.baseline is not None else [])
    date = datetime.now(UTC).strftime("%Y-%m-%d %H:%M UTC")
    scenarios: list[Scenario] = []
    memory: Scenario | None = None
    try:
        if "single" in only:
            scenarios.append(single_host(args, sizes, python, wget, work))
        if "multi" in only:
            scenarios.append(multi_host(args, sizes, python, wget, work))
        if "memory" in only:
            memory = memory_runs(args, sizes, python, work, scenarios)
    except BenchError as exc:
        print(f"error: {exc}", file=sys.stderr)
        return 1
    finally:
        if args.workdir is None and not args.keep:
            shutil.rmtree(work, ignore_errors=True)
    section = render(args, scenarios, memory, wget, date)
    out = args.out or (None if args.quick else ROOT / "docs" / "benchmarks.md")
    if out is None:
        print(section)
    elif section.startswith(HOSTS_START):
        write_section(out, HOSTS_START, HOSTS_END, "Crawl: every host busy", section,
                      new=DOC_HEAD)
    else:
        write_section(out, START, END, "Crawl", section, new=DOC_HEAD)
        log(f"wrote {out}")
    return 0


def single_host(args: argparse.Namespace, sizes: Sizes, python: str, wget: str,
                work: Path) -> Scenario:
    site = site_command(python, sizes.single_articles, 1, 0)
    with serve(site, 1, work) as urls:
        runs = repeat_runs("single", {
            "preserve": lambda d: run_preserve(python, d, urls, 4),
            "wget": lambda d: run_wget(wget, d, urls, False),
        }, args.repeat, work, args.keep)
    startup: list[float] = []
    startup_rss: list[int] = []
    for _ in range(args.repeat):
        _, usage, _ = measure([python, "-m", "preserve", "--version"], work, "startup")
        startup.append(usage.ru_utime + usage.ru_stime)
        startup_rss.append(usage.ru_maxrss)
    return Scenario("single", f"(a) One host, no added latency ({sizes.single_articles} "
                    "articles)", site,
                    {"preserve": preserve_command(python, "coll", ["URL"], 4),
                     "wget": wget_command("wget", ["URL"], False)}, runs,
                    startup_cpu=median(startup), startup_rss_kb=int(median(startup_rss)))


def multi_host(args: argparse.Namespace, sizes: Sizes, python: str, wget: str,
               work: Path) -> Scenario:
    n = sizes.multi_hosts
    site = site_command(python, sizes.multi_articles, n, sizes.multi_latency_ms)
    with serve(site, n, work) as urls:
        tools: dict[str, Callable[[Path], Run]] = {}
        if args.baseline is not None:
            tools[BASELINE] = lambda d: run_preserve(python, d, urls, n, args.baseline)
        tools["preserve"] = lambda d: run_preserve(python, d, urls, n)
        tools["wget"] = lambda d: run_wget(wget, d, urls, True)
        runs = repeat_runs("multi", tools, args.repeat, work, args.keep)
    placeholders = [f"URL{i + 1}" for i in range(n)]
    return Scenario("multi", f"(b) {n} hosts on loopback, {sizes.multi_latency_ms} ms per "
                    f"response ({sizes.multi_articles} articles each)", site,
                    {"preserve": preserve_command(python, "coll", placeholders, n),
                     "wget": wget_command("wget", placeholders, True)},
                    runs, latency_ms=sizes.multi_latency_ms)


def memory_runs(args: argparse.Namespace, sizes: Sizes, python: str, work: Path,
                earlier: list[Scenario]) -> Scenario:
    runs: dict[str, list[Run]] = {}
    for sc in earlier:
        if sc.name == "single":
            runs[f"(a), {sizes.single_articles} articles"] = sc.runs["preserve"]
    for target in sizes.memory_urls:
        articles = articles_for(target)
        site = site_command(python, articles, 1, 0)
        with serve(site, 1, work) as urls:
            done = repeat_runs(f"memory-{target}", {
                "preserve": functools.partial(run_preserve, python, seeds=urls, concurrency=4),
            }, args.repeat, work, args.keep)
        runs[f"~{target:,} URLs, {articles:,} articles"] = done["preserve"]
    return Scenario("memory", "(c) Peak memory of preserve", site_command(python, 0, 1, 0),
                    {"preserve": preserve_command(python, "coll", ["URL"], 4)}, runs)


if __name__ == "__main__":
    sys.exit(main())
