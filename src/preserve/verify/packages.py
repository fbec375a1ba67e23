"""What kind of package a path is, when it is no collection and no WARC: a WACZ file, a
BagIt bag or an OCFL object or storage root, and the one entry point that verifies
each by its own specification."""

from __future__ import annotations

import tarfile
import zipfile
from pathlib import Path

from .collection import VerifyOptions
from .report import Report, finding
from .runner import ProgressCallback

__all__ = ["package_kind", "verify_package"]


def package_kind(path: Path) -> str | None:
    """A short description of the package at ``path`` ("a WACZ file", "a BagIt bag",
    "an OCFL object", "an OCFL storage root"), or None if it is none of these. Only
    regular files and directories are looked at."""
    if path.is_dir():
        if (path / "preserve.toml").is_file():
            return None  # a collection (its exports go elsewhere)
        if (path / "bagit.txt").is_file() or ((path / "data").is_dir()
                                               and any(path.glob("manifest-*.txt"))):
            return "a BagIt bag"
        names = [p.name for p in path.glob("0=ocfl*")]
        if any(n.startswith("0=ocfl_object_") for n in names):
            return "an OCFL object"
        if names or (path / "ocfl_layout.json").is_file():
            return "an OCFL storage root"
        if (path / "inventory.json").is_file():
            return "an OCFL object"  # without its declaration, which verify reports
        return None
    if not path.is_file():
        return None
    if path.suffix.lower() == ".wacz":
        return "a WACZ file"
    if path.name.lower().endswith((".tar", ".tar.gz", ".tgz")):
        try:
            return "a BagIt bag (tar)" if tarfile.is_tarfile(path) else None
        except OSError:
            return None
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


def verify_package(path: Path, options: VerifyOptions, *,
                   on_progress: ProgressCallback | None = None) -> Report:
    """Verify the package at ``path`` (``package_kind(path)`` is not None) by its own
    specification: a BagIt bag by RFC 8493 (verify/bag.py), an OCFL object or storage
    root by OCFL 1.1 (verify/ocflpkg.py), a WACZ file by WACZ 1.1.1 (verify/waczpkg.py).
    Problems are findings in the report, never exceptions."""
    kind = package_kind(path) or ""
    if "BagIt" in kind:
        from .bag import verify_bag
        return verify_bag(path, options, on_progress=on_progress)
    if "OCFL" in kind:
        from .ocflpkg import verify_ocfl
        return verify_ocfl(path, options, on_progress=on_progress)
    if "WACZ" in kind:
        from .waczpkg import verify_wacz
        return verify_wacz(path, options, on_progress=on_progress)
    report = Report()
    report.findings.append(finding("PACKAGE_NOT_SUPPORTED", str(path),
                                   f"{path} is no package preserve knows"))
    return report
