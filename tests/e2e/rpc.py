"""A raw JSON-RPC peer over a child's stdio that speaks exactly one MCP protocol version.

No SDK sits in between, so what is checked is the JSON the server really wrote: a handshake-era
peer sends ``initialize`` with its version (and requires the server to accept it); a 2026-07-28 peer
sends each request with the version and capabilities in ``_meta``, as that era does.
"""

from __future__ import annotations

import json
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from pathlib import Path
from typing import Any

import anyio
from anyio.abc import Process
from anyio.streams.buffered import BufferedByteReceiveStream

from tests.e2e.helpers import CALL_TIMEOUT, START_TIMEOUT

MODERN = "2026-07-28"
MAX_LINE = 64 * 1024 * 1024


class RawPeer:
    def __init__(self, process: Process, version: str, capabilities: dict[str, Any]) -> None:
        assert process.stdin is not None and process.stdout is not None
        self._process = process
        self._stdin = process.stdin
        self._stdout = BufferedByteReceiveStream(process.stdout)
        self.version = version
        self.capabilities = capabilities
        self._next = 0

    async def send(self, message: dict[str, Any]) -> None:
        await self._stdin.send(json.dumps(message).encode() + b"\n")

    async def send_line(self, line: bytes) -> dict[str, Any]:
        """Write one raw line and return the next message the server writes."""
        await self._stdin.send(line + b"\n")
        reply: dict[str, Any] = json.loads(await self._stdout.receive_until(b"\n", MAX_LINE))
        return reply

    async def request(self, method: str, params: dict[str, Any] | None = None) -> dict[str, Any]:
        """The whole response message (``result`` or ``error``), skipping notifications."""
        self._next += 1
        params = dict(params or {})
        if self.version == MODERN:
            params["_meta"] = {
                "io.modelcontextprotocol/protocolVersion": MODERN,
                "io.modelcontextprotocol/clientCapabilities": self.capabilities,
                "io.modelcontextprotocol/clientInfo": {"name": "raw-peer", "version": "0"},
            }
        await self.send({"jsonrpc": "2.0", "id": self._next, "method": method, "params": params})
        while True:
            line = await self._stdout.receive_until(b"\n", MAX_LINE)
            message: dict[str, Any] = json.loads(line)
            if message.get("id") == self._next and "method" not in message:
                return message

    async def initialize(self) -> dict[str, Any]:
        reply = await self.request(
            "initialize",
            {
                "protocolVersion": self.version,
                "capabilities": self.capabilities,
                "clientInfo": {"name": "raw-peer", "version": "0"},
            },
        )
        await self.send({"jsonrpc": "2.0", "method": "notifications/initialized"})
        result: dict[str, Any] = reply["result"]
        return result

    async def call_tool(self, name: str, arguments: dict[str, Any]) -> dict[str, Any]:
        with anyio.fail_after(CALL_TIMEOUT):
            reply = await self.request("tools/call", {"name": name, "arguments": arguments})
        assert "result" in reply, reply
        result: dict[str, Any] = reply["result"]
        return result


@asynccontextmanager
async def raw_peer(
    argv: list[str],
    env: dict[str, str],
    version: str,
    stderr: Path,
    capabilities: dict[str, Any] | None = None,
) -> AsyncIterator[RawPeer]:
    with stderr.open("ab") as log:
        process = await anyio.open_process(argv, env=env, stderr=log)
    async with process:
        try:
            peer = RawPeer(process, version, capabilities or {})
            if version != MODERN:
                with anyio.fail_after(START_TIMEOUT):
                    accepted = await peer.initialize()
                assert accepted["protocolVersion"] == version, accepted
            yield peer
        finally:
            process.kill()
