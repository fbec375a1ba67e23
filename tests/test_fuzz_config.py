"""Fuzzing preserve.toml loading (config.load_config) and CDXJ reading
(store.cdxj.CdxjEntry.from_line): files a user edits by hand, or a damaged disk hands back.

Properties: load_config gives a CollectionConfig or raises ConfigError, whatever the TOML
(every setting with values of every type) or the bytes; CdxjEntry.from_line gives an entry
or raises ValueError (its documented contract), whatever the line, and never an entry
whose filename leads out of warcs/.
"""

from __future__ import annotations

import datetime as dt
import math
from pathlib import Path
from typing import Any

import tomli_w
from hypothesis import example, given
from hypothesis import strategies as st

from helpers_fuzz import FUZZ, mutated
from preserve.config import DUBLIN_CORE_FIELDS, CollectionConfig, CrawlConfig, load_config
from preserve.errors import ConfigError
from preserve.store.cdxj import CdxjEntry

CRAWL_KEYS = sorted(f.replace("_", "-") for f in CrawlConfig.__dataclass_fields__)
SCHEDULE_KEYS = ["cron", "action", "label", "final", "budget", "format", "destination",
                 "force"]
STRINGS = st.one_of(
    st.sampled_from(["", "host", "domain", "prefix", "sha1", "sha256", "crawl", "verify",
                     "export", "bagit", "wacz", "ocfl", "0 3 * * 1", "@daily", "@never",
                     "61 * * * *", "2h", "500GB", "1e999GB", "-1MB", "nan", "inf", "1.5",
                     "10 MiB", "90s", "0s", "0B", "https://example.org/", "a{99999999999}",
                     "(?P<x", "[", "~nosuchuser/x", "~/x", "/tmp/{date}", "x\x00y",
                     "{datetime}", "\r\n", "9" * 400]),
    st.text(max_size=30))
SCALARS = st.one_of(
    STRINGS, st.booleans(), st.integers(), st.integers(-(2**70), 2**70),
    st.floats(allow_nan=True, allow_infinity=True),
    st.sampled_from([math.inf, -math.inf, math.nan, 0.0, -0.0, 1e308, 2**63, -1]),
    st.dates(), st.datetimes(timezones=st.just(dt.UTC)), st.times())
VALUES = st.one_of(SCALARS, st.lists(SCALARS, max_size=3),
                   st.dictionaries(st.sampled_from(CRAWL_KEYS), SCALARS, max_size=2))


def _table(keys: list[str]) -> st.SearchStrategy[dict[str, Any]]:
    return st.dictionaries(st.sampled_from(keys) | st.text(max_size=8), VALUES, max_size=6)


DOCUMENTS = st.fixed_dictionaries({}, optional={
    "collection": _table(list(DUBLIN_CORE_FIELDS)) | VALUES,
    "crawl": _table(CRAWL_KEYS) | VALUES,
    "schedule": st.lists(_table(SCHEDULE_KEYS) | VALUES, max_size=3) | VALUES,
    "other": VALUES,
})


GOOD_TOML = (b'[collection]\ntitle = "A"\n[crawl]\nseeds = ["https://example.org/"]\n'
             b'delay = 2.5\nmax-bytes = "1GB"\n[[schedule]]\naction = "verify"\n'
             b'cron = "0 3 * * 1"\nbudget = "2h"\n')


def _load(path: Path) -> None:
    try:
        config = load_config(path)
    except ConfigError as e:
        message = str(e)
        assert message and "\n" not in message
        return
    assert isinstance(config, CollectionConfig)


@FUZZ
@given(document=DOCUMENTS)
@example(document={"crawl": {"max-bytes": 1.5}})
@example(document={"crawl": {"\n0": 0}})  # a two-line message
@example(document={"crawl": {"include": ["a{99999999999}"]}})
@example(document={"schedule": [{"action": "export", "cron": "@daily", "format": "bagit",
                                 "destination": "~nosuchuser/x"}]})
def test_load_config_gives_a_config_or_config_error(tmp_path: Path,
                                                    document: dict[str, Any]) -> None:
    path = tmp_path / "preserve.toml"
    path.write_text(tomli_w.dumps(document), encoding="utf-8")
    _load(path)


@FUZZ
@given(data=st.one_of(mutated([GOOD_TOML]), st.binary(max_size=512)))
@example(data=b"\xff\xfe")
@example(data=b"x = " + b"[" * 100_000)  # tomllib: RecursionError
def test_load_config_on_any_bytes(tmp_path: Path, data: bytes) -> None:
    path = tmp_path / "preserve.toml"
    path.write_bytes(data)
    _load(path)


LINE = ('org,example)/a/b?c=1 20240101120000 {"url": "https://example.org/a/b?c=1", '
        '"mime": "text/html", "status": "200", "digest": "sha1:ABCDEFGH", "length": "1043", '
        '"offset": "0", "filename": "c-0001.warc.gz"}')


@FUZZ
@given(line=st.one_of(mutated([LINE.encode()]).map(lambda b: b.decode("utf-8", "replace")),
                      st.text(max_size=200)))
@example(line='k 1 {"offset": "0", "filename": "f"}')  # no length: KeyError
@example(line='k 1 {"length": [], "offset": "0", "filename": "f"}')  # TypeError
@example(line='k 1 {"length": 1e999, "offset": 0, "filename": "f"}')  # OverflowError
@example(line="k 1 " + "[" * 100_000)  # RecursionError
@example(line=LINE.replace("c-0001", "../../../etc/passwd#"))
@example(line=LINE.replace("c-0001", "/etc/passwd#"))
@example(line=LINE.replace('"c-0001.warc.gz"', '["x"]'))
def test_cdxj_from_line_gives_an_entry_or_value_error(line: str) -> None:
    """... and the entry's filename is a plain file name: a reader of it stays in warcs/."""
    try:
        entry = CdxjEntry.from_line(line)
    except ValueError:
        return
    assert isinstance(entry.length, int) and isinstance(entry.offset, int)
    assert isinstance(entry.filename, str) and "/" not in entry.filename
    assert entry.filename not in ("", ".", "..")
