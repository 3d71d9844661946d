"""Charging mode over real HTTP, with the sandbox as Venice and facilitator in a process of its own:
a facilitator that settles but answers too late gets the same payload again and settles once; a
restart resubmits what a crash left open; an exposed bind needs no token in charging mode.
"""

from __future__ import annotations

from pathlib import Path
from typing import Any

import anyio
import pytest
from mcp import Client

from tests.e2e.helpers import charging_env, child_env, cli, http_child, sandbox_child
from tests.tools.charging_helpers import PAY_TO, payment_required, sign

pytestmark = pytest.mark.anyio

CHAT = {"prompt": "hello"}


async def pay_chat(url: str) -> Any:
    async with Client(url) as client:
        first = await client.call_tool("venice_chat", CHAT)
        required = payment_required(first)
        assert required is not None, first
        exact = {**required, "accepts": [a for a in required["accepts"] if a["scheme"] == "exact"]}
        return await client.call_tool("venice_chat", CHAT, meta={"x402/payment": sign(exact)})


async def test_a_settlement_answered_too_late_is_resubmitted_and_settles_once(tmp_path: Path) -> None:
    async with sandbox_child(tmp_path) as sandbox:
        # The first settle goes through at the facilitator, but its answer never comes in time.
        await sandbox.control("POST", "faults", {"path": "/facilitator/settle", "delay": 600, "after": True})
        env = charging_env(sandbox, VENICE_MCP_FACILITATOR_TIMEOUT_SECONDS="1")
        async with http_child(tmp_path / "home", **env) as server:
            with anyio.fail_after(60):
                result = await pay_chat(server.base + "/mcp")
        await sandbox.control("POST", "faults/release")
        settled = await sandbox.control("GET", "facilitator/settlements")
    assert not result.is_error, result
    [one] = settled
    assert one["submissions"] == 2  # the same payload, twice; one transfer
    assert (result.meta or {})["x402/payment-response"]["transaction"] == one["transaction"]


async def test_charging_mode_serves_an_exposed_bind_without_a_token(tmp_path: Path) -> None:
    async with sandbox_child(tmp_path) as sandbox:
        done = await anyio.run_process(
            [*cli("serve", "--transport", "http", "--host", "0.0.0.0", "--port", "1", "--sandbox")],
            env=child_env(tmp_path / "nocharge"),
            check=False,
        )
        assert done.returncode != 0 and b"VENICE_MCP_AUTH_TOKEN" in done.stderr
        async with http_child(tmp_path / "home", "--host", "0.0.0.0", **charging_env(sandbox)) as server:
            with anyio.fail_after(60):
                result = await pay_chat(server.base + "/mcp")
    assert not result.is_error, result


async def test_charging_needs_a_remote_transport(tmp_path: Path) -> None:
    with anyio.fail_after(60):
        done = await anyio.run_process(
            cli("serve"), env=child_env(tmp_path, VENICE_MCP_CHARGE_PAY_TO=PAY_TO), check=False
        )
    assert done.returncode != 0 and b"--transport http or sse" in done.stderr


async def test_the_readmes_sandbox_line_charges_for_real(tmp_path: Path) -> None:
    """The README's try-it line, run through bash on a free port, takes a signed payment."""
    import re
    import subprocess

    from tests.e2e.helpers import free_port, stop, wait_until_listening

    readme = (Path(__file__).resolve().parents[2] / "README.md").read_text(encoding="utf-8")
    section = readme.split("## Charging remote agents (x402)\n", 1)[1].split("\n## ", 1)[0]
    [line] = [b.strip() for b in re.findall(r"```bash\n(.*?)```", section, re.S) if "--sandbox" in b]
    port = free_port()
    env = child_env(tmp_path)
    env["PATH"] = str(Path(cli()[0]).parent) + ":" + env["PATH"]  # this venv's venice-mcp
    # exec env: the line starts with an assignment, which bare exec would take for the command.
    command = "exec env " + line.replace("--port 8000", f"--port {port}")  # stopping bash stops it
    proc = subprocess.Popen(["bash", "-c", command], env=env)
    try:
        await wait_until_listening(port, proc)
        with anyio.fail_after(60):
            result = await pay_chat(f"http://127.0.0.1:{port}/mcp")
    finally:
        stop(proc)
    assert not result.is_error and (result.meta or {})["x402/payment-response"]["success"] is True
