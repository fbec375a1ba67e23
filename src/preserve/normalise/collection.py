"""Normalise a collection: its WARCs' HTML captures to ``normalised/articles.jsonl``.

1. The closed WARCs not normalised before are read once. Their pages are found through
   the CDXJ index (``spots``: each page's gzip member read by seeking to it, images and
   other payloads never inflated), or, where the index is stale, by reading every record.
   Each page is decoded and parsed once: its blocks count towards its host's template
   (``boilerplate``; cut along the content scorer's walk of the tree, ``native``, not
   by a walk of their own), the first capture of each payload is noted (to resolve revisits),
   and what extraction reads from the tree (``extract.read_parts``) is spooled to an
   unnamed temporary file in ``normalised/``, so memory stays flat.
2. The spool is read back; each capture becomes an Article (``extract.finish_article``)
   with the site's template blocks removed from its body, its provenance (WARC file,
   offset, length, record id, capture time, payload digest) and, when its body was seen
   before, the id of that first article in ``duplicate_of``. A revisit is extracted
   from its original's payload, read then.
3. ``articles.jsonl`` is replaced atomically: the lines of earlier runs, then the new
   ones; ``sites.jsonl`` (pages per host and site notes) likewise; then the state is
   committed. Running again with no new WARC changes nothing.
4. The search index (``normalised/search.sqlite3``) is brought in step with
   ``articles.jsonl``: the pages of the WARCs just done are added (searchindex.py), as
   pass 2 spooled their rows beside writing their lines (not parsed again).

Memory stays flat: records are streamed, and everything remembered is in SQLite or the
spool.
"""

from __future__ import annotations

import hashlib
import json
import pickle
import sqlite3
import tempfile
from collections.abc import Callable, Iterator
from dataclasses import dataclass, replace
from pathlib import Path
from typing import IO, Any
from urllib.parse import urlsplit

from lxml import etree

from ..atomic import atomic_write
from ..collection import Collection
from ..errors import CollectionError, StorageError
from ..store.events import EventLog
from ..units import plural
from ..web.html import decode_html, http_charset, parse_html
from .article import PAGE_TYPES, Article, Provenance
from .blocks import PathBlocks
from .boilerplate import (
    PageBlock,
    block_filter,
    is_note,
    keyed_blocks,
    page_blocks,
    threshold,
)
from .components import check_components
from .extract import (
    ArticleParts,
    ParsedPage,
    extract_article,
    finish_article,
    parse_page,
    read_parts,
)
from .records import Capture, IndexMismatch, captures_at, iter_captures, read_payload_at
from .searchindex import NewPages, docs_row, update_search_index
from .spots import PageSpots
from .state import NormaliseState

__all__ = ["normalise_collection", "NormaliseSummary", "article_id"]
ProgressCallback = Callable[[str, int], None]
# What pass 1 keeps of a capture: parts to finish, an Article already final (not a page
# extraction can read), or None for a revisit (extracted in pass 2 from its original).
_Kept = ArticleParts | Article | None


@dataclass(frozen=True)
class NormaliseSummary:
    warcs: int  # WARC files normalised by this run
    skipped_warcs: int  # already normalised before
    pages: int  # captures normalised by this run
    articles: int
    listings: int
    other: int
    duplicates: int
    with_problems: int
    total_lines: int  # lines of articles.jsonl after the run
    output: Path
    static_pages: int = 0  # page_type "page"

    def to_dict(self) -> dict[str, Any]:
        return {k: (str(v) if isinstance(v, Path) else v) for k, v in self.__dict__.items()}


def article_id(url: str, capture_time: str) -> str:
    """Stable id of one capture: 16 hex digits of SHA-256 over the URL, a space, the time."""
    return hashlib.sha256(f"{url} {capture_time}".encode()).hexdigest()[:16]


def _sha256(path: Path) -> str:
    # Not store.warc's sha256_file: that module brings in the WARC writer and warcio,
    # which normalise does not otherwise import (start-up counts in its rate).
    with path.open("rb") as f:
        return hashlib.file_digest(f, "sha256").hexdigest()


def _host(url: str) -> str:
    return (urlsplit(url).hostname or "").lower()


def _parse(text: str) -> etree._Element | None:
    """The page as ``extract`` parses it (the same parser, so the same blocks)."""
    try:
        return parse_html(text)[0]
    except (etree.ParserError, ValueError):
        return None


def _duplicate_key(article: Article, body_hash: str) -> str:
    """Duplicates compare like with like. A listing is a duplicate only of the same
    listing (its canonical URL, else its URL) with the same teasers, captured again: two
    archives listing the same single post are still two listings. Other pages keep the
    bare body hash, as collections normalised before listings were told apart stored it."""
    if article.page_type == "listing":
        return f"listing {article.canonical_url or article.url} {body_hash}"
    return body_hash


def _learn(state: NormaliseState, spool: IO[bytes], captures: Iterator[Capture]) -> int:
    """Pass 1 over one WARC's captures: payload origins, per-host block counts and site
    notes, and each capture with what extraction read from it, spooled. Returns how many
    captures were spooled."""
    count = 0
    for cap in captures:
        kept: _Kept = None
        if not cap.is_revisit:
            charset = http_charset(cap.content_type)
            page = parse_page(cap.payload, cap.url, http_charset=charset)
            # A payload seen before says nothing new about the template.
            learn = not cap.payload_digest or state.add_payload(
                cap.payload_digest, cap.warc_file, cap.offset, cap.record_id, cap.url)
            # The template is learnt from the whole payload decoded; extraction's tree is
            # that one unless extraction cut the page or took NULs out, and then its
            # blocks are cut along the content scorer's walk of the tree.
            whole = PathBlocks() if (learn and isinstance(page, ParsedPage)
                                     and page.whole) else None
            if isinstance(page, Article):
                kept = page
            else:
                kept = read_parts(page, cap.url, whole_page=whole)
            if learn:
                if whole is not None and whole.done and not whole.broken:
                    blocks: dict[str, PageBlock] | None = keyed_blocks(whole.found)
                else:
                    doc = (page.doc if isinstance(page, ParsedPage) and page.whole
                           else _parse(decode_html(cap.payload, charset).text))
                    blocks = page_blocks(doc) if doc is not None else None
                if blocks is not None:
                    _count_blocks(state, cap.url, blocks)
        pickle.dump((replace(cap, payload=b""), kept), spool, pickle.HIGHEST_PROTOCOL)
        count += 1
    return count


def _count_blocks(state: NormaliseState, url: str, blocks: dict[str, PageBlock]) -> None:
    host = _host(url)
    state.count_page(host, blocks)
    for b in blocks.values():
        if is_note(b):
            state.add_note(host, b.key, b.text, url)


def _learn_warc(state: NormaliseState, spool: IO[bytes], path: Path,
                spots: PageSpots) -> int:
    """Pass 1 over the WARC at ``path``: through the index where it holds, else whole."""
    found = spots.for_warc(path)
    if found is not None:
        mark = spool.tell()
        state.savepoint()
        try:
            count = _learn(state, spool, captures_at(path, found))
        except IndexMismatch:
            state.rollback_to()
            spool.seek(mark)
            spool.truncate()
        else:
            state.release()
            return count
    return _learn(state, spool, iter_captures(path))


def _spooled(spool: IO[bytes]) -> Iterator[Any]:
    """What was pickled to ``spool``, from its start."""
    spool.seek(0)
    load = pickle.load
    while True:
        try:
            item = load(spool)
        except EOFError:
            return
        yield item


def _original(state: NormaliseState, coll: Collection, cap: Capture) -> tuple[
        bytes, str, dict[str, Any] | None, list[str]]:
    """The payload of a revisit's original capture, where it is, or why there is none."""
    original = state.payload(cap.payload_digest) if cap.payload_digest else None
    if original is None:
        return b"", cap.content_type, None, [
            "revisit: original capture not found in the collection"]
    warc, offset, record_id, url = original
    payload, ctype = read_payload_at(coll.warcs / warc, offset)
    return payload, ctype or cap.content_type, {
        "warc_file": warc, "offset": offset, "record_id": record_id, "url": url}, []


class _Template:
    """Which blocks are a host's template: the keys found on enough of its pages, asked
    of the state in one query per host (pass 2 changes no count). The sets of the hosts
    met last are kept, up to ``HOSTS`` hosts and ``KEYS`` keys in all, as a crawl of
    many hosts at once interleaves their pages; a host's template is a few times the
    blocks of one of its pages at most (each is on 30% of them or more), so memory stays
    bounded."""

    HOSTS = 256
    KEYS = 200_000

    def __init__(self, state: NormaliseState) -> None:
        self.state = state
        self.known: dict[str, set[str]] = {}  # the most recent last
        self.held = 0

    def of(self, host: str) -> Callable[[str], bool]:
        keys = self.known.pop(host, None)
        if keys is None:
            keys = self.state.template_keys(host, threshold(self.state.host_pages(host)))
            self.held += len(keys)
            while self.known and (len(self.known) >= self.HOSTS or self.held > self.KEYS):
                self.held -= len(self.known.pop(next(iter(self.known))))
        self.known[host] = keys
        return keys.__contains__


def _normalise(state: NormaliseState, coll: Collection, cap: Capture, kept: _Kept,
               templates: _Template) -> Article:
    template = templates.of(_host(cap.url))
    revisit_of: dict[str, Any] | None = None
    problems: list[str] = []
    if isinstance(kept, Article):
        article = kept
    elif kept is not None:
        article = finish_article(kept, block_filter(template))
    else:
        payload, ctype, revisit_of, problems = _original(state, coll, cap)
        article = extract_article(payload, cap.url, http_charset=http_charset(ctype),
                                  block_filter=block_filter(template))
    ident = article_id(cap.url, cap.date)
    duplicate = None
    if article.body_hash:
        duplicate = state.first_body(_duplicate_key(article, article.body_hash), ident,
                                     cap.url)
    return replace(
        article,
        id=ident,
        duplicate_of=duplicate,
        problems=(*problems, *article.problems),
        provenance=Provenance(cap.warc_file, cap.offset, cap.length, cap.record_id, cap.date,
                              cap.payload_digest, revisit_of),
    )


def _earlier_lines(path: Path, redo: set[str]) -> Iterator[str]:
    """Lines of the previous articles.jsonl, less those of WARCs being normalised again
    (left by a run that died after writing its output but before committing)."""
    if not path.is_file():
        return
    with path.open("rb") as f:
        for raw in f:
            try:
                line = raw.decode("utf-8")
                obj = json.loads(line)
            except (ValueError, RecursionError):  # damaged: not UTF-8, not JSON, too deep
                continue
            if not isinstance(obj, dict):
                continue
            prov = obj.get("provenance")
            prov = prov if isinstance(prov, dict) else {}
            if prov.get("warc_file") not in redo:
                yield line if line.endswith("\n") else line + "\n"


def _write_sites(state: NormaliseState, out: IO[str]) -> None:
    for host, pages in state.hosts():
        notes = [text for key, text in state.notes(host)
                 if state.block_pages(host, key) >= threshold(pages)]
        out.write(json.dumps({"host": host, "pages": pages, "notes": notes},
                             ensure_ascii=False) + "\n")


def normalise_collection(
    coll: Collection, *, on_progress: ProgressCallback | None = None
) -> NormaliseSummary:
    """Normalise the closed WARCs of ``coll`` not normalised before (docs/normalise.md).

    Raises WarcFormatError for a WARC that cannot be read, and ComponentMissing when
    trafilatura or what it needs cannot be imported; nothing is written then."""
    check_components()
    out_dir = coll.normalised
    try:
        out_dir.mkdir(parents=True, exist_ok=True)
        # The search index's rows of the pages written, spooled for step 4.
        rows = tempfile.TemporaryFile(dir=out_dir, prefix=".rows-")
    except OSError as e:
        raise StorageError(f"cannot write ({e.strerror})", out_dir) from e
    with rows:
        try:
            state = NormaliseState(coll.normalise_state_path)
            try:
                summary, redo = _run(coll, state, rows, on_progress)
                done = state.done_warcs()
            finally:
                state.close()
        except sqlite3.DatabaseError as e:
            raise CollectionError(f"normalisation state unreadable ({e}); remove "
                                  f"{Collection.NORMALISED_DIR}/ to normalise from "
                                  "scratch", out_dir) from e
        except OSError as e:
            raise StorageError(f"cannot write ({e.strerror})", out_dir) from e
        # 4. The search index follows articles.jsonl (normalise/searchindex.py).
        update_search_index(coll.search_index_path, coll.articles_path, done,
                            NewPages(redo, lambda: _spooled(rows)))
    return summary


def _run(coll: Collection, state: NormaliseState, rows: IO[bytes],
         on_progress: ProgressCallback | None) -> tuple[NormaliseSummary, frozenset[str]]:
    """Passes 1 and 2; the summary, and the names of the WARC files normalised."""
    output = coll.articles_path
    done = state.done_warcs()
    warcs = [p for p in coll.closed_warcs() if p.name not in done]
    if not warcs:
        total = sum(1 for _ in _earlier_lines(output, set()))
        return NormaliseSummary(0, len(done), 0, 0, 0, 0, 0, 0, total, output), frozenset()
    with tempfile.TemporaryFile(dir=coll.normalised, prefix=".spool-") as spool:
        spots = PageSpots(coll.index_path, warcs)
        try:
            captures = []
            for path in warcs:
                if on_progress:
                    on_progress(f"learning {path.name}", 0)
                captures.append(_learn_warc(state, spool, path, spots))
        finally:
            spots.close()
        summary = _write(coll, state, warcs, captures, _spooled(spool), rows, done,
                         on_progress)
        return summary, frozenset(p.name for p in warcs)


def _write(coll: Collection, state: NormaliseState, warcs: list[Path], captures: list[int],
           spooled: Iterator[tuple[Capture, _Kept]], rows: IO[bytes], done: set[str],
           on_progress: ProgressCallback | None) -> NormaliseSummary:
    """Pass 2: the spooled captures as articles (and their search index rows to
    ``rows``), then sites.jsonl and the state."""
    output = coll.articles_path
    counts = dict.fromkeys(PAGE_TYPES, 0)
    pages = duplicates = problems = total = 0
    redo = {p.name for p in warcs}
    templates = _Template(state)
    with atomic_write(output, "w", encoding="utf-8") as f:
        for line in _earlier_lines(output, redo):
            f.write(line)
            total += 1
        for path, n in zip(warcs, captures, strict=True):
            made = 0
            for _ in range(n):
                cap, kept = next(spooled)
                article = _normalise(state, coll, cap, kept, templates)
                obj = article.to_dict()
                f.write(json.dumps(obj, ensure_ascii=False) + "\n")
                row = docs_row(obj)
                if row is not None:
                    pickle.dump(row, rows, pickle.HIGHEST_PROTOCOL)
                made += 1
                counts[article.page_type] += 1
                duplicates += article.duplicate_of is not None
                problems += bool(article.problems)
                if on_progress:
                    on_progress(path.name, made)
            pages += made
            total += made
            state.mark_done(path.name, path.stat().st_size, made)
    with atomic_write(coll.sites_path, "w", encoding="utf-8") as f:
        _write_sites(state, f)
    state.commit()
    summary = NormaliseSummary(len(warcs), len(done), pages, counts["article"],
                               counts["listing"], counts["other"], duplicates, problems,
                               total, output, static_pages=counts["page"])
    EventLog(coll.events_path).append(
        "articles normalised", outcome="warning" if problems else "success",
        detail=f"{plural(pages, 'page')} of {plural(len(warcs), 'WARC file')} normalised"
               + (f"; {problems} with problems" if problems else ""),
        obj=Collection.ARTICLES_REL,
        data={**summary.to_dict(), "output": Collection.ARTICLES_REL,
              "warc_files": [p.name for p in warcs],
              # What verify checks the output against (docs/verify.md).
              "sha256": {coll.rel(p): _sha256(p)
                         for p in (coll.articles_path, coll.sites_path)}})
    return summary
