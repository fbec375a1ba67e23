"""``preserve schedule install``: a valid crontab line and valid systemd units, with every
path quoted so that no collection name can run a command."""

from __future__ import annotations

import configparser
import shlex
import shutil
import subprocess
import sys
from pathlib import Path

import pytest
from croniter import croniter

from helpers_crawl import cli
from helpers_schedule import make_collection
from preserve.collection import Collection
from preserve.schedule import crontab_line, run_due_argv, systemd_units

# Everything a shell would act on: spaces, both quotes, $(...), backticks, ;, &, |, %,
# a glob, a backslash and a leading dash.
NASTY = "-my coll 'it''s' \"q\" $(touch PWNED) `touch PWNED2`; touch PWNED3 & |x %d * \\n"
SCHEDULE = '[[schedule]]\ncron = "0 3 * * *"\naction = "verify"\n'


@pytest.fixture
def nasty(tmp_path: Path) -> Collection:
    return make_collection(tmp_path / "archives" / NASTY, SCHEDULE)


def cron_command(line: str) -> str:
    """What cron hands to /bin/sh: the sixth field on, with ``\\%`` made ``%``."""
    fields = line.split(None, 5)
    assert len(fields) == 6
    assert croniter.is_valid(" ".join(fields[:5]))
    command, out, i = fields[5], [], 0
    while i < len(command):
        if command.startswith("\\%", i):
            out.append("%")
            i += 2
            continue
        assert command[i] != "%", "a bare % would end the command at a newline"
        out.append(command[i])
        i += 1
    return "".join(out)


def test_the_crontab_line_is_valid_and_quotes_every_path(nasty: Collection,
                                                         tmp_path: Path) -> None:
    result = cli("schedule", "install", "--cron", "--every", "10", nasty.root)
    assert result.returncode == 0, result.stderr
    line = result.stdout.strip()
    assert "\n" not in line and line.startswith("*/10 * * * * ")
    command = cron_command(line)
    assert shlex.split(command) == run_due_argv([nasty.root], quiet=True)
    assert "--quiet" in shlex.split(command)
    # Run it as cron would, from a scratch directory: run-due finds the collection
    # (nothing is due, exit 0) and no marker file is created anywhere.
    scratch = tmp_path / "scratch"
    scratch.mkdir()
    done = subprocess.run(["sh", "-c", command], cwd=scratch, capture_output=True, text=True,
                          timeout=60)
    assert done.returncode == 0, done.stderr
    assert done.stdout == "" and done.stderr == ""
    assert not list(tmp_path.rglob("PWNED*"))


def test_a_line_break_in_a_path_is_refused(tmp_path: Path) -> None:
    with pytest.raises(Exception, match="line break"):
        run_due_argv([tmp_path / "a\nb"])


def test_crontab_write_replaces_its_own_line_and_keeps_the_others(nasty: Collection,
                                                                  tmp_path: Path) -> None:
    table = tmp_path / "table"
    table.write_text("MAILTO=ops@example.invalid\n0 1 * * * backup\n")
    fake = tmp_path / "crontab"
    fake.write_text(f'#!/bin/sh\nif [ "$1" = -l ]; then cat {shlex.quote(str(table))}; '
                    f'else cat > {shlex.quote(str(table))}; fi\n')
    fake.chmod(0o755)
    for every in ("5", "15"):
        result = cli("schedule", "install", "--cron", "--write", "--every", every,
                     "--crontab-program", fake, nasty.root)
        assert result.returncode == 0, result.stderr
    lines = table.read_text().splitlines()
    assert lines[:2] == ["MAILTO=ops@example.invalid", "0 1 * * * backup"]
    assert len(lines) == 4 and lines[2].startswith("# preserve schedule run-due")
    assert lines[3].startswith("*/15 * * * * ")


def systemd_args(exec_start: str) -> list[str]:
    """ExecStart= read back as systemd reads it: C-style quotes, then $$ and %% undone."""
    return [a.replace("$$", "$").replace("%%", "%") for a in shlex.split(exec_start)]


@pytest.mark.parametrize("user", [False, True])
def test_the_systemd_units_are_valid_and_quote_every_path(nasty: Collection, tmp_path: Path,
                                                          user: bool) -> None:
    units = tmp_path / "units"
    args = ["schedule", "install", "--systemd", "--write", "--unit-dir", units, nasty.root]
    result = cli(*args[:3], *(["--user"] if user else []), *args[3:])
    assert result.returncode == 0, result.stderr
    assert "systemctl" in result.stderr and "enable --now preserve-schedule.timer" in result.stderr
    service, timer = units / "preserve-schedule.service", units / "preserve-schedule.timer"
    parsed = configparser.ConfigParser(interpolation=None)
    parsed.read([service, timer])
    assert parsed["Service"]["Type"] == "oneshot"
    # SIGTERM stops run-due gracefully; systemd must wait longer than its default 90 s.
    assert parsed["Service"]["TimeoutStopSec"] == "5min"
    assert parsed["Service"]["KillMode"] == "mixed"  # SIGTERM to run-due, not its workers
    assert ("User" in parsed["Service"]) is not user
    assert parsed["Timer"]["OnCalendar"] == "*:0/5"
    assert parsed["Timer"]["Unit"] == "preserve-schedule.service"
    assert parsed["Install"]["WantedBy"] == "timers.target"
    assert systemd_args(parsed["Service"]["ExecStart"]) == run_due_argv([nasty.root])
    analyze = shutil.which("systemd-analyze")
    if analyze is None:
        return
    # Verified as system units: the user manager needs a session this test may not have.
    check = subprocess.run([analyze, "verify", service, timer], capture_output=True,
                           text=True, timeout=60)
    problems = [line for line in check.stderr.splitlines()
                if "preserve-schedule" in line or "Failed" in line]
    assert check.returncode == 0 and not problems, check.stderr


def test_printed_units_match_the_library(nasty: Collection) -> None:
    result = cli("schedule", "install", "--systemd", "--user", nasty.root)
    assert result.returncode == 0, result.stderr
    units = systemd_units(run_due_argv([nasty.root], python=sys.executable), user=True)
    for name, text in units.items():
        assert f"# {name}\n{text}" in result.stdout


def test_root_installs_run_due_over_a_directory(nasty: Collection) -> None:
    root = nasty.root.parent
    line = crontab_line(run_due_argv(root=root))
    assert shlex.split(cron_command(line))[-2:] == ["--root", str(root)]
