"""One OCFL inventory checked by itself: every rule of the specification's inventory
sections (OCFL 1.0 and 1.1, "Inventory"), read into the facts the object check needs.

Nothing here opens a file: the object check (verify.ocflobject) reads the JSON and
compares inventories with each other and with the directories.
"""

from __future__ import annotations

import re
from dataclasses import dataclass, field
from datetime import datetime
from typing import Any

from .report import Finding, finding

__all__ = ["Inventory", "Notes", "check_inventory", "SPEC_VERSIONS", "FIXITY_HASHLIB",
           "normal_digest"]

SPEC_VERSIONS = ("1.0", "1.1")
_TYPE = re.compile(r"https://ocfl\.io/(\d+\.\d+)/spec/#inventory\Z")
_KEYS = {"id", "type", "digestAlgorithm", "head", "contentDirectory", "fixity", "manifest",
         "versions"}
# Algorithm -> digest length in hex digits: the specification's table and the
# Digest Algorithms extension's.
_HEX_LENGTH = {"md5": 32, "sha1": 40, "sha256": 64, "sha512": 128, "blake2b-512": 128,
               "blake2b-160": 40, "blake2b-256": 64, "blake2b-384": 96, "sha512/256": 64,
               "crc32": 8}
# The fixity algorithms whose digests are recomputed (hashlib names); the others of the
# extension are recognised and, as the specification allows (E028), not checked.
FIXITY_HASHLIB = {"md5": "md5", "sha1": "sha1", "sha256": "sha256", "sha512": "sha512",
                  "blake2b-512": "blake2b"}
_SIZE = re.compile(r"[0-9]+\Z")
_CREATED = re.compile(r"\d{4}-\d\d-\d\d[Tt]\d\d:\d\d:\d\d(\.\d+)?([Zz]|[+-]\d\d:\d\d)\Z")
_URI = re.compile(r"[A-Za-z][A-Za-z0-9+.-]*:\S")
_VERSION = re.compile(r"v(\d+)\Z")


class Notes:
    """The findings of one object or storage root, each with its specification code
    (``E001`` is reported as ``OCFL_E001``) and the file it is about, named under
    ``prefix`` (how the object's directory is named in the report)."""

    def __init__(self, prefix: str) -> None:
        self.prefix = prefix
        self.findings: list[Finding] = []

    def name(self, rel: str) -> str:
        if rel in ("", "."):
            return self.prefix
        return rel if self.prefix in ("", ".") else f"{self.prefix}/{rel}"

    def add(self, code: str, rel: str, message: str, expected: object = None,
            found: object = None) -> None:
        self.findings.append(finding(f"OCFL_{code}", self.name(rel), message,
                                     expected=expected, found=found))

    def codes(self) -> set[str]:
        return {f.code for f in self.findings}


def normal_digest(digest: str) -> str:
    return digest.lower()


def digest_form_ok(algorithm: str, digest: str) -> bool:
    if algorithm == "size":
        return bool(_SIZE.match(digest))
    n = _HEX_LENGTH.get(algorithm)
    return n is not None and len(digest) == n and all(c in "0123456789abcdefABCDEF"
                                                       for c in digest)


@dataclass
class Inventory:
    """What one inventory says, as far as it says it correctly."""

    where: str  # the inventory's path in the object, for findings
    id: str | None = None
    spec: str | None = None  # from type
    algorithm: str | None = None  # sha512 or sha256
    declared: str | None = None  # digestAlgorithm as written (names the sidecar)
    content_dir: str = "content"
    content_dir_set: bool = False
    head: str | None = None
    versions: list[str] = field(default_factory=list)  # the valid sequence, v1 first
    paths: dict[str, str] = field(default_factory=dict)  # content path -> digest (lower)
    states: dict[str, dict[str, str]] = field(default_factory=dict)  # version -> path -> digest
    meta: dict[str, dict[str, Any]] = field(default_factory=dict)  # version -> created...
    # algorithm -> content path -> digests (a path under two digests cannot match both)
    fixity: dict[str, dict[str, list[str]]] = field(default_factory=dict)
    errors: int = 0


def check_inventory(data: Any, notes: Notes, where: str, *, spec: str | None) -> Inventory:
    """Check ``data`` (a parsed inventory at ``where`` in the object) and return what it
    says. ``spec`` is the specification version the object declares (checked against the
    type of a root inventory), or None for a version's inventory."""
    inv = Inventory(where)
    before = len(notes.findings)
    _check(data, notes, inv, spec)
    inv.errors = sum(1 for f in notes.findings[before:] if f.severity == "error")
    return inv


def _check(data: Any, notes: Notes, inv: Inventory, spec: str | None) -> None:
    w = inv.where
    if not isinstance(data, dict):
        notes.add("E033", w, "the inventory is not a JSON object")
        return
    for key in sorted(set(data) - _KEYS):
        notes.add("E102", w, f"the inventory has a key the specification does not "
                  f"define: {key!r}")
    _check_id(data, notes, inv)
    _check_type(data, notes, inv, spec)
    _check_algorithm(data, notes, inv)
    if "contentDirectory" in data:
        cd = data["contentDirectory"]
        if not isinstance(cd, str) or "/" in cd or cd == "":
            notes.add("E017", w, "contentDirectory must be a name without a slash",
                      found=cd)
        elif cd in (".", ".."):
            notes.add("E018", w, "contentDirectory must not be . or ..", found=cd)
        else:
            inv.content_dir, inv.content_dir_set = cd, True
    if "versions" not in data:
        notes.add("E041", w, "the inventory has no versions block")
    elif not isinstance(data["versions"], dict):
        notes.add("E044", w, "versions is not a JSON object")
    else:
        inv.versions = _version_sequence(data["versions"], notes, w)
    _check_head(data, notes, inv)
    manifest = data.get("manifest")
    if "manifest" not in data:
        notes.add("E041", w, "the inventory has no manifest block")
    elif not isinstance(manifest, dict):
        notes.add("E106" if inv.spec != "1.0" else "E041", w,
                  "manifest is not a JSON object")
    else:
        _check_manifest(manifest, notes, inv)
    used: set[str] = set()
    if isinstance(data.get("versions"), dict):
        for v in inv.versions:
            used |= _check_version(v, data["versions"][v], notes, inv,
                                   manifest if isinstance(manifest, dict) else {})
    if isinstance(manifest, dict) and inv.versions:
        unused = {d for d in inv.paths.values()} - used
        for d in sorted(unused):
            notes.add("E107", w, f"manifest digest {d[:16]}... is in no version's state")
    if "fixity" in data:
        _check_fixity(data["fixity"], notes, inv)


def _check_id(data: dict[str, Any], notes: Notes, inv: Inventory) -> None:
    if "id" not in data:
        notes.add("E036", inv.where, "the inventory has no id")
        return
    iid = data["id"]
    if not isinstance(iid, str) or not iid:
        notes.add("E037", inv.where, "id must be a non-empty string", found=iid)
        return
    inv.id = iid
    if not _URI.match(iid):
        notes.add("W005", inv.where, f"id {iid!r} is not a URI")


def _check_type(data: dict[str, Any], notes: Notes, inv: Inventory,
                spec: str | None) -> None:
    if "type" not in data:
        notes.add("E036", inv.where, "the inventory has no type")
        return
    t = data["type"]
    m = _TYPE.match(t) if isinstance(t, str) else None
    if m is None or m.group(1) not in SPEC_VERSIONS:
        notes.add("E038", inv.where, "type is not the inventory URI of OCFL 1.0 or 1.1",
                  found=t)
        return
    inv.spec = m.group(1)
    if spec is not None and inv.spec != spec:
        notes.add("E038", inv.where, "type is not the inventory URI of the version the "
                  "object declares", expected=f"https://ocfl.io/{spec}/spec/#inventory",
                  found=t)


def _check_algorithm(data: dict[str, Any], notes: Notes, inv: Inventory) -> None:
    if "digestAlgorithm" not in data:
        notes.add("E036", inv.where, "the inventory has no digestAlgorithm")
        return
    a = data["digestAlgorithm"]
    inv.declared = a if isinstance(a, str) else None
    if a == "sha512":
        inv.algorithm = a
    elif a == "sha256":
        inv.algorithm = a
        notes.add("W004", inv.where, "digestAlgorithm is sha256; sha512 is recommended")
    else:
        notes.add("E025", inv.where, "digestAlgorithm must be sha512 or sha256", found=a)


def _version_sequence(versions: dict[str, Any], notes: Notes, w: str) -> list[str]:
    """The version names in order, if they are a valid sequence; else the findings
    and as much of the sequence as is valid."""
    if not versions:
        notes.add("E008", w, "the object has no version")
        return []
    numbers: dict[int, str] = {}
    for name in versions:
        m = _VERSION.match(name)
        if m is None:
            notes.add("E104", w, f"version name {name!r} is not v and a number")
        elif int(m.group(1)) == 0:
            notes.add("E105", w, f"version name {name!r}: numbers start at 1")
        else:
            numbers[int(m.group(1))] = name
    if not numbers:
        return []
    if 1 not in numbers:
        notes.add("E009", w, "the version numbers do not start at 1 (v1)",
                  found=", ".join(sorted(versions)))
        return []
    first = numbers[1]
    padded = first != "v1"
    if padded:
        notes.add("W001", w, f"version names are zero-padded ({first}); v1, v2... is "
                  "recommended")
    for name in (numbers[n] for n in sorted(numbers)):
        if padded and len(name) == len(first) and name[1] != "0":
            notes.add("E011", w, f"version {name} outgrows the zero-padding of {first}")
            notes.add("E013", w, f"version {name} does not follow the naming of {first}")
        elif len(name) != len(first) if padded else name[1] == "0":
            notes.add("E012", w, f"version {name} is named differently from {first}")
    top = max(numbers)
    missing = [n for n in range(1, top + 1) if n not in numbers]
    if missing:
        notes.add("E010", w, f"the versions are not continuous: number {missing[0]} is "
                  "missing", expected=f"1 to {top}", found=", ".join(sorted(versions)))
    return [numbers[n] for n in sorted(numbers)]


def _check_head(data: dict[str, Any], notes: Notes, inv: Inventory) -> None:
    if "head" not in data:
        notes.add("E036", inv.where, "the inventory has no head")
        return
    head = data["head"]
    if not isinstance(head, str):
        notes.add("E040", inv.where, "head must be a version name", found=head)
        return
    inv.head = head
    if inv.versions and head != inv.versions[-1]:
        notes.add("E040", inv.where, "head is not the highest version",
                  expected=inv.versions[-1], found=head)


def _content_path_ok(path: Any, notes: Notes, w: str, block: str) -> bool:
    if not isinstance(path, str):
        notes.add("E098", w, f"a content path in {block} is not a string", found=path)
        return False
    if path.startswith("/") or path.endswith("/"):
        notes.add("E100", w, f"content path {path!r} in {block} begins or ends with /")
        return False
    if any(e in ("", ".", "..") for e in path.split("/")):
        notes.add("E099", w, f"content path {path!r} in {block} has an element that is "
                  "., .. or empty")
        return False
    if "\\" in path:
        notes.add("E035", w, f"content path {path!r} in {block} has a backslash")
    return True


def _check_manifest(manifest: dict[str, Any], notes: Notes, inv: Inventory) -> None:
    w = inv.where
    seen: dict[str, str] = {}
    dirs: set[str] = set()
    for digest, paths in manifest.items():
        if inv.algorithm is not None and not digest_form_ok(inv.algorithm, digest):
            notes.add("E039", w, f"manifest key {digest[:20]!r}... is not a "
                      f"{inv.algorithm} digest")
            continue
        norm = normal_digest(digest)
        if norm in seen:
            notes.add("E096", w, f"digest {norm[:16]}... occurs twice in the manifest "
                      "(in different case)", found=f"{seen[norm]}, {digest}")
        seen[norm] = digest
        if not isinstance(paths, list) or not paths:
            notes.add("E092", w, f"manifest value of {digest[:16]}... is not a list of "
                      "content paths")
            continue
        for p in paths:
            if not _content_path_ok(p, notes, w, "the manifest"):
                continue
            if p in inv.paths:
                notes.add("E101", w, f"content path {p!r} is listed twice in the manifest")
                continue
            parts = p.split("/")
            if len(parts) < 3 or parts[1] != inv.content_dir \
                    or inv.versions and parts[0] not in inv.versions:
                notes.add("E042", w, f"content path {p!r} is not in the content directory "
                          f"({inv.content_dir}) of a version")
            inv.paths[p] = norm
            dirs.update("/".join(parts[:i]) for i in range(1, len(parts)))
    for p in sorted(dirs & set(inv.paths)):
        notes.add("E101", w, f"content path {p!r} is also a directory of another")


def _check_version(v: str, block: Any, notes: Notes, inv: Inventory,
                   manifest: dict[str, Any]) -> set[str]:
    """Check one version block; the digests (lower case) its state uses."""
    w = inv.where
    if not isinstance(block, dict):
        notes.add("E047", w, f"version {v} is not a JSON object")
        return set()
    created = block.get("created")
    if "created" not in block:
        notes.add("E048", w, f"version {v} has no created")
    elif not isinstance(created, str) or not _created_ok(created):
        notes.add("E049", w, f"version {v}: created is not an RFC 3339 date and time with "
                  "seconds and a time zone", found=created)
    if "message" not in block or "user" not in block:
        missing = " and ".join(k for k in ("message", "user") if k not in block)
        notes.add("W007", w, f"version {v} has no {missing}")
    if "message" in block and not isinstance(block["message"], str):
        notes.add("E094", w, f"version {v}: message is not a string")
    if "user" in block:
        _check_user(v, block["user"], notes, w)
    inv.meta[v] = {k: block.get(k) for k in ("created", "message", "user")}
    if "state" not in block:
        notes.add("E048", w, f"version {v} has no state")
        return set()
    state = block["state"]
    if not isinstance(state, dict):
        notes.add("E050", w, f"version {v}: state is not a JSON object")
        return set()
    used: set[str] = set()
    logical: dict[str, str] = {}
    dirs: set[str] = set()
    for digest, paths in state.items():
        if inv.algorithm is not None and not digest_form_ok(inv.algorithm, digest):
            notes.add("E039", w, f"version {v}: state key {digest[:20]!r}... is not a "
                      f"{inv.algorithm} digest")
            continue
        if digest not in manifest:
            notes.add("E050", w, f"version {v}: state digest {digest[:16]}... is not a "
                      "manifest key (exactly)")
        used.add(normal_digest(digest))
        if not isinstance(paths, list) or not paths:
            notes.add("E051", w, f"version {v}: the state value of {digest[:16]}... is not "
                      "a list of logical paths")
            continue
        for p in paths:
            if not isinstance(p, str):
                notes.add("E051", w, f"version {v}: a logical path is not a string")
            elif p.startswith("/") or p.endswith("/"):
                notes.add("E053", w, f"version {v}: logical path {p!r} begins or ends "
                          "with /")
            elif any(e in ("", ".", "..") for e in p.split("/")):
                notes.add("E052", w, f"version {v}: logical path {p!r} has an element that "
                          "is ., .. or empty")
            elif p in logical:
                notes.add("E095", w, f"version {v}: logical path {p!r} is listed twice")
            else:
                logical[p] = normal_digest(digest)
                parts = p.split("/")
                dirs.update("/".join(parts[:i]) for i in range(1, len(parts)))
    for p in sorted(dirs & set(logical)):
        notes.add("E095", w, f"version {v}: logical path {p!r} is also a directory of "
                  "another")
    inv.states[v] = logical
    return used


def _created_ok(text: str) -> bool:
    if not _CREATED.match(text):
        return False
    try:
        datetime.fromisoformat(text.upper().replace("Z", "+00:00"))
    except ValueError:
        return False
    return True


def _check_user(v: str, user: Any, notes: Notes, w: str) -> None:
    if not isinstance(user, dict) or not isinstance(user.get("name"), str):
        notes.add("E054", w, f"version {v}: user is not an object with a string name")
        return
    if "address" not in user:
        notes.add("W008", w, f"version {v}: user has no address")
    elif not isinstance(user["address"], str):
        notes.add("E054", w, f"version {v}: the user's address is not a string")
    elif not _URI.match(user["address"]):
        notes.add("W009", w, f"version {v}: user address {user['address']!r} is not a URI")


def _check_fixity(fixity: Any, notes: Notes, inv: Inventory) -> None:
    w = inv.where
    if not isinstance(fixity, dict):
        notes.add("E111" if inv.spec != "1.0" else "E056", w, "fixity is not a JSON object")
        return
    for algorithm, block in fixity.items():
        if algorithm not in _HEX_LENGTH and algorithm != "size":
            notes.add("E056", w, f"fixity names an unknown digest algorithm {algorithm!r}")
            continue
        if not isinstance(block, dict):
            notes.add("E057", w, f"fixity block {algorithm} is not a JSON object")
            continue
        seen: set[str] = set()
        values: dict[str, list[str]] = {}
        for digest, paths in block.items():
            if not digest_form_ok(algorithm, digest):
                notes.add("E057", w, f"fixity key {digest[:20]!r}... is not a {algorithm} "
                          "digest")
                continue
            norm = normal_digest(digest)
            if norm in seen:
                notes.add("E097", w, f"digest {norm[:16]}... occurs twice in fixity block "
                          f"{algorithm} (in different case)")
            seen.add(norm)
            if not isinstance(paths, list):
                notes.add("E057", w, f"fixity value of {digest[:16]}... ({algorithm}) is not "
                          "a list of content paths")
                continue
            for p in paths:
                if not _content_path_ok(p, notes, w, f"fixity block {algorithm}"):
                    continue
                if p not in inv.paths:
                    notes.add("E057", w, f"fixity content path {p!r} ({algorithm}) is not in "
                              "the manifest")
                values.setdefault(p, []).append(norm)
        inv.fixity[algorithm] = values
