"""`preserve init` writes a commented preserve.toml: every setting with its default and
what it does, the given ones set; the loader reads it as the configuration given, and
each commented line, uncommented alone, reads as the default it shows."""

from __future__ import annotations

import re
from dataclasses import fields
from pathlib import Path

import pytest

from helpers_crawl import cli
from preserve.config import (
    DUBLIN_CORE_FIELDS,
    CollectionConfig,
    CrawlConfig,
    Description,
    load_config,
)
from preserve.template import config_template

SEEDS = ("http://127.0.0.1:9/", "http://127.0.0.1:9/blog/")
KEY = re.compile(r"^(#\s)?([a-z-]+) = (.*?)\s+# (\S.*)$")


@pytest.fixture(scope="module")
def created(tmp_path_factory: pytest.TempPathFactory) -> Path:
    coll = tmp_path_factory.mktemp("init") / "coll"
    done = cli("init", coll, "--seed", SEEDS[0], "--seed", SEEDS[1],
               "--title", 'Minutes of the "Fisheries" committee', "--dc", "creator=Me")
    assert done.returncode == 0, done.stderr
    assert done.stdout == f"created collection {coll} with 2 seeds\n"
    return coll / "preserve.toml"


def _settings(text: str) -> dict[str, tuple[bool, str]]:
    """Each setting line: key -> (commented out, the line)."""
    found = {}
    for line in text.splitlines():
        m = KEY.match(line)
        if m:
            found[m.group(2)] = (m.group(1) is not None, line)
    return found


def test_the_template_reads_as_what_was_given(created: Path) -> None:
    config = load_config(created)
    assert config.crawl == CrawlConfig(seeds=SEEDS)
    assert config.description == Description(title='Minutes of the "Fisheries" committee',
                                             creator="Me")
    assert config.schedules == ()


def test_every_setting_is_shown_with_a_note(created: Path) -> None:
    text = created.read_text()
    assert text.startswith("# preserve.toml")
    settings = _settings(text)
    crawl = {f.name.replace("_", "-") for f in fields(CrawlConfig)}
    assert set(settings) == crawl | set(DUBLIN_CORE_FIELDS)
    given = {k for k, (commented, _) in settings.items() if not commented}
    assert given == {"seeds", "title", "creator"}
    assert "#   [[schedule]]" in text  # an example, commented out


def test_each_commented_setting_uncommented_is_its_default(created: Path,
                                                           tmp_path: Path) -> None:
    text = created.read_text()
    default_crawl, default_desc = CrawlConfig(seeds=SEEDS), Description(
        title='Minutes of the "Fisheries" committee', creator="Me")
    for key, (commented, line) in _settings(text).items():
        if not commented:
            continue
        edited = tmp_path / f"{key}.toml"
        edited.write_text(text.replace(line, line.removeprefix("# "), 1))
        config = load_config(edited)
        name = key.replace("-", "_")
        if key in DUBLIN_CORE_FIELDS:
            assert config.description == default_desc, key
        elif getattr(default_crawl, name) is None:  # no default: an example value
            assert getattr(config.crawl, name) is not None, key
            assert "no limit unless set" in line
        else:
            assert config.crawl == default_crawl, key


def test_a_config_with_schedules_keeps_them(tmp_path: Path) -> None:
    from preserve.config import Schedule

    config = CollectionConfig(Description(title="t"), CrawlConfig(seeds=SEEDS, delay=0.5),
                              (Schedule("30 4 * * *", "verify", budget_seconds=7200.0),))
    path = tmp_path / "preserve.toml"
    path.write_text(config_template(config))
    assert load_config(path) == config


def test_init_json_and_quiet(tmp_path: Path) -> None:
    quiet = cli("init", tmp_path / "q", "--seed", SEEDS[0], "-q")
    assert quiet.returncode == 0 and quiet.stdout == "" and quiet.stderr == ""
    done = cli("init", tmp_path / "j", "--seed", SEEDS[0], "--json")
    assert done.returncode == 0
    import json

    assert json.loads(done.stdout)["seeds"] == [SEEDS[0]]


def test_crawl_with_seed_creates_the_same_commented_template(tmp_path: Path) -> None:
    """`preserve crawl COLL --seed URL`, which creates the collection in one step, writes
    the commented preserve.toml too, with its seeds and title set (the other options apply
    to the run, as on every later crawl, and are not written)."""
    from preserve.capture.session import open_for_crawl

    coll, _, _ = open_for_crawl(tmp_path / "coll", {"seeds": SEEDS, "max_pages": 5},
                                {"title": "One step"})
    text = coll.config_path.read_text()
    assert text.startswith("# preserve.toml")
    settings = _settings(text)
    given = {k for k, (commented, _) in settings.items() if not commented}
    assert given == {"seeds", "title"}
    config = load_config(coll.config_path)
    assert config.crawl == CrawlConfig(seeds=SEEDS)
    assert config.description == Description(title="One step")
