"""Fuzzing `preserve verify` on a collection whose text files were damaged by hand: a line of
the CDXJ index, pages.jsonl, events.jsonl, the fixity manifest or preserve.toml replaced or
joined by arbitrary text (JSON nested past the interpreter's recursion limit among it).

Property: verify_collection returns a report (the damage among its findings) or raises a
documented PreserveError (an unreadable preserve.toml is a ConfigError), never anything
else; audit_collection, which reads the event log, then lists the files.
"""

from __future__ import annotations

import shutil
import tempfile
from collections.abc import Iterator
from pathlib import Path

import pytest
from hypothesis import example, given
from hypothesis import strategies as st

from helpers_crawl import crawl
from helpers_fuzz import FUZZ
from preserve.collection import Collection
from preserve.errors import PreserveError
from preserve.verify import Report, audit_collection, verify_collection
from testsite import TestSite

FILES = ["indexes/index.cdxj", "pages/pages.jsonl", "events.jsonl",
         "fixity/manifest-sha256.txt", "preserve.toml"]
DEEP = "[" * 100_000


@pytest.fixture(scope="module")
def crawled(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Path]:
    root = tmp_path_factory.mktemp("fuzz") / "coll"
    with TestSite(articles=2) as site:
        crawl(root, (site.url,), max_depth=2)
    yield root


def _line(original: str) -> st.SearchStrategy[str]:
    return st.one_of(
        st.text(max_size=120),
        st.sampled_from([DEEP, "{}", "[]", "null", '{"url": 1, "ts": []}', "k 1 " + DEEP,
                         "org,x)/ 20240101000000 " + DEEP, f"{'0' * 64}  ../x",
                         f"{'0' * 64}  warcs/", "\x00", "\ufeff", "\udcff{}"]),
        st.integers(0, max(0, len(original) - 1)).map(lambda i: original[:i]),
        st.tuples(st.integers(0, len(original)), st.text(max_size=8))
        .map(lambda t: original[:t[0]] + t[1] + original[t[0]:]))


@pytest.mark.slow
@FUZZ
@given(data=st.data(), name=st.sampled_from(FILES), replace=st.booleans())
@example(data=None, name="indexes/index.cdxj", replace=True)
@example(data=None, name="pages/pages.jsonl", replace=True)
@example(data=None, name="events.jsonl", replace=False)
def test_verify_on_damaged_text_files_never_raises(crawled: Path, data: st.DataObject | None,
                                                   name: str, replace: bool) -> None:
    with tempfile.TemporaryDirectory() as tmp:
        root = Path(tmp) / "coll"
        shutil.copytree(crawled, root)
        path = root / name
        lines = path.read_text(encoding="utf-8").splitlines(keepends=True)
        if data is None:  # the regression examples: JSON nested too deep for json.loads
            at, new = len(lines) - 1, ("org,x)/ 20240101000000 " if name.endswith("cdxj")
                                       else "") + DEEP
        else:
            at = data.draw(st.integers(0, max(0, len(lines) - 1)), label="line")
            new = data.draw(_line(lines[at] if lines else ""), label="text")
        lines[at:at + int(replace)] = [new + "\n"]
        # surrogateescape: "\udcff" is written as the byte 0xff, a line that is not UTF-8
        path.write_text("".join(lines), encoding="utf-8", errors="surrogateescape")
        try:
            report = verify_collection(Collection.open(root))
        except PreserveError as e:
            assert str(e)
            return
        assert isinstance(report, Report)
        assert isinstance(audit_collection(Collection.open(root)), list)


@pytest.mark.parametrize(("name", "line"), [
    ("events.jsonl", "[]"), ("events.jsonl", "1"), ("events.jsonl", "\udcff{}"),
    ("events.jsonl", DEEP), ("fixity/manifest-sha256.txt", f"{'0' * 64}  warcs/\udcff"),
], ids=["event-list", "event-number", "event-not-utf8", "event-deep", "manifest-not-utf8"])
def test_a_damaged_line_is_a_finding_and_audit_skips_it(crawled: Path, tmp_path: Path,
                                                        name: str, line: str) -> None:
    """Found by the fuzz test above: such lines crashed audit_collection (AttributeError,
    UnicodeDecodeError, RecursionError in store.events and store.fixity)."""
    root = tmp_path / "coll"
    shutil.copytree(crawled, root)
    with open(root / name, "a", encoding="utf-8", errors="surrogateescape") as f:
        f.write(line + "\n")
    report = verify_collection(Collection.open(root))
    assert {f.file for f in report.findings} & {name, "warcs/\udcff"}, \
        [f.to_dict() for f in report.findings]
    assert name in {e.path for e in audit_collection(Collection.open(root))}
