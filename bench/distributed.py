"""Distributed crawl benchmark (issue 21): 1, 2 and 4 workers sharing one crawl in Redis.

The test site serves ``--hosts`` sites on loopback ports (a separate process, 20 ms before
every response); a real redis-server runs on a free port of 127.0.0.1; each worker is
``preserve crawl COLL --frontier redis://... --worker-id wN`` in its own process and
collection, with the default ``--concurrency`` (4) and ``--delay 0`` (one request at a
time per host across the cluster, no pause between them). For each worker count it
measures the wall time from the first worker's start to the last one's end, the CPU
seconds of all workers (wait4), the URLs captured (each exactly once) and the Redis round
trips per URL.

Round trips are counted in the workers: each runs through this script's ``--count``
mode, which wraps the redis client's ``Connection.send_packed_command`` (one call per
command, per pipeline and per MULTI/EXEC block: one request-response exchange) and writes
the count when the process exits. Redis's own ``INFO commandstats`` gives the commands
executed (a pipeline of five is five commands, one round trip).

    .venv/bin/python bench/distributed.py [--quick] [--repeat N] [--out docs/benchmarks.md]
"""

from __future__ import annotations

import argparse
import atexit
import json
import os
import runpy
import shutil
import socket
import subprocess
import sys
import tempfile
import time
from collections import Counter
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

from crawl import BenchError, serve, site_command
from harness import log, machine, median, publish, stop, verdict

ROOT = Path(__file__).resolve().parent.parent
START = "<!-- bench:distributed:start -->"
END = "<!-- bench:distributed:end -->"
SLOW_START = "<!-- bench:distributed-slow:start -->"
SLOW_END = "<!-- bench:distributed-slow:end -->"
TARGET_SPEEDUP = 3.2
TARGET_ROUND_TRIPS = 4.0
MAX_DEPTH = 20
WORKERS = (1, 2, 4)
CONCURRENCY = 4  # preserve's default


@dataclass(frozen=True)
class Sizes:
    hosts: int
    articles: int
    latency_ms: int


FULL = Sizes(16, 10, 20)
QUICK = Sizes(16, 2, 20)


@dataclass
class Run:
    workers: int
    wall: float
    cpu: float  # user + sys of every worker
    urls: int  # distinct URLs captured
    twice: int  # URLs captured by more than one worker, or twice by one
    round_trips: int
    commands: int  # as Redis counted them (INFO commandstats)
    shares: list[int]  # URLs each worker captured
    sites: Counter[str]  # round trips by where they were sent from
    span: float  # from the first capture to the last, any worker (start-up left out)
    redis_cpu: float  # CPU seconds of redis-server (INFO cpu)

    @property
    def rate(self) -> float:
        return self.urls / self.wall

    @property
    def crawl_rate(self) -> float:
        return self.urls / self.span if self.span else 0.0


# -- the counting worker -----------------------------------------------------------------


def counted_worker(out: str, argv: list[str]) -> None:
    """Run ``python -m preserve ARGV`` in this process, counting what the redis client
    sends; the count goes to ``out`` when the process exits."""
    from redis.connection import Connection

    sites: Counter[str] = Counter()
    original = Connection.send_packed_command

    def send_packed_command(self: Any, *args: Any, **kwargs: Any) -> Any:
        sites[_caller()] += 1
        return original(self, *args, **kwargs)

    Connection.send_packed_command = send_packed_command  # type: ignore[method-assign]
    atexit.register(lambda: Path(out).write_text(json.dumps(sites)))
    sys.argv = ["preserve", *argv]
    runpy.run_module("preserve", run_name="__main__", alter_sys=True)


def _caller() -> str:
    """Where a round trip comes from: the crawl state's method that sent it, and the crawl
    loop's (capture/) method that called it."""
    state = loop = "?"
    frame = sys._getframe(2)
    while frame is not None:
        path = frame.f_code.co_filename
        if state == "?" and path.endswith("crawlstate_redis.py"):
            state = frame.f_code.co_name
        elif state != "?" and "/capture/" in path:
            loop = f"{Path(path).stem}.{frame.f_code.co_name}"
            break
        frame = frame.f_back  # type: ignore[assignment]
    return f"{state} <- {loop}"


# -- processes ---------------------------------------------------------------------------


def _free_port() -> int:
    with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as sock:
        sock.bind(("127.0.0.1", 0))
        return int(sock.getsockname()[1])


@contextmanager
def redis_server(directory: Path) -> Iterator[str]:
    """A redis-server of its own on 127.0.0.1 (no persistence); yields its URL."""
    binary = shutil.which("redis-server")
    if binary is None:
        raise BenchError("redis-server is not installed (Debian: apt-get install redis-server)")
    port = _free_port()
    proc = subprocess.Popen([binary, "--port", str(port), "--bind", "127.0.0.1", "--save", "",
                             "--appendonly", "no", "--dir", str(directory)],
                            stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
    try:
        deadline = time.monotonic() + 20
        while True:
            try:
                with socket.create_connection(("127.0.0.1", port), timeout=0.5) as s:
                    s.sendall(b"PING\r\n")
                    if s.recv(16).startswith(b"+PONG"):
                        break
            except OSError:
                if time.monotonic() > deadline or proc.poll() is not None:
                    raise BenchError(f"redis-server did not start on port {port}") from None
                time.sleep(0.05)
        yield f"redis://127.0.0.1:{port}/0"
    finally:
        stop(proc)


def _redis_cpu(client: Any) -> float:
    stats = client.info("cpu")
    return float(stats["used_cpu_user"]) + float(stats["used_cpu_sys"])


def _commands(client: Any) -> int:
    stats = client.info("commandstats")
    return sum(int(v["calls"]) for k, v in stats.items()
               if k.removeprefix("cmdstat_") not in ("info", "flushall", "config"))


def worker_command(python: str, count: Path, coll: Path, seeds: list[str], frontier: str,
                   name: str) -> list[str]:
    command = [python, str(Path(__file__).resolve()), "--count", str(count), "--",
               "crawl", str(coll)]
    for seed in seeds:
        command += ["--seed", seed]
    return command + ["--frontier", frontier, "--worker-id", name, "--delay", "0",
                      "--concurrency", str(CONCURRENCY), "--max-depth", str(MAX_DEPTH),
                      "--quiet", "--json"]


def crawled(coll: Path) -> list[tuple[str, float]]:
    """The URLs a worker's crawl log says it captured (one line per capture), each with
    when its line was written."""
    urls = []
    for log_path in sorted((coll / "logs").glob("crawl-*.jsonl")):
        for line in log_path.read_text().splitlines():
            entry = json.loads(line)
            if entry.get("outcome") in ("captured", "revisit"):
                when = datetime.fromisoformat(entry["time"].replace("Z", "+00:00"))
                urls.append((entry["url"], when.timestamp()))
    return urls


def run_workers(python: str, work: Path, seeds: list[str], frontier: str, n: int) -> Run:
    import redis

    client = redis.StrictRedis.from_url(frontier)
    client.flushall()
    client.config_resetstat()
    redis_cpu = _redis_cpu(client)
    work.mkdir(parents=True)
    procs: list[tuple[subprocess.Popen[bytes], Path]] = []
    t0 = time.perf_counter()
    for i in range(n):
        name = f"w{i + 1}"
        count = work / f"{name}.count"
        with open(work / f"{name}.out", "wb") as out, open(work / f"{name}.err", "wb") as err:
            procs.append((subprocess.Popen(
                worker_command(python, count, work / name, seeds, frontier, name),
                cwd=work, stdout=out, stderr=err, stdin=subprocess.DEVNULL), count))
    cpu = 0.0
    for proc, _ in procs:
        _, status, usage = os.wait4(proc.pid, 0)
        proc.returncode = os.waitstatus_to_exitcode(status)
        cpu += usage.ru_utime + usage.ru_stime
    wall = time.perf_counter() - t0
    commands = _commands(client)
    redis_cpu = _redis_cpu(client) - redis_cpu
    client.connection_pool.disconnect()
    for i, (proc, _) in enumerate(procs):
        if proc.returncode not in (0, 1):
            tail = (work / f"w{i + 1}.err").read_text(errors="replace")[-800:]
            raise BenchError(f"worker w{i + 1} exited with status {proc.returncode}: {tail}")
    shares = [crawled(work / f"w{i + 1}") for i in range(n)]
    every = Counter(u for share in shares for u, _ in share)
    times = sorted(t for share in shares for _, t in share)
    sites: Counter[str] = Counter()
    for _, count in procs:
        sites.update(json.loads(count.read_text()))
    return Run(n, wall, cpu, len(every), sum(1 for v in every.values() if v > 1),
               sum(sites.values()), commands, [len(s) for s in shares], sites,
               times[-1] - times[0] if times else 0.0, redis_cpu)


# -- the report --------------------------------------------------------------------------


def render(args: argparse.Namespace, sizes: Sizes, runs: dict[int, list[Run]],
           date: str) -> str:
    import redis

    server = subprocess.run(["redis-server", "--version"], capture_output=True,
                            text=True).stdout.split()
    version = next((w.removeprefix("v=") for w in server if w.startswith("v=")), "?")
    rate = {n: median([r.rate for r in rs]) for n, rs in runs.items()}
    crawl_rate = {n: median([r.crawl_rate for r in rs]) for n, rs in runs.items()}
    urls = median([r.urls for rs in runs.values() for r in rs])
    cores = len(os.sched_getaffinity(0))
    quick = " (`--quick`: smoke-test sizes, not the benchmark's)" if args.quick else ""
    out = ["", "Written by `bench/distributed.py`; edit the script, not this text.", "",
           f"- **Date:** {date}{quick}; {args.repeat} round(s), each running 1, 2 and 4 "
           "workers in turn; medians.",
           f"- **Machine:** {machine()}; shared with other jobs, and noisy.",
           f"- **Versions:** Python {sys.version.split()[0]}, redis-server {version}, "
           f"redis (Python client) {redis.__version__}.",
           f"- **Set-up:** `python -m testsite serve --hosts {sizes.hosts} --articles "
           f"{sizes.articles} --latency {sizes.latency_ms}` in its own process ({sizes.hosts} "
           "sites on loopback ports, linking to each other); a redis-server of its own; "
           "each worker `preserve crawl COLLn --seed URL1 ... --frontier redis://... "
           f"--worker-id wN --delay 0 --concurrency {CONCURRENCY} --max-depth {MAX_DEPTH}` "
           "in its own process and collection, all started together. One request at a "
           "time per host across the workers (the Redis host lock); `--delay 0`: none "
           "between them.",
           "- **Round trips:** counted in each worker by wrapping the redis client's "
           "`Connection.send_packed_command` (one per command, pipeline or MULTI/EXEC "
           "block sent); Redis's `INFO commandstats` gives the commands it ran.",
           "",
           "| workers | URLs captured | captured twice | wall s | URLs/s | speed-up "
           "| first to last capture, s | URLs/s | speed-up "
           "| CPU s (all workers) | CPU ms/URL | round trips/URL | Redis commands/URL "
           "| Redis CPU µs/URL | URLs per worker |",
           "| ---: | ---: | ---: | ---: | ---: | ---: | ---: | ---: | ---: | ---: | ---: "
           "| ---: | ---: | ---: | --- |"]
    for n, rs in runs.items():
        out.append(
            f"| {n} | {median([r.urls for r in rs]):,.0f} | {max(r.twice for r in rs)} "
            f"| {median([r.wall for r in rs]):.2f} | {rate[n]:.1f} "
            f"| {rate[n] / rate[WORKERS[0]]:.2f}× "
            f"| {median([r.span for r in rs]):.2f} | {crawl_rate[n]:.1f} "
            f"| {crawl_rate[n] / crawl_rate[WORKERS[0]]:.2f}× "
            f"| {median([r.cpu for r in rs]):.1f} "
            f"| {1000 * median([r.cpu / r.urls for r in rs]):.1f} "
            f"| {median([r.round_trips / r.urls for r in rs]):.2f} "
            f"| {median([r.commands / r.urls for r in rs]):.2f} "
            f"| {1e6 * median([r.redis_cpu / r.urls for r in rs]):.0f} "
            f"| {' / '.join(str(s) for s in rs[len(rs) // 2].shares)} |")
    speedup = rate[WORKERS[-1]] / rate[WORKERS[0]]
    crawl_speedup = crawl_rate[WORKERS[-1]] / crawl_rate[WORKERS[0]]
    trips = max(median([r.round_trips / r.urls for r in rs]) for rs in runs.values())
    latency = sizes.latency_ms / 1000
    out += ["",
            f"- **Speed-up, 1 → 4 workers: {speedup:.2f}×** in wall time, process start-up "
            f"included, and **{crawl_speedup:.2f}×** from the first capture to the last "
            f"(target ≥ {TARGET_SPEEDUP:g}×: {verdict(speedup >= TARGET_SPEEDUP)}, "
            f"{verdict(crawl_speedup >= TARGET_SPEEDUP)}). **Round trips per URL: at most "
            f"{trips:.2f}** (target ≤ {TARGET_ROUND_TRIPS:g}: "
            f"{verdict(trips <= TARGET_ROUND_TRIPS)}).",
            "- Redis itself used "
            f"{1e6 * median([r.redis_cpu / r.urls for rs in runs.values() for r in rs]):.0f} µs "
            "of CPU per URL (`INFO cpu`, median of every run): one Redis core would keep up "
            "with about "
            f"{1 / median([r.redis_cpu / r.urls for rs in runs.values() for r in rs]):,.0f} "
            "URLs/s (scripts run one at a time).",
            "- What latency alone allows: each worker has "
            f"{CONCURRENCY} fetches at once and each response takes {sizes.latency_ms} ms, so "
            f"n workers could fetch at most min(4n, {sizes.hosts}) URLs per {sizes.latency_ms} "
            f"ms: {CONCURRENCY / latency:.0f}, {2 * CONCURRENCY / latency:.0f} and "
            f"{min(4 * CONCURRENCY, sizes.hosts) / latency:.0f} URLs/s for 1, 2 and 4 "
            "workers, a 4× speed-up (less near the end of a crawl, when fewer hosts have "
            "URLs left).",
            f"- What CPU allows: this machine has {cores} cores for the workers, the test "
            "site and Redis together. At the CPU per URL measured, "
            + ", ".join(f"{n} worker{'s need' if n > 1 else ' needs'} "
                        f"{median([r.cpu / r.wall for r in rs]):.2f} cores"
                        for n, rs in runs.items())
            + " (CPU seconds / wall seconds, workers only); where that nears the cores left "
            "over by the test site and Redis, more workers cannot go faster here, whatever "
            "the frontier does. On machines of their own (the deployment the workers are "
            "for), each worker's CPU is its own.",
            f"- No URL was captured twice across the workers; {urls:,.0f} URLs (median) "
            "were captured in each run. Load average (1 min) of the machine while it ran: "
            f"{args.load[0]:.1f} at the start, {args.load[1]:.1f} at the end.",
            "- Where the round trips go (the 1-worker runs; crawl-state method ← crawl-loop "
            "method, per URL): " + ", ".join(
                f"`{site}` {count / sum(r.urls for r in runs[WORKERS[0]]):.2f}"
                for site, count in sum((r.sites for r in runs[WORKERS[0]]),
                                       Counter()).most_common(8)) + ".",
            "- Every run: " + "; ".join(
                f"{r.workers}w {r.wall:.2f} s, {r.urls} URLs, {r.round_trips} round trips"
                for rs in runs.values() for r in rs) + ".",
            ""]
    return "\n".join(out)


# -- Redis memory per URL ------------------------------------------------------------------

MEM_START = "<!-- bench:distributed-memory:start -->"
MEM_END = "<!-- bench:distributed-memory:end -->"


def synthetic(host: int, n: int) -> str:
    """A URL of the length of a party site's article (about 80 characters)."""
    return f"https://www.party-{host:05d}.example.eu/news/2019/05/candidates-for-{n:07d}.html"


def memory_per_url(python: str, work: Path, urls: int, hosts: int) -> dict[str, float]:
    """Bytes of Redis memory (INFO memory used_memory) per URL, the URLs pushed through
    the real ``RedisCrawlState`` as the crawl loop does: queued (found as links, fifty a
    page), then claimed and completed with a payload digest each (seen), and noted
    excluded."""
    import redis

    from preserve.store.crawlstate import FrontierItem
    from preserve.store.crawlstate_redis import RedisCrawlState
    from preserve.store.warc import Original

    with redis_server(work) as url:
        client = redis.StrictRedis.from_url(url)

        def used() -> int:
            return int(client.info("memory")["used_memory"])

        state = RedisCrawlState(url, worker="w1", join=True)
        crawl = state.start("2026-12-07T00:00:00+00:00", {"seeds": []}).id
        frontier = state.open_frontier(crawl)
        digests = state.digests(crawl)
        base = used()
        items = [FrontierItem(synthetic(n % hosts, n), f"www.party-{n % hosts:05d}.example.eu:443",
                              "LLL", synthetic(n % hosts, max(0, n - 1)), 1)
                 for n in range(urls)]
        for n in range(0, urls, 50):
            with state.transaction():
                frontier.add(items[n:n + 50])
        queued = used()
        done = 0
        while done < urls:
            claimed = frontier.claim(lambda _h: True, hosts, time.time())
            with state.transaction():
                for item in claimed:
                    frontier.complete(item, "done")
                    digests.add(f"sha1:{item.id:032d}", Original(
                        item.url, "2026-12-07T00:00:00Z", f"<urn:uuid:{item.id:036d}>"))
            done += len(claimed)
        seen = used()
        for n in range(0, urls, 50):
            with state.transaction():
                for k in range(n, min(urls, n + 50)):
                    frontier.note_excluded(synthetic(hosts + k % hosts, k), "out-of-scope")
        excluded = used()
        state.close()
        client.connection_pool.disconnect()
    return {"queued": (queued - base) / urls, "seen": (seen - base) / urls,
            "excluded": (excluded - seen) / urls, "urls": urls, "hosts": hosts}


def render_memory(figures: dict[str, float], date: str) -> str:
    import redis

    return "\n".join([
        "", "Written by `bench/distributed.py --memory N`; edit the script, not this text.", "",
        f"- **Date:** {date}. **Machine:** {machine()}.",
        f"- **Versions:** redis (Python client) {redis.__version__}; redis-server as above.",
        f"- **Method:** a redis-server of its own; {figures['urls']:,.0f} synthetic URLs of "
        f"about 80 characters on {figures['hosts']:,.0f} hosts pushed through "
        "`RedisCrawlState` as the crawl loop does (added fifty a page, each with its "
        "referrer; then claimed and completed, each with a payload digest in the "
        "digest index; then as many other URLs noted excluded); `INFO memory` "
        "`used_memory` before and after each step.",
        "",
        "| what | bytes per URL |",
        "| --- | ---: |",
        f"| queued (seen set entry, item, state, queue) | {figures['queued']:,.0f} |",
        f"| seen: captured and completed (with its payload digest) | "
        f"{figures['seen']:,.0f} |",
        f"| noted excluded (out of scope) | {figures['excluded']:,.0f} |",
        ""])


def parse_args(argv: list[str] | None) -> argparse.Namespace:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--quick", action="store_true",
                        help="small sites and one round; prints the section")
    parser.add_argument("--repeat", type=int, default=None, metavar="N",
                        help="rounds (default 3; 1 with --quick)")
    parser.add_argument("--articles", type=int, default=None,
                        help="articles per site (default 10; 2 with --quick)")
    parser.add_argument("--workers", default=",".join(map(str, WORKERS)),
                        help="worker counts to run, comma-separated (default 1,2,4; the "
                             "section is written only for the default)")
    parser.add_argument("--latency", type=int, default=None, metavar="MS",
                        help="milliseconds before every response (default 20); another "
                             "value writes a section of its own")
    parser.add_argument("--memory", type=int, default=None, metavar="N",
                        help="instead: Redis memory per queued, seen and excluded URL, "
                             "with N synthetic URLs")
    parser.add_argument("--out", type=Path, default=None,
                        help="Markdown file to update (default docs/benchmarks.md)")
    parser.add_argument("--workdir", type=Path, default=None,
                        help="where the crawls write (default: a temporary directory)")
    parser.add_argument("--keep", action="store_true", help="keep every crawl's output")
    args = parser.parse_args(argv)
    if args.repeat is None:
        args.repeat = 1 if args.quick else 3
    return args


def main(argv: list[str] | None = None) -> int:
    argv = sys.argv[1:] if argv is None else argv
    if argv[:1] == ["--count"] and "--" in argv:
        counted_worker(argv[1], argv[argv.index("--") + 1:])
        return 0
    args = parse_args(argv)
    base = QUICK if args.quick else FULL
    sizes = Sizes(base.hosts, args.articles or base.articles, args.latency or base.latency_ms)
    args.load = [os.getloadavg()[0], 0.0]
    python = sys.executable
    if args.memory is not None:
        with tempfile.TemporaryDirectory(prefix="preserve-bench-mem-") as tmp:
            figures = memory_per_url(python, Path(tmp), args.memory, 100)
        out = args.out or (None if args.quick else ROOT / "docs" / "benchmarks.md")
        publish(render_memory(figures, datetime.now(UTC).strftime("%Y-%m-%d %H:%M UTC")),
                quick=out is None, out=out or ROOT, start=MEM_START, end=MEM_END,
                heading="Distributed crawl: Redis memory per URL")
        return 0
    work = args.workdir or Path(tempfile.mkdtemp(prefix="preserve-bench-dist-"))
    work.mkdir(parents=True, exist_ok=True)
    date = datetime.now(UTC).strftime("%Y-%m-%d %H:%M UTC")
    counts = tuple(int(n) for n in args.workers.split(","))
    runs: dict[int, list[Run]] = {n: [] for n in counts}
    try:
        site = site_command(python, sizes.articles, sizes.hosts, sizes.latency_ms)
        (work / "redis").mkdir(exist_ok=True)
        with serve(site, sizes.hosts, work) as seeds, redis_server(work / "redis") as url:
            for i in range(args.repeat):
                order = counts[i % len(counts):] + counts[:i % len(counts)]
                for n in order:
                    run = run_workers(python, work / f"round{i + 1}-{n}w", seeds, url, n)
                    runs[n].append(run)
                    log(f"round {i + 1}: {n} worker(s): {run.urls} URLs in {run.wall:.2f} s "
                        f"({run.rate:.1f}/s; {run.span:.2f} s from first capture to last: "
                        f"{run.crawl_rate:.1f}/s), {run.cpu:.1f} s CPU, "
                        f"{run.round_trips / run.urls:.2f} round trips/URL, "
                        f"{run.commands / run.urls:.2f} commands/URL, shares {run.shares}, "
                        f"twice {run.twice}")
                    log("  " + ", ".join(f"{k}: {v / run.urls:.2f}"
                                         for k, v in run.sites.most_common(12)))
                    if not args.keep:
                        shutil.rmtree(work / f"round{i + 1}-{n}w")
    except (BenchError, OSError) as exc:
        print(f"error: {exc}", file=sys.stderr)
        return 1
    finally:
        if args.workdir is None and not args.keep:
            shutil.rmtree(work, ignore_errors=True)
    if counts != WORKERS:
        return 0
    args.load[1] = os.getloadavg()[0]
    section = render(args, sizes, runs, date)
    out = args.out or (None if args.quick else ROOT / "docs" / "benchmarks.md")
    if sizes.latency_ms == FULL.latency_ms:
        publish(section, quick=out is None, out=out or ROOT, start=START, end=END,
                heading="Distributed crawl: 1, 2 and 4 workers")
    else:
        publish(section, quick=out is None, out=out or ROOT, start=SLOW_START, end=SLOW_END,
                heading="Distributed crawl: 1, 2 and 4 workers, latency-bound")
    return 0


if __name__ == "__main__":
    sys.exit(main())
