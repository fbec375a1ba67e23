"""OCFL 1.1 objects, alone or in a storage root laid out by 0004-hashed-n-tuple-storage-layout.

Each export is one version whose state is the whole collection; its content directory
holds only files whose SHA-512 no earlier version has (OCFL deduplicates by digest), so
a repeat export of a grown collection adds the new WARCs and the files that changed.
A WARC whose SHA-256 (from the fixity manifest) is already in the object's ``fixity``
block is not read again: it is not packaged again either.

An existing object is updated by building the new object beside it, with the earlier
versions hard-linked (not copied) into it, and renaming it into place.
"""

from __future__ import annotations

import contextlib
import hashlib
import json
import os
import shutil
import stat
from collections.abc import Sequence
from dataclasses import dataclass
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

from ..collection import Collection
from ..errors import ExportError
from .confined import open_regular
from .copy import CHUNK, Copied, Progress, copy_to_file
from .package import write_small
from .sources import Source

__all__ = ["OcflResult", "write_object", "read_inventory", "object_path_in_root",
           "prepare_storage_root", "LAYOUT"]

OBJECT_NAMASTE = "0=ocfl_object_1.1"
ROOT_NAMASTE = "0=ocfl_1.1"
INVENTORY_TYPE = "https://ocfl.io/1.1/spec/#inventory"
LAYOUT = "0004-hashed-n-tuple-storage-layout"
EXPORT_EVENT = "package exported"  # the event type run.py appends after each export
_LAYOUT_CONFIG = {"extensionName": LAYOUT, "digestAlgorithm": "sha256", "tupleSize": 3,
                  "numberOfTuples": 3, "shortObjectRoot": False}


@dataclass(frozen=True)
class OcflResult:
    object_id: str
    version: str | None  # None: nothing changed since the head version, nothing written
    new_files: tuple[str, ...]  # content paths added by this version
    files: int  # logical files in the version's state
    copied: tuple[Copied, ...]


def read_inventory(obj: Path) -> dict[str, Any] | None:
    """The root inventory of the OCFL object at ``obj``; None if there is no object there."""
    if not (obj / OBJECT_NAMASTE).is_file():
        return None
    try:
        inventory = json.loads((obj / "inventory.json").read_text(encoding="utf-8"))
    except (OSError, ValueError) as e:
        raise ExportError(f"an OCFL object whose inventory.json cannot be read ({e}); "
                          "give --force to replace it", obj) from e
    if not isinstance(inventory, dict) or inventory.get("digestAlgorithm") != "sha512":
        raise ExportError("an OCFL object not written by preserve (digest algorithm is not "
                          "sha512); give --force to replace it", obj)
    return inventory


def _link_tree(src: Path, dst: Path) -> None:
    """Hard-link every file of an earlier object into the new one (copy where links fail).

    Only regular files and directories: an object holding a symbolic link or a special
    file was not written by preserve, and nothing is read through it."""
    for dirpath, dirs, files in os.walk(src):
        rel = Path(dirpath).relative_to(src)
        (dst / rel).mkdir(parents=True, exist_ok=True)
        for name in [*dirs, *files]:
            mode = os.lstat(Path(dirpath) / name).st_mode
            if not (stat.S_ISREG(mode) or stat.S_ISDIR(mode)):
                raise ExportError("holds something other than files and directories, so it "
                                  "is not an object preserve wrote; give --force to replace "
                                  "it", Path(dirpath) / name)
        for name in files:
            if rel == Path(".") and name.startswith("inventory.json"):
                continue
            try:
                os.link(Path(dirpath) / name, dst / rel / name, follow_symlinks=False)
            except OSError:
                shutil.copy2(Path(dirpath) / name, dst / rel / name, follow_symlinks=False)


def _prune_empty(root: Path) -> None:
    for dirpath, _dirs, _files in sorted(os.walk(root), key=lambda t: -len(t[0])):
        with contextlib.suppress(OSError):
            Path(dirpath).rmdir()  # only empty directories go


def _inventory_bytes(inventory: dict[str, Any]) -> tuple[bytes, bytes]:
    data = json.dumps(inventory, indent=2, ensure_ascii=False).encode("utf-8")
    sidecar = f"{hashlib.sha512(data).hexdigest()} inventory.json\n".encode()
    return data, sidecar


def write_object(staging: Path, sources: Sequence[Source], *, object_id: str,
                 previous: Path | None, user: tuple[str, str], message: str,
                 created: datetime | None = None,
                 on_bytes: Progress | None = None) -> OcflResult:
    """Write the object, with a new version, into the empty directory ``staging``.

    ``previous`` is the existing object to extend (its inventory read by the caller);
    ``user`` is (name, address URI or ""). Returns version None when the collection is
    unchanged since the head version: then ``staging`` is left empty.
    """
    old = read_inventory(previous) if previous is not None else None
    if old is not None and old.get("id") != object_id:
        raise ExportError(f"holds OCFL object {old.get('id')!r}, not {object_id!r}; "
                          "give --force to replace it", previous)
    manifest: dict[str, list[str]] = dict(old["manifest"]) if old else {}
    fixity: dict[str, list[str]] = dict(old.get("fixity", {}).get("sha256", {})) if old else {}
    versions: dict[str, Any] = dict(old["versions"]) if old else {}
    number = len(versions) + 1
    vdir = f"v{number}"
    by_sha256 = {sha: paths[0] for sha, paths in fixity.items()}
    sha512_of = {p: d for d, paths in manifest.items() for p in paths}

    state: dict[str, list[str]] = {}
    copied: list[Copied] = []
    new_files: list[str] = []
    for source in sources:
        known = source.expected.get("sha256")
        if known is not None and known in by_sha256:
            digest = sha512_of[by_sha256[known]]  # already in the object: not read again
        else:
            content = f"{vdir}/content/{source.relpath}"
            c = copy_to_file(source, staging / content, ("sha512", "sha256"), on_bytes)
            copied.append(c)
            digest = c.digests["sha512"]
            if digest in manifest:
                (staging / content).unlink()  # deduplicated: an earlier version has it
            else:
                manifest[digest] = [content]
                fixity.setdefault(c.digests["sha256"], []).append(content)
                new_files.append(content)
        state.setdefault(digest, []).append(source.relpath)

    if previous is not None and old is not None and _unchanged(previous, old, state,
                                                               staging / vdir / "content"):
        shutil.rmtree(staging / vdir, ignore_errors=True)
        return OcflResult(object_id, None, (), len(sources), tuple(copied))
    _prune_empty(staging / vdir)
    name, address = user
    version: dict[str, Any] = {
        "created": (created or datetime.now(UTC)).astimezone(UTC).isoformat(
            timespec="seconds").replace("+00:00", "Z"),
        "message": message,
        "state": state,
        "user": {"name": name, **({"address": address} if address else {})},
    }
    versions[vdir] = version
    inventory = {"id": object_id, "type": INVENTORY_TYPE, "digestAlgorithm": "sha512",
                 "head": vdir, "contentDirectory": "content", "manifest": manifest,
                 "versions": versions, "fixity": {"sha256": fixity}}
    if previous is not None and old is not None:
        _link_tree(previous, staging)
    else:
        write_small(staging / OBJECT_NAMASTE, b"ocfl_object_1.1\n")
    data, sidecar = _inventory_bytes(inventory)
    for where in (staging / vdir, staging):
        write_small(where / "inventory.json", data)
        write_small(where / "inventory.json.sha512", sidecar)
    return OcflResult(object_id, vdir, tuple(new_files), len(sources), tuple(copied))


def _unchanged(previous: Path, old: dict[str, Any], state: dict[str, list[str]],
               content: Path) -> bool:
    """True when the collection is the head version's, but for export events.

    Each export appends a ``package exported`` event to events.jsonl after the object is
    written; were that growth a change, every export would add a version holding only
    the last export's event. It goes into the next version that has a change of its own.
    """
    head: dict[str, list[str]] = old["versions"][old["head"]]["state"]
    if head == state:
        return True
    before = {p: d for d, paths in head.items() for p in paths}
    after = {p: d for d, paths in state.items() for p in paths}
    changed = {p for p in before.keys() | after.keys() if before.get(p) != after.get(p)}
    events = Collection.EVENTS_REL
    if changed != {events} or events not in before or not (content / events).is_file():
        return False
    try:
        fd = open_regular(previous / old["manifest"][before[events]][0], None)
        with open(fd, "rb") as was, open(content / events, "rb") as now:
            while chunk := was.read(CHUNK):
                if now.read(len(chunk)) != chunk:
                    return False
            for line in now:
                event = json.loads(line)
                if not (line.endswith(b"\n") and isinstance(event, dict)
                        and event.get("eventType") == EXPORT_EVENT):
                    return False
    except (OSError, ValueError, KeyError, IndexError, TypeError, ExportError):
        return False
    return True


def object_path_in_root(object_id: str) -> str:
    """The object's path in a 0004-hashed-n-tuple storage root (3 tuples of 3, full digest)."""
    digest = hashlib.sha256(object_id.encode("utf-8")).hexdigest()
    return f"{digest[0:3]}/{digest[3:6]}/{digest[6:9]}/{digest}"


def prepare_storage_root(root: Path) -> None:
    """Check the storage root at ``root``, or create it (atomically) when it is not there."""
    if root.exists():
        namaste = root / ROOT_NAMASTE
        layout = root / "ocfl_layout.json"
        try:
            ok = namaste.is_file() and json.loads(layout.read_text())["extension"] == LAYOUT
        except (OSError, ValueError, KeyError, TypeError):
            ok = False
        if not ok:
            raise ExportError(f"is not an OCFL storage root with the {LAYOUT} layout", root)
        return
    if not root.parent.is_dir():
        raise ExportError(f"cannot write here: {root.parent} is not a directory", root)
    from .package import staged

    with staged(root, replace=False, directory=True) as tmp:
        write_small(tmp / ROOT_NAMASTE, b"ocfl_1.1\n")
        write_small(tmp / "ocfl_layout.json", json.dumps(
            {"extension": LAYOUT, "description": "Hashed Truncated N-tuple Trees with Object "
             "ID Encapsulating Directory for OCFL Storage Hierarchies"}, indent=2).encode())
        write_small(tmp / "extensions" / LAYOUT / "config.json",
                    json.dumps(_LAYOUT_CONFIG, indent=2).encode())
