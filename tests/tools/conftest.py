"""An MCP client session against the server, whose Venice is the in-process sandbox."""

from __future__ import annotations

from collections.abc import AsyncIterator, Callable, Iterator
from pathlib import Path
from typing import Any

import httpx2
import pytest
from mcp import Client

from venice_mcp.api.retry import RetryPolicy
from venice_mcp.config import Secret, Settings
from venice_mcp.sandbox import SANDBOX_API_KEY, SandboxState, create_app
from venice_mcp.server import build_server

SANDBOX_URL = "http://sandbox.test/api/v1"


@pytest.fixture
def sandbox() -> SandboxState:
    return SandboxState()


@pytest.fixture
def settings(tmp_path: Path) -> Settings:
    return Settings(api_key=Secret(SANDBOX_API_KEY), base_url=SANDBOX_URL, home=tmp_path / "home")


@pytest.fixture
def waits() -> list[float]:
    """Every retry wait the server asked for; the tests' servers never really sleep."""
    return []


@pytest.fixture
def make_client(sandbox: SandboxState, settings: Settings, waits: list[float]) -> Callable[..., Client]:
    """Build an MCP client for a server with optional settings changes, over the sandbox."""

    async def no_sleep(seconds: float) -> None:
        waits.append(seconds)

    def make(mode: str = "auto", elicitation_callback: Any = None, **changes: Any) -> Client:
        transport = httpx2.ASGITransport(app=create_app(sandbox))
        policy = RetryPolicy(sleep=no_sleep, jitter=lambda: 0.0)
        server = build_server(settings.with_changes(**changes), transport=transport, retry=policy)
        return Client(server, mode=mode, elicitation_callback=elicitation_callback)  # type: ignore[arg-type]

    return make


@pytest.fixture(params=["auto", "legacy"])
async def client(request: pytest.FixtureRequest, make_client: Callable[..., Client]) -> AsyncIterator[Client]:
    """A session in each protocol era: 2026-07-28 (auto) and the handshake era hosts speak today."""
    async with make_client(request.param) as c:
        yield c


@pytest.fixture
def public_dns(monkeypatch: pytest.MonkeyPatch) -> None:
    """Make *.example hosts resolve to a public address, so URL inputs need no network."""
    import anyio

    async def fake(host: str, port: int, **_: Any) -> list[Any]:
        return [(2, 1, 6, "", ("93.184.216.34", port))]

    monkeypatch.setattr(anyio, "getaddrinfo", fake)


@pytest.fixture
def offline_dns(monkeypatch: pytest.MonkeyPatch) -> None:
    """No name resolves (an offline machine): URLs Venice fetches itself must still pass."""
    import socket

    import anyio

    async def offline(host: str, port: int, **_: Any) -> list[Any]:
        raise socket.gaierror(socket.EAI_AGAIN, "Temporary failure in name resolution")

    monkeypatch.setattr(anyio, "getaddrinfo", offline)


def text_of(result: Any) -> str:
    return "\n".join(block.text for block in result.content if getattr(block, "type", "") == "text")


def venice_requests(sandbox: SandboxState, path: str) -> list[Any]:
    return [r for r in sandbox.requests if r.path == path]


# Every parameter name a tool sent to the sandbox in these tests, per (METHOD, spec path):
# test_parameter_coverage.py holds tools/spec_coverage.py's parameter report to it, when the run
# is the whole of tests/tools (PARTIAL says why it is not).
SENT: dict[tuple[str, str], set[str]] = {}
PARTIAL: list[str] = []
HERE = Path(__file__).parent
COVERAGE_TEST = "test_parameter_coverage.py"


def pytest_collection_modifyitems(items: list[pytest.Item]) -> None:
    """The parameter coverage test runs after every other tool test."""
    items.sort(key=lambda item: Path(str(item.path)).name == COVERAGE_TEST)
    ran = {Path(str(i.path)).name for i in items if Path(str(i.path)).parent == HERE}
    every = {p.name for p in HERE.glob("test_*.py")}
    if ran != every:
        PARTIAL.append(f"only {len(ran)} of the {len(every)} tool test modules were collected")


def pytest_deselected(items: list[pytest.Item]) -> None:
    if any(Path(str(i.path)).parent == HERE for i in items):
        PARTIAL.append("some tool tests were deselected")


@pytest.fixture(autouse=True)
def requests_are_declared(request: pytest.FixtureRequest, sandbox: SandboxState) -> Iterator[None]:
    """What tools/spec_coverage.py reports must be what the tools do: while the tests of a tool
    module that declares ENDPOINTS run, every request the sandbox receives is a declared operation."""
    from venice_mcp.tools import _coverage

    yield
    for r in sandbox.requests:
        path = _coverage.spec_path(r.path)  # the sandbox's templates may name parameters differently
        SENT.setdefault((r.method, path), set()).update(_coverage.sent_parameters(r.query, r.json, r.form))
    stem = Path(str(request.node.path)).stem.removeprefix("test_")
    module = next((m for m in _coverage.tool_modules() if m.__name__.rsplit(".", 1)[-1] == stem), None)
    if module is None or not hasattr(module, "ENDPOINTS"):
        return
    declared = {k for k, reach in _coverage.reaches().items() if any(r.how == "declared" for r in reach)}
    undeclared = sorted({(r.method, r.path) for r in sandbox.requests} - declared)
    assert not undeclared, f"requests no tool module declares in ENDPOINTS: {undeclared}"
