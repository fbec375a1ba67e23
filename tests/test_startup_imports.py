"""Start-up stays cheap (issue 19): a command imports the heavy libraries only where it uses
them. A bound on the work done (which modules get imported), never on time.

Each case runs ``python -m preserve ...`` in a fresh interpreter and lists ``sys.modules``
at its exit; none of the deny-list may be there.
"""

from __future__ import annotations

import json
import subprocess
import sys
from pathlib import Path

import pytest

FIXTURES = Path(__file__).resolve().parent.parent / "fixtures" / "warc"

# What no start-up needs: the WARC library and the SURT rules (and what they import:
# fsspec with asyncio, tldextract with requests), the extraction and capture stacks,
# pywb, the cryptography of signed packages, worker processes.
HEAVY = ("warcio", "surt", "tldextract", "requests", "urllib3", "fsspec", "asyncio",
         "lxml", "cryptography", "pywb", "multiprocessing", "concurrent.futures.process",
         "preserve.capture", "preserve.normalise", "preserve.export", "preserve.schedule",
         "preserve.diff", "preserve.store.indexer", "preserve.store.cdxj")
# --help needs no SQLite either (verify's audit keeps its dates in SQLite).
HELP_HEAVY = (*HEAVY, "sqlite3", "preserve.verify")

# Runs the command as `python -m preserve` does, then writes sys.modules to argv[1].
PROBE = """
import json, runpy, sys
out, sys.argv = sys.argv[1], ["preserve", *sys.argv[2:]]
try:
    runpy.run_module("preserve", run_name="__main__", alter_sys=True)
except SystemExit as e:
    status = e.code
else:
    status = 0
with open(out, "w") as f:
    json.dump({"status": status, "modules": sorted(sys.modules)}, f)
"""


def imported(tmp_path: Path, *args: str) -> set[str]:
    out = tmp_path / "modules.json"
    done = subprocess.run([sys.executable, "-c", PROBE, str(out), *args],
                          capture_output=True, text=True, timeout=120)
    assert done.returncode == 0, done.stderr
    got = json.loads(out.read_text())
    assert got["status"] in (0, None), (got["status"], done.stderr)
    return set(got["modules"])


def heavy_in(modules: set[str], deny: tuple[str, ...]) -> list[str]:
    return sorted(m for m in modules if any(m == d or m.startswith(d + ".") for d in deny))


@pytest.mark.parametrize("args", [("--help",), ("verify", "--help")])
def test_help_imports_nothing_heavy(tmp_path: Path, args: tuple[str, ...]) -> None:
    modules = imported(tmp_path, *args)
    assert "preserve.cli.main" in modules
    assert heavy_in(modules, HELP_HEAVY) == []


def test_verify_of_a_warc_imports_nothing_heavy(tmp_path: Path) -> None:
    modules = imported(tmp_path, "verify", "-q", "--jobs", "2",
                       str(FIXTURES / "valid-minimal.warc.gz"))
    assert "preserve.verify.warcscan" in modules  # it did read the WARC
    assert heavy_in(modules, HEAVY) == []


def test_a_verify_worker_imports_only_the_scanner() -> None:
    # What a spawned `--jobs` worker imports (verify.runner): the scanner, not the
    # collection's layout, its config (tomllib) or the WARC writer's record helpers.
    probe = "import json, sys, preserve.verify.runner; print(json.dumps(sorted(sys.modules)))"
    done = subprocess.run([sys.executable, "-c", probe], capture_output=True, text=True,
                          timeout=120)
    assert done.returncode == 0, done.stderr
    modules = set(json.loads(done.stdout))
    assert "preserve.verify.warcscan" in modules
    assert heavy_in(modules, (*HEAVY[:-2], "preserve.collection", "preserve.config",
                              "tomllib", "preserve.store")) == []
