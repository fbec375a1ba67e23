"""preserve: web archiving and preservation toolkit.

Capture websites into standards-conformant WARC 1.1 collections, verify their
fixity, and export them for institutional repositories.
"""

from importlib.metadata import PackageNotFoundError, version

try:
    __version__ = version("preserve")
except PackageNotFoundError:  # running from a source tree without installation
    __version__ = "0.0.0+unknown"

PROJECT_URL = "https://github.com/preserve-archive/preserve"
DEFAULT_USER_AGENT = f"preserve/{__version__} (+{PROJECT_URL})"

from .normalise import Article, extract_article  # noqa: E402 - needs the names above

__all__ = ["__version__", "PROJECT_URL", "DEFAULT_USER_AGENT", "Article", "extract_article"]
