"""What an export packages: the collection's files, each with the digests it must have.

The closed WARCs are checked against every ``fixity/manifest-<algorithm>.txt``; the
collection's own files (preserve.toml, events.jsonl, the manifests, the derived indexes
and pages, normalised output) have no fixity record to compare with, so they are only
hashed as they are copied (docs/export.md). Every path is checked to be a regular file
inside the collection (``confined.py``) before anything is written.
"""

from __future__ import annotations

import hashlib
import os
from dataclasses import dataclass, field
from pathlib import Path

from ..collection import Collection
from ..errors import ExportError, FixityMismatch
from ..store import cdxj
from .confined import Identity, lstat_inside, open_regular, rel_problem

__all__ = ["Source", "collect_sources", "read_manifests"]


@dataclass(frozen=True)
class Source:
    """One file of the collection, by its path relative to the collection root."""

    relpath: str
    path: Path
    size: int
    expected: dict[str, str] = field(default_factory=dict)  # algorithm -> lower-case hex
    mtime: float = 0.0
    identity: Identity | None = None  # (device, inode) when chosen: the file opened must be it

    @property
    def is_warc(self) -> bool:
        return Collection.is_warc_rel(self.relpath)


def read_manifests(coll: Collection) -> dict[str, dict[str, str]]:
    """algorithm -> {relative path: hex digest}, from every fixity/manifest-*.txt.

    A line cut short by a crash (no newline) is ignored, as the crawler ignores it.
    """
    result: dict[str, dict[str, str]] = {}
    for manifest in coll.manifests():
        algorithm = manifest.name.removeprefix("manifest-").removesuffix(".txt").lower()
        if algorithm not in hashlib.algorithms_available:
            continue
        entries: dict[str, str] = {}
        try:
            st = lstat_inside(coll.root, coll.rel(manifest))
            with open(open_regular(manifest, (st.st_dev, st.st_ino)), "rb") as f:
                text = f.read().decode("utf-8")
        except (OSError, UnicodeDecodeError) as e:
            raise ExportError(f"cannot read the fixity manifest ({e})", manifest) from e
        for line in text.splitlines(keepends=True):
            if not line.endswith("\n"):
                continue
            digest, sep, rel = line.rstrip("\n").partition("  ")
            if not sep:
                digest, sep, rel = line.rstrip("\n").partition(" *")
            if sep:
                problem = rel_problem(rel)
                if problem is not None:
                    raise ExportError(
                        f"lists {rel!r}, {problem}, not a file inside the collection; "
                        "nothing was exported (correct or remove that line)", manifest)
                entries[rel] = digest.lower()
        result[algorithm] = entries
    return result


def _source(coll: Collection, rel: str, expected: dict[str, str] | None = None) -> Source:
    path = coll.root / rel
    try:
        st = lstat_inside(coll.root, rel)
    except FileNotFoundError:
        if expected:
            algorithm, digest = next(iter(expected.items()))
            raise FixityMismatch(rel, algorithm, digest, None) from None
        raise ExportError("missing from the collection", path) from None
    except NotADirectoryError as e:
        raise ExportError(f"cannot read ({e.strerror})", path) from e
    return Source(rel, path, st.st_size, expected or {}, st.st_mtime, (st.st_dev, st.st_ino))


def collect_sources(coll: Collection, *, include_normalised: bool = False) -> list[Source]:
    """Every file to package, WARCs first, in a stable order.

    Raises FixityMismatch for a closed WARC that no manifest lists or a listed WARC that
    is missing, before anything is written.
    """
    manifests = read_manifests(coll)
    if "sha256" not in manifests:
        raise ExportError("no fixity manifest; a collection made by `preserve crawl` "
                          "has one", coll.manifest_path)
    listed: dict[str, dict[str, str]] = {}
    for algorithm, entries in manifests.items():
        for rel, digest in entries.items():
            listed.setdefault(rel, {})[algorithm] = digest
    warcs = {Collection.warc_rel(p.name) for p in coll.closed_warcs()}
    for rel in sorted(warcs):
        lstat_inside(coll.root, rel)  # a link or a FIFO among the WARCs: refused by name
    unlisted = sorted(warcs - set(listed))
    if unlisted:
        raise FixityMismatch(unlisted[0], "sha256", None, "")
    sources = [_source(coll, rel, listed[rel]) for rel in sorted(listed)]
    own = [Collection.CONFIG_REL, Collection.EVENTS_REL, *map(coll.rel, coll.manifests()),
           Collection.INDEX_REL, Collection.PAGES_REL]
    for rel in own:
        if rel not in listed and os.path.lexists(coll.root / rel):
            sources.append(_source(coll, rel))
    if include_normalised:
        if not os.path.lexists(coll.articles_path):
            raise ExportError("no normalised output; run `preserve normalise` first",
                              coll.articles_path)
        sources.append(_source(coll, Collection.ARTICLES_REL))
    for source in sources:
        if source.relpath == Collection.INDEX_REL:
            check_index(source)
    return sources


def check_index(source: Source) -> None:
    """Refuse an index with a line whose ``filename`` is not the name of a file in
    ``warcs/`` (an absolute path, ``..``, a sub-directory): packaged, it would point a
    replay tool outside the package's WARCs. Damaged lines are left to `preserve verify`.
    """
    found: list[tuple[int, cdxj.FilenameOutside]] = []

    def skipped(lineno: int, error: ValueError) -> None:
        if isinstance(error, cdxj.FilenameOutside) and not found:
            found.append((lineno, error))

    with open(open_regular(source.path, source.identity), "rb") as f:
        for _entry in cdxj.entries(f, skipped=skipped):
            if found:
                break
    if found:
        lineno, error = found[0]
        raise ExportError(f"line {lineno}: {error}; rebuild the index with `preserve index` "
                          "and export again", source.path)
