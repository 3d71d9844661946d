"""A paying agent nobody here wrote: the ``x402`` package's MCP client (x402.mcp.x402MCPSession)
with its EVM ``exact`` scheme, over the official Python SDK 1.x (what x402 2.25 is built on).

Run in a virtual environment holding ``x402[evm,mcp]`` and ``mcp<2`` (tests/e2e/test_x402_agent.py
builds it):  python agent.py http|sse URL PRIVATE_KEY '[["tool", {args}], ...]' [upto]
With ``upto`` the agent also speaks that scheme (and takes it where it is offered first).
Prints one JSON line per call: what the agent saw (error or not, the texts, whether it paid, the
settlement response).
"""

from __future__ import annotations

import asyncio
import json
import sys
from typing import Any

from eth_account import Account
from mcp import ClientSession
from mcp.client.sse import sse_client
from mcp.client.streamable_http import streamablehttp_client
from x402 import x402Client
from x402.mcp.client import x402MCPSession
from x402.mechanisms.evm.exact import register_exact_evm_client
from x402.mechanisms.evm.signers import EthAccountSigner
from x402.mechanisms.evm.upto import UptoEvmClientScheme


def _plain(value: Any) -> Any:
    return value.model_dump(by_alias=True, exclude_none=True) if hasattr(value, "model_dump") else value


async def main(transport: str, url: str, key: str, calls: list[list[Any]], upto: bool) -> None:
    payments = x402Client()
    signer = EthAccountSigner(Account.from_key(key))
    register_exact_evm_client(payments, signer)
    if upto:
        payments.register("eip155:*", UptoEvmClientScheme(signer))
    opener = streamablehttp_client(url) if transport == "http" else sse_client(url)
    async with opener as streams, ClientSession(streams[0], streams[1]) as session:
        agent = x402MCPSession(session, payments)
        await agent.initialize()
        for name, args in calls:
            result = await agent.call_tool(name, args)
            line = {
                "tool": name,
                "is_error": bool(result.is_error),
                "payment_made": result.payment_made,
                "payment_response": _plain(result.payment_response),
                "types": [block.type for block in result.content],
                "text": [block.text for block in result.content if block.type == "text"],
            }
            print(json.dumps(line), flush=True)


if __name__ == "__main__":
    asyncio.run(
        main(sys.argv[1], sys.argv[2], sys.argv[3], json.loads(sys.argv[4]), sys.argv[5:] == ["upto"])
    )
