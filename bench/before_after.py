"""Before and after a change: the crawl and verify benchmarks of two revisions, one run.

Each revision is checked out into a temporary git worktree and runs its OWN
``bench/crawl.py`` (one host, the single-host scenario) and ``bench/verify.py`` (one
corpus built once and shared), with its own ``src/`` first on the path. The revisions
take turns, round after round, so a slow spell of this shared machine falls on both;
each round also times the peer each script measures against (wget, warcio check), so
the figures can be read as ratios to the peer as well. The medians replace the
"Before and after" section of docs/benchmarks.md. Run from the repository::

    .venv/bin/python bench/before_after.py --before c89e8f6 [--rounds 3] [--size 300MB]
"""

from __future__ import annotations

import argparse
import re
import shutil
import subprocess
import sys
import tempfile
from dataclasses import dataclass, field
from datetime import UTC, datetime
from pathlib import Path

from harness import log, machine, median, write_section

ROOT = Path(__file__).resolve().parent.parent
START, END = "<!-- bench:before-after:start -->", "<!-- bench:before-after:end -->"
# The rows of the two scripts' tables that this script compares (tool, label).
CRAWL_ROWS = ("preserve", "wget")
VERIFY_ROWS = {
    "collection, --jobs 1": "`python -m preserve verify --jobs 1 .`",
    "records, --jobs 1": "`python -m preserve verify --jobs 1 warcs/*.warc.gz`",
    "records, --jobs 2": "`python -m preserve verify --jobs 2 warcs/*.warc.gz`",
    "warcio check": "`warcio check warcs/*.warc.gz`",
}


@dataclass
class Figures:
    crawl_cpu_ms: dict[str, list[float]] = field(default_factory=dict)  # tool -> per round
    verify_cpu_s: dict[str, list[float]] = field(default_factory=dict)  # row -> per round


def _table_cells(text: str, first: str) -> list[str] | None:
    for line in text.splitlines():
        cells = [c.strip() for c in line.strip().strip("|").split("|")]
        if cells and cells[0] == first:
            return cells
        if len(cells) > 1 and cells[1] == first:
            return cells
    return None


def _section(path: Path, start: str, end: str) -> str:
    text = path.read_text(encoding="utf-8")
    return text[text.index(start):text.index(end)]


def run_crawl(tree: Path, python: str, work: Path, figures: Figures) -> None:
    out = work / "crawl.md"
    shutil.copy(ROOT / "docs" / "benchmarks.md", out)
    env = {"PYTHONPATH": f"{tree / 'src'}:{tree}", "PATH": "/usr/bin:/bin"}
    subprocess.run([python, "bench/crawl.py", "--only", "single", "--repeat", "1",
                    "--out", str(out)], cwd=tree, env=env, check=True,
                   stdout=subprocess.DEVNULL)
    section = _section(out, "<!-- bench:crawl:start -->", "<!-- bench:crawl:end -->")
    for tool in CRAWL_ROWS:
        cells = _table_cells(section, tool)
        if cells is None:
            raise SystemExit(f"error: no {tool} row in {tree}'s crawl table")
        figures.crawl_cpu_ms.setdefault(tool, []).append(float(cells[5]))


def run_verify(tree: Path, python: str, work: Path, corpus: Path, size: str,
               figures: Figures) -> None:
    out = work / "verify.md"
    shutil.copy(ROOT / "docs" / "benchmarks.md", out)
    env = {"PYTHONPATH": f"{tree / 'src'}:{tree}",
           "PATH": f"{Path(python).parent}:/usr/bin:/bin"}
    subprocess.run([python, "bench/verify.py", "--size", size, "--repeat", "1",
                    "--workdir", str(corpus), "--out", str(out)], cwd=tree, env=env,
                   check=True, stdout=subprocess.DEVNULL)
    section = _section(out, "<!-- bench:verify:start -->", "<!-- bench:verify:end -->")
    for label, command in VERIFY_ROWS.items():
        cells = _table_cells(section, command)
        if cells is None:
            raise SystemExit(f"error: no row for {command} in {tree}'s verify table")
        figures.verify_cpu_s.setdefault(label, []).append(float(cells[4]))


def render(before: str, after: str, rounds: int, size: str, results: dict[str, Figures],
           date: str) -> str:
    b, a = results["before"], results["after"]
    lines = [
        START, "",
        "Written by `bench/before_after.py`; edit the script, not this text.", "",
        f"- **Date:** {date}; {rounds} round(s), the two revisions taking turns; medians.",
        f"- **Machine:** {machine()}; shared and noisy.",
        f"- **Revisions:** before `{before}`, after `{after}`. Each runs its own "
        "`bench/crawl.py` (one host, 500 articles, against wget) and `bench/verify.py` "
        f"(one {size} corpus shared by both, against warcio check) with its own `src/`.",
        "", "| measurement | before | after | after/before |",
        "| --- | ---: | ---: | ---: |",
    ]
    for tool in CRAWL_ROWS:
        x, y = median(b.crawl_cpu_ms[tool]), median(a.crawl_cpu_ms[tool])
        lines.append(f"| crawl: {tool}, CPU ms per URL | {x:.3f} | {y:.3f} | {y / x:.2f} |")
    for label in VERIFY_ROWS:
        x, y = median(b.verify_cpu_s[label]), median(a.verify_cpu_s[label])
        lines.append(f"| verify: {label}, CPU s | {x:.2f} | {y:.2f} | {y / x:.2f} |")
    ratio_b = median([p / w for p, w in zip(b.crawl_cpu_ms["preserve"],
                                            b.crawl_cpu_ms["wget"], strict=True)])
    ratio_a = median([p / w for p, w in zip(a.crawl_cpu_ms["preserve"],
                                            a.crawl_cpu_ms["wget"], strict=True)])
    peer = "warcio check"
    per_round = {
        name: {label: median([x / w for x, w in zip(f.verify_cpu_s[label],
                                                    f.verify_cpu_s[peer], strict=True)])
               for label in VERIFY_ROWS if label != peer}
        for name, f in (("before", b), ("after", a))}
    lines += [
        "",
        f"- **Crawl, CPU per URL as a multiple of wget's in the same round:** before "
        f"{ratio_b:.2f}x, after {ratio_a:.2f}x.",
        "- **Verify, CPU as a multiple of warcio check's in the same round:** "
        + "; ".join(f"{label}: before {per_round['before'][label]:.2f}x, after "
                    f"{per_round['after'][label]:.2f}x" for label in per_round["before"])
        + ".",
        "- The peers' own figures move between the two columns as much as preserve's do: "
        "that is the machine, and the same-round ratios above are the figures to compare.",
        "- CPU seconds, not wall time: the crawl waits on the network and on politeness, "
        "and CPU time is what the seam could have added per URL.",
        "", END,
    ]
    return "\n".join(lines)


def main(argv: list[str] | None = None) -> int:
    p = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    p.add_argument("--before", required=True, help="the revision to compare with")
    p.add_argument("--after", default="HEAD")
    p.add_argument("--rounds", type=int, default=3)
    p.add_argument("--size", default="300MB", help="verify corpus size [300MB]")
    p.add_argument("--out", type=Path, default=ROOT / "docs" / "benchmarks.md")
    args = p.parse_args(argv)
    python = sys.executable
    work = Path(tempfile.mkdtemp(prefix="bench-before-after-"))
    revs = {}
    for name, rev in (("before", args.before), ("after", args.after)):
        revs[name] = subprocess.run(["git", "rev-parse", "--short", rev], cwd=ROOT,
                                    check=True, capture_output=True, text=True).stdout.strip()
    trees = {name: work / name for name in revs}
    try:
        for name, rev in revs.items():
            subprocess.run(["git", "worktree", "add", "--detach", str(trees[name]), rev],
                           cwd=ROOT, check=True, capture_output=True)
        results = {name: Figures() for name in revs}
        corpus = work / "corpus"
        for i in range(args.rounds):
            order = list(revs) if i % 2 == 0 else list(reversed(revs))
            for name in order:
                log(f"round {i + 1}: {name} ({revs[name]})")
                (work / name / ".scratch").mkdir(exist_ok=True)
                run_crawl(trees[name], python, trees[name] / ".scratch", results[name])
                run_verify(trees[name], python, trees[name] / ".scratch", corpus, args.size,
                           results[name])
        date = datetime.now(UTC).strftime("%Y-%m-%d %H:%M UTC")
        section = render(revs["before"], revs["after"], args.rounds, args.size, results, date)
    finally:
        for tree in trees.values():
            subprocess.run(["git", "worktree", "remove", "--force", str(tree)], cwd=ROOT,
                           capture_output=True)
        shutil.rmtree(work, ignore_errors=True)
    write_section(args.out, START, END, "Before and after", re.sub(r"\n{3,}", "\n\n", section))
    log(f"wrote {args.out}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
