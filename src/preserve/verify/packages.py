"""What kind of package a path is, when it is no collection and no WARC: a WACZ file, a
BagIt bag or an OCFL object or storage root. Verifying packages is not built yet; this
lets the command line say so in one line instead of "not a WARC" or "not a
collection"."""

from __future__ import annotations

import zipfile
from pathlib import Path

__all__ = ["package_kind"]


def package_kind(path: Path) -> str | None:
    """A short description of the package at ``path`` ("a WACZ file", "a BagIt bag",
    "an OCFL object", "an OCFL storage root"), or None if it is none of these. Only
    regular files and directories are looked at."""
    if path.is_dir():
        if (path / "preserve.toml").is_file():
            return None  # a collection (its exports go elsewhere)
        if (path / "bagit.txt").is_file():
            return "a BagIt bag"
        names = [p.name for p in path.glob("0=ocfl*")]
        if any(n.startswith("0=ocfl_object_") for n in names):
            return "an OCFL object"
        if names:
            return "an OCFL storage root"
        return None
    if not path.is_file():
        return None
    if path.suffix.lower() == ".wacz":
        return "a WACZ file"
    try:
        with path.open("rb") as f:
            if f.read(4) != b"PK\x03\x04":
                return None
        with zipfile.ZipFile(path) as z:
            names = z.namelist()
    except (OSError, zipfile.BadZipFile):
        return None
    if "datapackage.json" in names:
        return "a WACZ file"
    if any(n == "bagit.txt" or n.count("/") == 1 and n.endswith("/bagit.txt")
           for n in names):
        return "a BagIt bag (zip)"
    return None
