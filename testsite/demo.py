"""``make demo``: serve the bundled MEP test site on 127.0.0.1, crawl it, normalise the
articles, verify it, write the quality report beside the collection and print what to try next.

Usage: python -m testsite.demo [DEST]   (default: ./demo-collection)
A DEST left by an earlier demo is replaced; any other existing path is refused.
"""

from __future__ import annotations

import shlex
import shutil
import subprocess
import sys
from pathlib import Path

from .server import TestSite

DEMO_TITLE = "preserve demo: the archived website of Mairi Campbell MEP"


def main(argv: list[str]) -> int:
    dest = Path(argv[0] if argv else "demo-collection")
    if dest.exists():
        toml = dest / "preserve.toml"
        if toml.is_file() and DEMO_TITLE in toml.read_text(encoding="utf-8", errors="replace"):
            shutil.rmtree(dest)
        else:
            print(f"demo: {dest} exists and is not an earlier demo; choose another path",
                  file=sys.stderr)
            return 2
    with TestSite() as site:
        print(f"demo: serving the test site at {site.url}", file=sys.stderr)
        cmd = [
            sys.executable, "-m", "preserve", "crawl", str(dest),
            "--seed", site.url, "--title", DEMO_TITLE, "--delay", "0", "--concurrency", "4",
        ]
        print("demo: " + shlex.join(cmd[2:]), file=sys.stderr)
        status = subprocess.call(cmd)
        if status not in (0, 1):
            return status
        subprocess.call([sys.executable, "-m", "preserve", "status", str(dest)])
    report = dest.with_name(dest.name + "-report.html")
    for step in (["normalise", str(dest), "-q"], ["verify", str(dest), "-q"],
                 ["report", str(dest), "-o", str(report), "-q"]):
        print("demo: " + shlex.join(["preserve", *step]), file=sys.stderr)
        status = subprocess.call([sys.executable, "-m", "preserve", *step])
        if status not in (0, 1):
            return status
    print(f"demo: the collection is in {dest}/ (WARCs in {dest}/warcs/); its report is "
          f"{report}", file=sys.stderr)
    print("demo: next, try:", file=sys.stderr)
    for step in (["search", str(dest), "parliament"], ["replay", str(dest)],
                 ["pages", str(dest)]):
        print("demo:   " + shlex.join([".venv/bin/preserve", *step]), file=sys.stderr)
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
