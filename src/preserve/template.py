"""The commented preserve.toml a new collection gets (``preserve init``, ``preserve crawl
--seed``): what was given, set; every other setting present but commented out, with its
default and one line on what it does, so a person can read and change the collection's
settings without the manual.

The defaults come from the config classes (config.Description, config.CrawlConfig), so
the template cannot drift from what the loader uses; config.load_config reads it.
"""

from __future__ import annotations

import tomllib
from dataclasses import fields
from typing import Any

import tomli_w

from .config import DUBLIN_CORE_FIELDS, CollectionConfig, CrawlConfig, Description, dump_config

__all__ = ["config_template", "CRAWL_NOTES", "COLLECTION_NOTES"]

COLLECTION_NOTES = {
    "title": "the collection's name",
    "creator": "who made the collection: a person or an institution",
    "subject": "what the site is about, as keywords",
    "description": "a sentence or two on what was archived and why",
    "publisher": "who makes the collection available (BagIt Source-Organization)",
    "contributor": "others who contributed",
    "date": "a date of the collection, e.g. 2026 or 2026-12-06",
    "type": "the DCMI type",
    "format": "the file format of the collection",
    "identifier": "an identifier of the collection, e.g. a URI or a call number",
    "source": "what was archived, e.g. the site's address",
    "language": "the language of the site, e.g. en or fr",
    "relation": "a related resource",
    "coverage": "the time or place the collection covers",
    "rights": "the rights statement or licence",
}

CRAWL_NOTES = {
    "seeds": "start URLs, http or https",
    "scope": "what to follow: host (the seeds' hosts), domain, or prefix",
    "include": "regular expressions: URLs matching one are followed whatever the scope",
    "exclude": "regular expressions: URLs matching one are never fetched",
    "max-depth": "the most link hops from a seed (stops calendar traps)",
    "max-pages": "stop after this many captures",
    "max-bytes": "stop after this many bytes of responses, a size",
    "max-time": "stop after this long, a duration",
    "delay": "seconds between requests to one host (robots.txt Crawl-delay wins if longer)",
    "concurrency": "fetches at once over all hosts; one at a time per host",
    "ignore-robots": "neither fetch nor obey robots.txt (recorded in warcinfo)",
    "user-agent": "the User-Agent header, also the name matched in robots.txt",
    "digest": "WARC digest algorithm: sha1 or sha256",
    "warc-size": "start a new WARC file at this size",
    "timeout": "seconds to wait to connect and for each read",
    "max-response-size": "a longer response body is cut off (WARC-Truncated: length)",
    "max-redirects": "the longest run of redirects followed",
    "retries": "retries of a failed fetch, with back-off",
    "max-retry-after": "the most seconds a server's Retry-After is waited for",
    "max-url-length": "trap guard: longer URLs are not fetched",
    "max-path-depth": "trap guard: URLs with more path segments are not fetched",
    "max-repeated-segments": "trap guard: URLs repeating a segment more often are not fetched",
    "operator": "who runs the crawl, with a contact (recorded in warcinfo)",
    "sitemaps": "queue /sitemap.xml of each seed's host",
    "recheck-limit": "pages of the previous crawl nothing links to any more, requested again",
    "profile": "leave out a CMS's noise: wordpress, drupal, nationbuilder, auto or none",
    "profile-keep": "names of profile rules not to apply (docs/profiles.md)",
    "profile-exclude": "more regular expressions, applied with the profile in effect",
    "frontier": "redis://HOST:PORT/DB: a crawl shared by many workers (docs/distributed.md)",
    "worker-id": "this worker's name in a distributed crawl (in its WARC file names)",
    "lease": "seconds before a dead worker's URLs go back to the queue",
}

_HEAD = """\
# preserve.toml: this collection's description and crawl settings (docs/collection.md).
# A setting commented out (#) has the default shown; remove the # to change it.
# Options given to `preserve crawl` win over what is set here.
"""

_SCHEDULES = """
# Run crawls, verifies and exports on a schedule with `preserve schedule run-due`
# from cron or systemd (docs/schedule.md), e.g.:
#
#   [[schedule]]
#   cron = "30 4 * * *"    (every day at 04:30 UTC)
#   action = "verify"      (crawl, verify or export)
#   budget = "2h"          (verify: a rolling audit within this time or size)
"""


# Settings without a default (no limit): an example value instead, marked as such.
_EXAMPLES = {"max-pages": 10000, "max-bytes": "5GB", "max-time": "2h"}


def _toml(value: Any) -> str:
    """A value as TOML, on one line (tomli_w writes it exactly as the loader reads it)."""
    if isinstance(value, tuple | list):
        return "[" + ", ".join(_toml(v) for v in value) + "]"
    return tomli_w.dumps({"v": value}).strip().removeprefix("v = ")


def _line(key: str, value: Any, note: str, *, given: bool) -> str:
    if given:
        text = f"{key} = {_toml(value)}"
    elif value is None:
        text = f"# {key} = {_toml(_EXAMPLES.get(key, 0))}"
        note += " (an example: no limit unless set)"
    else:
        text = f"# {key} = {_toml(value)}"
    return f"{text.ljust(30)} # {note}"


def config_template(config: CollectionConfig) -> str:
    """preserve.toml for ``config`` with every setting shown: the ones that differ from
    the defaults set, the others commented out with their default and a note."""
    lines = [_HEAD, "[collection]"]
    default_desc = Description()
    for name in DUBLIN_CORE_FIELDS:
        value = getattr(config.description, name)
        lines.append(_line(name, value, COLLECTION_NOTES.get(name, "a Dublin Core field"),
                           given=value != getattr(default_desc, name)))
    lines += ["", "[crawl]"]
    default_crawl = CrawlConfig()
    for f in fields(CrawlConfig):
        key = f.name.replace("_", "-")
        value = getattr(config.crawl, f.name)
        note = CRAWL_NOTES.get(key, "see docs/collection.md")
        given = f.name == "seeds" or (value != getattr(default_crawl, f.name)
                                      and value is not None)
        lines.append(_line(key, value, note, given=given))
    text = "\n".join(lines) + "\n"
    if not config.schedules:
        return text + _SCHEDULES
    # The tables exactly as dump_config writes them, one [[schedule]] each.
    for table in tomllib.loads(dump_config(config))["schedule"]:
        text += "\n[[schedule]]\n" + "".join(f"{k} = {_toml(v)}\n" for k, v in table.items())
    return text
