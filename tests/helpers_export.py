"""Helpers for the export tests: a small real crawl, copied per test, and the validators."""

from __future__ import annotations

import shutil
from pathlib import Path

from helpers_crawl import crawl, tool
from preserve.collection import Collection
from testsite import TestSite

SMALL = dict(warc_size=20_000, max_depth=3, operator="Web Archive Team <web@library.example>")


def crawl_small(root: Path, articles: int = 3) -> Path:
    """A crawl of the test site with a few articles, rotating through several WARCs."""
    with TestSite(articles=articles) as site:
        crawl(root, (site.url,), **SMALL)
    return root


def recrawl(root: Path, articles: int = 4) -> None:
    """A second crawl of the collection (a new site copy): new WARCs, grown indexes."""
    from preserve.capture.crawler import Crawler

    coll = Collection.open(root)
    with TestSite(articles=articles) as site:
        config = coll.load_config()
        from dataclasses import replace

        config = replace(config, crawl=replace(config.crawl, seeds=(site.url,), delay=0.0))
        Crawler(coll, config).run()


def copy_collection(src: Path, dest: Path) -> Path:
    shutil.copytree(src, dest)
    return dest


def bagit_validate(bag: Path) -> tuple[int, str]:
    done = tool("bagit.py", "--validate", bag)
    return done.returncode, done.stdout + done.stderr
