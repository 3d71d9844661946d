"""The PostgreSQL backend's own edges: a bad URL or an unreachable server is one clear line without
the password, and psycopg is never loaded unless PostgreSQL is configured."""

from __future__ import annotations

import subprocess
import sys
import threading

import anyio
import pytest

from venice_mcp.config import ConfigError, load_settings
from venice_mcp.storage import StorageError


def test_an_unreachable_server_is_named_by_its_variable_without_the_password() -> None:
    from venice_mcp.storage.postgres import PostgresDatabase

    url = "postgresql://me:hunter2-secret@127.0.0.1:1/db?connect_timeout=2"
    with pytest.raises(StorageError) as caught:
        anyio.run(lambda: PostgresDatabase.open(url, timeout_s=3))
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

    async def go() -> None:
        db = await PostgresDatabase.open(url)
        try:
            assert await db.query("SELECT 1 AS one") == [{"one": 1}]
            pgserver.restart(folder)
            assert await db.query("SELECT 1 AS one") == [{"one": 1}]
        finally:
            await db.aclose()

    try:
        anyio.run(go)
    finally:
        pgserver.stop(folder)


@pytest.mark.anyio
async def test_a_statement_waiting_on_a_lock_leaves_the_event_loop_to_other_calls(pg_url: str) -> None:
    """A top-up waiting for its wallet's lock (another worker holds it) is a task waiting on a
    socket: the same process's other calls keep reaching the database meanwhile."""
    import psycopg

    from tests.storage.race_worker import WALLET, payment
    from venice_mcp.payments.ledger import Ledger
    from venice_mcp.storage.postgres import PostgresDatabase

    db = await PostgresDatabase.open(pg_url)
    other_worker = psycopg.connect(pg_url)  # holds the lock in an open transaction
    other_worker.execute(
        "SELECT pg_advisory_xact_lock(hashtextextended(%s, 0))", ("venice-mcp:topups:" + WALLET,)
    )
    # Were the loop blocked, nothing below could release the lock: this thread does, late.
    unblock = threading.Timer(20, other_worker.rollback)
    unblock.start()
    reserved: list[bool] = []
    try:
        with anyio.fail_after(15):
            async with anyio.create_task_group() as tg:

                async def top_up() -> None:
                    reserved.append((await Ledger(db).reserve_payment(payment(5.0), daily_limit_usd=20.0))[0])

                tg.start_soon(top_up)
                waiting = "SELECT count(*) AS n FROM pg_locks WHERE locktype = 'advisory' AND NOT granted"
                while not (await db.query(waiting))[0]["n"]:  # answered while the top-up waits
                    await anyio.sleep(0.01)
                assert reserved == []
                other_worker.rollback()
        assert reserved == [True]
    finally:
        unblock.cancel()
        other_worker.close()
        await db.aclose()
