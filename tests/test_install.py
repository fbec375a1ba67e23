"""Dependencies that install right (issue #15): a plain ``pip install`` of preserve, with
the pip a fresh venv ships, gives a working extractor; and when a component cannot be
imported, ``normalise`` and ``extract`` stop with one line and exit 2 instead of
recording a problem on every page."""

from __future__ import annotations

import json
import shutil
import subprocess
import sys
import tomllib
from pathlib import Path

import pytest

from helpers_crawl import crawl
from testsite import TestSite

ROOT = Path(__file__).resolve().parent.parent
PAGE = ROOT / "fixtures" / "normalise" / "article-json-ld.html"

# Runs `preserve ARGS` as a user would, in an installation where lxml_html_clean is
# missing: None in sys.modules is how Python itself marks a module that must not import.
_WITHOUT_HTML_CLEAN = """\
import runpy, sys
sys.modules["lxml_html_clean"] = None
sys.modules["lxml.html.clean"] = None
sys.argv = ["preserve", *sys.argv[1:]]
runpy.run_module("preserve", run_name="__main__", alter_sys=True)
"""


def _preserve_without_html_clean(*args: str | Path) -> subprocess.CompletedProcess[str]:
    return subprocess.run([sys.executable, "-c", _WITHOUT_HTML_CLEAN, *map(str, args)],
                          capture_output=True, text=True, timeout=120,
                          stdin=subprocess.DEVNULL)


def _one_error_line(result: subprocess.CompletedProcess[str]) -> str:
    assert result.returncode == 2, (result.returncode, result.stdout, result.stderr)
    lines = result.stderr.splitlines()
    assert len(lines) == 1 and lines[0].startswith("preserve: error: "), result.stderr
    assert "Traceback" not in result.stderr
    return lines[0]


def test_pyproject_names_lxml_html_clean_and_constraints_pin_it() -> None:
    project = tomllib.loads((ROOT / "pyproject.toml").read_text(encoding="utf-8"))
    names = [d.split(">")[0].split("=")[0].split("<")[0].strip().lower()
             for d in project["project"]["dependencies"]]
    assert "lxml_html_clean" in names
    pins = (ROOT / "constraints.txt").read_text(encoding="utf-8").lower()
    assert "\nlxml_html_clean==" in pins


def test_extract_stops_when_a_component_cannot_be_imported() -> None:
    line = _one_error_line(_preserve_without_html_clean("extract", PAGE))
    assert "lxml.html.clean" in line and "pip install lxml_html_clean" in line


def test_normalise_stops_before_any_page(tmp_path: Path) -> None:
    with TestSite(articles=2) as site:
        coll, _ = crawl(tmp_path / "c", (site.url,), max_pages=3, profile="none")
    line = _one_error_line(_preserve_without_html_clean("normalise", coll.root))
    assert "lxml.html.clean" in line and "cannot be imported" in line
    assert not coll.articles_path.exists(), "nothing is written"
    assert "articles normalised" not in coll.events_path.read_text(encoding="utf-8")
    # the same collection, with the component there, normalises
    done = subprocess.run([sys.executable, "-m", "preserve", "normalise", str(coll.root),
                           "--json"], capture_output=True, text=True, timeout=120)
    assert done.returncode == 0, done.stderr
    assert json.loads(done.stdout)["pages"] >= 1


@pytest.mark.slow
@pytest.mark.timeout(600)
def test_a_fresh_venv_with_its_own_pip_extracts(tmp_path: Path) -> None:
    """`python -m venv` (pip as shipped, not upgraded), then `pip install -c
    constraints.txt` of the source tree: the runtime dependencies only. Then `preserve
    extract` reads a page with trafilatura (no problem, no per-page ImportError)."""
    source = tmp_path / "src-tree"
    source.mkdir()
    for name in ("pyproject.toml", "README.md"):
        shutil.copy(ROOT / name, source / name)
    shutil.copytree(ROOT / "src", source / "src",
                    ignore=shutil.ignore_patterns("__pycache__", "*.egg-info"))
    venv = tmp_path / "venv"
    base = getattr(sys, "_base_executable", sys.executable)
    subprocess.run([base, "-m", "venv", str(venv)], check=True, timeout=300)
    python = venv / "bin" / "python"
    pip_version = subprocess.run([python, "-m", "pip", "--version"], capture_output=True,
                                 text=True, check=True).stdout
    install = subprocess.run(
        # --no-compile: byte-compiling every package is half the time, and not the point
        [python, "-m", "pip", "install", "--disable-pip-version-check", "-q", "--no-compile",
         "-c", str(ROOT / "constraints.txt"), str(source)],
        capture_output=True, text=True, timeout=540)
    if install.returncode != 0 and any(s in install.stderr for s in (
            "Could not find a version", "NewConnectionError", "Temporary failure in name")):
        pytest.skip(f"the package index cannot be reached ({pip_version.split()[1]}): "
                    f"{install.stderr.strip().splitlines()[-1]}")
    assert install.returncode == 0, install.stderr
    result = subprocess.run([venv / "bin" / "preserve", "extract", str(PAGE)],
                            capture_output=True, text=True, timeout=120)
    assert result.returncode == 0, result.stderr
    article = json.loads(result.stdout)
    assert article["body_text"] and not any("trafilatura" in p for p in article["problems"])
    imported = subprocess.run([python, "-c", "import trafilatura, lxml.html.clean"],
                              capture_output=True, text=True)
    assert imported.returncode == 0, imported.stderr
