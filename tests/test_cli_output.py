"""One voice: every command's text output on a real collection uses one form for times,
sizes, durations and counts; every command takes --json (and its output parses) and
--quiet; every usage error is one line on stderr and exit status 2.

The collection is a crawl and a recrawl of the bundled test site (one article edited,
one removed, one added in between), normalised, verified, audited and exported, then
listed, searched, reported on, patched (--dry-run) and merged, its bag verified and
audited, so the commands print what they print for a user, not for an empty directory.
"""

from __future__ import annotations

import json
import re
import subprocess
import urllib.request
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path

import click
import pytest

from helpers_crawl import cli
from preserve.cli.main import cli as preserve_cli
from testsite import TestSite

pytestmark = pytest.mark.slow  # crawls the test site twice and runs every command

SCHEDULES = """
[[schedule]]
cron = "30 4 * * *"
action = "verify"
budget = "2hrs"

[[schedule]]
cron = "0 6 1 */3 *"
action = "export"
format = "wacz"
destination = "{dest}/scheduled-{{date}}.wacz"
"""


@dataclass
class Worked:
    coll: Path
    out: Path
    page: Path  # one article's HTML, for extract
    texts: dict[str, str]  # a name of each command run -> its stdout and stderr


def _run(texts: dict[str, str], name: str, *args: str | Path, ok: tuple[int, ...] = (0,)
         ) -> subprocess.CompletedProcess[str]:
    done = cli(*args, timeout=120)
    assert done.returncode in ok, (name, done.stdout, done.stderr)
    texts[name] = done.stdout + done.stderr
    return done


@pytest.fixture(scope="module")
def worked(tmp_path_factory: pytest.TempPathFactory) -> Worked:
    base = tmp_path_factory.mktemp("voice")
    coll, out = base / "coll", base / "out"
    out.mkdir()
    texts: dict[str, str] = {}
    with TestSite(articles=8) as site:
        seed = site.url
        _run(texts, "init", "init", coll, "--seed", site.url, "--title", "One voice")
        with (coll / "preserve.toml").open("a", encoding="utf-8") as f:
            f.write(SCHEDULES.format(dest=out))
        _run(texts, "crawl", "crawl", coll, "--delay", "0")
        articles = site.site.articles
        site.site.edit_article(articles[2].number, "A new first paragraph.\n\nMore.")
        site.site.remove_article(articles[5].number)
        site.site.add_article()
        _run(texts, "recrawl", "crawl", coll, "--delay", "0")
        page = base / "page.html"
        with urllib.request.urlopen(site.absolute(articles[0].path)) as response:
            page.write_bytes(response.read())
    for name, args in {
        "status": ("status", coll),
        "crawls": ("crawls", coll),
        "diff": ("diff", coll, "--all"),
        "index": ("index", coll),
        "normalise": ("normalise", coll),
        "extract": ("extract", page, "--format", "markdown"),
        "verify": ("verify", coll),
        "verify-budget": ("verify", coll, "--budget", "2hrs"),
        "verify-warc": ("verify", *sorted((coll / "warcs").glob("*.warc.gz"))),
        "audit": ("audit", coll),
        "export-bagit": ("export", coll, "--format", "bagit", "-o", out / "bag"),
        "export-wacz": ("export", coll, "--format", "wacz", "-o", out / "c.wacz"),
        "export-ocfl": ("export", coll, "--format", "ocfl", "-o", out / "ocfl"),
        "schedule-list": ("schedule", "list", coll),
        "schedule-install": ("schedule", "install", "--cron", coll),
        "pages": ("pages", coll),
        "search": ("search", coll, "the"),
        "report-text": ("report", coll, "--text"),
        "report": ("report", coll, "-o", out / "report.html"),
        "patch": ("patch", coll, "--dry-run"),
        "merge": ("merge", out / "merged-text", coll),
        "seeds-import-meps": ("seeds", "import-meps", MEPS_FIXTURE, "-o", out / "plan-text"),
        "verify-bag": ("verify", out / "bag", "--record"),
        "audit-bag": ("audit", out / "bag"),
        "audit-premis": ("audit", coll, "--premis", out / "events.xml"),
    }.items():
        _run(texts, name, *args)
    # The archive does not answer: a skipped listing (exit 1), its summary all the same.
    _run(texts, "import-archive", "import-archive", out / "imported-text", "--url", seed,
         "--archive", "http://127.0.0.1:9/", "--listing-rate", "6000", ok=(1,))
    return Worked(coll, out, page, texts)


def _lines(worked: Worked) -> Iterator[tuple[str, str]]:
    for name, text in worked.texts.items():
        for line in text.splitlines():
            yield name, line


TIMESTAMP = re.compile(r"\d{4}-\d\d-\d\d[T ]\d\d:\d\d[\d:.]*(?:Z|[+-]\d\d:?\d\d)?")
SIZE = re.compile(r"(?<![\w.])(\d[\d,.]*)\s?(bytes?|B|kB|KB|MB|GB|TB|KiB|MiB|GiB)(?![\w])")


def test_every_timestamp_has_one_form(worked: Worked) -> None:
    seen = [(name, m.group()) for name, line in _lines(worked)
            for m in TIMESTAMP.finditer(line)]
    assert {name for name, _ in seen} >= {"status", "crawls", "audit", "schedule-list",
                                          "pages", "search", "report-text", "audit-bag"}
    wrong = [(name, stamp) for name, stamp in seen
             if not re.fullmatch(r"\d{4}-\d\d-\d\dT\d\d:\d\d:\d\dZ", stamp)]
    assert not wrong


def test_every_size_is_human(worked: Worked) -> None:
    seen = [(name, m.group()) for name, line in _lines(worked)
            for m in SIZE.finditer(line)]
    assert {name for name, _ in seen} >= {"crawl", "status", "crawls", "verify",
                                          "export-bagit", "export-wacz", "export-ocfl",
                                          "report-text", "report", "merge", "verify-bag",
                                          "import-archive"}
    wrong = [(name, size) for name, size in seen
             if not re.fullmatch(r"\d{1,3} B|\d{1,3}\.\d (?:KB|MB|GB)|\d+\.\d TB", size)]
    assert not wrong
    assert not [line for _, line in _lines(worked) if re.search(r"\d+ bytes\b", line)]


def test_every_duration_is_human(worked: Worked) -> None:
    durations = [(name, m.group()) for name, line in _lines(worked)
                 for m in re.finditer(r"(?<![\w.])\d+(?:\.\d+)?s\b", line)]
    assert {name for name, _ in durations} >= {"crawl", "verify", "verify-bag",
                                                "import-archive"}
    # 59s at most in seconds alone (then 1m, 2h); a tenth of a second only under 10s
    assert not [d for d in durations if float(d[1][:-1]) >= 60
                or ("." in d[1] and float(d[1][:-1]) >= 10)]
    assert "budget 2h" in worked.texts["schedule-list"]


PLURAL_NOUNS = ("files", "seeds", "revisits", "records", "pages", "errors", "warnings",
                "URLs", "articles", "listings", "duplicates", "lines", "traps", "crawls",
                "WARC files", "captures", "events", "MEPs", "collections", "decisions",
                "other pages")


def test_counts_agree_with_their_nouns(worked: Worked) -> None:
    text = "\n".join(worked.texts.values())
    assert "(s)" not in text
    one_many = re.compile(r"(?<![\d.])1 (?:new )?(?:" + "|".join(PLURAL_NOUNS) + r")\b")
    assert not one_many.findall(text)
    assert not re.search(r"\b(\w[\w-]*) \(\1\)", text)  # "interrupted (interrupted)"
    assert "with 1 seed\n" in worked.texts["init"]


def test_diff_groups_pages_by_change(worked: Worked) -> None:
    kinds = [line.split()[0] for line in worked.texts["diff"].splitlines()[1:]]
    assert set(kinds) == {"new", "changed", "unchanged", "gone"}
    assert kinds == sorted(kinds, key=["new", "changed", "gone", "unchanged"].index)
    for kind in set(kinds):
        urls = [line.split()[1] for line in worked.texts["diff"].splitlines()[1:]
                if line.split()[0] == kind]
        assert urls == sorted(urls)


def test_diff_takes_crawl_numbers_without_padding(worked: Worked) -> None:
    padded = cli("diff", worked.coll, "--from", "0001", "--to", "0002", "--json")
    short = cli("diff", worked.coll, "--from", "1", "--to", "2", "--json")
    assert short.returncode == 0, short.stderr
    assert json.loads(short.stdout) == json.loads(padded.stdout)
    bad = cli("diff", worked.coll, "--from", "first")
    assert bad.returncode == 2
    assert bad.stderr.startswith("preserve: error: invalid value for '--from'")


def test_extract_markdown_has_the_title(worked: Worked) -> None:
    article = json.loads(cli("extract", worked.page, "--json").stdout)
    assert article["title"]
    assert worked.texts["extract"].startswith(f"# {article['title']}\n\n")
    both = cli("extract", worked.page, "--json", "--format", "text")
    assert both.returncode == 2 and both.stderr.count("\n") == 1


def _commands() -> list[tuple[str, ...]]:
    """Every command path of the click tree, groups' subcommands included."""
    found: list[tuple[str, ...]] = []

    def walk(group: click.Group, path: tuple[str, ...]) -> None:
        for name, command in group.commands.items():
            if isinstance(command, click.Group):
                walk(command, (*path, name))
            else:
                found.append((*path, name))

    walk(preserve_cli, ())
    return found


COMMANDS = _commands()
MEPS_FIXTURE = Path(__file__).parent.parent / "fixtures" / "meps" / "ep-api-meps.jsonld"


@pytest.mark.parametrize("path", COMMANDS, ids=" ".join)
def test_every_command_has_json_and_quiet(path: tuple[str, ...]) -> None:
    command: click.Command = preserve_cli
    for name in path:
        assert isinstance(command, click.Group)
        command = command.commands[name]
    options = {o for p in command.params if isinstance(p, click.Option) for o in p.opts}
    assert {"--json", "--quiet", "-q"} <= options


def test_every_command_prints_json_that_parses(worked: Worked, shared_site: TestSite) -> None:
    coll, out = worked.coll, worked.out
    runs: dict[tuple[str, ...], tuple[str | Path, ...]] = {
        ("init",): ("init", out / "new", "--seed", "http://127.0.0.1:9/"),
        ("seeds", "import-meps"): ("seeds", "import-meps", MEPS_FIXTURE, "-o", out / "plan"),
        ("crawl",): ("crawl", out / "json", "--seed", shared_site.url, "--delay", "0"),
        ("import-archive",): ("import-archive", out / "imported", "--url", shared_site.url,
                              "--archive", "http://127.0.0.1:9/", "--listing-rate", "6000"),
        ("status",): ("status", coll),
        ("crawls",): ("crawls", coll),
        ("diff",): ("diff", coll, "--from", "1"),
        ("patch",): ("patch", coll, "--dry-run"),
        ("index",): ("index", coll),
        ("normalise",): ("normalise", coll),
        ("extract",): ("extract", worked.page),
        ("search",): ("search", coll, "archive"),
        ("pages",): ("pages", coll),
        ("verify",): ("verify", coll),
        ("audit",): ("audit", coll),
        ("report",): ("report", coll),
        ("export",): ("export", coll, "--format", "wacz", "-o", out / "j.wacz"),
        ("merge",): ("merge", out / "merged", coll),
        ("schedule", "list"): ("schedule", "list", coll),
        ("schedule", "run-due"): ("schedule", "run-due", out / "new"),
        ("schedule", "install"): ("schedule", "install", "--cron", coll),
    }
    # `replay` is a server that runs until stopped: its --json is tested in test_replay_cmd
    assert set(runs) | {("replay",)} == set(COMMANDS)
    for path, args in runs.items():
        done = cli(*args, "--json", timeout=120)
        assert done.returncode in (0, 1), (path, done.stderr)
        json.loads(done.stdout)  # the whole of stdout is one JSON document


@pytest.mark.parametrize("path", COMMANDS, ids=" ".join)
def test_every_bad_option_is_one_line_and_exit_2(path: tuple[str, ...]) -> None:
    done = cli(*path, "--no-such-option")
    assert done.returncode == 2
    assert done.stdout == ""
    lines = done.stderr.splitlines()
    assert len(lines) == 1, done.stderr
    assert lines[0].startswith("preserve: error: no such option '--no-such-option'")
    assert f"see `preserve {' '.join(path)} --help`" in lines[0]


@pytest.mark.parametrize("args", [
    ("crawl",), ("verify",), ("verify", "--budget", "2 parsecs", "x"),
    ("diff", "x", "--from"), ("export", "x", "--format", "wacz", "--include", "all"),
    ("no-such-command",), ("--no-such-option",), ("schedule", "install", "--every", "0"),
])
def test_every_usage_error_is_one_line_and_exit_2(args: tuple[str, ...]) -> None:
    done = cli(*args)
    assert done.returncode == 2
    lines = done.stderr.splitlines()
    assert len(lines) == 1 and lines[0].startswith("preserve: error: "), done.stderr
    assert "Usage:" not in done.stderr and "Try " not in done.stderr


@pytest.mark.parametrize("option", ["--from", "--to"])
def test_a_bad_value_names_its_option_as_every_command_does(tmp_path: Path, option: str
                                                           ) -> None:
    done = cli("import-archive", tmp_path / "c", "--url", "http://127.0.0.1:9/", option, "20x")
    assert done.returncode == 2 and not (tmp_path / "c").exists()
    assert done.stderr.startswith(f"preserve: error: invalid value for '{option}': '20x'")


def test_budget_takes_duration_spellings_and_says_what_it_takes(worked: Worked) -> None:
    assert "budget" not in worked.texts["verify-budget"].lower() or \
        "left for a later run" in worked.texts["verify-budget"]
    bad = cli("verify", worked.coll, "--budget", "2 parsecs")
    assert bad.returncode == 2
    assert "is not a size or duration" in bad.stderr


def test_a_directory_that_is_not_a_collection(tmp_path: Path) -> None:
    # A bag, a WACZ or an OCFL object is named as one: tests/test_verify_foreign_packages.py
    plain = tmp_path / "plain"
    (plain / "data").mkdir(parents=True)
    done = cli("verify", plain)
    assert done.returncode == 2
    assert done.stderr.splitlines() == [
        f"preserve: error: {plain} is a directory but not a collection (no preserve.toml): "
        "give a collection directory or WARC files (see `preserve verify --help`)"]


def test_help_is_click_s_own() -> None:
    done = cli("crawl", "--help")
    assert done.returncode == 0 and done.stdout.startswith("Usage: preserve crawl ")
    bare = cli()
    assert bare.stdout.startswith("Usage: preserve ") or bare.stderr.startswith("Usage: ")


@pytest.mark.parametrize(("status", "reason", "first"), [
    ("interrupted", "interrupted", "crawl 0001 interrupted"),
    ("limit-reached", "max-pages", "crawl 0001 limit-reached (max-pages)"),
    ("finished", "finished", "crawl 0001 finished"),
])
def test_a_crawl_s_outcome_is_said_once(status: str, reason: str, first: str) -> None:
    from preserve.capture.summary import CrawlSummary
    from preserve.cli.render import crawl_summary

    lines = crawl_summary(CrawlSummary("0001", status=status, stop_reason=reason,
                                       captured=1, revisits=1, pages=1, duration=7200))
    assert lines[0] == first
    assert "1 URL (1 revisit), 0 of them pages; 1 page in the collection" in lines[1]
    assert lines[-1 if status != "interrupted" else -2].endswith("duration     2h")

def test_report_counts_one_article_and_one_other_page(worked: Worked) -> None:
    from preserve.cli.report_cmds import report_lines

    data = json.loads(cli("report", worked.coll, "--json").stdout)
    data["articles"], data["other_pages"] = data["articles"][:1], 1
    assert "articles    1 article, 1 other page" in report_lines(data)


def test_premis_says_one_event(tmp_path: Path) -> None:
    coll = tmp_path / "c"
    assert cli("init", coll, "--seed", "http://127.0.0.1:9/", "-q").returncode == 0
    from preserve.collection import Collection
    from preserve.store.events import EventLog

    # One event in the log (a first verify writes two: it begins the log as well).
    EventLog(Collection(coll).events_path).append(
        "fixity check", outcome="pass", detail="all checks passed", obj="preserve.toml",
        data={})
    done = cli("audit", coll, "--premis", tmp_path / "events.xml")
    assert f"wrote 1 event as PREMIS 3 XML to {tmp_path / 'events.xml'}" in done.stderr
    assert cli("verify", coll, "-q", "--fixity-only").returncode == 0  # two more
    done = cli("audit", coll, "--premis", tmp_path / "events.xml")
    assert f"wrote 3 events as PREMIS 3 XML to {tmp_path / 'events.xml'}" in done.stderr


def test_a_collection_not_crawled_yet_passes_verify(tmp_path: Path) -> None:
    coll = tmp_path / "c"
    assert cli("init", coll, "--seed", "http://127.0.0.1:9/", "-q").returncode == 0
    done = cli("verify", coll)
    assert done.returncode == 0, done.stdout  # no WARC: no index or pages list to expect
