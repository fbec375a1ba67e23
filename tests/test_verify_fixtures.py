"""The WARC corpus in fixtures/warc/: each file verifies as its NAME.json expects.

A new WARC with its expectation is a new test. The valid ones include a WARC written by
wget (scripts/make_warc_fixtures.py --wget); a fresh wget WARC of the test site is also
recorded and verified here, so a newer wget is covered too.
"""

from __future__ import annotations

import json
import shutil
import subprocess
from pathlib import Path

import pytest

from helpers_crawl import cli
from preserve.verify import verify_files
from testsite import TestSite

CORPUS = Path(__file__).resolve().parent.parent / "fixtures" / "warc"
WARCS = sorted(p for p in CORPUS.iterdir() if not p.name.endswith(".json"))


def expectation(path: Path) -> dict[str, object]:
    data: dict[str, object] = json.loads(path.with_name(path.name + ".json").read_text())
    return data


def test_corpus_is_complete() -> None:
    assert len(WARCS) >= 15
    for p in CORPUS.iterdir():
        if p.name.endswith(".json"):
            assert p.with_name(p.name.removesuffix(".json")).exists(), p.name
        else:
            assert p.with_name(p.name + ".json").exists(), f"{p.name} has no expectation"


@pytest.mark.parametrize("path", WARCS, ids=lambda p: p.name)
def test_fixture_findings(path: Path) -> None:
    want = expectation(path)
    report = verify_files([path])
    codes = sorted({f.code for f in report.findings})
    assert set(want["codes"]) <= set(codes), [f.to_dict() for f in report.findings]  # type: ignore[arg-type]
    assert report.ok == (want["exit"] == 0), [f.to_dict() for f in report.findings]
    for f in report.findings:
        assert f.file == str(path)
    if want["exit"] == 0:
        assert codes == sorted(want["codes"])  # type: ignore[arg-type]
    else:  # the named problem has its offset
        named = [f for f in report.findings if f.code in want["codes"]]  # type: ignore[operator]
        assert all(f.offset is not None for f in named)


@pytest.mark.slow
@pytest.mark.parametrize("path", WARCS, ids=lambda p: p.name)
def test_fixture_exit_status(path: Path) -> None:
    result = cli("verify", "--json", path)
    assert result.returncode == expectation(path)["exit"], result.stdout + result.stderr
    report = json.loads(result.stdout)
    assert report["ok"] == (result.returncode == 0)


def test_all_fixtures_at_once_on_two_cores() -> None:
    one = verify_files(WARCS, jobs=1)
    two = verify_files(WARCS, jobs=2)
    assert sorted(f.to_dict().items().__repr__() for f in one.findings) == sorted(
        f.to_dict().items().__repr__() for f in two.findings)
    assert not one.ok


@pytest.mark.slow
@pytest.mark.skipif(shutil.which("wget") is None, reason="wget is not installed")
def test_a_fresh_wget_warc_of_the_test_site_verifies_clean(shared_site: TestSite,
                                                           tmp_path: Path) -> None:
    subprocess.run(["wget", "-r", "-l", "1", "-p", "--no-verbose", "--warc-file=site",
                    "-e", "robots=on", "-P", "mirror", shared_site.url + "news/"],
                   cwd=tmp_path, capture_output=True, timeout=120, check=False)
    warc = tmp_path / "site.warc.gz"
    assert warc.stat().st_size > 10_000
    report = verify_files([warc])
    assert report.findings == [] and report.files[0].records > 10
    assert cli("verify", warc).returncode == 0


def test_warcio_check_passes_a_truncated_file_that_verify_catches(tmp_path: Path) -> None:
    """warcio #138: a file cut inside its last gzip member passes `warcio check`."""
    from helpers_crawl import tool

    cut = tmp_path / "cut.warc.gz"
    cut.write_bytes((CORPUS / "truncated-gzip-member.warc.gz").read_bytes())
    assert tool("warcio", "check", cut).returncode == 0
    assert cli("verify", cut).returncode == 1


def test_progress_reaches_the_total_bytes(tmp_path: Path) -> None:
    seen: list[tuple[int, int]] = []
    one = verify_files(WARCS, on_progress=lambda done, total: seen.append((done, total)))
    total = sum(p.stat().st_size for p in WARCS)
    assert seen and seen[-1] == (total, total) and one.bytes_read == total
    assert [d for d, _ in seen] == sorted(d for d, _ in seen)
