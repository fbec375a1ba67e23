"""The WARC test files of JWAT and warcio: every one verifies as the standard says (#18).

Each file in ``../shared/conformance/warc/jwat/`` and ``.../warcio/`` is a test case;
``tests/data/warc_conformance.json`` gives the verdict expected of each, the codes, and
why (judged against WARC 1.1, not against the file's name: a SHOULD breach is a
warning). The suites are third-party data kept outside the repository: their folder is
``$PRESERVE_CONFORMANCE_DIR``, else ``shared/conformance`` beside the checkout (or beside
the main checkout, for a git worktree), and the tests say so when it is absent.
A WARC written by pywb's recorder is checked too; wget's are checked by
tests/test_verify_fixtures.py.
"""

from __future__ import annotations

import json
import os
import subprocess
import sys
from collections.abc import Iterator
from http.server import BaseHTTPRequestHandler
from pathlib import Path

import pytest
import requests

from helpers_pywb import COLL, WAYBACK, WB_MANAGER, _free_port, _stop, _wait_until_serving
from helpers_socket import serve_http
from preserve.verify import verify_files

REPO = Path(__file__).resolve().parent.parent
TABLE = json.loads((Path(__file__).parent / "data" / "warc_conformance.json")
                   .read_text(encoding="utf-8"))["files"]
SUITES = ("jwat", "warcio")


def conformance_root() -> Path:
    env = os.environ.get("PRESERVE_CONFORMANCE_DIR")
    if env:
        return Path(env)
    for base in (REPO.parent, REPO.parent.parent):
        if (base / "shared" / "conformance").is_dir():
            return base / "shared" / "conformance"
    return REPO.parent / "shared" / "conformance"


ROOT = conformance_root() / "warc"
PRESENT = all((ROOT / suite).is_dir() for suite in SUITES)
ABSENT = (f"the WARC conformance suites are not at {ROOT} (set PRESERVE_CONFORMANCE_DIR "
          "to the folder that holds warc/jwat and warc/warcio)")


def suite_files() -> list[str]:
    """Every file of the suites when they are here (so a new file is a new test, and
    fails until the table has it), else the table's names."""
    if not PRESENT:
        return sorted(TABLE)
    return sorted(f"{suite}/{p.name}" for suite in SUITES
                  for p in (ROOT / suite).iterdir() if p.is_file())


@pytest.mark.skipif(not PRESENT, reason=ABSENT)
def test_the_table_names_every_file_of_the_suites() -> None:
    assert set(suite_files()) == set(TABLE)


@pytest.mark.skipif(not PRESENT, reason=ABSENT)
@pytest.mark.parametrize("name", suite_files())
def test_suite_file(name: str) -> None:
    want = TABLE.get(name)
    assert want is not None, f"{name} is not in tests/data/warc_conformance.json"
    report = verify_files([ROOT / name])
    errors = {f.code for f in report.findings if f.severity == "error"}
    warnings = {f.code for f in report.findings if f.severity == "warning"}
    detail = [f.to_dict() for f in report.findings]
    assert report.ok == (want["verdict"] == "pass"), (want["reason"], detail)
    assert set(want.get("errors", ())) <= errors, (want["reason"], detail)
    if want["verdict"] == "pass":
        assert warnings == set(want.get("warnings", ())), (want["reason"], detail)
    else:
        assert set(want.get("warnings", ())) <= warnings, (want["reason"], detail)
    if want.get("arc"):
        assert "ARC file" in report.findings[0].message


def warcio_check(path: Path) -> int:
    warcio = Path(sys.executable).parent / "warcio"
    return subprocess.run([str(warcio), "check", str(path)], capture_output=True,
                          timeout=60, check=False).returncode


@pytest.mark.slow
@pytest.mark.skipif(not PRESENT, reason=ABSENT)
def test_score_against_warcio_check() -> None:
    """Files judged right, preserve against warcio check in the same run (the ARC files
    are left out: they are no WARCs, and warcio reads ARC). docs/benchmarks.md quotes
    the figures this prints."""
    warcs = [n for n in suite_files() if not TABLE[n].get("arc")]
    ours = theirs = 0
    for name in warcs:
        good = TABLE[name]["verdict"] == "pass"
        ours += verify_files([ROOT / name]).ok == good
        theirs += (warcio_check(ROOT / name) == 0) == good
    print(f"judged right: preserve {ours} of {len(warcs)}, warcio check {theirs} of "
          f"{len(warcs)}")
    assert ours == len(warcs)
    assert theirs < ours  # warcio check misses repeated fields, segments, empty values


class _Site(BaseHTTPRequestHandler):
    def do_GET(self) -> None:
        body = b"<html><head><title>Recorded</title></head><body>" + b"x" * 3000 + b"</body>"
        self.send_response(200)
        self.send_header("Content-Type", "text/html; charset=utf-8")
        self.send_header("Content-Length", str(len(body)))
        self.end_headers()
        self.wfile.write(body)

    def log_message(self, *args: object) -> None:
        pass


@pytest.fixture()
def site() -> Iterator[str]:
    with serve_http(_Site) as url:
        yield url


@pytest.mark.slow
def test_a_warc_written_by_pywbs_recorder_passes(site: str, tmp_path: Path) -> None:
    """pywb in record mode (`wayback --record --live`) fetches two pages of a server on
    127.0.0.1 through its recorder, which writes the WARC; verify finds nothing."""
    if not (WAYBACK.exists() and WB_MANAGER.exists()):
        pytest.skip("pywb is not installed in this environment")
    subprocess.run([str(WB_MANAGER), "init", COLL], cwd=tmp_path, capture_output=True,
                   timeout=60, check=True)
    proc = None
    with requests.Session() as session:
        for _attempt in range(3):
            port = _free_port()
            base = f"http://127.0.0.1:{port}"
            proc = subprocess.Popen([str(WAYBACK), "--bind", "127.0.0.1", "--port", str(port),
                                     "--record", "--live"], cwd=tmp_path,
                                    stdin=subprocess.DEVNULL, stdout=subprocess.DEVNULL,
                                    stderr=subprocess.DEVNULL)
            if _wait_until_serving(proc, base, session):
                break
            _stop(proc)
            proc = None
        assert proc is not None, "wayback did not start"
        try:
            for page in ("a.html", "b.html"):
                got = session.get(f"{base}/{COLL}/record/mp_/{site}{page}", timeout=30)
                assert got.status_code == 200 and b"Recorded" in got.content
        finally:
            _stop(proc)
    warcs = sorted((tmp_path / "collections" / COLL / "archive").glob("*.warc.gz"))
    assert warcs
    report = verify_files(warcs)
    assert report.findings == [], [f.to_dict() for f in report.findings]
    assert sum(f.records for f in report.files) >= 4  # a response and a request per page
