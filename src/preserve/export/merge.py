"""``preserve merge``: the closed WARCs of several collections copied into one, verified.

Each source is held against crawls (its lock, shared if it is read-only) and its WARCs
are read once each through ``copy.VerifiedReader``, so a file that differs from its
source's fixity manifest stops the merge. Everything is staged first: a new DEST is
built as a whole beside its path and renamed into place; for an existing DEST the
copies wait in ``state/merge/`` (working data) until every one has passed, and only
then are they moved into ``warcs/``, each given its manifest line and ``file closed``
event. A file whose SHA-256 DEST already holds is not copied again (merging twice
changes nothing); a name DEST holds with other content gets the first 12 hex digits of
the file's SHA-256 before ``.warc.gz``. The index and pages list are then rebuilt from
every WARC of DEST, as ``preserve index`` does, and the sources' crawls are recorded in
DEST's crawl registry (export/mergecrawls.py; docs/merge.md).
"""

from __future__ import annotations

import contextlib
import errno
import os
import shutil
import tempfile
from collections.abc import Callable, Iterator, Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from ..atomic import fsync_dir
from ..collection import Collection
from ..errors import CollectionError, ExportError, FixityMismatch
from ..store.events import EventLog
from ..store.fixity import FixityManifest
from ..store.indexer import build_indexes
from ..store.warc import sha256_file
from .confined import lstat_inside, open_regular
from .copy import copy_to_file
from .lock import export_lock
from .mergecrawls import import_crawls
from .sources import Source, collect_sources

__all__ = ["MergeFixityMismatch", "MergeSummary", "merge_collections"]

Progress = Callable[[int, int], None]  # bytes copied so far, bytes to copy
Placed = dict[tuple[Path, str], str]  # (source root, WARC name there) -> its name in DEST
SUFFIX = ".warc.gz"


class MergeFixityMismatch(FixityMismatch):
    """A source's WARC is not what its fixity manifest says: nothing was merged."""

    def __init__(self, source: Path, e: FixityMismatch) -> None:
        super().__init__(e.path, e.algorithm, e.expected, e.found)
        if e.found is None:
            why = "is listed in the fixity manifest but missing"
        elif e.expected is None:
            why = "has no line in the fixity manifest, so it cannot be checked"
        else:
            why = f"{e.algorithm} is {e.found}, but the fixity manifest says {e.expected}"
        self.source = source
        self.args = (f"{source / e.path}: {why}; nothing was merged (run "
                     f"`preserve verify {source}`)",)


@dataclass(frozen=True)
class _Planned:
    source: Path  # the source collection's root
    file: Source  # the WARC in it, with the digests its manifest gives
    name: str  # its name in DEST
    sha256: str
    present: bool = False  # already in DEST's warcs/ but unlisted (a merge killed there)


@dataclass
class MergeSummary:
    """What a merge did: figures for people and for ``--json``."""

    dest: str
    created: bool
    sources: list[str]
    merged: list[dict[str, Any]] = field(default_factory=list)  # name, source, file, ...
    duplicates: int = 0  # WARCs whose content DEST already held (or another source gave)
    renamed: int = 0
    bytes: int = 0
    open_skipped: int = 0  # files still being written (`.open`) in a source: not merged
    records: int = 0  # index lines after the rebuild
    pages: int = 0

    def to_dict(self) -> dict[str, Any]:
        return {"dest": self.dest, "created": self.created, "sources": self.sources,
                "files": len(self.merged), "duplicates": self.duplicates,
                "renamed": self.renamed, "bytes": self.bytes,
                "open_skipped": self.open_skipped, "records": self.records,
                "pages": self.pages, "merged": self.merged}


def _same(a: Path, b: Path) -> bool:
    try:
        return a.resolve() == b.resolve() or (a.exists() and b.exists() and a.samefile(b))
    except OSError:
        return False


def _inside(a: Path, b: Path) -> bool:
    return a.resolve().is_relative_to(b.resolve())


def _check_paths(dest: Path, sources: Sequence[Path]) -> None:
    if not sources:
        raise ExportError("give at least one source collection to merge")
    for i, src in enumerate(sources):
        if _same(src, dest):
            raise ExportError("is both DEST and a source; merge into another collection "
                              "(DEST is written, the sources only read)", src)
        if _inside(dest, src) or _inside(src, dest):
            raise ExportError(f"DEST {dest} and this source are inside one another; give "
                              "DEST a path outside every source", src)
        if any(_same(src, other) for other in sources[:i]):
            raise ExportError("is given twice as a source; give each collection once", src)


def _renamed(name: str, sha256: str) -> str:
    stem = name.removesuffix(SUFFIX)
    return f"{stem}-{sha256[:12]}{SUFFIX}"


def _plan(sources: Sequence[Collection], held: dict[str, str], unlisted: dict[str, str],
          summary: MergeSummary, placed: Placed) -> list[_Planned]:
    """What to copy, in source order then name order. ``held``: DEST's WARCs, name ->
    sha256 (empty when unknown); ``unlisted``: sha256 -> name of those in DEST's warcs/
    that its manifest does not list, which a source's verified file completes.
    ``placed`` is filled with the name in DEST of every closed WARC of every source."""
    digests = set(held.values())
    names = dict(held)
    where = {sha256: name for name, sha256 in held.items() if sha256}
    plan = []
    for coll in sources:
        summary.open_skipped += len(coll.open_warcs())
        if not coll.closed_warcs() and not os.path.lexists(coll.manifest_path):
            continue  # a worker that got no work: no WARC, so no manifest (its crawl is)
        try:
            files = collect_sources(coll)
        except FixityMismatch as e:
            raise MergeFixityMismatch(coll.root, e) from e
        for file in files:
            if not file.is_warc:
                continue
            sha256 = file.expected["sha256"]
            key = (coll.root, Collection.warc_name(file.relpath))
            if sha256 in unlisted:
                placed[key] = unlisted.pop(sha256)
                plan.append(_Planned(coll.root, file, placed[key], sha256, True))
                continue
            if sha256 in digests:
                summary.duplicates += 1
                placed[key] = where[sha256]
                continue
            name = Collection.warc_name(file.relpath)
            if name in names:
                name = _renamed(name, sha256)
                summary.renamed += 1
            digests.add(sha256)
            names[name] = sha256
            where[sha256] = placed[key] = name
            plan.append(_Planned(coll.root, file, name, sha256))
    return plan


@contextlib.contextmanager
def _locked(sources: Sequence[Collection]) -> Iterator[None]:
    with contextlib.ExitStack() as stack:
        for coll in sources:
            stack.enter_context(export_lock(coll))
        yield


def _copy_all(plan: Sequence[_Planned], staging: Path,
              on_progress: Progress | None) -> list[int]:
    """Every planned WARC copied into ``staging`` and checked; the sizes copied."""
    total = sum(p.file.size for p in plan)
    done = 0

    def on_bytes(n: int) -> None:
        nonlocal done
        done += n
        if on_progress is not None:
            on_progress(done, total)

    sizes = []
    for p in plan:
        if p.present:
            sizes.append(p.file.size)
            continue
        try:
            copied = copy_to_file(p.file, staging / p.name, ["sha256"], on_bytes)
        except FixityMismatch as e:
            raise MergeFixityMismatch(p.source, e) from e
        sizes.append(copied.size)
    return sizes


def _source_crawls(coll: Collection) -> dict[str, str | None]:
    """relative path of each WARC -> the crawl its source's `file closed` event names."""
    crawls: dict[str, str | None] = {}
    for event in EventLog(coll.events_path).read():
        if event.get("eventType") == "file closed" and isinstance(event.get("linkingObject"),
                                                                 str):
            crawl = event.get("crawl")
            crawls[event["linkingObject"]] = crawl if isinstance(crawl, str) else None
    return crawls


def _move_in(dest: Collection, plan: Sequence[_Planned], sizes: Sequence[int],
             staging: Path, crawls: dict[Path, dict[str, str | None]],
             summary: MergeSummary) -> None:
    manifest = FixityManifest(dest.manifest_path)
    events = EventLog(dest.events_path)
    dest.warcs.mkdir(parents=True, exist_ok=True)
    for p, size in zip(plan, sizes, strict=True):
        target = dest.warcs / p.name
        if not p.present:
            try:
                if os.path.lexists(target):  # DEST is locked: nothing else puts it there
                    raise FileExistsError(errno.EEXIST, os.strerror(errno.EEXIST))
                os.rename(staging / p.name, target)
            except OSError as e:
                raise ExportError(f"cannot move a merged WARC into place ({e.strerror})",
                                  target) from e
            fsync_dir(dest.warcs)
            _carry_lines(p, dest)
        rel = Collection.warc_rel(p.name)
        manifest.add(rel, p.sha256)
        entry = {"name": p.name, "source": str(p.source), "file": p.file.relpath,
                 "crawl": crawls[p.source].get(p.file.relpath), "sha256": p.sha256,
                 "size": size}
        events.append("file closed", obj=rel,
                      detail=f"WARC file merged from {p.source}; its digest recorded",
                      data={"sha256": p.sha256, "size": size, "records": None,
                            "source": str(p.source), "source_file": p.file.relpath,
                            "source_crawl": entry["crawl"]})
        summary.merged.append(entry)
        summary.bytes += size


def _carry_lines(p: _Planned, dest: Collection) -> None:
    """The source's index lines of the WARC, if it kept them and the name is the same,
    so that the index rebuild need not read the WARC a second time (store.indexlines:
    lines that do not match the WARC's size and SHA-256 are ignored and it is read)."""
    name = Collection.warc_name(p.file.relpath)
    if name != p.name:
        return  # the lines name the file as it was called
    lines = Collection(p.source).index_lines_path(name)
    with contextlib.suppress(OSError):
        st = lstat_inside(p.source, Collection(p.source).rel(lines))
        target = dest.index_lines_path(name)
        target.parent.mkdir(parents=True, exist_ok=True)
        with open(open_regular(lines, (st.st_dev, st.st_ino)), "rb") as f, \
                open(target, "wb") as out:
            shutil.copyfileobj(f, out)


def _finish(dest: Collection, name: str, summary: MergeSummary,
            on_index: Callable[[int], None] | None) -> None:
    result = build_indexes(dest, on_progress=on_index, reuse_lines=True)
    summary.records, summary.pages = result.records, result.pages
    EventLog(dest.events_path).append(
        "collection merged", obj=name,
        detail=f"{len(summary.merged)} WARC files merged from "
               f"{len(summary.sources)} collections; index and pages rebuilt",
        data={k: v for k, v in summary.to_dict().items() if k not in ("dest", "merged")})


def merge_collections(dest_root: Path, source_roots: Sequence[Path], *,
                      on_progress: Progress | None = None,
                      on_index: Callable[[int], None] | None = None) -> MergeSummary:
    """Merge the closed WARCs of ``source_roots`` into the collection at ``dest_root``,
    created (with the first source's preserve.toml) when it does not exist.

    Raises ExportError or CollectionError (bad paths, a collection in use) and
    MergeFixityMismatch (a source's file differs from its manifest) before DEST changes.
    """
    _check_paths(dest_root, source_roots)
    sources = [Collection.open(root.absolute()) for root in source_roots]
    creating = not Collection(dest_root).exists()
    if creating and dest_root.exists() and (not dest_root.is_dir() or any(dest_root.iterdir())):
        raise CollectionError("exists and is not a collection; give a new path or an "
                              "existing collection as DEST", dest_root)
    summary = MergeSummary(str(dest_root), creating, [str(s.root) for s in sources])
    with _locked(sources):
        crawls = {coll.root: _source_crawls(coll) for coll in sources}
        if creating:
            _merge_new(dest_root, sources, crawls, summary, on_progress, on_index)
        else:
            _merge_into(Collection.open(dest_root), sources, crawls, summary, on_progress,
                        on_index)
    return summary


def _merge_new(dest_root: Path, sources: Sequence[Collection],
               crawls: dict[Path, dict[str, str | None]], summary: MergeSummary,
               on_progress: Progress | None, on_index: Callable[[int], None] | None) -> None:
    parent = dest_root.absolute().parent
    try:
        parent.mkdir(parents=True, exist_ok=True)
        staged = Path(tempfile.mkdtemp(prefix=f".{dest_root.name}.merge-", dir=parent))
        os.chmod(staged, 0o755)  # mkdtemp's 0700 would hide DEST from a replay server
    except OSError as e:
        raise ExportError(f"cannot create DEST ({e.strerror})", dest_root) from e
    try:
        placed: Placed = {}
        plan = _plan(sources, {}, {}, summary, placed)
        dest = Collection.create(staged, sources[0].load_config())
        copies = dest.merge_staging
        copies.mkdir()
        sizes = _copy_all(plan, copies, on_progress)
        _move_in(dest, plan, sizes, copies, crawls, summary)
        copies.rmdir()
        import_crawls(dest, sources, placed)
        _finish(dest, Collection(dest_root).name, summary, on_index)
        try:
            os.rename(staged, dest_root)  # over nothing, or an empty directory
        except OSError as e:
            raise ExportError(f"cannot put the merged collection in place ({e.strerror}); "
                              "was DEST made while the merge ran?", dest_root) from e
        fsync_dir(parent)
    except BaseException:
        shutil.rmtree(staged, ignore_errors=True)
        raise


def _merge_into(dest: Collection, sources: Sequence[Collection],
                crawls: dict[Path, dict[str, str | None]], summary: MergeSummary,
                on_progress: Progress | None, on_index: Callable[[int], None] | None) -> None:
    with dest.lock():
        listed = FixityManifest(dest.manifest_path).entries()
        held = {Collection.warc_name(rel): digest for rel, digest in listed.items()
                if Collection.is_warc_rel(rel)}
        unlisted = {}
        for path in dest.closed_warcs():  # moved in by a merge killed before its line
            if path.name not in held:
                held[path.name] = unlisted_digest = sha256_file(path)
                unlisted[unlisted_digest] = path.name
        for path in dest.open_warcs():  # a name no copy may take
            held.setdefault(path.name.removesuffix(".open"), "")
        placed: Placed = {}
        plan = _plan(sources, held, unlisted, summary, placed)
        if not plan:
            # Nothing new: DEST is left as it was, but for the crawls of a merge that
            # was killed after its last move (importing them again changes nothing).
            import_crawls(dest, sources, placed)
            return
        copies = dest.merge_staging
        shutil.rmtree(copies, ignore_errors=True)  # left by a merge that was killed
        copies.mkdir(parents=True)
        try:
            sizes = _copy_all(plan, copies, on_progress)
            _move_in(dest, plan, sizes, copies, crawls, summary)
        finally:
            shutil.rmtree(copies, ignore_errors=True)
        import_crawls(dest, sources, placed)
        _finish(dest, dest.name, summary, on_index)
