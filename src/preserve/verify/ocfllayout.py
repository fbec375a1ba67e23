"""Where a storage root's layout puts an object: the path of an object id under the
layouts of the OCFL extensions that map ids to paths by rule alone (0002 flat direct,
0004 hashed n-tuple), so that an object found elsewhere can be reported."""

from __future__ import annotations

import hashlib
from typing import Any

__all__ = ["Layout", "layout_of"]


class Layout:
    """One layout extension with its parameters (config.json, or the defaults)."""

    def __init__(self, extension: str, config: dict[str, Any]) -> None:
        self.extension = extension
        self.config = config

    def path(self, object_id: str) -> str | None:
        """The object's path under the root, or None if this id has none (a digest
        algorithm hashlib lacks, or parameters out of range)."""
        if self.extension == "0002-flat-direct-storage-layout":
            return object_id
        c = self.config
        algorithm = c.get("digestAlgorithm", "sha256")
        size, count = c.get("tupleSize", 3), c.get("numberOfTuples", 3)
        short = c.get("shortObjectRoot", False)
        if not (isinstance(algorithm, str) and isinstance(size, int)
                and isinstance(count, int) and isinstance(short, bool)):
            return None
        try:
            digest = hashlib.new(algorithm, object_id.encode("utf-8")).hexdigest()
        except ValueError:
            return None
        if size == 0 or count == 0:
            return digest
        if size * count > len(digest) or (short and size * count == len(digest)):
            return None
        tuples = [digest[i * size:(i + 1) * size] for i in range(count)]
        return "/".join([*tuples, digest[size * count:] if short else digest])


def layout_of(extension: str, config: Any) -> Layout | None:
    """The layout named by ocfl_layout.json, if it is one whose paths can be computed."""
    if extension not in ("0002-flat-direct-storage-layout",
                         "0004-hashed-n-tuple-storage-layout"):
        return None
    return Layout(extension, config if isinstance(config, dict) else {})
