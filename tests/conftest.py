"""Shared pytest fixtures."""

from __future__ import annotations

from collections.abc import Iterator

import pytest

from helpers_wordpress import wordpress
from testsite import TestSite

__all__ = ["wordpress"]  # one real WordPress for the session (tests/helpers_wordpress.py)


# Fixtures of the bundled test site (testsite): a real server on 127.0.0.1.
@pytest.fixture
def site() -> Iterator[TestSite]:
    """A fresh test site (36 articles) for a test that changes or counts what it serves."""
    with TestSite() as started:
        yield started


@pytest.fixture(scope="session")
def shared_site() -> Iterator[TestSite]:
    """One test site for the whole session: read-only use; filter requests by path."""
    with TestSite() as started:
        yield started
