"""Module-scoped HTTP server children shared by the e2e tests (see helpers.py)."""

from __future__ import annotations

from collections.abc import Iterator

import pytest

from tests.e2e.helpers import TOKEN, HttpServer, spawn_http


@pytest.fixture(scope="module")
def http_server(tmp_path_factory: pytest.TempPathFactory) -> Iterator[HttpServer]:
    """One `serve --transport http --sandbox` child without a token, shared by the module."""
    yield from spawn_http(tmp_path_factory.mktemp("open"), None)


@pytest.fixture(scope="module")
def token_server(tmp_path_factory: pytest.TempPathFactory) -> Iterator[HttpServer]:
    """One child with VENICE_MCP_AUTH_TOKEN set."""
    yield from spawn_http(tmp_path_factory.mktemp("token"), TOKEN)
