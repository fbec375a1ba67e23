"""[[schedule]] entries in preserve.toml: typed, validated when loaded, kept when saved."""

from __future__ import annotations

from pathlib import Path

import pytest

from helpers_schedule import make_collection
from preserve.config import Schedule, load_config
from preserve.errors import ConfigError


def write(tmp_path: Path, text: str) -> Path:
    path = tmp_path / "preserve.toml"
    path.write_text("[crawl]\nseeds = ['http://127.0.0.1/']\n" + text, encoding="utf-8")
    return path


def test_each_action_is_read_into_a_typed_schedule(tmp_path: Path) -> None:
    config = load_config(write(tmp_path, """
[[schedule]]
cron = "0 3 * * 1"
action = "crawl"
label = "weekly crawl"

[[schedule]]
cron = "@daily"
action = "verify"
budget = "2h"

[[schedule]]
cron = "30  4 1 */3 *"
action = "verify"
budget = "500GB"

[[schedule]]
cron = "0 5 1 * *"
action = "export"
format = "wacz"
destination = "../exports/mep-{date}.wacz"
"""))
    crawl, daily, sized, export = config.schedules
    assert crawl == Schedule(cron="0 3 * * 1", action="crawl", label="weekly crawl")
    assert crawl.key == "weekly crawl"
    assert daily.budget_seconds == 7200 and daily.key == "verify @daily"
    assert sized.budget_bytes == 500 * 10**9 and sized.cron == "30 4 1 */3 *"
    assert export.format == "wacz"
    assert export.destination == tmp_path / "../exports/mep-{date}.wacz"


@pytest.mark.parametrize(("text", "key", "words"), [
    ("[[schedule]]\ncron = '0 25 * * *'\naction = 'crawl'\n", "cron", "not a cron"),
    ("[[schedule]]\ncron = '* * * *'\naction = 'crawl'\n", "cron", "5 fields"),
    ("[[schedule]]\ncron = '0 0 * * * *'\naction = 'crawl'\n", "cron", "5 fields"),
    ("[[schedule]]\ncron = '@fortnightly'\naction = 'crawl'\n", "cron", "nickname"),
    ("[[schedule]]\ncron = '@daily'\naction = 'dance'\n", "action", "unknown action"),
    ("[[schedule]]\ncron = '@daily'\n", "action", "missing"),
    ("[[schedule]]\naction = 'crawl'\n", "cron", "missing"),
    ("[[schedule]]\ncron = '@daily'\naction = 'crawl'\nbudget = '2h'\n", "budget",
     "unknown setting"),
    ("[[schedule]]\ncron = '@daily'\naction = 'verify'\nbudget = 'lots'\n", "budget",
     "not a"),
    ("[[schedule]]\ncron = '@daily'\naction = 'export'\nformat = 'zip'\n"
     "destination = '/x'\n", "format", "choose"),
    ("[[schedule]]\ncron = '@daily'\naction = 'export'\nformat = 'wacz'\n", "destination",
     "missing"),
    ("[[schedule]]\ncron = 3\naction = 'crawl'\n", "cron", "must be a string"),
    ("[[schedule]]\ncron = '@daily'\naction = 'crawl'\nfinal = 'yes'\n", "final",
     "true or false"),
    ("[[schedule]]\ncron = '@daily'\naction = 'verify'\nfinal = true\n", "final",
     "unknown setting"),
    ("[[schedule]]\ncron = '@daily'\naction = 'crawl'\n"
     "[[schedule]]\ncron = '@daily'\naction = 'crawl'\n", "label", "different labels"),
])
def test_a_bad_schedule_is_a_config_error_naming_the_key(tmp_path: Path, text: str, key: str,
                                                         words: str) -> None:
    path = write(tmp_path, text)
    with pytest.raises(ConfigError) as info:
        load_config(path)
    assert info.value.key == key
    assert info.value.path == path
    assert words in str(info.value)
    assert "\n" not in str(info.value)


def test_schedules_survive_a_save(tmp_path: Path) -> None:
    coll = make_collection(tmp_path / "c", """
[[schedule]]
cron = "0 3 * * 1"
action = "verify"
label = "final crawl before dissolution"
budget = "90m"

[[schedule]]
cron = "0 9 15 6 *"
action = "crawl"
label = "last one"
final = true

[[schedule]]
cron = "0 5 1 * *"
action = "export"
format = "bagit"
destination = "/srv/exports/bag"
force = true
""")
    before = coll.load_config()
    coll.save_config(before)
    assert coll.load_config() == before
