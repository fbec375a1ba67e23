"""Bad input gets one clear line on stderr, a documented exit status, and no traceback."""

from __future__ import annotations

import socket
import subprocess
import sys
from pathlib import Path

import pytest


def run(*args: str, cwd: Path | None = None) -> subprocess.CompletedProcess[str]:
    return subprocess.run([sys.executable, "-m", "preserve", *args], capture_output=True,
                          text=True, cwd=cwd, timeout=120)


def assert_one_line_error(result: subprocess.CompletedProcess[str], *words: str) -> None:
    assert result.returncode == 2, result.stderr
    assert "Traceback" not in result.stderr
    lines = [line for line in result.stderr.splitlines() if line.strip()]
    assert len(lines) == 1, result.stderr
    assert lines[0].startswith("preserve: error: ")
    for word in words:
        assert word in lines[0]


def closed_port() -> int:
    s = socket.socket()
    s.bind(("127.0.0.1", 0))
    port: int = s.getsockname()[1]
    s.close()
    return port


@pytest.mark.slow
@pytest.mark.parametrize(
    ("seed", "words"),
    [
        ("not a url", ["only http:// and https://"]),
        ("ftp://127.0.0.1/", ["only http:// and https://"]),
        ("http://", ["no host name"]),
        ("http://[::1/", ["malformed"]),
        ("http://no-such-host.invalid/", ["cannot be resolved"]),
    ],
)
def test_malformed_or_unresolvable_seed(tmp_path: Path, seed: str, words: list[str]) -> None:
    result = run("crawl", str(tmp_path / "c"), "--seed", seed)
    assert_one_line_error(result, *words)
    assert not (tmp_path / "c").exists()


@pytest.mark.slow
def test_unreachable_seed(tmp_path: Path) -> None:
    seed = f"http://127.0.0.1:{closed_port()}/"
    result = run("crawl", str(tmp_path / "c"), "--seed", seed, "--retries", "0", "--quiet")
    assert_one_line_error(result, "unreachable", seed)


def test_collection_path_is_a_file(tmp_path: Path) -> None:
    target = tmp_path / "file"
    target.write_text("data")
    result = run("crawl", str(target), "--seed", "http://127.0.0.1/")
    assert_one_line_error(result, "is a file")
    assert target.read_text() == "data"


@pytest.mark.slow
def test_missing_collection_without_seed(tmp_path: Path) -> None:
    assert_one_line_error(run("crawl", str(tmp_path / "nope")), "no such collection")
    assert_one_line_error(run("status", str(tmp_path / "nope")), "no such collection")
    assert_one_line_error(run("index", str(tmp_path / "nope")), "no such collection")


@pytest.mark.slow
@pytest.mark.parametrize(
    ("text", "words"),
    [
        ("[crawl\nseeds = 1", ["not valid TOML"]),
        ("[crawl]\nseeds = ['http://127.0.0.1/']\nscope = 'planet'\n", ["scope"]),
        ("[crawl]\nseeds = ['http://127.0.0.1/']\ndelay = 'slow'\n", ["delay"]),
        ("[crawl]\nseeds = ['http://127.0.0.1/']\nfrobnicate = 1\n", ["unknown setting"]),
        ("[crawl]\nseeds = ['http://127.0.0.1/']\nexclude = ['(']\n", ["not a regex"]),
        ("[collection]\nmood = 'sad'\n[crawl]\nseeds = []\n", ["Dublin Core"]),
        ("[crawl]\nseeds = []\n", ["no seeds"]),
    ],
)
def test_broken_preserve_toml(tmp_path: Path, text: str, words: list[str]) -> None:
    coll = tmp_path / "c"
    (coll).mkdir()
    (coll / "preserve.toml").write_text(text)
    result = run("crawl", str(coll))
    assert_one_line_error(result, "preserve.toml", *words)
    assert (coll / "preserve.toml").read_text() == text


def test_init_refuses_an_existing_collection(tmp_path: Path) -> None:
    coll = tmp_path / "c"
    first = run("init", str(coll), "--seed", "http://127.0.0.1/", "--title", "T")
    assert first.returncode == 0, first.stderr
    before = (coll / "preserve.toml").read_text()
    assert 'title = "T"' in before
    assert_one_line_error(run("init", str(coll), "--seed", "http://127.0.0.1/"), "already")
    assert (coll / "preserve.toml").read_text() == before


def test_bad_dublin_core_option(tmp_path: Path) -> None:
    result = run("init", str(tmp_path / "c"), "--seed", "http://127.0.0.1/", "--dc", "mood=sad")
    assert result.returncode == 2
    assert "Traceback" not in result.stderr
