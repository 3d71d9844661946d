"""Over stdio every line gets an answer: one the protocol layer cannot read gets a JSON-RPC error
(JSON-RPC 2.0: a parse error with a null id, an invalid request with its id when it had one), and
the server goes on serving. Before, such a line got no reply and the client waited forever."""

from __future__ import annotations

from pathlib import Path

import anyio
import pytest

from tests.e2e.helpers import CALL_TIMEOUT, child_env, cli
from tests.e2e.rpc import raw_peer

pytestmark = pytest.mark.anyio

LINES = [
    (b'{"jsonrpc":"2.0","id":1,"method":"ping","params":{"x":"\\ud800"}}', -32700, None, "Parse error"),
    (b"not json at all", -32700, None, "Parse error"),
    (b"[" * 300 + b"]" * 300, -32700, None, "recursion limit"),
    (b'[{"jsonrpc":"2.0","id":2,"method":"ping"}]', -32600, None, "Batches are not supported"),
    (b'{"jsonrpc":"2.0","id":7,"method":5}', -32600, 7, "check method"),
    (b'{"id":"abc"}', -32600, "abc", "not a JSON-RPC 2.0 message"),
]


async def test_every_unreadable_line_is_answered_and_serving_goes_on(tmp_path: Path) -> None:
    env = child_env(tmp_path)
    async with raw_peer(cli("serve", "--sandbox"), env, "2025-11-25", tmp_path / "stderr.log") as peer:
        for line, code, request_id, words in LINES:
            with anyio.fail_after(CALL_TIMEOUT):
                reply = await peer.send_line(line)
            assert reply["error"]["code"] == code and words in reply["error"]["message"], (line[:40], reply)
            assert reply["id"] == request_id
        with anyio.fail_after(CALL_TIMEOUT):
            assert (await peer.request("ping"))["result"] == {}


async def test_nan_in_arguments_gets_a_reason(tmp_path: Path) -> None:
    """JSON has no NaN, but Python's parser accepts the token: the request to Venice cannot carry it."""
    env = child_env(tmp_path)
    line = (
        b'{"jsonrpc":"2.0","id":11,"method":"tools/call","params":{"name":"venice_crypto_rpc",'
        b'"arguments":{"network":"ethereum-mainnet","method":"eth_getBalance","params":[NaN]}}}'
    )
    async with raw_peer(cli("serve", "--sandbox"), env, "2025-11-25", tmp_path / "stderr.log") as peer:
        with anyio.fail_after(CALL_TIMEOUT):
            reply = await peer.send_line(line)
    text = reply["result"]["content"][0]["text"]
    assert reply["result"]["isError"] and "NaN or Infinity, which JSON cannot carry" in text, text
