"""The dashboard in a real browser: Debian's chromium, driven by playwright-core from the npm
registry (never a downloaded browser), against `venice-mcp serve --transport http --sandbox` with a
token, after paid calls and a top-up made through an MCP client.

It needs the npm registry, so it carries the ``registry`` marker (CI: ``pytest -m registry``,
which installs chromium first when it is missing). Screenshots are kept under the test output
folder (VENICE_MCP_TEST_OUTPUT, default ``test-output/`` in the checkout) as CI artifacts.
"""

from __future__ import annotations

import json
import os
import shutil
import subprocess
from pathlib import Path
from typing import Any

import anyio
import httpx2
import pytest
from mcp import Client
from mcp.client.streamable_http import streamable_http_client

from tests.e2e.helpers import CALL_TIMEOUT, TOKEN, HttpServer, http_child

pytestmark = [pytest.mark.registry, pytest.mark.anyio]

PLAYWRIGHT = "playwright-core@1.65.2"
CHROMIUM = os.environ.get("CHROMIUM", "/usr/bin/chromium")
SCRIPT = Path(__file__).parent / "browser" / "dashboard.mjs"
OUTPUT = Path(os.environ.get("VENICE_MCP_TEST_OUTPUT", Path(__file__).parents[2] / "test-output"))
INSTALL_TIMEOUT = 600
BROWSER_TIMEOUT = 180


@pytest.fixture(scope="module")
def driver(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """A folder with playwright-core installed and the browser script beside it."""
    assert Path(CHROMIUM).exists(), f"{CHROMIUM} is missing: apt-get install -y chromium (.ci/run does)"
    npm = shutil.which("npm")
    assert npm is not None, "the registry tests need node and npm"
    where = tmp_path_factory.mktemp("playwright")
    subprocess.run(
        [npm, "install", "--silent", "--no-audit", "--no-fund", PLAYWRIGHT],
        cwd=where,
        check=True,
        timeout=INSTALL_TIMEOUT,
        capture_output=True,
        env={**os.environ, "PLAYWRIGHT_SKIP_BROWSER_DOWNLOAD": "1"},
    )
    shutil.copy(SCRIPT, where / "dashboard.mjs")
    return where


async def spend_through_mcp(server: HttpServer) -> dict[str, Any]:
    """Two chats, an image and a $5 top-up; returns venice_spending's figures and the receipt."""
    async with httpx2.AsyncClient(headers=server.auth, timeout=CALL_TIMEOUT) as http:
        async with Client(streamable_http_client(f"{server.base}/mcp", http_client=http)) as client:
            for args in ({"prompt": "hello"}, {"prompt": "again"}):
                assert not (await client.call_tool("venice_chat", args)).is_error
            assert not (await client.call_tool("venice_image_generate", {"prompt": "a fox"})).is_error
            topup = await client.call_tool("venice_wallet_top_up", {"amount_usd": 5, "confirm": True})
            assert not topup.is_error, topup.content
            spending = await client.call_tool("venice_spending", {"days": 1})
        # Call records are written in batches (CallWriter): wait until the page can see them all.
        with anyio.fail_after(CALL_TIMEOUT):
            while True:
                data = (await http.get(f"{server.base}/dashboard/data.json")).json()
                if data["spending"]["by_tool"].get("venice_chat", {}).get("calls") == 2:
                    break
                await anyio.sleep(0.1)  # a poll interval, not a wait for an outcome
    assert topup.structured_content is not None and spending.structured_content is not None
    return {"topup": topup.structured_content, "spending": spending.structured_content, "data": data}


async def test_the_operator_signs_in_and_finds_calls_spend_and_top_up(driver: Path, tmp_path: Path) -> None:
    home = tmp_path / "home"
    env = {
        "VENICE_MCP_AUTH_TOKEN": TOKEN,
        "VENICE_WALLET_KEY": "0x" + "42" * 32,  # --sandbox swaps in a throwaway wallet
        "VENICE_MCP_MAX_CALL_USD": "100",
    }
    OUTPUT.mkdir(parents=True, exist_ok=True)
    async with http_child(home, "--sandbox", **env) as server:
        made = await spend_through_mcp(server)
        done = await anyio.run_process(
            ["node", str(driver / "dashboard.mjs"), server.base, TOKEN, str(OUTPUT)],
            cwd=driver,
            check=False,
        )
    assert done.returncode == 0, done.stderr.decode()[-3000:]
    seen = json.loads(done.stdout)
    tx = made["topup"]["transaction"]
    by_tool = made["spending"]["by_tool"]

    # Before signing in, and with a wrong token: the form, no numbers, no session.
    assert seen["anonymous_status"] == 401
    wrong = seen["wrong"]
    assert "not the token" in wrong["text"] and wrong["bars"] == 0 and wrong["cookies"] == []
    assert "venice_chat" not in wrong["text"] and tx not in wrong["text"]

    # Signed in: the calls, the spend, the top-up and its settlement transaction are on the page.
    text = seen["text"]
    for shown in ("venice_chat", "venice_image_generate", tx, "$5.00", made["data"]["wallet"]):
        assert shown in text, shown
    # And in the chart's data: today's venice_chat bar is what Venice reported for the chats.
    chat_bars = [b for b in seen["bars"] if b["chart"] == "chart-tool" and b["series"] == "venice_chat"]
    assert sum(b["usd"] for b in chat_bars) == pytest.approx(by_tool["venice_chat"]["actual_usd"], rel=1e-6)
    assert any(b["series"] == "venice_image_generate" for b in seen["bars"])

    # The session: HttpOnly (no script reads it), SameSite=Strict, scoped, and not the token.
    [cookie] = seen["cookies"]
    assert (cookie["httpOnly"], cookie["sameSite"], cookie["path"]) == (True, "Strict", "/dashboard")
    assert TOKEN not in cookie["value"] and not seen["js_can_read_cookie"]
    assert TOKEN not in seen["html"] and TOKEN not in seen["url"]

    # Live without a reload, and it fits a phone.
    assert seen["live_refreshed"] and seen["navigations"] == 1
    assert not seen["phone_overflow"]
    for shot in ("dashboard.png", "dashboard-phone.png"):
        assert (OUTPUT / shot).read_bytes().startswith(b"\x89PNG")
