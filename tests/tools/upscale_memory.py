"""Run as a child process: venice_image_upscale against the sandbox, with Venice's answer swapped
for a large noisy PNG, and print how much the call raised the peak RSS (MiB).

Usage: python -m tests.tools.upscale_memory HOME PNG_PATH
The PNG is read before the baseline, so only what the tool does with it counts.
"""

from __future__ import annotations

import base64
import io
import resource
import sys
from collections.abc import AsyncIterator
from pathlib import Path

import anyio
import httpx2


def peak_mib() -> float:
    """This process's peak RSS. On Linux from VmHWM: ru_maxrss carries the parent's peak over
    fork and exec, so under a large pytest process it would hide the child's own."""
    try:
        status = Path("/proc/self/status").read_text()
    except OSError:
        scale = 1 if sys.platform == "darwin" else 1024  # ru_maxrss: bytes on macOS, KiB elsewhere
        return resource.getrusage(resource.RUSAGE_SELF).ru_maxrss * scale / 2**20
    kib = next(line.split()[1] for line in status.splitlines() if line.startswith("VmHWM:"))
    return int(kib) / 1024


async def main(home: Path, big: bytes) -> None:
    from mcp import Client
    from PIL import Image

    from venice_mcp.config import Secret, Settings
    from venice_mcp.sandbox import SANDBOX_API_KEY, SandboxState, create_app
    from venice_mcp.server import build_server

    sandbox = httpx2.ASGITransport(app=create_app(SandboxState()))
    answer = {"big": False}

    async def chunks() -> AsyncIterator[bytes]:
        view = memoryview(big)
        for start in range(0, len(view), 1 << 20):
            yield bytes(view[start : start + (1 << 20)])

    class Swap(httpx2.AsyncBaseTransport):
        async def handle_async_request(self, request: httpx2.Request) -> httpx2.Response:
            response = await sandbox.handle_async_request(request)
            if answer["big"] and request.url.path.endswith("/image/upscale") and response.status_code == 200:
                await response.aread()
                headers = {k: v for k, v in response.headers.items() if k.lower() != "content-length"}
                return httpx2.Response(200, headers=headers, content=chunks())
            return response

    settings = Settings(api_key=Secret(SANDBOX_API_KEY), base_url="http://sandbox.test/api/v1", home=home)
    buf = io.BytesIO()
    Image.new("RGB", (256, 256), (10, 20, 30)).save(buf, "PNG")
    small = "data:image/png;base64," + base64.b64encode(buf.getvalue()).decode()
    async with Client(build_server(settings, transport=Swap())) as client:
        warm = await client.call_tool("venice_image_upscale", {"image": small, "confirm": True})
        assert not warm.is_error, warm
        before = peak_mib()
        answer["big"] = True
        result = await client.call_tool("venice_image_upscale", {"image": small, "confirm": True})
        assert not result.is_error, result
        after = peak_mib()
    previews = [b for b in result.content if b.type == "image"]
    print(f"{after - before:.1f} {len(previews)}")


if __name__ == "__main__":
    data = Path(sys.argv[2]).read_bytes()
    anyio.run(main, Path(sys.argv[1]), data)
