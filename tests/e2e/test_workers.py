"""Several worker processes on one port (``serve --workers N``), and several servers on one home:
any request may land on any process, so Streamable HTTP is stateless, clients of both protocol
eras are served, a dead worker is replaced, and a job queued through one process is collected
through another (the database is the only thing they share).

The simulator runs as a process of its own: ``--sandbox`` would give each worker its own.
"""

from __future__ import annotations

import os
import signal
from pathlib import Path
from typing import Any

import anyio
import pytest
from mcp import Client

from tests.e2e.helpers import CALL_TIMEOUT, Sandbox, http_child, sandbox_child
from tests.e2e.procstats import needs_proc
from venice_mcp.sandbox import SANDBOX_API_KEY

pytestmark = [pytest.mark.anyio, needs_proc]


def upstream(sandbox: Sandbox) -> dict[str, str]:
    return {
        "VENICE_API_KEY": SANDBOX_API_KEY,
        "VENICE_BASE_URL": sandbox.api,
        "VENICE_MCP_POLL_SECONDS": "0.01",
        "VENICE_MCP_MAX_CALL_USD": "5",
    }


def workers_of(pid: int) -> list[int]:
    children = Path(f"/proc/{pid}/task/{pid}/children").read_text().split()
    return [int(c) for c in children]


def status(pid: int) -> str:
    try:
        return Path(f"/proc/{pid}/status").read_text().lower()
    except OSError:
        return "zombie"


async def until_workers(pid: int, count: int, but_not: int | None = None) -> list[int]:
    with anyio.fail_after(30):
        while True:
            found = workers_of(pid)
            if len(found) == count and but_not not in found:
                return found
            await anyio.sleep(0.05)  # a poll interval, not a wait for an outcome


async def chat(url: str, mode: str) -> str:
    async with Client(url, mode=mode) as client:  # type: ignore[arg-type]
        result = await client.call_tool("venice_chat", {"prompt": "hello"})
    assert not result.is_error, result
    return str(result.content[0].text)  # type: ignore[union-attr]


async def test_two_workers_serve_both_protocol_eras_and_replace_a_dead_one(tmp_path: Path) -> None:
    async with (
        sandbox_child(tmp_path) as sandbox,
        http_child(tmp_path / "home", "--workers", "2", **upstream(sandbox)) as server,
    ):
        first = await until_workers(server.pid, 2)
        replies: list[str] = []

        async def one(mode: str) -> None:
            replies.append(await chat(server.base + "/mcp", mode))

        with anyio.fail_after(CALL_TIMEOUT * 2):
            async with anyio.create_task_group() as tg:
                for n in range(24):  # handshake-era sessions too: with no session kept, any worker answers
                    tg.start_soon(one, "legacy" if n % 2 else "auto")
        assert len(replies) == 24 and all(r.startswith("[sandbox]") for r in replies)

        os.kill(first[0], signal.SIGKILL)
        survivors = await until_workers(server.pid, 2, but_not=first[0])
        with anyio.fail_after(CALL_TIMEOUT):
            assert (await chat(server.base + "/mcp", "auto")).startswith("[sandbox]")

        # The parent killed outright: its workers notice and stop, rather than serve unsupervised.
        os.kill(server.pid, signal.SIGKILL)
        with anyio.fail_after(30):
            while any(Path(f"/proc/{pid}").exists() and "zombie" not in status(pid) for pid in survivors):
                await anyio.sleep(0.05)  # a poll interval, not a wait for an outcome


async def test_a_job_queued_through_one_server_is_collected_through_another(tmp_path: Path) -> None:
    home = tmp_path / "home"
    async with sandbox_child(tmp_path) as sandbox:
        env = upstream(sandbox)
        async with http_child(home, **env) as a, http_child(home, **env) as b:
            with anyio.fail_after(CALL_TIMEOUT * 2):
                async with Client(a.base + "/mcp") as on_a:
                    queued = await on_a.call_tool(
                        "venice_music_generate", {"prompt": "calm piano", "wait_seconds": 0}
                    )
                assert not queued.is_error, queued
                job_id = (queued.structured_content or {})["job_id"]
                assert (queued.structured_content or {})["status"] != "completed"  # b collects it
                async with Client(b.base + "/mcp") as on_b:
                    done = await on_b.call_tool("venice_jobs", {"job_id": job_id, "wait_seconds": 60})
                    assert not done.is_error, done
                    [link] = [c for c in done.content if c.type == "resource_link"]
                    read = await on_b.read_resource(link.uri)
                async with Client(a.base + "/mcp") as on_a:
                    again = await on_a.call_tool("venice_jobs", {"job_id": job_id, "wait_seconds": 0})
    contents: Any = read.contents[0]
    assert contents.mime_type == "audio/mpeg" and contents.blob
    assert not again.is_error and (again.structured_content or {})["status"] == "completed"


async def test_the_readmes_workers_example_runs_on_postgresql(tmp_path: Path, postgres_server: str) -> None:
    """The README's lines, run through bash: the sandbox, then four workers on one PostgreSQL."""
    import re
    import subprocess

    from tests import backend
    from tests.e2e.helpers import child_env, cli, free_port, wait_until_listening

    readme = (Path(__file__).resolve().parents[2] / "README.md").read_text(encoding="utf-8")
    section = readme.split("## Running several workers\n", 1)[1].split("\n## ", 1)[0]
    [block] = re.findall(r"```bash\n(.*?)```", section, re.S)
    sandbox_port, port = free_port(), free_port()
    with backend.fresh_schema(postgres_server) as url:
        script = (
            block.replace("8787", str(sandbox_port))
            .replace("--port 8000", f"--port {port}")
            .replace("postgresql://venice:secret@127.0.0.1:5432/venice", shlex_quote(url))
        )
        env = child_env(tmp_path)
        env["PATH"] = str(Path(cli()[0]).parent) + ":" + env["PATH"]  # this venv's venice-mcp
        proc = subprocess.Popen(["bash", "-c", script], env=env, start_new_session=True)
        try:
            await wait_until_listening(port, proc)
            with anyio.fail_after(CALL_TIMEOUT):
                replies = [await chat(f"http://127.0.0.1:{port}/mcp", mode) for mode in ("auto", "legacy")]
        finally:
            os.killpg(proc.pid, signal.SIGKILL)
            proc.wait(timeout=10)
    assert all(r.startswith("[sandbox]") for r in replies)


def shlex_quote(text: str) -> str:
    import shlex

    return shlex.quote(text)
