"""Serve the sandbox over HTTP (``venice-mcp sandbox --port 8787``)."""

from __future__ import annotations

from venice_mcp.sandbox.app import create_app
from venice_mcp.sandbox.state import SandboxState


def run(host: str = "127.0.0.1", port: int = 8787, state: SandboxState | None = None) -> None:
    import uvicorn

    uvicorn.run(create_app(state or SandboxState()), host=host, port=port, log_level="warning")
