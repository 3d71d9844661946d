"""A local Venice simulator: the same routes and wire formats, real SIWX signature checks.

Nothing heavy is imported here: tests import this package a lot, and Starlette, jsonschema and
eth_account are loaded only when an app is built or a signature is checked.
"""

from __future__ import annotations

from typing import TYPE_CHECKING

from venice_mcp.sandbox.state import SANDBOX_ADMIN_KEY, SANDBOX_API_KEY, RecordedRequest, SandboxState

if TYPE_CHECKING:
    from starlette.applications import Starlette

__all__ = ["SANDBOX_ADMIN_KEY", "SANDBOX_API_KEY", "RecordedRequest", "SandboxState", "create_app", "run"]


def create_app(state: SandboxState | None = None) -> Starlette:
    """The sandbox as a Starlette ASGI app; Venice routes live under /api/v1."""
    from venice_mcp.sandbox.app import create_app as _create_app

    return _create_app(state if state is not None else SandboxState())


def run(host: str = "127.0.0.1", port: int = 8787, state: SandboxState | None = None) -> None:
    """Serve the sandbox over HTTP with uvicorn until interrupted (``venice-mcp sandbox``)."""
    from venice_mcp.sandbox.server import run as _run

    _run(host, port, state)
