"""A fuzzed tool surface: arguments generated from each tool's published input schema, valid and
not (wrong types, missing or unknown fields, huge strings, NaN, infinities, negatives, odd unicode),
sent to every tool against the sandbox. Every call must end within its bound with a result, and a
refusal must be a readable reason: never a traceback, a protocol error, a bare "Error executing
tool", a hang or a dead server. Fixed seed, bounded examples, so CI runs the same calls each time."""

from __future__ import annotations

import math
import re
import tempfile
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import anyio
import httpx2
import pytest
from anyio.from_thread import BlockingPortal, start_blocking_portal
from hypothesis import HealthCheck, given, seed, settings
from hypothesis import strategies as st
from mcp import Client

from venice_mcp.api.retry import RetryPolicy
from venice_mcp.config import Secret, Settings
from venice_mcp.sandbox import SANDBOX_API_KEY, SandboxState, create_app
from venice_mcp.server import build_server

EXAMPLES = 40  # per tool: about 1,400 calls in all, ~20 s
CALL_BOUND_S = 30.0
ODD_VALUES = [
    None,
    -1,
    0,
    2**63,
    -(2**63),
    1e308,
    math.inf,
    -math.inf,
    math.nan,
    "",
    "x" * 100_000,
    "\u202e\u0000\ufeff\U0001f600",
    "../../../../etc/passwd",
    "http://127.0.0.1/admin",
    [],
    [[[[]]]],
    {},
    {"$ref": "#"},
    True,
]


def _tools() -> list[str]:
    async def listed() -> list[str]:
        with tempfile.TemporaryDirectory() as home:
            async with Client(build_server(Settings(home=Path(home), admin_tools=True))) as c:
                return [t.name for t in (await c.list_tools()).tools]

    return anyio.run(listed)


def valid(schema: dict[str, Any], defs: dict[str, Any], depth: int = 0) -> st.SearchStrategy[Any]:
    """Values the schema accepts (bounded in size and depth)."""
    if "$ref" in schema:
        return valid(defs[schema["$ref"].rsplit("/", 1)[-1]], defs, depth)
    if "enum" in schema:
        return st.sampled_from(schema["enum"])
    if "anyOf" in schema:
        return st.one_of([valid(s, defs, depth) for s in schema["anyOf"]])
    kind = schema.get("type")
    if kind == "string":
        return st.text(min_size=schema.get("minLength", 0), max_size=min(schema.get("maxLength", 40), 40))
    if kind == "integer":
        low, high = schema.get("minimum", -1000), schema.get("maximum", 1000)
        return st.integers(
            min_value=low + (1 if schema.get("exclusiveMinimum") is not None else 0), max_value=high
        )
    if kind == "number":
        return st.floats(schema.get("minimum", -1000), schema.get("maximum", 1000), allow_nan=False)
    if kind == "boolean":
        return st.booleans()
    if kind == "array":
        items = schema.get("items") or {}
        inner = valid(items, defs, depth + 1) if items and depth < 3 else st.just("x")
        return st.lists(inner, min_size=schema.get("minItems", 0), max_size=min(schema.get("maxItems", 3), 3))
    if kind == "object" and "properties" in schema and depth < 3:
        required = set(schema.get("required", []))
        fields = {k: valid(v, defs, depth + 1) for k, v in schema["properties"].items()}
        optional = {k: v for k, v in fields.items() if k not in required}
        return st.fixed_dictionaries({k: fields[k] for k in required}, optional=optional)
    return st.dictionaries(st.text(max_size=8), st.sampled_from(["a", 1, None, [1]]), max_size=3)


def arguments(schema: dict[str, Any]) -> st.SearchStrategy[dict[str, Any]]:
    """Valid arguments, or valid ones with one thing broken."""
    defs = schema.get("$defs", {})
    good = valid({**schema, "type": "object"}, defs)
    names = sorted(schema.get("properties", {})) or ["x"]

    def broken(args: dict[str, Any], how: str, key: str, odd: Any) -> dict[str, Any]:
        args = dict(args)
        if how == "drop" and args:
            args.pop(sorted(args)[0])
        elif how == "odd":
            args[key] = odd
        else:
            args["unexpected_" + key] = odd
        return args

    bad = st.builds(
        broken,
        good,
        st.sampled_from(["drop", "odd", "unknown"]),
        st.sampled_from(names),
        st.sampled_from(ODD_VALUES),
    )
    return st.one_of(good, bad)


BARE = re.compile(r"Error executing tool \w+:?\s*$")


def check(tool: str, args: dict[str, Any], result: Any) -> None:
    text = "\n".join(getattr(b, "text", "") for b in result.content)
    assert "Traceback (most recent call last)" not in text, (tool, args, text[:500])
    if result.is_error:
        assert text.strip() and not BARE.match(text.strip()), (tool, args, text[:500])


@pytest.fixture(scope="module")
def portal() -> Iterator[BlockingPortal]:
    with start_blocking_portal() as p:
        yield p


@pytest.fixture
def fuzz_client(portal: BlockingPortal, tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Iterator[Client]:
    async def public(host: str, port: int, **_: Any) -> list[Any]:
        return [(2, 1, 6, "", ("93.184.216.34", port))]

    async def no_sleep(_: float) -> None:
        return None

    monkeypatch.setattr(anyio, "getaddrinfo", public)  # URL inputs need no network
    settings_ = Settings(
        api_key=Secret(SANDBOX_API_KEY),
        base_url="http://sandbox.test/api/v1",
        home=tmp_path / "home",
        input_roots=(tmp_path,),
        admin_tools=True,
        max_call_usd=5.0,
    )
    server = build_server(
        settings_,
        transport=httpx2.ASGITransport(app=create_app(SandboxState())),
        retry=RetryPolicy(sleep=no_sleep, jitter=lambda: 0.0),
    )
    with portal.wrap_async_context_manager(Client(server, mode="legacy")) as client:
        yield client


@pytest.mark.parametrize("tool", _tools())
def test_every_call_ends_in_a_result_or_a_reason(
    tool: str, fuzz_client: Client, portal: BlockingPortal
) -> None:
    schema = next(t for t in portal.call(fuzz_client.list_tools).tools if t.name == tool).input_schema

    async def call(args: dict[str, Any]) -> Any:
        with anyio.fail_after(CALL_BOUND_S):
            return await fuzz_client.call_tool(tool, args)

    @seed(20261204)
    @settings(
        max_examples=EXAMPLES,
        deadline=None,
        database=None,
        derandomize=True,
        suppress_health_check=[HealthCheck.too_slow, HealthCheck.data_too_large],
    )
    @given(arguments(schema))
    def one(args: dict[str, Any]) -> None:
        check(tool, args, portal.call(call, args))

    one()
    assert portal.call(fuzz_client.list_tools).tools  # the server is still there
