from __future__ import annotations

import os
from collections.abc import Iterator

import pytest

from tests import backend, pgserver


@pytest.fixture
def anyio_backend() -> str:
    return "asyncio"


@pytest.fixture(autouse=True)
def state_backend(monkeypatch: pytest.MonkeyPatch) -> Iterator[None]:
    """With VENICE_MCP_TEST_DATABASE_URL set, every server a test builds (in process, or a child
    given VENICE_MCP_DATABASE_URL) keeps its state in a fresh PostgreSQL schema of its own."""
    url = os.environ.get(backend.TEST_URL_ENV)
    if not url:
        yield
        return
    from venice_mcp import storage
    from venice_mcp.config import Settings

    real = storage.postgres_url
    with backend.fresh_schema(url) as scoped:

        def in_schema(settings: Settings) -> str | None:
            return real(settings) or scoped

        monkeypatch.setattr(storage, "postgres_url", in_schema)
        monkeypatch.setenv("VENICE_MCP_DATABASE_URL", scoped)
        backend._current.append(scoped)
        try:
            yield
        finally:
            backend._current.pop()


@pytest.fixture(scope="session")
def postgres_server() -> Iterator[str]:
    """A PostgreSQL server's URL: VENICE_MCP_TEST_DATABASE_URL's, else a throwaway one started here."""
    try:
        import psycopg  # noqa: F401
    except ImportError:
        pytest.skip("PostgreSQL tests need psycopg: pip install -e '.[test]'")
    url = os.environ.get(backend.TEST_URL_ENV)
    if url:
        yield url
        return
    if pgserver.bin_dir() is None:
        pytest.skip(
            f"no PostgreSQL server to test against: set {backend.TEST_URL_ENV} or install initdb/pg_ctl"
            " (Debian: apt-get install postgresql)"
        )
    folder = pgserver.new_folder()
    try:
        url = pgserver.start(folder)
    except Exception as exc:
        pgserver.stop(folder)
        pytest.skip(f"could not start a throwaway PostgreSQL: {exc}")
    try:
        yield url
    finally:
        pgserver.stop(folder)


@pytest.fixture
def pg_url(postgres_server: str) -> Iterator[str]:
    """A URL into a fresh schema on that server, dropped after the test."""
    with backend.fresh_schema(postgres_server) as url:
        yield url
