"""preserve: web archiving and preservation toolkit.

Capture websites into standards-conformant WARC 1.1 collections, verify their
fixity, and export them for institutional repositories.
"""

from typing import TYPE_CHECKING, Any

# The one place the version is written; pyproject.toml reads it from here.
__version__ = "0.1.0"

PROJECT_URL = "https://github.com/preserve-archive/preserve"
DEFAULT_USER_AGENT = f"preserve/{__version__} (+{PROJECT_URL})"

__all__ = ["__version__", "PROJECT_URL", "DEFAULT_USER_AGENT", "Article", "extract_article"]

if TYPE_CHECKING:
    from .normalise import Article, extract_article


def __getattr__(name: str) -> Any:
    # Imported on first use: the extractor's libraries would slow every command's start.
    if name in ("Article", "extract_article"):
        from . import normalise

        return getattr(normalise, name)
    raise AttributeError(f"module 'preserve' has no attribute {name!r}")
