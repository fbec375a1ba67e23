"""Preparing a crawl of a collection: create it if asked, choose the configuration, check seeds.

A resumed crawl continues with the settings it started with (kept in the crawl state),
so ``preserve crawl COLL`` after an interruption needs no options; options given again
still win. A new crawl uses preserve.toml, then the options.
"""

from __future__ import annotations

import dataclasses
import socket
from pathlib import Path
from typing import Any
from urllib.parse import urlsplit

from ..collection import Collection
from ..config import CollectionConfig, CrawlConfig, Description
from ..errors import ConfigError, SeedError
from ..store.crawlstate_sqlite import SqliteCrawlState
from ..web.urls import canonicalize

__all__ = ["open_for_crawl", "check_seed", "config_to_dict", "config_from_dict"]


def check_seed(url: str) -> str:
    """The canonical form of a seed, or a SeedError saying what is wrong with it."""
    try:
        parts = urlsplit(url.strip())
        hostname, port = parts.hostname, parts.port
    except ValueError as e:
        raise SeedError(url, f"malformed URL ({e})") from e
    if parts.scheme not in ("http", "https"):
        raise SeedError(url, "only http:// and https:// URLs can be crawled")
    if not hostname:
        raise SeedError(url, "has no host name")
    try:
        canonical = canonicalize(url.strip())
    except ValueError as e:
        raise SeedError(url, str(e)) from e
    try:
        socket.getaddrinfo(hostname, port or 80, type=socket.SOCK_STREAM)
    except (OSError, UnicodeError) as e:
        raise SeedError(url, "host name cannot be resolved; check the URL and the network") from e
    return canonical


def config_to_dict(config: CrawlConfig) -> dict[str, Any]:
    data = dataclasses.asdict(config)
    return {k: list(v) if isinstance(v, tuple) else v for k, v in data.items()}


def config_from_dict(data: dict[str, Any]) -> CrawlConfig:
    names = {f.name for f in dataclasses.fields(CrawlConfig)}
    values: dict[str, Any] = {
        k: tuple(v) if isinstance(v, list) else v for k, v in data.items() if k in names
    }
    return CrawlConfig(**values)


def _unfinished_config(coll: Collection) -> CrawlConfig | None:
    if not coll.state_db.exists():
        return None
    state = SqliteCrawlState(coll.state_db)
    try:
        current = state.unfinished()
    finally:
        state.close()
    if current is None or "user_agent" not in current.config:
        return None
    return config_from_dict(current.config)


def open_for_crawl(
    root: Path,
    overrides: dict[str, Any],
    description: dict[str, str] | None = None,
) -> tuple[Collection, CollectionConfig, bool]:
    """(collection, effective config, resuming?) for ``preserve crawl``."""
    seeds = overrides.get("seeds") or ()
    given = {k: v for k, v in overrides.items() if v is not None and v != () and k != "seeds"}
    CrawlConfig().merged(**given)  # a bad option is refused before anything is created
    coll = Collection(root)
    coll.check_path()
    if not coll.exists():
        if not seeds:
            Collection.open(root)  # raises the right "no such collection" error
        checked = tuple(check_seed(s) for s in seeds)
        base = CrawlConfig(seeds=checked)
        desc = Description(**(description or {}))
        Collection.create(root, CollectionConfig(desc, base))
    config = coll.load_config()
    resumed = _unfinished_config(coll)
    crawl = resumed if resumed is not None else config.crawl
    if seeds:
        given["seeds"] = tuple(check_seed(s) for s in seeds)
    crawl = crawl.merged(**given)
    if not crawl.seeds:
        raise ConfigError("no seeds: give --seed or set [crawl] seeds", path=coll.config_path)
    if resumed is None and "seeds" not in given:
        crawl = dataclasses.replace(crawl, seeds=tuple(check_seed(s) for s in crawl.seeds))
    return coll, CollectionConfig(config.description, crawl), resumed is not None
