"""A paying agent that nobody here wrote: the ``x402`` package's MCP client (x402.mcp, its EVM
``exact`` scheme, a throwaway key) pays a hosted venice-mcp in charging mode, over Streamable HTTP
and SSE. The sandbox is both Venice and the facilitator (a process of its own, so its settlements
can be counted): each paid call settles exactly once, and free calls settle nothing.

Needs PyPI (x402 and the Python SDK 1.x it is built on), so it carries the ``registry`` marker.
"""

from __future__ import annotations

import json
import subprocess
import sys
from pathlib import Path
from typing import Any

import anyio
import pytest

from tests.e2e.helpers import Sandbox, charging_env, http_child, sandbox_child
from tests.tools.charging_helpers import PAY_TO

pytestmark = [pytest.mark.registry, pytest.mark.anyio]

HERE = Path(__file__).parent / "x402_agent"
X402 = "x402[evm,mcp]==2.25.0"
MCP_1X = "mcp>=1.20,<2"
AGENT_KEY = "0x" + "5a" * 32
CALLS = [
    ["venice_chat", {"prompt": "hello"}],
    ["venice_image_generate", {"prompt": "a red fox in snow"}],
    ["venice_models", {"type": "image"}],
]


@pytest.fixture(scope="module")
def agent_python(tmp_path_factory: pytest.TempPathFactory) -> str:
    where = tmp_path_factory.mktemp("x402-agent")
    subprocess.run([sys.executable, "-m", "venv", str(where)], check=True, timeout=120)
    subprocess.run(
        [str(where / "bin" / "pip"), "install", "--quiet", X402, MCP_1X],
        check=True,
        timeout=600,
        capture_output=True,
    )
    return str(where / "bin" / "python")


async def _run_agent(python: str, transport: str, url: str, *extra: str) -> list[dict[str, Any]]:
    argv = [python, str(HERE / "agent.py"), transport, url, AGENT_KEY, json.dumps(CALLS), *extra]
    with anyio.fail_after(180):
        done = await anyio.run_process(argv, check=False)
    assert done.returncode == 0, done.stderr.decode()[-3000:]
    return [json.loads(line) for line in done.stdout.decode().splitlines() if line.startswith("{")]


@pytest.mark.parametrize("transport, path", [("http", "/mcp"), ("sse", "/sse")])
async def test_the_x402_packages_agent_pays_each_call_once(
    agent_python: str, tmp_path: Path, transport: str, path: str
) -> None:
    from eth_account import Account

    payer = Account.from_key(AGENT_KEY).address.lower()
    async with sandbox_child(tmp_path) as sandbox:
        async with http_child(tmp_path / "home", **charging_env(sandbox)) as server:
            seen = await _run_agent(agent_python, transport, server.base + path)
        settlements = await _settlements(sandbox)
    chat, image, models = seen
    for paid in (chat, image):
        assert not paid["is_error"] and paid["payment_made"], paid
        response = paid["payment_response"]
        assert response["success"] is True and response["transaction"].startswith("0x"), paid
        assert response["network"] == "eip155:8453"
    assert "resource_link" in image["types"] or any("venice-mcp://outputs/" in t for t in image["text"])
    assert not models["is_error"] and not models["payment_made"]
    # Exactly one settlement per paid call, from the agent's wallet to the operator's address.
    assert len(settlements) == 2, settlements
    assert {s["transaction"] for s in settlements} == {
        chat["payment_response"]["transaction"],
        image["payment_response"]["transaction"],
    }
    for s in settlements:
        assert s["payer"].lower() == payer and s["payTo"].lower() == PAY_TO.lower(), s


async def test_an_upto_agent_pays_what_the_chat_cost_and_exact_for_the_image(
    agent_python: str, tmp_path: Path
) -> None:
    async with sandbox_child(tmp_path) as sandbox:
        async with http_child(tmp_path / "home", **charging_env(sandbox)) as server:
            chat, image, _ = await _run_agent(agent_python, "http", server.base + "/mcp", "upto")
        settlements = await _settlements(sandbox)
    assert not chat["is_error"] and not image["is_error"], (chat, image)
    by_tx = {s["transaction"]: s for s in settlements}
    paid_chat = by_tx[chat["payment_response"]["transaction"]]
    paid_image = by_tx[image["payment_response"]["transaction"]]
    assert paid_chat["scheme"] == "upto" and int(paid_chat["amount"]) < int(paid_chat["maximum"])
    assert chat["payment_response"]["amount"] == paid_chat["amount"]
    assert paid_image["scheme"] == "exact" and len(settlements) == 2


async def _settlements(sandbox: Sandbox) -> list[dict[str, Any]]:
    body = await sandbox.control("GET", "facilitator/settlements")
    return list(body["settlements"] if isinstance(body, dict) else body)
