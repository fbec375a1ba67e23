"""What users expect beside --help: shell completion as docs/cli.md documents it, and a
man page generated from the same source as docs/cli.md that man(1) renders cleanly."""

from __future__ import annotations

import os
import re
import shutil
import subprocess
import sys
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parent.parent
CLI_MD = (ROOT / "docs" / "cli.md").read_text(encoding="utf-8")
MAN = ROOT / "docs" / "preserve.1"


def complete(**env: str) -> subprocess.CompletedProcess[str]:
    return subprocess.run([sys.executable, "-m", "preserve"], capture_output=True, text=True,
                          env={**os.environ, **env}, timeout=60)


@pytest.mark.parametrize(("shell", "marker"), [
    ("bash", "complete -o nosort -F _preserve_completion preserve"),
    ("zsh", "#compdef preserve"),
    ("fish", "complete --no-files --command preserve"),
])
def test_the_documented_completion_scripts_exist(shell: str, marker: str) -> None:
    line = re.search(rf"_PRESERVE_COMPLETE={shell}_source preserve", CLI_MD)
    assert line, f"docs/cli.md does not document completion for {shell}"
    done = complete(_PRESERVE_COMPLETE=f"{shell}_source")
    assert done.returncode == 0, done.stderr
    assert marker in done.stdout


def test_completion_completes_commands_and_options() -> None:
    done = complete(_PRESERVE_COMPLETE="bash_complete", COMP_WORDS="preserve ver",
                    COMP_CWORD="1")
    assert done.stdout.split() == ["plain,verify"]
    done = complete(_PRESERVE_COMPLETE="bash_complete", COMP_WORDS="preserve export x --for",
                    COMP_CWORD="3")
    assert "plain,--format" in done.stdout.split()


def test_the_man_page_has_every_command() -> None:
    text = MAN.read_text(encoding="utf-8").replace("\\-", "-")
    for section in re.findall(r"^## (preserve.*)$", CLI_MD, re.MULTILINE):
        assert f".SS {section}\n" in text
    assert ".SH SHELL COMPLETION" in text and ".SH EXIT STATUS" not in text.split(".SH COMMANDS")[1]


@pytest.mark.skipif(shutil.which("groff") is None, reason="groff is not installed")
def test_man_renders_the_page_without_warnings() -> None:
    done = subprocess.run(["groff", "-man", "-Tutf8", "-ww", "-z", str(MAN)],
                          capture_output=True, text=True, timeout=60)
    assert done.returncode == 0 and done.stderr == ""
    shown = subprocess.run(["groff", "-man", "-Tutf8", str(MAN)], capture_output=True,
                           text=True, timeout=60).stdout
    plain = re.sub(r".\x08", "", shown)
    assert "preserve - capture websites" in plain.replace("‐", "-")
    assert "Usage: preserve crawl [OPTIONS] COLLECTION" in plain


@pytest.mark.slow
def test_the_demo_prints_a_command_that_can_be_pasted(tmp_path: Path) -> None:
    import shlex

    from testsite.demo import DEMO_TITLE

    dest = tmp_path / "demo collection"
    done = subprocess.run([sys.executable, "-m", "testsite.demo", str(dest)], cwd=ROOT,
                          capture_output=True, text=True, timeout=120)
    assert done.returncode == 0, done.stderr
    line = next(x for x in done.stderr.splitlines() if x.startswith("demo: preserve crawl "))
    argv = shlex.split(line.removeprefix("demo: "))
    assert argv[:3] == ["preserve", "crawl", str(dest)]
    assert argv[argv.index("--title") + 1] == DEMO_TITLE
