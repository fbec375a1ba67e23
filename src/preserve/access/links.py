"""How the report, search and replay link into each other: one spelling of a replay URL.

``preserve replay`` serves a collection with pywb under the one collection name
``REPLAY_COLLECTION`` on 127.0.0.1 (port ``DEFAULT_REPLAY_PORT`` unless ``--port``), so a
capture at ``timestamp`` (14 digits, as in the CDXJ index) of ``url`` replays at
``replay_url(base, timestamp, url)``.
"""

from __future__ import annotations

__all__ = ["REPLAY_COLLECTION", "DEFAULT_REPLAY_PORT", "replay_path", "replay_url",
           "default_replay_base"]

REPLAY_COLLECTION = "archive"
DEFAULT_REPLAY_PORT = 8080


def default_replay_base(port: int = DEFAULT_REPLAY_PORT) -> str:
    return f"http://127.0.0.1:{port}"


def replay_path(timestamp: str, url: str) -> str:
    """The path, from the server's root, of ``url`` as captured at ``timestamp``."""
    return f"/{REPLAY_COLLECTION}/{timestamp}/{url}"


def replay_url(base: str, timestamp: str, url: str) -> str:
    """``base`` is the replay server's scheme, host and port (``default_replay_base()``)."""
    return base.rstrip("/") + replay_path(timestamp, url)
