"""``preserve schedule``: list, run-due and install, thin commands over preserve.schedule.

Exit status: 0 ok (a collection whose schedules another run-due is running is skipped,
with a note); 1 a job failed or was stopped by a signal; 2 usage or input error.
"""

from __future__ import annotations

import json
import signal
import sys
import threading
from pathlib import Path
from typing import TYPE_CHECKING, Any

import click

from ..errors import ConfigError, ExitStatus

if TYPE_CHECKING:
    from ..schedule.runner import CollectionRun

__all__ = ["schedule"]


def _targets(collections: tuple[Path, ...], root: Path | None) -> list[Path]:
    from ..schedule import collections_under

    if root is not None and collections:
        raise ConfigError("give collections or --root DIR, not both")
    if root is not None:
        return collections_under(root)
    if not collections:
        raise ConfigError("give one or more collections, or --root DIR")
    return list(collections)


def _when(value: Any) -> str:
    return "-" if value is None else str(value)


def _report_run(result: CollectionRun, out: list[dict[str, Any]], *, as_json: bool,
                quiet: bool) -> bool:
    """Print one collection's run-due result (or add it to ``out``); True if it failed."""
    root = result.root
    if result.locked and not quiet:
        who = f" by process {result.locked_by}" if result.locked_by else ""
        click.echo(f"preserve: {root}: skipped, its schedules are being run{who}", err=True)
    if result.recovered_from is not None and not quiet:
        click.echo(f"preserve: {root}: recovered the schedule lock of process "
                   f"{result.recovered_from}, which died holding it", err=True)
    for j in result.jobs:
        out.append({"collection": str(root), "schedule": j.schedule.key,
                    "action": j.schedule.action, "slot": j.slot.isoformat(),
                    "missed": j.missed, "outcome": j.outcome, "detail": j.detail})
        if not as_json and not (quiet and j.outcome not in ("failure", "interrupted")):
            click.echo(f"{root}: {j.schedule.key!r}: {j.outcome}: {j.detail}")
    return result.failed or result.interrupted


@click.group()
def schedule() -> None:
    """Run crawls, verifies and exports on the schedules in preserve.toml.

    See docs/schedule.md for the [[schedule]] format.
    """


@schedule.command("list")
@click.argument("collections", nargs=-1, metavar="[COLL]...",
                type=click.Path(path_type=Path))
@click.option("--root", type=click.Path(path_type=Path, file_okay=False), metavar="DIR",
              help="Every collection directly inside DIR.")
@click.option("--json", "as_json", is_flag=True, help="Print JSON.")
@click.option("--quiet", "-q", is_flag=True, help="Print only the schedules due now.")
def list_(collections: tuple[Path, ...], root: Path | None, as_json: bool,
          quiet: bool) -> None:
    """Show every schedule with its last run, outcome and next run time (UTC).

    Without COLL or --root: the current directory if it is a collection, else the
    collections inside it.

    \b
    Exit status: 0; 2 bad usage, a missing collection or a bad [[schedule]].
    """
    from ..collection import CONFIG_NAME
    from ..schedule import schedule_status
    from ..schedule.runner import open_scheduled

    if not collections and root is None:
        here = Path(".")
        collections, root = ((here,), None) if (here / CONFIG_NAME).is_file() else ((), here)
    rows = []
    for coll, config in open_scheduled(_targets(collections, root)):
        for st in schedule_status(coll, config):
            rows.append({"collection": str(coll.root), **st.to_dict()})
    if as_json:
        click.echo(json.dumps(rows, indent=2))
        return
    from .render import schedule_lines

    for line in schedule_lines([r for r in rows if r["due"] or not quiet]):
        click.echo(line)
    if not rows and not quiet:
        click.echo("no schedules", err=True)


@schedule.command("run-due")
@click.argument("collections", nargs=-1, metavar="[COLL]...",
                type=click.Path(path_type=Path))
@click.option("--root", type=click.Path(path_type=Path, file_okay=False), metavar="DIR",
              help="Every collection directly inside DIR.")
@click.option("--json", "as_json", is_flag=True, help="Print the runs as JSON.")
@click.option("--quiet", "-q", is_flag=True,
              help="Print only failed jobs (cron mails any output; the crontab line "
                   "of `install --cron` has this).")
def run_due(collections: tuple[Path, ...], root: Path | None, as_json: bool,
            quiet: bool) -> None:
    """Run every job whose time has come since its last run.

    A run missed several times runs once. Safe to call from cron every few minutes:
    a collection whose schedules another run-due is running is skipped. Each run is
    a `schedule run` event in the collection's events.jsonl. SIGTERM or Ctrl-C stops
    the running job gracefully (a crawl stays resumable) and starts no other; that
    job stays due, so the next call runs it again.

    \b
    Exit status: 0 every job that ran succeeded (or nothing was due); 1 a job
    failed or was stopped by a signal; 2 bad usage, a missing collection or a bad
    [[schedule]].
    """
    from ..schedule import run_due as run
    from ..schedule.runner import open_scheduled

    opened = open_scheduled(_targets(collections, root))
    failed = False
    out: list[dict[str, Any]] = []
    stop = threading.Event()

    def stopping(signum: int, frame: Any) -> None:
        if not quiet:
            click.echo("preserve: stopping: the running job finishes what is in flight; "
                       "it stays due for the next run-due", err=True)
        stop.set()

    previous = {n: signal.signal(n, stopping) for n in (signal.SIGINT, signal.SIGTERM)}
    try:
        for coll, config in opened:
            if stop.is_set():
                break
            failed = _report_run(run(coll, config, stop=stop), out, as_json=as_json,
                                 quiet=quiet) or failed
    finally:
        for n, handler in previous.items():
            signal.signal(n, handler)
    if as_json:
        click.echo(json.dumps(out, indent=2))
    if failed:
        sys.exit(ExitStatus.PROBLEMS)


@schedule.command()
@click.argument("collections", nargs=-1, metavar="[COLL]...",
                type=click.Path(path_type=Path))
@click.option("--root", type=click.Path(path_type=Path, file_okay=False), metavar="DIR",
              help="Run the collections directly inside DIR (found at each run).")
@click.option("--cron", "kind", flag_value="cron", help="A crontab line.")
@click.option("--systemd", "kind", flag_value="systemd",
              help="A systemd .service and .timer.")
@click.option("--user", is_flag=True, help="systemd: user units (systemctl --user).")
@click.option("--every", type=click.IntRange(1, 59), default=5, show_default=True,
              metavar="MINUTES", help="How often run-due looks for due jobs.")
@click.option("--write", is_flag=True,
              help="Install: cron, into your crontab; systemd, the unit files into "
                   "--unit-dir.")
@click.option("--unit-dir", type=click.Path(path_type=Path, file_okay=False),
              metavar="DIR", help="systemd --write: where the units go [default: "
              "~/.config/systemd/user with --user, else /etc/systemd/system].")
@click.option("--json", "as_json", is_flag=True,
              help="Print the crontab line or the units (and what was written) as JSON.")
@click.option("--quiet", "-q", is_flag=True,
              help="No notes on stderr; without --write, the line or units still print.")
@click.option("--crontab-program", default="crontab", show_default=True, hidden=True)
def install(collections: tuple[Path, ...], root: Path | None, kind: str | None,
            user: bool, every: int, write: bool, unit_dir: Path | None,
            as_json: bool, quiet: bool, crontab_program: str) -> None:
    """Print (or with --write, install) what calls run-due every few minutes.

    \b
    Exit status: 0; 2 bad usage, a missing collection or a bad [[schedule]].
    """
    from ..schedule import (
        crontab_line,
        install_crontab,
        run_due_argv,
        systemd_units,
        write_units,
    )
    from ..schedule.runner import open_scheduled

    if kind is None:
        raise ConfigError("give --cron or --systemd")
    if user and kind != "systemd":
        raise ConfigError("--user is for --systemd")
    if unit_dir is not None and not (kind == "systemd" and write):
        raise ConfigError("--unit-dir is for --systemd --write")
    targets = _targets(collections, None) if root is None else []
    if root is not None and collections:
        raise ConfigError("give collections or --root DIR, not both")
    if root is not None and not root.is_dir():
        _targets((), root)  # raises the "no such directory" error
    open_scheduled(targets)
    argv = run_due_argv(targets, root)
    if kind == "cron":
        line = crontab_line(run_due_argv(targets, root, quiet=True), every)
        if write:
            install_crontab(line, (crontab_program,))
        if as_json:
            click.echo(json.dumps({"kind": "cron", "line": line, "installed": write}, indent=2))
        elif write and not quiet:
            click.echo(f"installed in your crontab: {line}", err=True)
        elif not write:
            click.echo(line)
        return
    units = systemd_units(argv, every, user=user)
    if not write:
        if as_json:
            click.echo(json.dumps({"kind": "systemd", "units": units, "written": []},
                                  indent=2))
            return
        for file_name, text in units.items():
            click.echo(f"# {file_name}\n{text}")
        return
    directory = unit_dir or (Path.home() / ".config/systemd/user" if user
                             else Path("/etc/systemd/system"))
    written = write_units(units, directory)
    ctl = "systemctl --user" if user else "systemctl"
    timer = next(n for n in units if n.endswith(".timer"))
    then = f"{ctl} daemon-reload && {ctl} enable --now {timer}"
    if as_json:
        click.echo(json.dumps({"kind": "systemd", "units": units,
                               "written": [str(p) for p in written], "then": then}, indent=2))
    elif not quiet:
        for path in written:
            click.echo(f"wrote {path}", err=True)
        click.echo(f"now run: {then}", err=True)
