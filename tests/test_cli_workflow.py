"""The whole workflow a new user follows, on the bundled test site, through the command
line: init, crawl, normalise, verify, audit, recrawl, diff and export, with verify and
audit run after every step that changes the collection, each exit status asserted."""

from __future__ import annotations

import json
import subprocess
from pathlib import Path

import pytest

from helpers_crawl import cli
from testsite import TestSite

pytestmark = pytest.mark.slow  # the whole workflow through the CLI


def _ok(done: subprocess.CompletedProcess[str], step: str) -> None:
    assert done.returncode == 0, f"{step}: exit {done.returncode}\n{done.stdout}{done.stderr}"


def _verified(coll: Path, step: str) -> None:
    """verify and audit both pass, and agree on the files there are."""
    done = cli("verify", coll, "--json", timeout=120)
    _ok(done, f"verify after {step}")
    audit = cli("audit", coll, "--json", timeout=120)
    _ok(audit, f"audit after {step}")
    verified = {f["file"] for f in json.loads(done.stdout)["files"]}
    audited = {e["path"] for e in json.loads(audit.stdout)}
    assert verified == audited, f"{step}: verify and audit disagree"


def test_init_crawl_normalise_verify_audit_recrawl_diff_export(tmp_path: Path) -> None:
    coll = tmp_path / "coll"
    with TestSite(articles=4) as site:
        _ok(cli("init", coll, "--seed", site.url, "--title", "Workflow"), "init")
        _ok(cli("crawl", coll, "--delay", "0", timeout=120), "crawl")
        _verified(coll, "crawl")
        _ok(cli("normalise", coll, timeout=120), "normalise")
        _verified(coll, "normalise")
        articles = site.site.articles
        site.site.edit_article(articles[1].number, "An edited first paragraph.\n\nMore.")
        site.site.remove_article(articles[3].number)
        site.site.add_article()
        _ok(cli("crawl", coll, "--delay", "0", timeout=120), "recrawl")
    _verified(coll, "recrawl")
    diff = cli("diff", coll, "--from", "1", "--json")
    _ok(diff, "diff")
    counts = json.loads(diff.stdout)["counts"]
    assert counts["new"] >= 1 and counts["changed"] >= 1 and counts["gone"] >= 1
    _ok(cli("normalise", coll, timeout=120), "normalise after the recrawl")
    _verified(coll, "normalise after the recrawl")
    out = tmp_path / "out"
    out.mkdir()
    for fmt, dest in (("bagit", out / "bag"), ("wacz", out / "c.wacz"), ("ocfl", out / "o")):
        _ok(cli("export", coll, "--format", fmt, "-o", dest, timeout=120), f"export {fmt}")
        assert dest.exists()
    _verified(coll, "export")
