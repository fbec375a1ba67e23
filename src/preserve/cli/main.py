"""The ``preserve`` command: the top group, with every command of the cli modules added.

Exit status (errors.ExitStatus): 0 success; 1 finished, but with problems worth attention
(failed URLs, an interrupted crawl, a storage error); 2 usage or input error (one line on
stderr).
"""

from __future__ import annotations

import click

from .. import __version__
from .collection_cmds import crawls, diff, index, status
from .crawl_cmds import crawl, init
from .errors import PreserveGroup
from .export_cmds import export
from .import_cmds import import_archive
from .merge_cmds import merge
from .normalise_cmds import extract, normalise
from .patch_cmds import patch
from .replay_cmds import replay
from .report_cmds import report
from .schedule_cmds import schedule
from .search_cmds import pages, search
from .seeds_cmds import seeds
from .verify_cmds import audit, verify

__all__ = ["main", "cli"]


@click.group(cls=PreserveGroup,
             context_settings={"help_option_names": ["-h", "--help"], "max_content_width": 100})
@click.version_option(__version__, prog_name="preserve")
def cli() -> None:
    """preserve: capture websites into WARC 1.1 collections, verify them, export them.

    A collection is a directory: preserve.toml, warcs/, indexes/, pages/, fixity/,
    events.jsonl, logs/ and state/ (see docs/collection.md).
    """


# In pipeline order, which is also the order of docs/cli.md (scripts/gen_cli_docs.py).
for _command in (init, seeds, crawl, import_archive, status, crawls, diff, patch, index,
                 normalise, extract, search, pages, verify, audit, report, export, merge,
                 replay, schedule):
    cli.add_command(_command)


def main() -> None:
    cli(prog_name="preserve")
