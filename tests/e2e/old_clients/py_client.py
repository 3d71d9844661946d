"""An MCP client of an older protocol era, run with an old release of the Python SDK.

Usage: python py_client.py CALLS_JSON COMMAND [ARGS...]. Connects over stdio to COMMAND, makes
each call, reads back every output it links to, and prints one JSON summary on stdout. Written
for the SDK's 1.x API (ClientSession, stdio_client), so it runs on the releases of that era.
"""

import asyncio
import json
import os
import re
import sys

from mcp import ClientSession, StdioServerParameters
from mcp.client.stdio import stdio_client

URI = re.compile(r"venice-mcp://outputs/[A-Za-z0-9._-]*[A-Za-z0-9]")


async def main() -> None:
    calls = json.loads(sys.argv[1])
    params = StdioServerParameters(command=sys.argv[2], args=sys.argv[3:], env=dict(os.environ))
    out = {"calls": [], "reads": []}
    async with stdio_client(params) as (read, write), ClientSession(read, write) as session:
        init = await session.initialize()
        out["protocolVersion"] = init.protocolVersion
        uris = set()
        for tool, arguments in calls:
            try:
                result = await session.call_tool(tool, arguments)
            except Exception as exc:  # what the issue saw: the whole, paid, result rejected
                out["calls"].append({"tool": tool, "exception": f"{type(exc).__name__}: {exc}"[:400]})
                continue
            texts = " ".join(getattr(block, "text", "") for block in result.content)
            uris |= set(URI.findall(texts))
            out["calls"].append(
                {"tool": tool, "isError": result.isError, "types": [block.type for block in result.content]}
            )
        for uri in sorted(uris):
            read_back = await session.read_resource(uri)
            out["reads"].append({"uri": uri, "mimeType": read_back.contents[0].mimeType})
    print(json.dumps(out))


asyncio.run(main())
