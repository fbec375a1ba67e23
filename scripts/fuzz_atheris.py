"""Coverage-guided fuzzing of preserve's parsers with atheris (libFuzzer), beside the
bounded hypothesis tests in tests/test_fuzz_*.py that CI runs.

One target per run; the seed corpus is the matching directory of fixtures/. Any exception
other than the one a target documents is a crash: libFuzzer prints the traceback and writes
the input to ``crash-<sha1>``; turn it into an ``@example`` of the matching test. Needs the
``fuzz`` extra (``pip install -e '.[fuzz]'``)::

    python scripts/fuzz_atheris.py warc -max_total_time=300
    python scripts/fuzz_atheris.py html -runs=100000
    python scripts/fuzz_atheris.py --list
"""

from __future__ import annotations

import io
import shutil
import sys
import tempfile
from collections.abc import Callable
from pathlib import Path

import atheris

with atheris.instrument_imports():
    from preserve.capture.links import extract
    from preserve.capture.robots import parse_robots
    from preserve.capture.sitemaps import parse_feed, parse_sitemap, robots_sitemaps
    from preserve.config import load_config
    from preserve.errors import ConfigError, WarcFormatError
    from preserve.normalise import extract_article
    from preserve.store.cdxj import CdxjEntry
    from preserve.store.reader import read_records
    from preserve.verify import verify_files

FIXTURES = Path(__file__).resolve().parent.parent / "fixtures"
_TMP = Path(tempfile.mkdtemp(prefix="preserve-fuzz-"))


def _file(data: bytes, name: str) -> Path:
    path = _TMP / name
    path.write_bytes(data)
    return path


def warc(data: bytes) -> None:
    path = _file(data, "f.warc.gz" if data.startswith(b"\x1f\x8b") else "f.warc")
    try:
        with read_records(path) as reader:
            for record in reader:
                stream = (record.content_stream() if record.rec_type == "response"
                          else record.payload)
                while stream.read(65536):
                    pass
                _ = record.length
    except WarcFormatError:
        pass


def verify(data: bytes) -> None:
    verify_files([_file(data, "f.warc.gz" if data.startswith(b"\x1f\x8b") else "f.warc")])


def html(data: bytes) -> None:
    extract_article(data, "https://example.org/a/")
    extract(data, "https://example.org/a/", "text/html")


def sitemap(data: bytes) -> None:
    parse_sitemap(data, "https://example.org/sitemap.xml")
    parse_feed(data, "https://example.org/feed/")


def robots(data: bytes) -> None:
    rules = parse_robots(200, data)
    rules.allowed("https://example.org/a?b", "preserve")
    rules.crawl_delay("preserve")
    robots_sitemaps(data, "https://example.org/robots.txt")


def config(data: bytes) -> None:
    try:
        load_config(_file(data, "preserve.toml"))
    except ConfigError:
        pass


def cdxj(data: bytes) -> None:
    for line in io.TextIOWrapper(io.BytesIO(data), encoding="utf-8", errors="replace"):
        try:
            CdxjEntry.from_line(line)
        except ValueError:
            pass


TARGETS: dict[str, tuple[Callable[[bytes], None], str | None]] = {
    "warc": (warc, "warc"), "verify": (verify, "warc"), "html": (html, "html"),
    "sitemap": (sitemap, "sitemaps"), "robots": (robots, "sitemaps"),
    "config": (config, None), "cdxj": (cdxj, None),
}


def main() -> int:
    if len(sys.argv) < 2 or sys.argv[1] not in TARGETS:
        print(f"usage: fuzz_atheris.py {{{','.join(TARGETS)}}} [libFuzzer options]",
              file=sys.stderr)
        return 0 if "--list" in sys.argv else 2
    name = sys.argv.pop(1)
    target, seeds = TARGETS[name]
    args = list(sys.argv)
    if seeds is not None and not any(not a.startswith("-") for a in args[1:]):
        # libFuzzer adds what it finds to the first corpus directory: a copy, never fixtures/.
        corpus = _TMP / "corpus"
        shutil.copytree(FIXTURES / seeds, corpus, ignore=shutil.ignore_patterns("*.json"))
        args.append(str(corpus))
    atheris.Setup(args, target)
    atheris.Fuzz()
    return 0


if __name__ == "__main__":
    sys.exit(main())
