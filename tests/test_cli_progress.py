"""Progress that tells time: each long command (crawl, index, normalise, verify, export,
merge, report) run under a pseudo-terminal shows what a person sees (done/total, a rate, the
elapsed time and an ETA, and a last line that says it finished); piped or with --json,
nothing but the result. patch and import-archive show the crawl's panel (the same
reporter as crawl).

The commands run in a subprocess whose stderr is the slave side of a real pty (stdlib
``pty``), so rich sees a terminal exactly as it would in a shell; stdout stays a pipe,
so the test also sees that progress never mixes with the result.
"""

from __future__ import annotations

import json
import os
import pty
import re
import select
import subprocess
import sys
from dataclasses import dataclass
from pathlib import Path

import pytest

from helpers_crawl import cli, create
from testsite import TestSite

pytestmark = pytest.mark.slow  # drives each long command under a pseudo-terminal

ANSI = re.compile(r"\x1b\[[0-9;?]*[A-Za-z]")


@dataclass(frozen=True)
class Seen:
    status: int
    screen: list[str]  # what the terminal showed, line by line, escapes removed
    stdout: str


def on_terminal(*args: str | Path) -> Seen:
    """``preserve ARGS`` with stderr on a pseudo-terminal (stdout a pipe)."""
    master, slave = pty.openpty()
    env = {**os.environ, "TERM": "xterm-256color", "COLUMNS": "200", "LINES": "50"}
    proc = subprocess.Popen([sys.executable, "-m", "preserve", *map(str, args)],
                            stdin=subprocess.DEVNULL, stdout=subprocess.PIPE, stderr=slave,
                            env=env)
    os.close(slave)
    assert proc.stdout is not None
    out_fd = proc.stdout.fileno()
    screen: list[bytes] = []
    stdout: list[bytes] = []
    open_fds = {master: screen, out_fd: stdout}
    while open_fds:  # both at once: neither side can fill up and block the child
        ready, _, _ = select.select(list(open_fds), [], [], 120)
        assert ready, "the command neither wrote nor ended in 120s"
        for fd in ready:
            try:
                data = os.read(fd, 65536)
            except OSError:  # EIO: the child closed its side of the terminal
                data = b""
            if data:
                open_fds[fd].append(data)
            else:
                del open_fds[fd]
    os.close(master)
    proc.stdout.close()
    status = proc.wait(timeout=120)
    text = ANSI.sub("", b"".join(screen).decode("utf-8", "replace"))
    lines = [line.rstrip() for line in re.split(r"[\r\n]+", text) if line.strip()]
    return Seen(status, lines, b"".join(stdout).decode())


@pytest.fixture(scope="module")
def crawled(tmp_path_factory: pytest.TempPathFactory) -> tuple[Path, Seen]:
    coll = tmp_path_factory.mktemp("progress") / "coll"
    with TestSite(articles=2) as site:
        # A short delay, so the crawl lasts long enough for the panel to be redrawn.
        seen = on_terminal("crawl", coll, "--seed", site.url, "--delay", "0.02")
    return coll, seen


def test_crawl_panel_tells_time(crawled: tuple[Path, Seen]) -> None:
    _, seen = crawled
    assert seen.status == 0, seen.screen
    assert seen.stdout.startswith("crawl 0001 finished\n")  # the summary, on stdout
    shown = "\n".join(seen.screen)
    assert re.search(r"captured\s+\d+ of \d+ known\s+\(\d+\.\d URL/s\)", shown)
    assert re.search(r"elapsed\s+(<0\.1s|\d+(\.\d)?s)", shown)
    assert re.search(r"ETA\s+(at least \S+|0s)", shown)
    assert re.search(r"queued\s+\d+\s+\((\d+ fetching|waiting out the per-host delay)\)",
                     shown)


def test_one_host_reports_its_fetch_in_flight(tmp_path: Path, shared_site: TestSite) -> None:
    """On one host a fetch is in flight only between submitting it and its end; progress
    is reported at both moments, so the figure is 1 while it runs (it read 0 always)."""
    from preserve.capture.crawler import Crawler
    from preserve.capture.summary import Progress

    seen: list[Progress] = []
    coll = create(tmp_path / "c", (shared_site.url,), delay=0.0, max_pages=20)
    Crawler(coll, coll.load_config(), on_progress=seen.append).run()
    assert {p.in_flight for p in seen} == {0, 1}
    assert max(p.in_flight for p in seen) == 1  # one at a time per host


LINE = (r"^{label} .*?(?P<done>\S+(?: [KMGT]?B)?) of (?P<total>\S+(?: [KMGT]?B)?)"
        r"(?: [\w ]+)?, (?P<rate>\S+(?: [KMGT]?B)?/s), elapsed (?P<elapsed>\S+), "
        r"ETA (?P<eta>\S+)")


@pytest.mark.parametrize(("label", "args"), [
    ("index", ("index", "{coll}")),
    ("normalise", ("normalise", "{coll}")),
    ("verify", ("verify", "{coll}")),
    ("export", ("export", "{coll}", "--format", "wacz", "-o", "{coll}.wacz")),
    ("merge", ("merge", "{coll}-merged", "{coll}")),
    ("report", ("report", "{coll}", "-o", "{coll}-report.html")),
])
def test_long_commands_show_a_bar_that_tells_time(crawled: tuple[Path, Seen], label: str,
                                                  args: tuple[str, ...]) -> None:
    coll, _ = crawled
    seen = on_terminal(*(a.format(coll=coll) for a in args))
    assert seen.status == 0, seen.screen
    bars = [m for line in seen.screen if (m := re.match(LINE.format(label=label), line))]
    assert bars, seen.screen
    assert all(m["total"] != "?" for m in bars)  # the total is known from the start
    last = bars[-1]
    assert seen.screen[-1].startswith(label)  # the bar's final state stays on screen
    assert last["done"] == last["total"] and last["eta"] == "0s"
    assert re.fullmatch(r"<0\.1s|\d+(\.\d)?s|\d+m( \d+s)?", last["elapsed"])
    assert seen.stdout.strip() and "ETA" not in seen.stdout  # the result alone, on stdout


@pytest.mark.parametrize("args", [("index", "{coll}"), ("verify", "{coll}"),
                                  ("normalise", "{coll}")])
def test_piped_output_has_no_progress(crawled: tuple[Path, Seen], args: tuple[str, ...]
                                      ) -> None:
    coll, _ = crawled
    done = cli(*(a.format(coll=coll) for a in args))
    assert done.returncode in (0, 1)
    assert "\x1b[" not in done.stderr and "ETA" not in done.stderr
    assert "\x1b[" not in done.stdout


@pytest.mark.parametrize("args", [("index", "{coll}", "--json"),
                                  ("verify", "{coll}", "--json"),
                                  ("normalise", "{coll}", "--json")])
def test_json_on_a_terminal_has_no_progress(crawled: tuple[Path, Seen], args: tuple[str, ...]
                                            ) -> None:
    coll, _ = crawled
    seen = on_terminal(*(a.format(coll=coll) for a in args))
    assert seen.status in (0, 1)
    json.loads(seen.stdout)
    assert not [line for line in seen.screen if "ETA" in line]
