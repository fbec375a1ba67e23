"""Export: a collection as a deposit-ready BagIt bag, WACZ file or OCFL object.

Every source file is read once; its SHA-256 (and SHA-512) are computed while it is
copied and checked against the collection's fixity manifest, and the package is built
under a temporary name beside DEST and renamed into place only when complete
(docs/export.md).
"""

from __future__ import annotations

from .lock import export_lock
from .run import FORMATS, ExportOptions, ExportResult, export_collection

__all__ = ["FORMATS", "ExportOptions", "ExportResult", "export_collection", "export_lock"]
