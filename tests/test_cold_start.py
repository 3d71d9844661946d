"""What a host waits for at start stays small: the handshake needs none of the tool modules, a
wallet's signing library (eth_account, ~0.5 s to import) loads only when something is signed, and
a stdio server never loads the dashboard.

Each check runs in a fresh interpreter, so sys.modules tells what was really imported."""

from __future__ import annotations

import json
import subprocess
import sys
import textwrap
from pathlib import Path

SCRIPT = textwrap.dedent(
    """
    import json, pathlib, sys, anyio, httpx2
    from mcp import Client
    from venice_mcp.config import Secret, Settings
    from venice_mcp.sandbox import SandboxState, create_app
    from venice_mcp.server import build_server

    KEY, ADDRESS = "0x" + "11" * 32, "0x19E7E376E7C213B7E7e7e46cc70A5dD086DAff2A"  # the key's address

    def loaded():
        names = ("eth_account", "venice_mcp.tools.text", "venice_mcp.resources", "venice_mcp.api.client",
                 "venice_mcp.dashboard")
        return {n: n in sys.modules for n in names}

    async def main():
        sandbox = SandboxState()
        sandbox.credit(ADDRESS, 10.0)
        base = "http://127.0.0.1:9/api/v1"  # loopback: a wallet may use http there; never dialled
        settings = Settings(home=pathlib.Path(sys.argv[1]), wallet_key=Secret(KEY), base_url=base)
        server = build_server(settings, transport=httpx2.ASGITransport(app=create_app(sandbox)))
        seen = {"built": loaded()}
        async with Client(server, mode="legacy") as client:
            seen["initialized"] = loaded()
            await client.list_tools()
            seen["listed"] = loaded()
            await client.call_tool("venice_chat", {"prompt": "hello"})
            seen["signed"] = loaded()
        print(json.dumps(seen))

    anyio.run(main)
    """
)


def test_the_handshake_loads_no_tool_and_a_wallet_signs_only_when_asked(tmp_path: Path) -> None:
    done = subprocess.run(
        [sys.executable, "-c", SCRIPT, str(tmp_path)], capture_output=True, timeout=120, check=True
    )
    seen = json.loads(done.stdout.decode().strip().splitlines()[-1])
    for stage in ("built", "initialized"):
        assert not any(seen[stage].values()), (stage, seen[stage])
    assert seen["listed"]["venice_mcp.tools.text"] and not seen["listed"]["eth_account"]
    assert seen["signed"]["eth_account"]
    # The operator's page is loaded only where it is served (HTTP, or the dashboard verb).
    assert not any(seen[stage]["venice_mcp.dashboard"] for stage in seen)


SERVE_SCRIPT = textwrap.dedent(
    """
    import gc, json, sys
    from venice_mcp import cli, transports

    collections = []
    gc.callbacks.append(lambda phase, info: phase == "start" and collections.append(info["generation"]))
    seen = {}

    def run_stdio(server):  # where `venice-mcp serve` starts serving: look, then list the tools
        seen["serving"] = {"enabled": gc.isenabled(), "frozen": gc.get_freeze_count(),
                           "collections": len(collections), "sdk": "mcp.server" in sys.modules}
        server._tool_manager.list_tools()  # the deferred fill of the first tools/list
        seen["listed"] = {"enabled": gc.isenabled(), "frozen": gc.get_freeze_count()}

    transports.run_stdio = run_stdio
    assert "mcp.server" not in sys.modules
    cli.main(["serve"])
    garbage = []
    garbage.append(garbage)  # a cycle only the collector frees
    del garbage
    seen["collected"] = gc.collect()
    print(json.dumps(seen))
    """
)


def test_serve_loads_without_the_collector_and_freezes_what_it_loaded(tmp_path: Path) -> None:
    """The SDK's import makes ~180 collections that free almost nothing (40–50 ms of a cold start);
    `serve` loads with the collector paused, freezes what it loaded, and collects again after."""
    env = {"PATH": "", "VENICE_MCP_HOME": str(tmp_path), "VENICE_API_KEY": "sandbox-key"}
    done = subprocess.run(
        [sys.executable, "-c", SERVE_SCRIPT], capture_output=True, timeout=120, env=env, check=True
    )
    seen = json.loads(done.stdout.decode().strip().splitlines()[-1])
    serving, listed = seen["serving"], seen["listed"]
    assert serving["sdk"] and serving["enabled"]
    assert serving["collections"] <= 5, serving  # the settings and arguments, not the SDK
    assert serving["frozen"] > 100_000  # the SDK and the server, out of every later collection
    assert listed["enabled"] and listed["frozen"] > serving["frozen"]  # the tools too
    assert seen["collected"] >= 1  # and the collector still frees what is dropped later
