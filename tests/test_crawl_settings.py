"""Bad crawl settings, from the command line and from preserve.toml: one line, exit 2.

Non-finite and out-of-range numbers, control characters in what becomes an HTTP header
or a warcinfo field, and values of the wrong type are refused by ``CrawlConfig.validate``
(options and preserve.toml share it) before anything is fetched or created; the line
names the option or the key and says what is allowed.
"""

from __future__ import annotations

import subprocess
import sys
from pathlib import Path

import pytest
from click.testing import CliRunner

from preserve.cli.main import cli
from preserve.config import CrawlConfig, load_config
from preserve.errors import ConfigError

SEED = "http://127.0.0.1:9/"  # never fetched: every case is refused before the crawl


def run(*args: str | Path) -> subprocess.CompletedProcess[str]:
    return subprocess.run([sys.executable, "-m", "preserve", *map(str, args)],
                          capture_output=True, text=True, timeout=60,
                          stdin=subprocess.DEVNULL)


def one_line(result: subprocess.CompletedProcess[str]) -> str:
    assert result.returncode == 2, (result.returncode, result.stdout, result.stderr)
    assert "Traceback" not in result.stderr
    lines = [line for line in result.stderr.splitlines() if line.strip()]
    assert len(lines) == 1, result.stderr
    assert lines[0].startswith("preserve: error: "), lines[0]
    return lines[0]


# -- options ------------------------------------------------------------------------------

OPTIONS = [
    (("--delay", "inf"), "--delay must be a number of seconds from 0 to 86400"),
    (("--delay", "nan"), "--delay must be a number of seconds from 0 to 86400"),
    (("--delay", "1e9"), "--delay must be a number of seconds from 0 to 86400"),
    (("--timeout", "inf"), "--timeout must be a number of seconds above 0"),
    (("--timeout", "nan"), "--timeout must be a number of seconds above 0"),
    (("--user-agent", "preserve\r\nX-Injected: 1"), "--user-agent must be printable ASCII"),
    (("--user-agent", "preserve\nbot"), "--user-agent must be printable ASCII"),
    (("--user-agent", "bot\x1b[31m"), "--user-agent must be printable ASCII"),
    (("--max-pages", "99999999999999999999"), "--max-pages must be a whole number from 0 to"),
    (("--max-urls", "99999999999999999999"), "--max-urls must be a whole number from 0 to"),
    (("--max-depth", "99999999999999999999"), "--max-depth must be a whole number of hops"),
    (("--concurrency", "100000"), "--concurrency must be a whole number from 1 to 1000"),
    (("--retries", "5000"), "--retries must be a whole number from 0 to 20"),
    (("--warc-size", "100"), "--warc-size must be a size of at least 1 KB"),
]


@pytest.mark.slow  # a child process per case
@pytest.mark.parametrize(("args", "message"), OPTIONS, ids=[" ".join(a) for a, _ in OPTIONS])
def test_a_bad_option_is_one_line_and_exit_2(tmp_path: Path, args: tuple[str, ...],
                                            message: str) -> None:
    coll = tmp_path / "c"
    line = one_line(run("crawl", coll, "--seed", SEED, *args))
    assert message in line, line
    assert not coll.exists()  # refused before the collection is created


@pytest.mark.slow  # a child process per case
def test_a_bad_option_on_an_existing_collection(tmp_path: Path) -> None:
    coll = tmp_path / "c"
    assert run("init", coll, "--seed", SEED).returncode == 0
    line = one_line(run("crawl", coll, "--delay", "inf"))
    assert "--delay must be" in line
    assert not (coll / "state" / "state.sqlite3").exists()  # no crawl was started


# import-archive's politeness: a non-finite rate or pause would never wait or never end.
IMPORT_OPTIONS = [
    (("--rate", "inf"), "--rate"),
    (("--rate", "nan/min"), "--rate"),
    (("--listing-rate", "inf/min"), "--listing-rate"),
    (("--pause-429", "nan"), "--pause-429"),
    (("--pause-429", "inf"), "--pause-429"),
    (("--pause-429", "1e9"), "--pause-429"),
]


@pytest.mark.parametrize(("args", "option"), IMPORT_OPTIONS,
                         ids=[" ".join(a) for a, _ in IMPORT_OPTIONS])
def test_a_bad_import_option_is_one_line_and_exit_2(tmp_path: Path, args: tuple[str, ...],
                                                   option: str) -> None:
    coll = tmp_path / "c"
    result = CliRunner().invoke(cli, ["import-archive", str(coll), "--url", SEED,
                                      "--archive", SEED, *args])
    assert result.exit_code == 2, (result.exit_code, result.output)
    lines = result.stderr.splitlines()
    assert len(lines) == 1 and lines[0].startswith("preserve: error: "), result.stderr
    assert f"'{option}'" in lines[0], lines[0]
    assert not coll.exists()


# -- preserve.toml ------------------------------------------------------------------------

SETTINGS = [
    ('seeds = "http://127.0.0.1:9/"', "[crawl] seeds must be a list of strings"),
    ("seeds = [1]", "[crawl] seeds must be a list of strings"),
    ('include = "/news/"', "[crawl] include must be a list of strings"),
    ("delay = inf", "[crawl] delay must be a number of seconds from 0 to 86400"),
    ("delay = nan", "[crawl] delay must be a number of seconds from 0 to 86400"),
    ("delay = -1", "[crawl] delay must be a number of seconds from 0 to 86400"),
    ("delay = 1e400", "[crawl] delay must be a number of seconds from 0 to 86400"),
    ("delay = 99999999999999999999", "[crawl] delay must be a number of seconds"),
    ('delay = "1s"', "[crawl] delay must be a number of seconds"),
    ("timeout = 0", "[crawl] timeout must be a number of seconds above 0"),
    ("timeout = inf", "[crawl] timeout must be a number of seconds above 0"),
    ("max-retry-after = -inf", "[crawl] max-retry-after must be a number of seconds"),
    ("max-crawl-delay = -1", "[crawl] max-crawl-delay must be a number of seconds"),
    ("max-pages = 99999999999999999999", "[crawl] max-pages must be a whole number from 0"),
    ("max-pages = -1", "[crawl] max-pages must be a whole number from 0"),
    ("max-pages = 1.5", "[crawl] max-pages must be a whole number"),
    ("max-urls = true", "[crawl] max-urls must be a whole number"),
    ("max-response-size = -1", "[crawl] max-response-size must be a size from 1 to"),
    ("max-response-size = 0", "[crawl] max-response-size must be a size from 1 to"),
    ("max-response-size = 1.5", "[crawl] max-response-size must be a size"),
    ('max-bytes = "99999999999999999999999999999999999999999999999999999999999999999999999'
     '9999999999999999999999999999999999999999999999999999999999999999999999999999999999999'
     '9999999999999999999999999999999999999999999999999999999999999999999999999999999999999'
     '99999999999999999999999999999999999999999999999999999999999999999999999999999GB"',
     "[crawl] max-bytes: "),
    ("max-bytes = 99999999999999999999", "[crawl] max-bytes must be a size from 0 to"),
    ("warc-size = 10", "[crawl] warc-size must be a size of at least 1 KB"),
    ("max-time = inf", "[crawl] max-time must be a finite duration"),
    ("max-time = -5", "[crawl] max-time must be a finite duration"),
    ("concurrency = 0", "[crawl] concurrency must be a whole number from 1 to 1000"),
    ("retries = 1000", "[crawl] retries must be a whole number from 0 to 20"),
    ("max-redirects = -1", "[crawl] max-redirects must be a whole number from 0 to 100"),
    ("max-url-length = 0", "[crawl] max-url-length must be a whole number from 1"),
    ('user-agent = "bot\\r\\nX-Injected: 1"', "[crawl] user-agent must be printable ASCII"),
    ('user-agent = ""', "[crawl] user-agent must be printable ASCII"),
    ('operator = "me\\nyou"', "[crawl] operator must be text without CR, LF"),
    ('ignore-robots = "yes"', "[crawl] ignore-robots must be true or false"),
    ('scope = "world"', "[crawl] scope must be host, domain or prefix"),
]


def _toml(tmp_path: Path, line: str) -> Path:
    path = tmp_path / "preserve.toml"
    crawl = line if line.startswith("seeds") else f'seeds = ["{SEED}"]\n{line}'
    path.write_text(f'[collection]\ntitle = "t"\n\n[crawl]\n{crawl}\n', encoding="utf-8")
    return path


@pytest.mark.parametrize(("line", "message"), SETTINGS, ids=[line[:40] for line, _ in SETTINGS])
def test_a_bad_setting_names_the_file_and_key(tmp_path: Path, line: str, message: str) -> None:
    path = _toml(tmp_path, line)
    with pytest.raises(ConfigError) as info:
        load_config(path)
    assert str(info.value).startswith(f"{path}: {message}"), str(info.value)
    assert "\n" not in str(info.value)


@pytest.mark.slow  # a child process per case
@pytest.mark.parametrize(("line", "message"), [SETTINGS[0], SETTINGS[3], SETTINGS[13],
                                               SETTINGS[17]])
def test_a_bad_setting_is_one_line_and_exit_2(tmp_path: Path, line: str, message: str) -> None:
    coll = tmp_path / "c"
    assert run("init", coll, "--seed", SEED).returncode == 0
    _toml(coll, line)
    result = one_line(run("crawl", coll))
    assert f"preserve.toml: {message}" in result
    assert not (coll / "state" / "state.sqlite3").exists()


def test_the_defaults_and_the_bounds_are_valid() -> None:
    CrawlConfig().validate()
    CrawlConfig(delay=86400, timeout=86400, max_pages=2**63 - 1, max_urls=0, concurrency=1000,
                retries=20, max_response_size=1, warc_size=1024, max_crawl_delay=0,
                max_time=0.0, operator="Bibliothèque nationale <web@bn.example>").validate()
