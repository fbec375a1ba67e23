"""``preserve replay``: a thin command over preserve.access.replay."""

from __future__ import annotations

import json
import threading
from pathlib import Path

import click

from ..access.links import DEFAULT_REPLAY_PORT
from ..units import plural
from .signals import on_stop_signals

__all__ = ["replay"]

_LOOPBACK = ("127.0.0.1", "::1", "localhost")


def _are(n: int) -> str:
    return "is" if n == 1 else "are"


def warn(message: str) -> None:
    click.echo(f"preserve: warning: {message}", err=True)


@click.command()
@click.argument("collection", type=click.Path(path_type=Path))
@click.option("--port", type=click.IntRange(0, 65535), default=DEFAULT_REPLAY_PORT,
              show_default=True, metavar="N", help="Port to serve on; 0: any free port.")
@click.option("--host", default="127.0.0.1", show_default=True, metavar="ADDRESS",
              help="Address to serve on. Any other than the loopback lets whoever can "
                   "reach this machine read the whole archive.")
@click.option("--open", "open_browser", is_flag=True,
              help="Open the first page (or the collection) in a web browser.")
@click.option("--json", "as_json", is_flag=True,
              help="Once pywb serves, print one JSON object (collection_url, first_page, "
                   "closed_warcs) instead of the text; nothing more on stop.")
@click.option("--quiet", "-q", is_flag=True, help="Print nothing but warnings and errors.")
def replay(collection: Path, port: int, host: str, open_browser: bool, as_json: bool,
           quiet: bool) -> None:
    """Replay COLLECTION in a browser: pywb serves it until Ctrl-C.

    pywb reads the closed WARCs in warcs/ through indexes/index.cdxj, where they
    are: no WARC is copied and nothing in the collection is written (a
    read-only collection replays). pywb is given a checked copy of the index:
    a line naming anything but a regular file in warcs/ (a path, a symbolic
    link) is left out, with a warning. WARCs still being written (.open) are not
    served, nor WARCs closed after the index was built (run `preserve index`).
    The collection replays at http://127.0.0.1:PORT/archive/, a capture at
    /archive/TIMESTAMP/URL. pywb is an optional extra:
    pip install 'preserve[replay]'. See docs/replay.md.

    \b
    Exit status: 0 stopped by Ctrl-C or SIGTERM; 1 pywb failed to start or
    stopped on its own; 2 bad usage or input (no such collection, no closed
    WARC, no index, the port in use, pywb not installed).
    """
    from ..access.replay import ReplayServer, replay_source
    from ..collection import Collection

    source = replay_source(Collection.open(collection))
    if source.open_warcs:
        warn(f"{plural(source.open_warcs, 'WARC file')} still being written (.open) "
             f"{_are(source.open_warcs)} not served: only closed WARCs are (finish the crawl, "
             "or resume it with `preserve crawl`)")
    if source.unindexed_warcs:
        warn(f"{plural(source.unindexed_warcs, 'WARC file')} closed after the index was "
             f"built {_are(source.unindexed_warcs)} not served; run `preserve index "
             f"{collection}` to add them")
    if host not in _LOOPBACK:
        warn(f"serving on {host}: anyone who can reach it can read the whole archive")

    stop = threading.Event()
    with on_stop_signals(stop.set), \
            ReplayServer(source, host=host, port=port, stop_event=stop,
                         on_dropped=lambda dropped: warn(dropped.describe())) as server:
        if not stop.is_set():  # not stopped while pywb was starting
            page = server.first_page_url
            if as_json:
                click.echo(json.dumps({"collection_url": server.collection_url,
                                       "first_page": page,
                                       "closed_warcs": source.closed_warcs}))
            elif not quiet:
                click.echo(f"Replaying {collection} with pywb at "
                           f"{server.collection_url}")
                if page is not None:
                    click.echo(f"  first page: {page}")
                click.echo(f"  {plural(source.closed_warcs, 'closed WARC file')}; press "
                           "Ctrl-C to stop")
            if open_browser and click.launch(page or server.collection_url) != 0:
                warn("could not open a web browser; open the address above in one")
            server.serve()
    if not (as_json or quiet):
        click.echo("Stopped.")
