"""An OCFL storage root: its declaration, ocfl_layout.json, its extensions directory,
and the storage hierarchy walked down to every object root (OCFL 1.1, "Storage Root").
The objects found are checked by verify.ocflobject.
"""

from __future__ import annotations

import json
import re
from pathlib import Path
from typing import Any

from ..safeopen import Refused, open_in
from .ocflinventory import SPEC_VERSIONS, Notes
from .ocfllayout import Layout, layout_of
from .ocflobject import OBJECT_DECLARATION, REGISTERED_EXTENSIONS, list_dir

__all__ = ["RootCheck", "check_root"]

_ROOT_DECLARATION = re.compile(r"0=ocfl_(\d+\.\d+)\Z")
_LAYOUT = "ocfl_layout.json"
_EXTENSION_NAME = re.compile(r"\d{4}-[a-z0-9-]+\Z")


class RootCheck:
    """What the walk found: the root's declared version and every object root."""

    def __init__(self) -> None:
        self.spec: str | None = None
        self.objects: list[str] = []  # relative to the root, in walk order
        self.layout: Layout | None = None  # when its paths can be computed


def check_root(root: Path, notes: Notes) -> RootCheck:
    out = RootCheck()
    try:
        top = list_dir(root)
    except OSError as e:
        notes.add("E069", "", f"the storage root cannot be listed ({e.strerror or e})")
        return out
    out.spec = _declaration(root, sorted(n for n in top.files if n.startswith("0=")), notes)
    if _LAYOUT in top.files:
        out.layout = _layout(root, notes)
    for name in top.links:
        notes.add("E090", name, "a symbolic link in the storage root (never followed)")
    for name in top.others:
        notes.add("E088", name, "neither a file nor a directory, in the storage root")
    for name in top.dirs:
        if name == "extensions":
            _extensions(root, notes)
        else:
            _walk(root, name, notes, out)
    depths = {o.count("/") for o in out.objects}
    if 0 in depths and len(depths) > 1:
        notes.add("W015", "", "the storage root holds objects both as its direct children "
                  "and deeper in a hierarchy")
    return out


def _read(root: Path, rel: str, notes: Notes, code: str) -> bytes | None:
    try:
        with open_in(root, rel) as f:
            return f.read(1 << 20)
    except (Refused, OSError) as e:
        notes.add(code, rel, f"cannot be read ({e})")
        return None


def _declaration(root: Path, names: list[str], notes: Notes) -> str | None:
    if not names:
        notes.add("E069", "", "the storage root has no declaration file (0=ocfl_1.1)")
        return None
    if len(names) > 1:
        notes.add("E076", "", "the storage root has more than one declaration file",
                  found=", ".join(names))
    best: str | None = None
    for name in names:
        m = _ROOT_DECLARATION.match(name)
        if m is None or m.group(1) not in SPEC_VERSIONS:
            notes.add("E079", name, "the declaration's dvalue is not ocfl_ and an OCFL "
                      "version (1.0 or 1.1)")
            continue
        text = _read(root, name, notes, "E075")
        if text is not None and text != f"{name[2:]}\n".encode():
            notes.add("E080", name, "the declaration's text is not its dvalue and a newline",
                      expected=f"{name[2:]}\\n", found=text[:40])
        if best is None or m.group(1) > best:
            best = m.group(1)
    return best


def _layout(root: Path, notes: Notes) -> Layout | None:
    raw = _read(root, _LAYOUT, notes, "E070")
    if raw is None:
        return None
    try:
        data: Any = json.loads(raw)
    except (ValueError, UnicodeDecodeError) as e:
        notes.add("E070", _LAYOUT, f"not JSON ({e})")
        return None
    if not isinstance(data, dict) or not {"extension", "description"} <= set(data):
        notes.add("E070", _LAYOUT, "ocfl_layout.json must be an object with the keys "
                  "extension and description")
        return None
    name = data["extension"]
    if not isinstance(name, str) or not _EXTENSION_NAME.match(name):
        notes.add("E071", _LAYOUT, "extension is not an extension name", found=name)
        return None
    config: Any = {}
    rel = f"extensions/{name}/config.json"
    if (root / rel).is_file():
        text = _read(root, rel, notes, "E070")
        try:
            config = json.loads(text) if text is not None else {}
        except (ValueError, UnicodeDecodeError) as e:
            notes.add("E070", rel, f"the layout's parameters are not JSON ({e})")
            return None
    return layout_of(name, config)


def _extensions(root: Path, notes: Notes) -> None:
    try:
        listing = list_dir(root / "extensions")
    except OSError as e:
        notes.add("E112", "extensions", f"cannot be listed ({e.strerror or e})")
        return
    for name in [*listing.files, *listing.others, *listing.links]:
        notes.add("E112", f"extensions/{name}", "the storage root's extensions directory "
                  "holds something other than a directory")
    for name in listing.dirs:
        if name not in REGISTERED_EXTENSIONS:
            notes.add("W016", f"extensions/{name}", f"extension {name!r} is not a "
                      "registered extension name")


def _walk(root: Path, start: str, notes: Notes, out: RootCheck) -> None:
    """Walk the storage hierarchy below ``start`` down to object roots."""
    stack = [start]
    while stack:
        rel = stack.pop()
        try:
            listing = list_dir(root / rel)
        except OSError as e:
            notes.add("E088", rel, f"cannot be listed ({e.strerror or e})")
            continue
        if any(OBJECT_DECLARATION.match(n) or n.startswith("0=ocfl_object")
               for n in listing.files):
            out.objects.append(rel)
            continue
        for name in listing.links:
            notes.add("E090", f"{rel}/{name}", "a symbolic link in the storage hierarchy "
                      "(never followed)")
        for name in listing.others:
            notes.add("E088", f"{rel}/{name}", "neither a file nor a directory, in the "
                      "storage hierarchy")
        if not (listing.files or listing.dirs or listing.links or listing.others):
            notes.add("E073", rel, "an empty directory under the storage root")
            continue
        if listing.files:
            if listing.dirs:
                notes.add("E084", rel, "files in an intermediate directory of the storage "
                          "hierarchy", found=", ".join(sorted(listing.files)[:5]))
            else:
                notes.add("E085", rel, "the storage hierarchy ends in a directory that is "
                          "not an object root (no 0=ocfl_object_1.x)")
            for name in sorted(listing.files)[:5]:
                notes.add("E072", f"{rel}/{name}", "a file under the storage root that "
                          "belongs to no object")
        stack.extend(f"{rel}/{n}" for n in reversed(listing.dirs))
