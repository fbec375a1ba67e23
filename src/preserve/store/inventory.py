"""What a collection holds, for ``preserve status``: read-only, no lock needed."""

from __future__ import annotations

from typing import Any

from ..collection import Collection
from .fixity import FixityManifest
from .state import CrawlRegistry, StateDB

__all__ = ["collection_status", "list_crawls"]


def _count_lines(path: Any) -> int:
    try:
        with open(path, "rb") as f:
            return sum(1 for _ in f)
    except FileNotFoundError:
        return 0


def collection_status(coll: Collection) -> dict[str, Any]:
    config = coll.load_config()
    closed = coll.closed_warcs()
    manifest = FixityManifest(coll.manifest_path).entries()
    crawls: list[dict[str, Any]] = []
    unfinished = None
    if coll.state_db.exists():
        db = StateDB(coll.state_db)
        try:
            registry = CrawlRegistry(db)
            for c in registry.all():
                crawls.append({"id": c.id, "status": c.status, "started": c.started,
                               "finished": c.finished, "final": c.final, "label": c.label,
                               "summary": c.summary})
                if c.finished is None:
                    counts = registry.url_counts(c.id)
                    unfinished = {"id": c.id, "queued": counts.get(0, 0) + counts.get(1, 0),
                                  "done": counts.get(2, 0)}
        finally:
            db.close()
    return {
        "path": str(coll.root),
        "description": dict(config.description.items()),
        "seeds": list(config.crawl.seeds),
        "warcs": {"closed": len(closed), "open": len(coll.open_warcs()),
                  "bytes": sum(p.stat().st_size for p in closed)},
        "index": {"records": _count_lines(coll.index_path)},
        "pages": max(0, _count_lines(coll.pages_path) - 1),
        "fixity": {"entries": len(manifest),
                   "missing": [p.name for p in closed
                               if Collection.warc_rel(p.name) not in manifest]},
        "crawls": crawls,
        "unfinished": unfinished,
    }


def list_crawls(coll: Collection) -> list[dict[str, Any]]:
    """Every numbered crawl of the collection, oldest first, with what it stored."""
    if not coll.state_db.exists():
        return []
    sizes = {p.name: p.stat().st_size for p in coll.closed_warcs()}
    db = StateDB(coll.state_db)
    try:
        registry = CrawlRegistry(db)
        result = []
        for c in registry.all():
            s = c.summary or {}
            names = registry.warc_names(c.id)
            result.append({
                "id": c.id, "status": c.status, "started": c.started, "finished": c.finished,
                "final": c.final, "label": c.label,
                "captured": s.get("captured", 0), "revisits": s.get("revisits", 0),
                "failures": s.get("failures", 0),
                "warcs": names, "warc_bytes": sum(sizes.get(n, 0) for n in names),
            })
        return result
    finally:
        db.close()
