"""One OCFL object's structure: its declaration, its root, every version directory,
every inventory and sidecar, and the files each inventory promises. No content file is
read here: the digests each file must have are collected (``ContentFile``) and checked
in one read per file by verify.ocflpkg.
"""

from __future__ import annotations

import hashlib
import json
import os
import re
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from ..safeopen import Refused, open_in
from .ocflinventory import FIXITY_HASHLIB, SPEC_VERSIONS, Inventory, Notes, check_inventory

__all__ = ["ContentFile", "Expect", "ObjectCheck", "check_object", "Listing", "list_dir",
           "REGISTERED_EXTENSIONS", "OBJECT_DECLARATION"]

INVENTORY = "inventory.json"
OBJECT_DECLARATION = re.compile(r"0=ocfl_object_(\d+\.\d+)\Z")
_SIDECAR = re.compile(r"([0-9A-Fa-f]+)[ \t]+inventory\.json\n?\Z")
_VERSION_DIR = re.compile(r"v\d+\Z")
_SMALL = 64 << 20  # an inventory larger than this is not read into memory
# The OCFL extensions registry (github.com/OCFL/extensions) as of 2026.
REGISTERED_EXTENSIONS = frozenset({
    "0001-digest-algorithms", "0002-flat-direct-storage-layout",
    "0003-hash-and-id-n-tuple-storage-layout", "0004-hashed-n-tuple-storage-layout",
    "0005-mutable-head", "0006-flat-omit-prefix-storage-layout",
    "0007-n-tuple-omit-prefix-storage-layout", "0008-schema-registry",
    "0009-digest-algorithms", "0010-differential-content-directory",
    "0011-direct-clean-path-layout"})


@dataclass(frozen=True)
class Expect:
    """A digest a content file must have, and who says so."""

    code: str  # E092 (a manifest) or E093 (a fixity block)
    algorithm: str  # the OCFL name (sha512, blake2b-512...)
    digest: str  # lower case
    where: str  # the inventory, e.g. "v2/inventory.json"


@dataclass
class ContentFile:
    rel: str  # relative to the path verified (opened with safeopen.open_in)
    path: str  # the content path in the object
    size: int
    expect: list[Expect] = field(default_factory=list)

    def algorithms(self) -> tuple[str, ...]:
        return tuple(sorted({FIXITY_HASHLIB[e.algorithm] for e in self.expect}))


@dataclass
class ObjectCheck:
    notes: Notes
    spec: str | None = None
    id: str | None = None
    files: list[ContentFile] = field(default_factory=list)


@dataclass
class Listing:
    files: dict[str, int] = field(default_factory=dict)  # name -> size
    dirs: list[str] = field(default_factory=list)
    links: list[str] = field(default_factory=list)
    others: list[str] = field(default_factory=list)  # FIFOs, devices, sockets


def list_dir(path: Path) -> Listing:
    """The entries of ``path``, never following a symbolic link. Raises OSError."""
    out = Listing()
    with os.scandir(path) as it:
        for e in it:
            if e.is_symlink():
                out.links.append(e.name)
            elif e.is_dir(follow_symlinks=False):
                out.dirs.append(e.name)
            elif e.is_file(follow_symlinks=False):
                out.files[e.name] = e.stat(follow_symlinks=False).st_size
            else:
                out.others.append(e.name)
    out.dirs.sort()
    out.links.sort()
    out.others.sort()
    return out


class _Object:
    def __init__(self, root: Path, rel: str, notes: Notes) -> None:
        self.root = root  # the path verified
        self.rel = rel  # the object's directory relative to it ("" if it is the object)
        self.notes = notes
        self.check = ObjectCheck(notes)
        # Content path -> digests that earlier inventories give for it.
        self.extra: dict[str, list[Expect]] = {}

    def path(self, rel: str = "") -> Path:
        return self.root / self.rel / rel if rel else self.root / self.rel

    def under_root(self, rel: str) -> str:
        return f"{self.rel}/{rel}" if self.rel else rel

    def read(self, rel: str) -> bytes | None:
        """A small file of the object, or None (with a finding) if it cannot be read."""
        try:
            with open_in(self.root, self.under_root(rel)) as f:
                data = f.read(_SMALL + 1)
        except Refused as e:
            self.notes.add("E090" if e.code == "FILE_SYMLINK" else "E089", rel,
                           f"{e.what}: never opened")
            return None
        except OSError as e:
            self.notes.add("E033" if rel.endswith(INVENTORY) else "E001", rel,
                           f"cannot read the file ({e.strerror or e})")
            return None
        if len(data) > _SMALL:
            self.notes.add("E033", rel, f"larger than {_SMALL >> 20} MB: not read")
            return None
        return data

    def links(self, listing: Listing, where: str) -> None:
        for name in listing.links:
            self.notes.add("E090", _join(where, name), "a symbolic link in an object "
                           "(never followed)")


def _join(a: str, b: str) -> str:
    return f"{a}/{b}" if a else b


def check_object(root: Path, rel: str, notes: Notes) -> ObjectCheck:
    """Check the object at ``root / rel`` (``rel`` is "" when ``root`` is the object)."""
    o = _Object(root, rel, notes)
    try:
        top = list_dir(o.path())
    except OSError as e:
        notes.add("E003", "", f"the object directory cannot be listed ({e.strerror or e})")
        return o.check
    o.links(top, "")
    declared = _declaration(o, top)
    o.check.spec = declared
    if INVENTORY not in top.files:
        notes.add("E063", INVENTORY, "the object has no inventory.json")
        return o.check
    raw = o.read(INVENTORY)
    if raw is None:
        return o.check
    inv = _parse(o, raw, INVENTORY, spec=declared)
    if inv is None:
        return o.check
    o.check.id = inv.id
    algorithm = inv.algorithm
    _sidecar(o, "", raw, algorithm, top.files)
    _root_entries(o, top, inv, declared)
    seen = _versions(o, inv, raw)
    _content(o, inv, seen)
    return o.check


def _declaration(o: _Object, top: Listing) -> str | None:
    names = sorted(n for n in top.files if n.startswith("0="))
    if not names:
        o.notes.add("E003", "", "the object has no declaration file (0=ocfl_object_1.1)")
        return None
    if len(names) > 1:
        o.notes.add("E003", "", "the object has more than one declaration file",
                    found=", ".join(names))
    best: str | None = None
    for name in names:
        m = OBJECT_DECLARATION.match(name)
        if m is None or m.group(1) not in SPEC_VERSIONS:
            o.notes.add("E006", name, "the declaration's dvalue is not ocfl_object_ and "
                        "an OCFL version (1.0 or 1.1)")
            continue
        text = o.read(name)
        dvalue = name[2:]
        if text is not None and text != f"{dvalue}\n".encode():
            o.notes.add("E007", name, "the declaration's text is not its dvalue and a "
                        "newline", expected=f"{dvalue}\\n", found=text[:40])
        if best is None or m.group(1) > best:
            best = m.group(1)
    return best


def _parse(o: _Object, raw: bytes, where: str, *, spec: str | None) -> Inventory | None:
    try:
        data: Any = json.loads(raw)
    except (ValueError, UnicodeDecodeError) as e:
        o.notes.add("E033", where, f"the inventory is not JSON ({e})")
        return None
    return check_inventory(data, o.notes, where, spec=spec)


def _sidecar(o: _Object, vdir: str, raw: bytes, algorithm: str | None,
             files: dict[str, int]) -> None:
    """Check the sidecar of the inventory in ``vdir`` ("" for the root)."""
    if algorithm is None:
        return
    name = f"{INVENTORY}.{algorithm}"
    rel = _join(vdir, name)
    if name not in files:
        o.notes.add("E058", rel, f"the inventory has no sidecar {name}")
        return
    text = o.read(rel)
    if text is None:
        return
    m = _SIDECAR.match(text.decode("utf-8", "replace"))
    if m is None:
        o.notes.add("E061", rel, "the sidecar is not one line `DIGEST inventory.json`",
                    found=text[:80])
        return
    actual = hashlib.new(algorithm, raw).hexdigest()
    if m.group(1).lower() != actual:
        o.notes.add("E060", rel, f"the {algorithm} of {_join(vdir, INVENTORY)} differs from "
                    "its sidecar", expected=m.group(1), found=actual)


def _root_entries(o: _Object, top: Listing, inv: Inventory, declared: str | None) -> None:
    allowed = {INVENTORY} | ({f"{INVENTORY}.{inv.declared}"} if inv.declared else set())
    for name in sorted(top.files):
        if name not in allowed and not name.startswith("0="):
            o.notes.add("E001", name, "a file in the object root that the specification "
                        "does not allow there")
    for name in top.others:
        o.notes.add("E001", name, "neither a file nor a directory, in the object root")
    versions = set(inv.versions)
    for name in top.dirs:
        if name in versions or name == "logs":
            continue
        if name == "extensions":
            _extensions(o)
        elif _VERSION_DIR.match(name):
            o.notes.add("E046", name, f"version directory {name} is not in the inventory's "
                        "versions", expected=inv.head)
        else:
            o.notes.add("E001", name, "a directory in the object root that the "
                        "specification does not allow there")
    for v in inv.versions:
        if v not in top.dirs:
            o.notes.add("E010", v, f"version {v} has no directory")


def _extensions(o: _Object) -> None:
    try:
        listing = list_dir(o.path("extensions"))
    except OSError as e:
        o.notes.add("E067", "extensions", f"cannot be listed ({e.strerror or e})")
        return
    o.links(listing, "extensions")
    for name in [*listing.files, *listing.others]:
        o.notes.add("E067", f"extensions/{name}", "the extensions directory holds "
                    "something other than a directory")
    for name in listing.dirs:
        if name not in REGISTERED_EXTENSIONS:
            o.notes.add("W013", f"extensions/{name}", f"extension {name!r} is not a "
                        "registered extension name")


def _versions(o: _Object, inv: Inventory, root_raw: bytes) -> set[str]:
    """Check every version directory and its inventory; return the content paths seen.
    Digests that earlier inventories give for content files are added to the
    expectations (checked with the root manifest's)."""
    seen: set[str] = set()
    prior: list[Inventory] = []
    earlier: set[str] = set()  # content paths of the earlier inventories' manifests
    last_spec = "1.0"
    for v in inv.versions:
        try:
            listing = list_dir(o.path(v))
        except OSError:
            continue  # E010 above
        o.links(listing, v)
        this: Inventory | None = None
        if INVENTORY not in listing.files:
            o.notes.add("W010", v, f"version {v} has no inventory")
        elif v == inv.versions[-1]:
            raw = o.read(f"{v}/{INVENTORY}")
            if raw is not None and raw != root_raw:
                o.notes.add("E064", f"{v}/{INVENTORY}", "the inventory of the last version "
                            "differs from the root inventory")
                this = _parse(o, raw, f"{v}/{INVENTORY}", spec=None)
            elif raw is not None:
                this = inv
            if raw is not None and this is not None:
                _sidecar(o, v, raw, this.algorithm, listing.files)
        else:
            raw = o.read(f"{v}/{INVENTORY}")
            this = _parse(o, raw, f"{v}/{INVENTORY}", spec=None) if raw is not None else None
            if raw is not None and this is not None:
                _sidecar(o, v, raw, this.algorithm, listing.files)
        if this is not None:
            if v == inv.versions[0] and (this.content_dir != inv.content_dir
                                         or inv.content_dir_set and not this.content_dir_set):
                o.notes.add("E019", f"{v}/{INVENTORY}", "the contentDirectory in use is not "
                            "the one set in the first version", expected=inv.content_dir,
                            found=this.content_dir if this.content_dir_set else None)
            lost = sorted(earlier - set(this.paths))
            if lost:
                o.notes.add("E023", f"{v}/{INVENTORY}", "the manifest lacks content files "
                            "of an earlier version's manifest", found=", ".join(lost[:5]))
            earlier |= set(this.paths)
            if this is not inv:
                _compare(o, v, this, inv)
                prior.append(this)
            spec = this.spec or last_spec
            if spec < last_spec:
                o.notes.add("E103", f"{v}/{INVENTORY}", f"version {v} follows a version "
                            f"of OCFL {last_spec} but is of OCFL {spec}")
            last_spec = spec
        _version_entries(o, v, listing, inv, this, seen)
    for p in prior:
        _prior_digests(o, p, inv)
    return seen


def _compare(o: _Object, v: str, this: Inventory, inv: Inventory) -> None:
    """A version's inventory against the root inventory."""
    where = f"{v}/{INVENTORY}"
    if this.head is not None and this.head != v:
        o.notes.add("E040", where, f"the inventory in {v} has head {this.head}",
                    expected=v, found=this.head)
    if this.id is not None and inv.id is not None and this.id != inv.id:
        o.notes.add("E037", where, "the id differs from the root inventory's",
                    expected=inv.id, found=this.id)
        if inv.spec != "1.0":
            o.notes.add("E110", where, "the object's id changed between versions",
                        expected=inv.id, found=this.id)
    if this.content_dir != inv.content_dir:
        o.notes.add("E020", where,
                    "contentDirectory differs from the root inventory's",
                    expected=inv.content_dir, found=this.content_dir)
    if not set(this.versions) <= set(inv.versions):
        o.notes.add("E066", where, "the inventory has versions the root inventory lacks",
                    found=", ".join(sorted(set(this.versions) - set(inv.versions))))
        return
    for u in this.versions:
        mine, theirs = this.states.get(u), inv.states.get(u)
        if mine is None or theirs is None:
            continue
        if mine.keys() != theirs.keys():
            o.notes.add("E066", where, f"version {u} has other logical paths here than in "
                        "the root inventory",
                        found=", ".join(sorted(mine.keys() ^ theirs.keys())[:5]))
        elif this.algorithm == inv.algorithm:
            for lp in sorted(mine):
                if mine[lp] != theirs[lp]:
                    o.notes.add("E066", where, f"version {u}: logical path {lp!r} has "
                                "another digest than in the root inventory",
                                expected=theirs[lp], found=mine[lp])
        else:
            here = _content_paths(this)
            there = _content_paths(inv)
            for lp in sorted(mine):
                if not here.get(mine[lp], set()) <= there.get(theirs[lp], set()):
                    o.notes.add("E066", where, f"version {u}: logical path {lp!r} is other "
                                "content here than in the root inventory")
        for key in ("created", "message", "user"):
            if this.meta.get(u, {}).get(key) != inv.meta.get(u, {}).get(key):
                o.notes.add("W011", where, f"version {u}: {key} differs from the root "
                            "inventory's")


def _content_paths(inv: Inventory) -> dict[str, set[str]]:
    out: dict[str, set[str]] = {}
    for path, digest in inv.paths.items():
        out.setdefault(digest, set()).add(path)
    return out


def _version_entries(o: _Object, v: str, listing: Listing, inv: Inventory,
                     this: Inventory | None, seen: set[str]) -> None:
    allowed = {INVENTORY}
    if this is not None and this.declared is not None:
        allowed.add(f"{INVENTORY}.{this.declared}")
    for name in sorted(listing.files):
        if name not in allowed:
            o.notes.add("E015", f"{v}/{name}", f"a file in version directory {v} other "
                        "than its inventory and sidecar")
    for name in listing.others:
        o.notes.add("E015", f"{v}/{name}", "neither a file nor a directory, in a version "
                    "directory")
    for name in listing.dirs:
        if name != inv.content_dir:
            o.notes.add("W002", f"{v}/{name}", f"a directory in version directory {v} other "
                        f"than its content directory ({inv.content_dir})")
    if inv.content_dir in listing.dirs:
        count = _walk_content(o, f"{v}/{inv.content_dir}", seen)
        if count == 0:
            o.notes.add("W003", f"{v}/{inv.content_dir}", "a content directory with no file")


def _walk_content(o: _Object, top: str, seen: set[str]) -> int:
    count = 0
    stack = [top]
    while stack:
        d = stack.pop()
        try:
            listing = list_dir(o.path(d))
        except OSError as e:
            o.notes.add("E023", d, f"cannot be listed ({e.strerror or e})")
            continue
        o.links(listing, d)
        for name in listing.others:
            o.notes.add("E089", f"{d}/{name}", "neither a file nor a directory, in content")
        if d != top and not (listing.files or listing.dirs or listing.links
                             or listing.others):
            o.notes.add("E024", d, "an empty directory in a content directory")
        for name, size in sorted(listing.files.items()):
            path = f"{d}/{name}"
            seen.add(path)
            o.check.files.append(ContentFile(o.under_root(path), path, size))
            count += 1
        stack.extend(f"{d}/{n}" for n in reversed(listing.dirs))
    return count


def _prior_digests(o: _Object, prior: Inventory, inv: Inventory) -> None:
    """Digests an earlier inventory gives: its manifest must still hold its files, and
    its digests (maybe of another algorithm) and fixity values must still be true."""
    extra = o.extra
    for path, digest in prior.paths.items():
        if prior.algorithm is not None and (prior.algorithm != inv.algorithm
                                            or digest != inv.paths.get(path)):
            extra.setdefault(path, []).append(Expect("E092", prior.algorithm, digest,
                                                     prior.where))
    for algorithm, values in prior.fixity.items():
        if algorithm in FIXITY_HASHLIB:
            for path, digests in values.items():
                extra.setdefault(path, []).extend(Expect("E093", algorithm, d, prior.where)
                                                  for d in digests)


def _content(o: _Object, inv: Inventory, seen: set[str]) -> None:
    """Content files against the root manifest and fixity, and the expectations."""
    extra = o.extra
    for path in sorted(set(inv.paths) - seen):
        o.notes.add("E092", path, "a content path of the manifest is missing")
    for algorithm, values in inv.fixity.items():
        for path in sorted(set(values) - seen):
            if path in inv.paths:
                o.notes.add("E093", path, f"a content path of fixity block {algorithm} is "
                            "missing")
    for f in o.check.files:
        if f.path not in inv.paths:
            o.notes.add("E023", f.path, "a content file that is in no manifest")
            continue
        if inv.algorithm is not None:
            f.expect.append(Expect("E092", inv.algorithm, inv.paths[f.path], INVENTORY))
        for algorithm, values in inv.fixity.items():
            if algorithm in FIXITY_HASHLIB:
                f.expect.extend(Expect("E093", algorithm, d, INVENTORY)
                                for d in values.get(f.path, []))
        f.expect.extend(extra.get(f.path, []))
    o.check.files = [f for f in o.check.files if f.expect]
