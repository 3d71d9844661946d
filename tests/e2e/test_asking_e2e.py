"""The person is asked before money is spent, through the real CLI, over stdio and Streamable HTTP,
in the handshake era and in 2026-07-28 (where the question rides an input-required round trip).

Every call here is above the per-call limit (VENICE_MCP_MAX_CALL_USD=0). The server's own ledger
shows what happened: a declined call is recorded as declined and never as sent.
"""

from __future__ import annotations

import subprocess
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import anyio
import pytest
from mcp import Client, StdioServerParameters
from mcp.types import ElicitResult

from tests.backend import on_postgres, recorded_calls
from tests.e2e.helpers import CALL_TIMEOUT, child_env, cli, free_port, stop, wait_until_listening

pytestmark = pytest.mark.anyio

ERAS = ["legacy", "2026-07-28"]


async def statuses(home: Path) -> list[str]:
    return [row["status"] for row in await recorded_calls(home)]


def person(answer: bool, asked: list[str]) -> Any:
    async def answer_it(_: Any, params: Any) -> ElicitResult:
        asked.append(params.message)
        return ElicitResult(action="accept", content={"approve": answer})

    return answer_it


async def two_calls(target: Any, mode: str) -> tuple[list[str], list[str]]:
    """A declined chat, then an approved one; what the person was asked and what the texts said."""
    asked: list[str] = []
    texts = []
    for answer in (False, True):
        with anyio.fail_after(CALL_TIMEOUT):
            async with Client(target, mode=mode, elicitation_callback=person(answer, asked)) as client:
                result = await client.call_tool("venice_chat", {"prompt": "hello", "confirm": True})
        assert not result.is_error, result
        texts.append("".join(getattr(b, "text", "") for b in result.content))
    return asked, texts


async def check(asked: list[str], texts: list[str], home: Path) -> None:
    assert len(asked) == 2 and all("VENICE_MCP_MAX_CALL_USD" in q for q in asked)
    assert "declined" in texts[0] and "Nothing was spent" in texts[0]
    assert texts[1].startswith("[sandbox]")
    # A running server writes call records in batches (at most half a second behind).
    with anyio.fail_after(CALL_TIMEOUT):
        while len(await statuses(home)) < 2:
            await anyio.sleep(0.05)  # a poll interval, not a wait for an outcome
    assert await statuses(home) == ["declined", "ok"]


@pytest.mark.parametrize("mode", ERAS)
async def test_stdio_asks_the_person(mode: str, tmp_path: Path) -> None:
    command, *args = cli("serve", "--sandbox")
    env = child_env(tmp_path, VENICE_MCP_MAX_CALL_USD="0")
    asked, texts = await two_calls(StdioServerParameters(command=command, args=args, env=env), mode)
    await check(asked, texts, tmp_path)


@pytest.fixture
def gated_http(tmp_path: Path) -> Iterator[tuple[str, Path]]:
    port = free_port()
    with (tmp_path / "stderr.log").open("wb") as err:
        proc = subprocess.Popen(
            cli("serve", "--transport", "http", "--sandbox", "--port", str(port)),
            env=child_env(tmp_path, VENICE_MCP_MAX_CALL_USD="0"),
            stdin=subprocess.DEVNULL,
            stdout=subprocess.DEVNULL,
            stderr=err,
        )
    try:
        anyio.run(wait_until_listening, port, proc)
        yield f"http://127.0.0.1:{port}/mcp", tmp_path
    finally:
        stop(proc)


@pytest.mark.parametrize("mode", ERAS)
async def test_streamable_http_asks_the_person(mode: str, gated_http: tuple[str, Path]) -> None:
    url, home = gated_http
    asked, texts = await two_calls(url, mode)
    if mode == "legacy" and on_postgres():
        # State shared in PostgreSQL makes Streamable HTTP stateless: a handshake-era session has
        # no back-channel to ask on, so the agent's confirm decides, as with a host that cannot ask.
        assert asked == [] and all(t.startswith("[sandbox]") for t in texts)
        return
    await check(asked, texts, home)
