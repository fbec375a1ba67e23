"""Run the test site in the foreground: ``python -m testsite serve [options]``.

Prints the base URL of each site, one a line, then serves until Ctrl-C or SIGTERM.
"""

from __future__ import annotations

import argparse
import signal
import sys
import threading
from types import FrameType

from .assets import WEIGHTS
from .server import SiteGroup, start_sites


def _parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(prog="python -m testsite",
                                     description="Serve preserve's deterministic test website.")
    commands = parser.add_subparsers(dest="command", required=True)
    serve = commands.add_parser("serve", help="serve the site until interrupted")
    serve.add_argument("--host", default="127.0.0.1", help="address to bind (default 127.0.0.1)")
    serve.add_argument("--port", type=int, default=0,
                       help="port of the first site; 0 lets the OS choose (default)")
    serve.add_argument("--articles", type=int, default=36, help="articles per site (default 36)")
    serve.add_argument("--latency", type=float, default=0.0, metavar="MS",
                       help="delay before every response, in milliseconds")
    serve.add_argument("--hosts", type=int, default=1, metavar="N",
                       help="run N sites on consecutive ports, linking to each other")
    serve.add_argument("--crawl-delay", type=float, default=None, metavar="SECONDS",
                       help="add a Crawl-delay line to robots.txt")
    serve.add_argument("--faults-linked", action="store_true",
                       help="link the /fault/ endpoints from the contact page")
    serve.add_argument("--weight", choices=WEIGHTS, default="light",
                       help="page weight: light (small pages and images, the default) or "
                            "median (the median web page: about 18 KB of HTML, 60 KB images)")
    return parser


def _start(args: argparse.Namespace) -> SiteGroup:
    return start_sites(args.hosts, args.articles, args.latency / 1000,
                       hosts=[args.host] * args.hosts, base_port=args.port,
                       crawl_delay=args.crawl_delay, faults_linked=args.faults_linked,
                       weight=args.weight)


def main(argv: list[str] | None = None) -> int:
    args = _parser().parse_args(argv)
    try:
        group = _start(args)
    except OSError as exc:
        print(f"error: cannot listen on {args.host}:{args.port}: {exc.strerror}", file=sys.stderr)
        return 2
    done = threading.Event()

    def stop(signum: int, frame: FrameType | None) -> None:
        done.set()

    signal.signal(signal.SIGTERM, stop)
    signal.signal(signal.SIGINT, stop)
    with group:
        for url in group.urls:
            print(url, flush=True)
        while not done.wait(0.5):
            pass
    return 0


if __name__ == "__main__":
    sys.exit(main())
