"""Verify benchmark (issues 4 and 19): preserve verify against sha256sum, warcio check and
FastWARC.

On one corpus of at least 1 GB of WARCs (built once, deterministically, in a work
directory and reused), in the same run:

a. whole-file fixity: ``preserve verify COLL --fixity-only`` against ``sha256sum`` on the
   same files (target: at least 0.8x its throughput on 2 cores);
b. record-level verification: ``preserve verify FILES`` with ``--jobs 1`` and ``--jobs 2``
   against, on the same files, ``warcio check`` (target: at least 2x faster), FastWARC's
   ``check`` command and a loop over FastWARC's ``ArchiveIterator`` that checks block and
   payload digests (targets: ``--jobs 1`` at least as fast as the loop, ``--jobs 2`` at
   least 1.5x as fast), and all of them on a file cut inside its last gzip member
   (warcio #138: warcio check passes it);
c. peak memory of preserve (max RSS from wait4; target under 100 MB);
d. a second, smaller table: one file of 40,000 small records (0.5-3 KB), where the work
   per record decides, with the FastWARC digest loop in the same rounds.

warcio and FastWARC run from the benchmark's own environment (``--env``, made by
bench/setup_env.sh), never preserve's; FastWARC's side is bench/fastwarc_run.py. Each
group of commands runs ``--repeat`` rounds, each round rotating which command goes
first, after one read of every file to warm the page cache; the ratios are paired (two
commands of the same round) and medians are reported. The figures replace the Verify
section of docs/benchmarks.md (between its markers). Run from the repository::

    bench/setup_env.sh
    .venv/bin/python bench/verify.py [--size 1GB] [--repeat 5] [--workdir DIR] [--quick]
"""

from __future__ import annotations

import argparse
import importlib.metadata
import os
import platform
import random
import resource
import shlex
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

from preserve.collection import Collection  # noqa: E402
from preserve.config import CollectionConfig, CrawlConfig, Description, parse_size  # noqa: E402
from preserve.store.events import EventLog  # noqa: E402
from preserve.store.fixity import FixityManifest  # noqa: E402
from preserve.store.indexer import build_indexes  # noqa: E402
from preserve.store.records import Digester, serialise_record, warc_fields  # noqa: E402
from preserve.store.warc import sha256_file  # noqa: E402
from preserve.web import inflate  # noqa: E402

START = "<!-- bench:verify:start -->"
END = "<!-- bench:verify:end -->"
FILE_SIZE = 220_000_000
SMALL_RECORDS = 40_000  # the small-record file (--quick: a tenth)
TARGET_FIXITY = 0.8
TARGET_RECORDS = 2.0
TARGET_LOOP_ONE = 1.0  # issue 19: --jobs 1 against the FastWARC digest loop
TARGET_LOOP_TWO = 1.5  # and --jobs 2
TARGET_RSS_MB = 100.0
WORDS = ("parliament committee regional fund transport report vote amendment "
         "constituency citizens rail freight energy climate budget member press "
         "statement speech hearing europe council directive").split()


class BenchError(Exception):
    pass


# -- the corpus ----------------------------------------------------------------------------


def _html(rng: random.Random, n: int) -> bytes:
    words = " ".join(rng.choice(WORDS) for _ in range(n // 8))
    return (f"<!doctype html><html><head><title>Page {rng.random()}</title></head><body>"
            f"<p>{words}</p></body></html>\n").encode()


def _record(f: object, headers: list[tuple[str, str]], block: bytes, http_end: int | None,
            payload: bool = True) -> None:
    d = Digester("sha1", http_end)
    d.update(block)
    headers = [*headers, ("WARC-Block-Digest", d.block_digest)]
    if payload and d.payload_digest:
        headers.append(("WARC-Payload-Digest", d.payload_digest))
    headers.append(("Content-Type", "application/http;msgtype=response" if http_end
                    else "application/warc-fields"))
    for member in serialise_record(headers, [block], len(block), level=1):
        f.write(member)  # type: ignore[attr-defined]


def build_corpus(root: Path, total: int) -> Collection:
    """A collection of WARC files of about FILE_SIZE bytes each, ``total`` bytes in all:
    response and request records; 60% small HTML pages, 40% random binary payloads (like
    images) of 50 KB to 2 MB. Seeded, so every build holds the same records."""
    done = root.parent / f".{root.name}.complete"  # outside: it would be an unlisted file
    if done.exists():
        coll = Collection(root)
        if not coll.index_path.exists():  # a corpus from before the index was built
            build_indexes(coll)
        return coll
    if root.exists():
        shutil.rmtree(root)
    coll = Collection.create(root, CollectionConfig(Description(title="verify benchmark"),
                                                    CrawlConfig()))
    rng = random.Random(4)
    manifest = FixityManifest(coll.manifest_path)
    events = EventLog(coll.events_path)
    written = 0
    n = 0
    serial = 0
    while written < total:
        name = f"bench-{serial:05d}.warc.gz"
        path = coll.warcs / name
        with open(path, "wb") as f:
            info = warc_fields([("software", "bench/verify.py"), ("format", "WARC File "
                                                                          "Format 1.1")])
            _record(f, [("WARC-Type", "warcinfo"), ("WARC-Record-ID", _id(rng)),
                        ("WARC-Date", "2026-12-01T00:00:00.000000Z"),
                        ("WARC-Filename", name)], info, None, payload=False)
            while f.tell() < FILE_SIZE and written + f.tell() < total:
                n += 1
                if rng.random() < 0.6:
                    body = _html(rng, rng.randint(5_000, 50_000))
                    ctype = "text/html; charset=utf-8"
                else:
                    body = rng.randbytes(rng.randint(50_000, 2_000_000))
                    ctype = "image/jpeg"
                date = f"2026-12-01T00:{n // 60 % 60:02d}:{n % 60:02d}.000000Z"
                _exchange(f, rng, "bench.example", n, date, body, ctype)
            size = f.tell()
        digest = sha256_file(path)
        manifest.add(f"warcs/{name}", digest)
        events.append("file closed", obj=f"warcs/{name}", data={"sha256": digest,
                                                                 "size": size})
        written += size
        serial += 1
        log(f"built {name}: {size / 1e6:.0f} MB ({written / 1e6:.0f} MB in all)")
    log("building the CDXJ index and pages list (preserve index)")
    build_indexes(coll)
    done.write_text("")
    return coll


def _exchange(f: object, rng: random.Random, host: str, n: int, date: str, body: bytes,
              ctype: str) -> None:
    """A response record of ``body`` at http://HOST/N and its request record."""
    head = (f"HTTP/1.1 200 OK\r\nContent-Type: {ctype}\r\n"
            f"Content-Length: {len(body)}\r\n\r\n").encode()
    url = f"http://{host}/{n}"
    response_id = _id(rng)
    _record(f, [("WARC-Type", "response"), ("WARC-Record-ID", response_id),
                ("WARC-Date", date), ("WARC-Target-URI", url)], head + body, len(head))
    request = f"GET /{n} HTTP/1.1\r\nHost: {host}\r\n\r\n".encode()
    _record(f, [("WARC-Type", "request"), ("WARC-Record-ID", _id(rng)),
                ("WARC-Date", date), ("WARC-Target-URI", url),
                ("WARC-Concurrent-To", response_id)], request, len(request))


def build_small(path: Path, records: int) -> Path:
    """One WARC file of ``records`` small records, as much of a real crawl is (requests,
    small pages, redirects): response and request records in pairs, payloads of 0.5-3 KB.
    Here the work per record, not per byte, decides the speed. Seeded, built once."""
    done = path.with_name(f".{path.name}.complete")
    if done.exists():
        return path
    rng = random.Random(7)
    with open(path, "wb") as f:
        _record(f, [("WARC-Type", "warcinfo"), ("WARC-Record-ID", _id(rng)),
                    ("WARC-Date", "2026-12-01T00:00:00.000000Z"),
                    ("WARC-Filename", path.name)],
                warc_fields([("software", "bench/verify.py")]), None, payload=False)
        for n in range(1, records // 2 + 1):
            body = _html(rng, rng.randint(400, 2_800))
            date = f"2026-12-01T{n // 3600 % 24:02d}:{n // 60 % 60:02d}:{n % 60:02d}.000000Z"
            _exchange(f, rng, "small.example", n, date, body, "text/html; charset=utf-8")
    done.write_text("")
    log(f"built {path.name}: {records} records, {path.stat().st_size / 1e6:.0f} MB")
    return path


def _id(rng: random.Random) -> str:
    h = rng.randbytes(16).hex()
    return f"<urn:uuid:{h[:8]}-{h[8:12]}-4{h[13:16]}-8{h[17:20]}-{h[20:32]}>"


# -- measuring -----------------------------------------------------------------------------


def repeat(commands: dict[str, list[str]], n: int, cwd: Path) -> dict[str, list[Run]]:
    """``n`` rounds of every command; round i starts with the i-th command (in a fixed
    cyclic order), so over as many rounds as commands each goes first once. Run k of
    every command is round k."""
    runs: dict[str, list[Run]] = {k: [] for k in commands}
    names = list(commands)
    for i in range(n):
        order = names[i % len(names):] + names[:i % len(names)]
        for name in order:
            run = measure(commands[name], cwd)
            log(f"  {name}: {run.wall:.2f} s wall, {run.cpu:.2f} s CPU, "
                f"{run.max_rss_kb / 1024:.0f} MB, exit {run.status}")
            runs[name].append(run)
    return runs


def paired(runs: dict[str, list[Run]], other: str, ours: str, cpu: bool = False) -> float:
    """The median over rounds of ``other``'s time over ``ours`` in the same round (above 1:
    ours is faster)."""
    def t(r: Run) -> float:
        return r.cpu if cpu else r.wall
    return median([t(a) / t(b) for a, b in zip(runs[other], runs[ours], strict=True)])


def env_tools(env: Path) -> dict[str, str]:
    """The benchmark environment's Python, warcio and FastWARC versions."""
    python = env / "bin" / "python"
    if not (python.exists() and (env / "bin" / "warcio").exists()):
        raise BenchError(f"no benchmark environment at {env}: make it with "
                         f"bench/setup_env.sh {env}")
    probe = ("import importlib.metadata as m, fastwarc.warc; "
             "print(m.version('fastwarc')); print(m.version('warcio')); "
             "print('Rust' if 'Rust' in (m.metadata('fastwarc')['Summary'] or '') "
             "else 'Cython')")
    out = subprocess.run([str(python), "-c", probe], capture_output=True, text=True)
    if out.returncode != 0:
        raise BenchError(f"the benchmark environment at {env} lacks fastwarc or warcio: "
                         f"run bench/setup_env.sh {env}")
    fastwarc, warcio, kind = out.stdout.split()
    return {"python": str(python), "warcio": str(env / "bin" / "warcio"),
            "fastwarc": fastwarc, "warcio_version": warcio, "fastwarc_kind": kind}


def two_cores(files: list[Path], n: int) -> dict[str, float]:
    """Median wall time of sha256sum on one file, and on two files at once."""
    one, two = [], []
    for _ in range(n):
        t0 = time.perf_counter()
        subprocess.run(["sha256sum", str(files[0])], capture_output=True, check=True)
        one.append(time.perf_counter() - t0)
        t0 = time.perf_counter()
        procs = [subprocess.Popen(["sha256sum", str(f)], stdout=subprocess.DEVNULL)
                 for f in files]
        for proc in procs:
            proc.wait()
        two.append(time.perf_counter() - t0)
    log(f"two cores: one file {median(one):.2f} s, two at once {median(two):.2f} s")
    return {"one": median(one), "two": median(two)}


# -- the section ---------------------------------------------------------------------------


def shell(command: list[str], replace: dict[str, str]) -> str:
    text = shlex.join(command)
    for old, new in replace.items():
        text = text.replace(old, new)
    return text


def render(args: argparse.Namespace, files: list[Path], results: dict[str, dict[str, list[Run]]],
           commands: dict[str, dict[str, list[str]]], cut: dict[str, int],
           replace: dict[str, str], cores: dict[str, float], tools: dict[str, str]) -> str:
    total = sum(p.stat().st_size for p in files)
    spawn_mb = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024
    lines = [
        "",
        "Written by `bench/verify.py`; edit the script, not this text.",
        "",
        f"- **Date:** {datetime.now(UTC):%Y-%m-%d %H:%M} UTC; {args.repeat} round(s) of each "
        "group of commands, each round rotating which command goes first; medians, and "
        "ratios paired within a round.",
        f"- **Machine:** {machine()}; shared and noisy (other jobs ran at the same time).",
        f"- **Versions:** preserve {importlib.metadata.version('preserve')} (inflate: "
        f"{inflate.backend()}), Python {platform.python_version()}; from the benchmark's own "
        f"environment (bench/setup_env.sh): FastWARC {tools['fastwarc']} (the "
        f"{tools['fastwarc_kind']} library), warcio {tools['warcio_version']}; "
        f"{tool_version(['sha256sum', '--version'])}.",
        f"- **Corpus:** {len(files)} WARC files, {total / 1e9:.2f} GB (gzip per record, "
        "level 1), built by the script with a fixed seed: response and request records, 60% "
        "HTML pages of 5-50 KB, 40% random binary payloads of 50 KB-2 MB, sha1 digests. "
        "The collection also has the CDXJ index and pages list written by `preserve index`. "
        "Every file is read once before timing, so all tools read from the page cache.",
        "- **Method:** each tool is a child process of the script; wall time, CPU time "
        "(user+sys, including worker processes) and max RSS (of the largest single process, "
        "workers included) come from `wait4`. Throughput is the corpus size over wall time. "
        "Linux counts the script's own pages at spawn in a child's max RSS, so every max "
        f"RSS figure is an upper bound (the script's own peak: {spawn_mb:.0f} MB). "
        "`fastwarc check` is FastWARC's own command (`--verify-payloads --quiet`, one file "
        "at a time, all in one process); the FastWARC digest loop iterates "
        "`ArchiveIterator` over each file and checks every block digest and payload digest "
        "(bench/fastwarc_run.py).",
        "",
        "| measurement | command | wall s | MB/s | CPU s | max RSS MB | exit |",
        "| --- | --- | ---: | ---: | ---: | ---: | ---: |",
    ]
    for group, runs in results.items():
        for name, rs in runs.items():
            wall = median([r.wall for r in rs])
            lines.append(
                f"| {group} | `{shell(commands[group][name], replace)}` | {wall:.2f} | "
                f"{total / 1e6 / wall:,.0f} | {median([r.cpu for r in rs]):.2f} | "
                f"{max(r.max_rss_kb for r in rs) / 1024:.1f} | "
                f"{','.join(sorted({str(r.status) for r in rs}))} |")
    fx = results["fixity"]
    fixity_ratio = paired(fx, "sha256sum", "preserve --fixity-only --jobs 2")
    rec = results["records"]
    col_rate = {k: total / 1e6 / median([r.wall for r in v])
                for k, v in results["collection"].items()}
    one, two = "preserve --jobs 1", "preserve --jobs 2"
    loop = "FastWARC digest loop"
    loop_one, loop_two = paired(rec, loop, one), paired(rec, loop, two)
    loop_cpu = paired(rec, loop, one, cpu=True)
    check_one, check_two = paired(rec, "fastwarc check", one), paired(rec, "fastwarc check",
                                                                        two)
    warcio_two, warcio_one = paired(rec, "warcio check", two), paired(rec, "warcio check", one)
    warcio_cpu = paired(rec, "warcio check", one, cpu=True)
    peak = max(r.max_rss_kb for group in results.values() for name, rs in group.items()
               if name.startswith("preserve") for r in rs) / 1024
    lines += [
        "",
        f"- **Against the FastWARC digest loop** (its wall time over preserve's in the same "
        f"round, median of {args.repeat}): **{loop_one:.2f}x** with `--jobs 1` (target >= "
        f"{TARGET_LOOP_ONE}x: {verdict(loop_one >= TARGET_LOOP_ONE)}), **{loop_two:.2f}x** "
        f"with `--jobs 2` (target >= {TARGET_LOOP_TWO}x: {verdict(loop_two >= TARGET_LOOP_TWO)})"
        f"; in CPU time the loop needs {loop_cpu:.2f}x what `--jobs 1` needs. Against "
        f"`fastwarc check`: {check_one:.2f}x with `--jobs 1`, {check_two:.2f}x with "
        "`--jobs 2`. FastWARC checks the digests only; preserve also checks gzip CRCs and "
        "framing, mandatory headers and their forms, record-id uniqueness and revisits.",
        f"- **Against warcio check:** {warcio_two:.2f}x faster with `--jobs 2` (target >= "
        f"{TARGET_RECORDS}x: {verdict(warcio_two >= TARGET_RECORDS)}), {warcio_one:.2f}x "
        f"on one core; in CPU time, warcio check needs {warcio_cpu:.2f}x what "
        "`preserve verify --jobs 1` needs. Both check every block and payload digest "
        "(with no manifest to compare with, loose files get no whole-file digest). With "
        "`--jobs 2` the files are cut into pieces at gzip member boundaries, so both "
        "workers stay busy to the end (docs/verify.md, Performance).",
        f"- **Whole-file fixity, preserve/sha256sum throughput: {fixity_ratio:.2f}x** "
        f"(target >= {TARGET_FIXITY}x on 2 cores: {verdict(fixity_ratio >= TARGET_FIXITY)}). "
        "sha256sum reads the files one after the other on one core; preserve reads two at "
        "once and also checks the manifest, the event log and preserve.toml, and appends one "
        "event per file.",
        f"- **The whole collection** (every check: WARC records, whole-file SHA-256 against "
        "the manifest and the events, the CDXJ index and pages list against the records, "
        f"one event per file): {col_rate[two]:,.0f} MB/s with `--jobs 2`, "
        f"{col_rate[one]:,.0f} MB/s with `--jobs 1`.",
        f"- **A file cut inside its last gzip member:** exit status of `warcio check` "
        f"{cut['warcio']}, `fastwarc check` {cut['fastwarc check']}, the FastWARC digest loop "
        f"{cut['fastwarc digests']}, `preserve verify` {cut['preserve']} (WARC_TRUNCATED "
        "with the record's offset).",
        f"- **Peak memory of preserve: at most {peak:.1f} MB** (target < {TARGET_RSS_MB:.0f} MB: "
        f"{verdict(peak < TARGET_RSS_MB)}), the largest single process over every run, with "
        f"files of {FILE_SIZE / 1e6:.0f} MB: reads are 128 KiB and inflated output at most "
        "1 MiB at a time.",
        f"- **Two cores?** The machine is shared: `sha256sum` of one file took "
        f"{cores['one']:.2f} s, of two files at once (two processes) {cores['two']:.2f} s, "
        f"so two processes got {2 * cores['one'] / cores['two']:.2f}x the work of one done "
        "in the same time (2.00x on two free cores). `--jobs 2` can gain no more than that.",
        "",
    ]
    return "\n".join(lines)


def render_small(args: argparse.Namespace, small: Path, runs: dict[str, list[Run]],
                 commands: dict[str, list[str]], replace: dict[str, str]) -> str:
    """The small-record figures: a table of their own, since the corpus differs."""
    records = SMALL_RECORDS // 10 if args.quick else SMALL_RECORDS
    size = small.stat().st_size
    one, two, loop = "preserve --jobs 1", "preserve --jobs 2", "FastWARC digest loop"
    lines = [
        "",
        f"**Many small records.** One file, `{small.name}`, of {records:,} records "
        f"({size / 1e6:.0f} MB, gzip per record, level 1, built with a fixed seed): "
        "response and request records in pairs, HTML payloads of 0.5-3 KB, as much of a real "
        "crawl is (requests, redirects, small pages). Here the work per record decides, not "
        "the hashing per byte. Same method and rounds as above.",
        "",
        "| command | wall s | records/s | CPU s | max RSS MB | exit |",
        "| --- | ---: | ---: | ---: | ---: | ---: |",
    ]
    for name, rs in runs.items():
        wall = median([r.wall for r in rs])
        lines.append(
            f"| `{shell(commands[name], replace)}` | {wall:.2f} | {records / wall:,.0f} | "
            f"{median([r.cpu for r in rs]):.2f} | {max(r.max_rss_kb for r in rs) / 1024:.1f} "
            f"| {','.join(sorted({str(r.status) for r in rs}))} |")
    cpu_one = paired(runs, loop, one, cpu=True)
    lines += [
        "",
        f"- **Against the FastWARC digest loop on small records:** {paired(runs, loop, one):.2f}x "
        f"with `--jobs 1`, {paired(runs, loop, two):.2f}x with `--jobs 2` (its wall time "
        f"over preserve's, median of {args.repeat}); in CPU time the loop needs "
        f"{cpu_one:.2f}x what `--jobs 1` needs (below 1: preserve needs more). Per record, "
        f"preserve's `--jobs 1` spends "
        f"{median([r.cpu for r in runs[one]]) / records * 1e6:.0f} µs of CPU, the loop "
        f"{median([r.cpu for r in runs[loop]]) / records * 1e6:.0f} µs (start-up included).",
        "",
    ]
    return "\n".join(lines)


def main(argv: list[str] | None = None) -> int:
    p = argparse.ArgumentParser(description="preserve verify vs sha256sum, warcio check and "
                                "FastWARC")
    p.add_argument("--size", default="1.05GB", help="corpus size [default: 1.05GB]")
    p.add_argument("--repeat", type=int, default=5, help="rounds [default: 5]")
    p.add_argument("--workdir", type=Path, help="keep the corpus here and reuse it")
    p.add_argument("--env", type=Path, default=ROOT / "bench" / ".env",
                   help="the benchmark's own environment, made by bench/setup_env.sh "
                   "[default: bench/.env]")
    p.add_argument("--out", type=Path, default=ROOT / "docs" / "benchmarks.md")
    p.add_argument("--quick", action="store_true",
                   help="a 100 MB corpus, one run each; prints the section, writes nothing")
    args = p.parse_args(argv)
    if args.quick:
        args.size, args.repeat = "100MB", 1
    for tool in ("sha256sum",):
        if shutil.which(tool) is None:
            raise BenchError(f"{tool} is not installed")
    tools = env_tools(args.env.resolve())
    python = sys.executable
    warcio = tools["warcio"]
    fastwarc = [tools["python"], str(ROOT / "bench" / "fastwarc_run.py")]
    work = args.workdir or Path(tempfile.mkdtemp(prefix="bench-verify-"))
    work.mkdir(parents=True, exist_ok=True)
    # As an installed preserve (and FastWARC, installed in its environment) does, every
    # child keeps its compiled modules: with PYTHONDONTWRITEBYTECODE set, each preserve
    # command (and each --jobs worker) compiled its sources again, about 0.1 s of CPU.
    os.environ.pop("PYTHONDONTWRITEBYTECODE", None)
    os.environ["PYTHONPYCACHEPREFIX"] = str(work / "pycache")
    coll = build_corpus(work / ("coll-quick" if args.quick else "coll"), parse_size(args.size))
    files = coll.closed_warcs()
    rel = [str(f.relative_to(coll.root)) for f in files]
    warm(files)
    cwd = coll.root
    preserve = [python, "-m", "preserve", "verify", "--quiet", "--json"]
    # One untimed run fills the bytecode cache, so the first timed round compiles nothing.
    measure([*preserve, str(min(files, key=lambda f: f.stat().st_size))], coll.root)
    commands = {
        "fixity": {"sha256sum": ["sha256sum", *rel],
                   "preserve --fixity-only --jobs 2": [*preserve, "--fixity-only", "--jobs",
                                                       "2", "."]},
        "collection": {"preserve --jobs 2": [*preserve, "--jobs", "2", "."],
                       "preserve --jobs 1": [*preserve, "--jobs", "1", "."]},
        "records": {"FastWARC digest loop": [*fastwarc, "digests", *rel],
                    "fastwarc check": [*fastwarc, "check", *rel],
                    "warcio check": [warcio, "check", *rel],
                    "preserve --jobs 2": [*preserve, "--jobs", "2", *rel],
                    "preserve --jobs 1": [*preserve, "--jobs", "1", *rel]},
    }
    results = {}
    for group, cmds in commands.items():
        log(f"{group}:")
        results[group] = repeat(cmds, args.repeat, cwd)
    small = build_small(work / ("small-quick.warc.gz" if args.quick else "small.warc.gz"),
                        SMALL_RECORDS // 10 if args.quick else SMALL_RECORDS)
    warm([small])
    small_commands = {"FastWARC digest loop": [*fastwarc, "digests", small.name],
                      "preserve --jobs 2": [*preserve, "--jobs", "2", small.name],
                      "preserve --jobs 1": [*preserve, "--jobs", "1", small.name]}
    log("small records:")
    small_runs = repeat(small_commands, args.repeat, work)
    # The truncated copy: the smallest file, cut 100 bytes before its end.
    smallest = min(files, key=lambda f: f.stat().st_size)
    cut_path = work / "cut.warc.gz"
    shutil.copyfile(smallest, cut_path)
    with open(cut_path, "r+b") as f:
        f.truncate(smallest.stat().st_size - 100)
    cut = {"warcio": measure([warcio, "check", str(cut_path)], cwd).status,
           "fastwarc check": measure([*fastwarc, "check", str(cut_path)], cwd).status,
           "fastwarc digests": measure([*fastwarc, "digests", str(cut_path)], cwd).status,
           "preserve": measure([*preserve, str(cut_path)], cwd).status}
    cores = two_cores(files[:2], args.repeat)
    replace = {python: "python", warcio: "ENV/bin/warcio", " --quiet --json": "",
               shlex.join(fastwarc): "ENV/bin/python bench/fastwarc_run.py",
               "'warcs/*.warc.gz'": "warcs/*.warc.gz"}
    section = render(args, files, results, {g: {k: _short(v, rel) for k, v in c.items()}
                                            for g, c in commands.items()}, cut, replace, cores,
                     tools)
    section += render_small(args, small, small_runs, small_commands, replace)
    publish(section, quick=args.quick, out=args.out, start=START, end=END,
            heading="Verify")
    if not args.workdir:
        shutil.rmtree(work)
    return 0


def _short(command: list[str], rel: list[str]) -> list[str]:
    """The command with the list of files written as one glob."""
    out = [c for c in command if c not in rel]
    if len(out) < len(command):
        out.append("warcs/*.warc.gz")
    return out


if __name__ == "__main__":
    try:
        sys.exit(main())
    except BenchError as e:
        print(f"bench/verify.py: {e}", file=sys.stderr)
        sys.exit(2)
    except KeyboardInterrupt:
        sys.exit(130)
