"""Module-scoped HTTP server children shared by the e2e tests (see helpers.py)."""

from __future__ import annotations

from collections.abc import AsyncIterator, Iterator
from pathlib import Path

import pytest

from tests.e2e.helpers import TOKEN, HttpServer, Sandbox, sandbox_child, spawn_http


@pytest.fixture(scope="module")
def http_server(tmp_path_factory: pytest.TempPathFactory) -> Iterator[HttpServer]:
    """One `serve --transport http --sandbox` child without a token, shared by the module."""
    yield from spawn_http(tmp_path_factory.mktemp("open"), None)


@pytest.fixture(scope="module")
def token_server(tmp_path_factory: pytest.TempPathFactory) -> Iterator[HttpServer]:
    """One child with VENICE_MCP_AUTH_TOKEN set."""
    yield from spawn_http(tmp_path_factory.mktemp("token"), TOKEN)


@pytest.fixture
async def sandbox(tmp_path: Path) -> AsyncIterator[Sandbox]:
    """The simulator as its own process, for a server child pointed at it by VENICE_BASE_URL."""
    async with sandbox_child(tmp_path) as box:
        yield box
