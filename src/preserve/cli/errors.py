"""The command line's one error handler: a PreserveError from any command becomes one line
on stderr and its exit status (errors.ExitStatus), never a traceback.

Ctrl-C outside the commands that trap it (crawl, schedule run-due stop gracefully) is
left to click: "Aborted!" and exit status 1.
"""

from __future__ import annotations

import sys
from typing import Any

import click

from ..errors import PreserveError

__all__ = ["PreserveGroup"]


class PreserveGroup(click.Group):
    """The top ``preserve`` group. Every command, subgroups' included, runs inside its
    ``invoke``, so catching here covers them all and no command repeats the handler."""

    def invoke(self, ctx: click.Context) -> Any:
        try:
            return super().invoke(ctx)
        except PreserveError as e:
            click.echo(f"preserve: error: {e}", err=True)
            sys.exit(e.exit_status)
