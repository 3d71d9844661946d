"""The PostgreSQL backend's own edges: a bad URL or an unreachable server is one clear line without
the password, and psycopg is never loaded unless PostgreSQL is configured."""

from __future__ import annotations

import subprocess
import sys

import pytest

from venice_mcp.config import ConfigError, load_settings
from venice_mcp.storage import StorageError


def test_an_unreachable_server_is_named_by_its_variable_without_the_password() -> None:
    from venice_mcp.storage.postgres import PostgresDatabase

    url = "postgresql://me:hunter2-secret@127.0.0.1:1/db?connect_timeout=2"
    with pytest.raises(StorageError) as caught:
        PostgresDatabase(url, timeout_s=3)
    message = str(caught.value)
    assert "VENICE_MCP_DATABASE_URL" in message and "hunter2" not in message and "\n" not in message


def test_a_url_that_is_not_postgresql_is_refused_without_echoing_it() -> None:
    with pytest.raises(ConfigError) as caught:
        load_settings({"VENICE_MCP_DATABASE_URL": "mysql://root:hunter2@db/x"})
    assert "VENICE_MCP_DATABASE_URL" in str(caught.value) and "hunter2" not in str(caught.value)


def test_the_password_is_a_secret_the_server_redacts() -> None:
    settings = load_settings({"VENICE_MCP_DATABASE_URL": "postgresql://me:hunter2@db/x"})
    assert "hunter2" in settings.secret_values() and "hunter2" not in repr(settings)


def test_sqlite_homes_never_load_psycopg(tmp_path: object) -> None:
    code = (
        "import sys; from venice_mcp.config import Settings; from venice_mcp.storage import open_database;"
        f" open_database(Settings(home=__import__('pathlib').Path({str(tmp_path)!r}))).close();"
        " print('psycopg' in sys.modules)"
    )
    env = {"PATH": "/usr/bin:/bin"}
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True, env=env)
    assert out.stdout.strip() == "False"


def test_a_restarted_server_fails_no_statement() -> None:
    """After the database restarts, the pool's old connections are dead: the next statement
    still succeeds (the pool checks a connection before handing it out)."""
    pytest.importorskip("psycopg")
    from tests import pgserver
    from venice_mcp.storage.postgres import PostgresDatabase

    if pgserver.bin_dir() is None:
        pytest.skip("no PostgreSQL server programs (initdb, pg_ctl): apt-get install postgresql")
    folder = pgserver.new_folder()
    url = pgserver.start(folder)
    db = PostgresDatabase(url)
    try:
        assert db.query("SELECT 1 AS one") == [{"one": 1}]
        pgserver.restart(folder)
        assert db.query("SELECT 1 AS one") == [{"one": 1}]
    finally:
        db.close()
        pgserver.stop(folder)
