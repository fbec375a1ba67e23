"""Bad input to ``preserve schedule``: one clear line on stderr, exit 2, nothing run."""

from __future__ import annotations

import json
import subprocess
import sys
from datetime import UTC, datetime, timedelta
from pathlib import Path

import pytest

from helpers_crawl import cli
from helpers_schedule import make_collection
from preserve.store.events import EventLog


def assert_one_line_error(result: object, *words: str) -> None:
    assert result.returncode == 2, result.stderr  # type: ignore[attr-defined]
    stderr: str = result.stderr  # type: ignore[attr-defined]
    assert "Traceback" not in stderr
    lines = [line for line in stderr.splitlines() if line.strip()]
    assert len(lines) == 1, stderr
    assert lines[0].startswith("preserve: error: ")
    for word in words:
        assert word in lines[0]


BAD = [
    ('[[schedule]]\ncron = "0 3 * * 8"\naction = "crawl"\n', ["cron", "not a cron"]),
    ('[[schedule]]\ncron = "every day"\naction = "crawl"\n', ["cron", "5 fields"]),
    ('[[schedule]]\ncron = "@daily"\naction = "backup"\n', ["action", "unknown action"]),
    ('[[schedule]]\ncron = "@daily"\naction = "export"\nformat = "tar"\n'
     'destination = "/tmp/x"\n', ["format"]),
]


@pytest.mark.parametrize("command", ["run-due", "list", "install"])
@pytest.mark.parametrize(("schedules", "words"), BAD)
def test_a_bad_schedule_is_one_line_and_exit_2(tmp_path: Path, command: str, schedules: str,
                                               words: list[str]) -> None:
    good = make_collection(tmp_path / "good", '[[schedule]]\ncron = "* * * * *"\n'
                                              'action = "verify"\n')
    bad = make_collection(tmp_path / "bad", schedules)
    extra = ["--cron"] if command == "install" else []
    result = cli("schedule", command, *extra, good.root, bad.root)
    assert_one_line_error(result, str(bad.root / "preserve.toml"), *words)
    # Nothing ran for the good collection either: input is checked before any job.
    assert not list(EventLog(good.events_path).read())


@pytest.mark.parametrize("command", ["run-due", "list", "install"])
def test_a_missing_collection_is_one_line_and_exit_2(tmp_path: Path, command: str) -> None:
    extra = ["--systemd"] if command == "install" else []
    result = cli("schedule", command, *extra, tmp_path / "nope")
    assert_one_line_error(result, "no such collection")


@pytest.mark.parametrize(("args", "words"), [
    (["run-due"], ["give one or more collections"]),
    (["run-due", "--root", "{tmp}/nope"], ["no such directory"]),
    (["run-due", "--root", "{tmp}", "{tmp}/c"], ["not both"]),
    (["install", "{tmp}/c"], ["--cron or --systemd"]),
    (["install", "--cron", "--user", "{tmp}/c"], ["--user is for --systemd"]),
    (["install", "--cron", "--unit-dir", "{tmp}", "{tmp}/c"], ["--unit-dir"]),
])
def test_bad_usage_is_one_line_and_exit_2(tmp_path: Path, args: list[str],
                                          words: list[str]) -> None:
    make_collection(tmp_path / "c", "")
    result = cli("schedule", *(a.format(tmp=tmp_path) for a in args))
    assert_one_line_error(result, *words)


def test_list_shows_each_schedule_with_never_run_and_next(tmp_path: Path) -> None:
    now = datetime.now(UTC)
    week_ago = now - timedelta(days=8)
    # A yearly fire time half a year from today: never within the last eight days (a
    # fixed 1 January would be due in the first week of every year).
    month = (now.month + 5) % 12 + 1
    make_collection(tmp_path / "c", '[[schedule]]\ncron = "0 3 * * 1"\naction = "crawl"\n'
                                    'label = "final crawl before dissolution"\n'
                                    f'[[schedule]]\ncron = "0 3 1 {month} *"\n'
                                    'action = "verify"\n',
                    since=week_ago)
    result = cli("schedule", "list", "--json", "--root", tmp_path)
    assert result.returncode == 0, result.stderr
    weekly, yearly = json.loads(result.stdout)
    assert weekly["schedule"] == "final crawl before dissolution"
    assert weekly["last_run"] is None and weekly["due"] is True
    assert yearly["due"] is False and yearly["next_run"].endswith(f"-{month:02d}-01T03:00:00Z")
    text = cli("schedule", "list", tmp_path / "c")
    assert text.returncode == 0, text.stderr
    assert "'final crawl before dissolution'" in text.stdout and "never run" in text.stdout
    assert "due now" in text.stdout


HOLDER = (
    "import sys\n"
    "from pathlib import Path\n"
    "from preserve.collection import Collection\n"
    "from preserve.schedule import schedule_lock\n"
    "with schedule_lock(Collection(Path(sys.argv[1]))):\n"
    "    print('held', flush=True)\n"
    "    sys.stdin.read()\n"
)


def test_a_locked_collection_is_skipped_with_a_note_or_silently_with_quiet(
        tmp_path: Path) -> None:
    coll = make_collection(tmp_path / "c", '[[schedule]]\ncron = "* * * * *"\n'
                                           'action = "verify"\n')
    with subprocess.Popen([sys.executable, "-c", HOLDER, str(coll.root)],
                          stdin=subprocess.PIPE, stdout=subprocess.PIPE, text=True) as holder:
        assert holder.stdout is not None and holder.stdout.readline() == "held\n"
        try:
            noisy = cli("schedule", "run-due", coll.root)
            quiet = cli("schedule", "run-due", "--quiet", coll.root)
        finally:
            assert holder.stdin is not None
            holder.stdin.close()
    assert noisy.returncode == 0 and noisy.stdout == ""
    assert noisy.stderr.strip() == (f"preserve: {coll.root}: skipped, its schedules are being "
                                    f"run by process {holder.pid}")
    assert (quiet.returncode, quiet.stdout, quiet.stderr) == (0, "", "")
    assert not list(EventLog(coll.events_path).read())
