"""The command line's one error handler: a PreserveError from any command, and any usage
error click finds (an unknown option, a bad value, a missing argument), becomes one line
on stderr beginning ``preserve: error:`` and its exit status (errors.ExitStatus), never a
traceback and never click's three-line Usage / Try / Error block.

``--help`` and a bare ``preserve`` (which shows the help) are left to click. Ctrl-C
outside the commands that trap it (crawl, schedule run-due stop gracefully) is left to
click too: "Aborted!" and exit status 1.
"""

from __future__ import annotations

import sys
from typing import Any, NoReturn

import click
from click.exceptions import NoArgsIsHelpError

from ..errors import ExitStatus, PreserveError

__all__ = ["PreserveGroup", "usage_line"]


def usage_line(e: click.UsageError, command_path: str = "") -> str:
    """A click usage error as one line: the problem, then where to read how it is used."""
    message = " ".join(e.format_message().split()).rstrip(".")
    message = message[:1].lower() + message[1:]
    path = e.ctx.command_path if e.ctx is not None else command_path
    if path:
        message += f" (see `{path} --help`)"
    return f"preserve: error: {message}"


def _fail(e: click.UsageError, command_path: str = "") -> NoReturn:
    click.echo(usage_line(e, command_path), err=True)
    sys.exit(ExitStatus.USAGE)


class PreserveGroup(click.Group):
    """The top ``preserve`` group. Every command, subgroups' included, is parsed and runs
    inside its ``make_context`` and ``invoke``, so catching here covers them all and no
    command repeats the handler."""

    def make_context(self, info_name: str | None, args: list[str],
                     parent: click.Context | None = None, **extra: Any) -> click.Context:
        try:
            return super().make_context(info_name, args, parent, **extra)
        except NoArgsIsHelpError:
            raise
        except click.UsageError as e:
            where = [parent.command_path] if parent is not None else []
            _fail(e, " ".join([*where, info_name or "preserve"]))

    def invoke(self, ctx: click.Context) -> Any:
        try:
            return super().invoke(ctx)
        except NoArgsIsHelpError:
            raise
        except click.UsageError as e:  # without a context when the parser raised it
            _fail(e, " ".join(x for x in (ctx.command_path, ctx.invoked_subcommand) if x))
        except PreserveError as e:
            click.echo(f"preserve: error: {e}", err=True)
            sys.exit(e.exit_status)
