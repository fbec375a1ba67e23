"""The crontab line and the systemd units that call ``preserve schedule run-due``.

Every argument is quoted for its reader, so no collection name can inject a command:
for cron, POSIX shell quoting (the line is run by /bin/sh) and ``%`` escaped, since cron
turns a bare ``%`` into a newline; for systemd, which runs ExecStart without a shell,
C-style double quoting with ``%`` and ``$`` doubled so neither specifiers nor variables
are expanded. A line break cannot be quoted in either, so it is refused.
"""

from __future__ import annotations

import getpass
import os
import shlex
import subprocess
import sys
from collections.abc import Sequence
from pathlib import Path

from ..atomic import atomic_write
from ..errors import ConfigError, StorageError

__all__ = ["crontab_line", "install_crontab", "run_due_argv", "systemd_units", "write_units",
           "CRON_MARKER", "KILL_MODE", "STOP_TIMEOUT", "UNIT_NAME"]

CRON_MARKER = "# preserve schedule run-due (installed by `preserve schedule install --cron`)"
UNIT_NAME = "preserve-schedule"
# How long systemd waits after SIGTERM (systemctl stop, a shutdown) before SIGKILL.
# SIGTERM makes run-due stop gracefully: a crawl finishes the fetches in flight (each may
# take up to the crawl's timeout, 30 s by default) and closes and fsyncs its WARC; a
# verify or export job runs on to its end. systemd's default, 90 s, can cut that short
# on a slow site or disk. A job killed anyway records no event and is run again next
# time, so the limit only decides how often the stop is a clean one.
STOP_TIMEOUT = "5min"
# SIGTERM to run-due alone, not to every process of the unit: verify's worker processes
# (--jobs) finish their part while run-due stops in order; whatever is left when run-due
# exits, or at the timeout, gets SIGKILL.
KILL_MODE = "mixed"


def run_due_argv(collections: Sequence[Path] = (), root: Path | None = None,
                 python: str = sys.executable, quiet: bool = False) -> list[str]:
    """The command that runs the due jobs: this Python, so the same installation runs it."""
    argv = [python, "-m", "preserve", "schedule", "run-due", *(["--quiet"] if quiet else [])]
    if root is not None:
        argv += ["--root", os.path.abspath(root)]
    argv += ["--", *(os.path.abspath(c) for c in collections)] if collections else []
    for a in argv:
        if "\n" in a or "\r" in a or "\0" in a:
            raise ConfigError(f"{a!r} holds a line break; cron and systemd cannot run it, "
                              "rename it")
    return argv


def crontab_line(argv: Sequence[str], every: int = 5) -> str:
    """One crontab line running ``argv`` every ``every`` minutes."""
    command = " ".join(shlex.quote(a) for a in argv).replace("%", "\\%")
    minutes = "*" if every == 1 else f"*/{every}"
    return f"{minutes} * * * * {command}"


def install_crontab(line: str, crontab: Sequence[str] = ("crontab",)) -> str:
    """Put ``line`` in the user's crontab (replacing one installed before); the new table.

    ``crontab`` is the program that reads (-l) and replaces (-) the table."""
    try:
        current = subprocess.run([*crontab, "-l"], capture_output=True, text=True,
                                 timeout=30, stdin=subprocess.DEVNULL)
    except OSError as e:
        raise StorageError(f"cannot run {crontab[0]} ({e.strerror})") from e
    lines = current.stdout.splitlines() if current.returncode == 0 else []
    kept: list[str] = []
    skip = False
    for existing in lines:
        if skip:
            skip = False
            continue
        if existing == CRON_MARKER:
            skip = True
            continue
        kept.append(existing)
    table = "\n".join([*kept, CRON_MARKER, line]) + "\n"
    done = subprocess.run([*crontab, "-"], input=table, capture_output=True, text=True,
                          timeout=30)
    if done.returncode != 0:
        raise StorageError(f"{crontab[0]} refused the table: {done.stderr.strip()}")
    return table


def systemd_quote(arg: str) -> str:
    escaped = (arg.replace("\\", "\\\\").replace('"', '\\"')
               .replace("%", "%%").replace("$", "$$"))
    return f'"{escaped}"'


def systemd_units(argv: Sequence[str], every: int = 5, user: bool = False,
                  name: str = UNIT_NAME) -> dict[str, str]:
    """File name -> text of the .service and the .timer that runs it every ``every`` min."""
    exec_start = " ".join(systemd_quote(a) for a in argv)
    as_user = "" if user else f"User={getpass.getuser()}\n"
    service = ("[Unit]\n"
               "Description=preserve: run the due schedules of web archive collections\n"
               "\n[Service]\n"
               "Type=oneshot\n"
               f"{as_user}"
               f"ExecStart={exec_start}\n"
               f"TimeoutStopSec={STOP_TIMEOUT}\n"
               f"KillMode={KILL_MODE}\n")
    minutes = "*:*" if every == 1 else f"*:0/{every}"
    period = "minute" if every == 1 else f"{every} minutes"
    timer = ("[Unit]\n"
             f"Description=preserve: look for due schedules every {period}\n"
             "\n[Timer]\n"
             f"OnCalendar={minutes}\n"
             "Persistent=true\n"
             f"Unit={name}.service\n"
             "\n[Install]\n"
             "WantedBy=timers.target\n")
    return {f"{name}.service": service, f"{name}.timer": timer}


def write_units(units: dict[str, str], directory: Path) -> list[Path]:
    """Write the units into ``directory`` (each to a temporary name, then renamed)."""
    written = []
    try:
        directory.mkdir(parents=True, exist_ok=True)
        for file_name, text in units.items():
            path = directory / file_name
            with atomic_write(path, "w", encoding="utf-8") as f:
                f.write(text)
            written.append(path)
    except OSError as e:
        raise StorageError(f"cannot write the units ({e.strerror})", directory) from e
    return written
