"""Recrawl benchmark (issue 6): what a recrawl of an unchanged site stores, and how long it takes.

The test site (500 articles, about 1,150 URLs) is served by its own process; preserve
crawls it into a fresh collection, then crawls it again, unchanged, into the same
collection. Reported, as medians over ``--repeat`` pairs of crawls: the bytes of WARC
each crawl wrote and the wall time of each, and their ratios (second / first). The
figures replace the Recrawl section of docs/benchmarks.md (between its markers)::

    .venv/bin/python bench/recrawl.py [--repeat 3] [--articles 500] [--out docs/benchmarks.md]
"""

from __future__ import annotations

import argparse
import json
import os
import platform
import statistics
import subprocess
import sys
import tempfile
import time
from datetime import UTC, datetime
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT / "bench"))

from crawl import serve, site_command  # noqa: E402

START = "<!-- bench:recrawl:start -->"
END = "<!-- bench:recrawl:end -->"


def write_section(path: Path, section: str) -> None:
    """Replace the Recrawl section between its markers, or add it; other sections stay."""
    text = path.read_text()
    if START in text and END in text:
        before, rest = text.split(START, 1)
        text = before + section + rest.split(END, 1)[1]
    else:
        text = text.rstrip("\n") + "\n\n## Recrawl\n\n" + section + "\n"
    tmp = path.with_name(path.name + ".tmp")
    tmp.write_text(text)
    os.replace(tmp, path)


def crawl(python: str, coll: Path, seed: str | None) -> tuple[float, dict[str, object]]:
    command = [python, "-m", "preserve", "crawl", str(coll), "--delay", "0", "--quiet", "--json"]
    if seed:
        command += ["--seed", seed]
    t0 = time.monotonic()
    done = subprocess.run(command, capture_output=True, text=True, check=False)
    wall = time.monotonic() - t0
    if done.returncode not in (0, 1):
        raise SystemExit(f"bench/recrawl.py: error: preserve crawl failed: {done.stderr.strip()}")
    summary: dict[str, object] = json.loads(done.stdout)
    return wall, summary


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--repeat", type=int, default=3)
    parser.add_argument("--articles", type=int, default=500)
    parser.add_argument("--out", type=Path, default=ROOT / "docs" / "benchmarks.md")
    args = parser.parse_args(argv)
    python = sys.executable
    rows = []
    with tempfile.TemporaryDirectory(prefix="preserve-recrawl-") as tmp:
        work = Path(tmp)
        with serve(site_command(python, args.articles, 1, 0), 1, work) as urls:
            for i in range(args.repeat):
                coll = work / f"coll-{i}"
                first_wall, first = crawl(python, coll, urls[0])
                second_wall, second = crawl(python, coll, None)
                rows.append((first_wall, int(str(first["crawl_warc_bytes"])),
                             int(str(first["captured"])), second_wall,
                             int(str(second["crawl_warc_bytes"])), int(str(second["revisits"])),
                             second.get("changes")))
                print(f"run {i + 1}/{args.repeat}: first {first_wall:.2f} s "
                      f"{rows[-1][1]:,} B; second {second_wall:.2f} s {rows[-1][4]:,} B",
                      file=sys.stderr)

    def med(k: int) -> float:
        return statistics.median(float(str(r[k])) for r in rows)

    bytes_ratio, wall_ratio = med(4) / med(1), med(3) / med(0)
    lines = [
        START, "",
        "Written by `bench/recrawl.py`; edit the script, not this text.", "",
        f"- **Date:** {datetime.now(UTC):%Y-%m-%d %H:%M} UTC; {args.repeat} pair(s) of crawls; "
        "medians.",
        f"- **Machine:** {platform.machine()}, Python {platform.python_version()}; shared and "
        "noisy.",
        f"- **Site:** the test site with {args.articles} articles, one host, no added latency; "
        "the second crawl of each pair runs on the same collection with the site unchanged.",
        "", "```sh",
        f"python -m preserve.testsite serve --articles {args.articles}",
        "python -m preserve crawl COLL --seed URL --delay 0 --quiet --json   # first",
        "python -m preserve crawl COLL --delay 0 --quiet --json              # recrawl",
        "```", "",
        "| crawl | URLs captured | revisits | WARC bytes written | wall s |",
        "| --- | ---: | ---: | ---: | ---: |",
        f"| first | {int(med(2)):,} | 0 | {int(med(1)):,} | {med(0):.2f} |",
        f"| recrawl, unchanged | {int(med(2)):,} | {int(med(5)):,} | {int(med(4)):,} | "
        f"{med(3):.2f} |",
        "",
        f"- **Bytes stored, recrawl / first: {bytes_ratio:.2f}** (the issue's test asks for "
        "≤ 0.10). Wall time, recrawl / first: "
        f"{wall_ratio:.2f}.",
        f"- Change report of the last recrawl: {rows[-1][6]}.",
        "", END,
    ]
    write_section(args.out, "\n".join(lines))
    print(f"wrote {args.out}", file=sys.stderr)
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
