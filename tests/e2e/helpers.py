"""Helpers for driving the real ``venice-mcp`` CLI as a child process.

Children run ``sys.executable -m venice_mcp`` (so the venv is used) with a minimal environment:
a temporary ``VENICE_MCP_HOME`` and none of the developer's ``VENICE_*`` settings or keys.
Every wait is bounded, and every child is killed in ``finally``.
"""

from __future__ import annotations

import os
import socket
import subprocess
import sys
from collections.abc import AsyncIterator, Iterator, Mapping
from contextlib import asynccontextmanager
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import anyio
import httpx2

# A cold start is ~0.6 s; a loaded 2-core CI machine can be many times slower.
START_TIMEOUT = 60.0
CALL_TIMEOUT = 60.0
TOKEN = "e2e-token-0123456789abcdef"


def child_env(home: Path, **extra: str) -> dict[str, str]:
    # VENICE_MCP_DATABASE_URL: set for the running test when the suite runs on PostgreSQL.
    keep = ("PATH", "HOME", "LANG", "LC_ALL", "SYSTEMROOT", "TMPDIR", "VENICE_MCP_DATABASE_URL")
    env = {k: v for k, v in os.environ.items() if k in keep}
    env.update(VENICE_MCP_HOME=str(home), PYTHONUNBUFFERED="1", **extra)
    return env


def cli(*args: str) -> list[str]:
    return [sys.executable, "-m", "venice_mcp", *args]


def free_port() -> int:
    with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as sock:
        sock.bind(("127.0.0.1", 0))
        return int(sock.getsockname()[1])


async def wait_until_listening(
    port: int, proc: subprocess.Popen[bytes], timeout: float = START_TIMEOUT
) -> None:
    """Poll until the child accepts connections; fail at once if it exits."""
    with anyio.fail_after(timeout):
        while True:
            if proc.poll() is not None:
                raise RuntimeError(f"server exited with {proc.returncode} before listening")
            try:
                stream = await anyio.connect_tcp("127.0.0.1", port)
            except OSError:
                await anyio.sleep(0.05)  # a poll interval, not a wait for an outcome
            else:
                await stream.aclose()
                return


def stop(proc: subprocess.Popen[bytes]) -> None:
    if proc.poll() is None:
        proc.kill()
    proc.wait(timeout=10)


@dataclass(frozen=True)
class HttpServer:
    port: int
    token: str | None
    stderr: Path
    process: subprocess.Popen[bytes] | None = field(default=None, compare=False, repr=False)

    @property
    def pid(self) -> int:
        assert self.process is not None
        return self.process.pid

    @property
    def base(self) -> str:
        return f"http://127.0.0.1:{self.port}"

    @property
    def auth(self) -> dict[str, str]:
        return {"Authorization": f"Bearer {self.token}"} if self.token else {}


def spawn_http(tmp: Path, token: str | None) -> Iterator[HttpServer]:
    port = free_port()
    extra: Mapping[str, str] = {"VENICE_MCP_AUTH_TOKEN": token} if token else {}
    log = tmp / "stderr.log"
    with log.open("wb") as err:
        proc = subprocess.Popen(
            cli("serve", "--transport", "http", "--sandbox", "--port", str(port)),
            env=child_env(tmp, **extra),
            stdin=subprocess.DEVNULL,
            stdout=subprocess.DEVNULL,
            stderr=err,
        )
    try:
        try:
            anyio.run(wait_until_listening, port, proc)
        except (RuntimeError, TimeoutError) as exc:
            raise RuntimeError(f"{exc}; its stderr:\n{log.read_text()[-3000:]}") from None
        yield HttpServer(port, token, log, proc)
    finally:
        stop(proc)


@asynccontextmanager
async def http_child(home: Path, *args: str, **env: str) -> AsyncIterator[HttpServer]:
    """``serve --transport http`` (plus ``args``, e.g. ``--sandbox``) as a child, from async tests."""
    port = free_port()
    home.mkdir(parents=True, exist_ok=True)
    log = home.parent / f"{home.name}-stderr.log"
    with log.open("wb") as err:
        proc = subprocess.Popen(
            cli("serve", "--transport", "http", "--port", str(port), *args),
            env=child_env(home, **env),
            stdin=subprocess.DEVNULL,
            stdout=subprocess.DEVNULL,
            stderr=err,
        )
    try:
        try:
            await wait_until_listening(port, proc)
        except (RuntimeError, TimeoutError) as exc:
            raise RuntimeError(f"{exc}; its stderr:\n{log.read_text()[-3000:]}") from None
        yield HttpServer(port, env.get("VENICE_MCP_AUTH_TOKEN"), log, proc)
    finally:
        stop(proc)


# --- the simulator as a process of its own ----------------------------------------------------


@dataclass
class Sandbox:
    port: int
    http: httpx2.AsyncClient

    @property
    def api(self) -> str:
        return f"http://127.0.0.1:{self.port}/api/v1"

    async def control(self, method: str, path: str, body: Any = None, **params: Any) -> Any:
        response = await self.http.request(method, f"/_sandbox/{path}", json=body, params=params or None)
        assert response.status_code == 200, response.text
        return response.json()


@asynccontextmanager
async def sandbox_child(tmp: Path) -> AsyncIterator[Sandbox]:
    """``venice-mcp sandbox`` on a loopback port, with its /_sandbox control routes."""
    port = free_port()
    log = (tmp / "sandbox.log").open("wb")
    proc = subprocess.Popen(
        cli("sandbox", "--port", str(port)),
        env=child_env(tmp / "sandbox-home"),
        stdin=subprocess.DEVNULL,
        stdout=log,
        stderr=subprocess.STDOUT,
    )
    try:
        await wait_until_listening(port, proc)
        async with httpx2.AsyncClient(base_url=f"http://127.0.0.1:{port}", timeout=130) as http:
            yield Sandbox(port, http)
            await http.post("/_sandbox/topups/release")
    finally:
        stop(proc)
        log.close()


def charging_env(sandbox: Sandbox, **extra: str) -> dict[str, str]:
    """A server in charging mode on the simulator: Venice and the facilitator are its routes."""
    from tests.tools.charging_helpers import PAY_TO
    from venice_mcp.sandbox import SANDBOX_API_KEY

    return {
        "VENICE_API_KEY": SANDBOX_API_KEY,
        "VENICE_BASE_URL": sandbox.api,
        "VENICE_MCP_FACILITATOR_URL": f"http://127.0.0.1:{sandbox.port}/facilitator",
        "VENICE_MCP_CHARGE_PAY_TO": PAY_TO,
        **extra,
    }
