#!/usr/bin/env python
"""Performance bench for venice-mcp: cold start, per-call overhead and tools/list size, over stdio.

Run from the repository with the project's venv:  .venv/bin/python tools/bench.py [-n 20] [--calls 200]

Method (all figures come from one run on one machine; compare only within a run):

(a) Cold start. Spawn a server, write one raw JSON-RPC ``initialize`` line to its stdin and time
    until the reply line arrives on stdout ("spawn → initialize"). Four servers, interleaved
    round-robin with the order rotating each round so drift (CPU frequency, page cache, the
    previous child's teardown) hits all alike, N spawns each:
      * bare: a minimal ``mcp`` ``MCPServer`` with one tool (the floor any Python MCP server pays);
      * ``venice-mcp serve`` with an API key (what a desktop host launches);
      * ``venice-mcp serve`` with a wallet key (wallet mode);
      * ``venice-mcp serve --sandbox``.
    Goal: median(serve) / median(bare) ≤ 1.00×, in API-key and wallet mode alike. Beside it, the
    time to the first ``tools/list`` reply (initialize, then tools/list), where venice-mcp builds
    its tools.

(b) Per-call overhead. Start the simulator on a loopback port (``venice-mcp sandbox --port P``)
    and ``venice-mcp serve`` pointed at it (``VENICE_BASE_URL``, sandbox API key), plus a floor
    server: a bare ``MCPServer`` whose one tool posts the same chat request with ``httpx2`` (the
    "python floor" of perf-anchors.md). After a warm-up, make rounds of calls, the order rotating:
    ``venice_chat`` over our server's pipes, the floor's tool, ``venice_chat`` of a wallet-mode
    server (a fresh SIGN-IN-WITH-X signature per request), and a direct HTTP POST of the same chat
    request to the same endpoint (stdlib keep-alive connection). Reported: median and p95 of each,
    and the median of the pairwise differences (call − direct). Goal: venice-mcp's overhead minus
    the floor's ≤ +0.10 ms. To show where that goes, a fifth contender, the shape floor: the floor
    with venice_chat's interface (its arguments, the body it sends, a result of the same shape
    and size). The shape floor over the floor is what the SDK spends on venice_chat's arguments
    and result; venice-mcp over the shape floor is venice-mcp's own work per call.

(c) tools/list: bytes of the compact JSON result with the default settings (every tool).

(d) Workers (``--workers-bench``; not in the default run, it takes a minute or two). A throwaway
    PostgreSQL (tests/pgserver.py) and one simulator process (``venice-mcp sandbox``); then
    ``serve --transport http --workers N`` children on it, each in a schema of its own, all
    running at once, and load rounds that rotate among them:
      * 4, 2 and 1 worker(s) on PostgreSQL under the same load: C concurrent clients (default
        200) × K ``venice_chat`` calls (default 10) each, every client its own keep-alive
        connection. Reported: errors (non-200, a JSON-RPC error or ``isError``; goal 0) and
        throughput (calls/s, median of the rounds); the ratio 2 workers / 1 worker (goal ≥ 1.5×).
      * One worker on PostgreSQL and one on SQLite, sequential calls in pairs, the order
        alternating: the median of the pairwise differences (goal ≤ 1 ms).
    The load is raw JSON-RPC POSTs of the 2026-07-28 era (the ``_meta`` envelope, no session),
    the bytes ``httpx2.post(url, json=..., headers=...)`` sends, from one asyncio loop. Like wrk,
    the load generator must cost far less CPU than what it measures: it shares the machine's
    two cores with the simulator and the workers, so every millisecond it spends is taken from
    the servers, and on 2 cores the ratio is about 2s / (s + o), s the server's CPU per call and
    o everyone else's; 1.5× needs o ≤ s/3. 200 SDK ``Client`` objects would cost more than the
    servers, and even ``httpx2.AsyncClient`` spent ~1.2 ms a call (half the server's own cost).
    So the generator is a bare asyncio Protocol: one HTTP/1.1 keep-alive connection per client
    (reopened if the server closes it), requests encoded before the clock starts, and per
    response only the status line, the headers (Content-Length or chunked) and the JSON-RPC
    message (JSON, or the last ``data:`` event of an SSE stream) parsed, enough for the error
    rule; ~0.15 ms a call. It prints the CPU per call of each party (PostgreSQL included), so a
    run shows whether the generator or the simulator is what limits it, and that of the rest of
    the machine, starring (*) a run that other processes disturbed. The ratio remains a lower
    bound of what separate machines would see.

Raw JSON-RPC lines are used instead of the SDK client so the client's own overhead (its stdio
reader is quadratic on big messages and adds ~0.5 ms per call) does not pollute the numbers.
"""

from __future__ import annotations

import argparse
import asyncio
import http.client
import importlib.util
import json
import os
import socket
import statistics
import subprocess
import sys
import tempfile
import time
from collections import Counter
from collections.abc import Callable, Sequence
from pathlib import Path
from typing import Any, cast
from urllib.parse import urlsplit

ROOT = Path(__file__).resolve().parent.parent
SANDBOX_KEY = "VENICE_INFERENCE_KEY_sandbox"
LEGACY_VERSION = "2025-11-25"
COLD_START_GOAL = 1.00
OVER_FLOOR_GOAL_MS = 0.10
# A throwaway key: the bench credits its address in the sandbox; nothing real is ever signed.
BENCH_WALLET_KEY = "0x" + "5a" * 32

BARE_SERVER = """\
from mcp.server import MCPServer

mcp = MCPServer("bare", log_level="WARNING")


@mcp.tool()
async def echo(text: str) -> str:
    \"\"\"Echo the text.\"\"\"
    return text


mcp.run()
"""


# The per-call floor (as in ../shared/reference/perf-anchors.md): a bare MCPServer whose one tool
# posts the same chat request through one shared httpx2.AsyncClient made in a lifespan.
FLOOR_SERVER = """\
import os
from contextlib import asynccontextmanager

import httpx2
from mcp.server import MCPServer
from mcp.server.mcpserver import Context

URL = os.environ["VENICE_BASE_URL"] + "/chat/completions"
HEADERS = {"Authorization": "Bearer " + os.environ["VENICE_API_KEY"]}


@asynccontextmanager
async def lifespan(server):
    async with httpx2.AsyncClient(timeout=30) as http:
        yield {"http": http}


mcp = MCPServer("floor", log_level="WARNING", lifespan=lifespan)


@mcp.tool()
async def chat(prompt: str, model: str, ctx: Context) -> str:
    \"\"\"Ask the model.\"\"\"
    http = ctx.request_context.lifespan_context["http"]
    body = {"model": model, "messages": [{"role": "user", "content": prompt}]}
    reply = await http.post(URL, json=body, headers=HEADERS)
    return reply.json()["choices"][0]["message"]["content"]


mcp.run()
"""


# The floor with venice_chat's interface: the same tool as FLOOR_SERVER, but taking venice_chat's
# arguments (its signature, so the SDK validates the same argument model), sending the request
# body venice_chat sends, and returning a result of the same shape and size (one captured from
# venice-mcp, given in SHAPE_RESULT, with this call's reply text and usage). What venice-mcp
# costs above this server is its own work: pricing, the gate, the ledger, the reply.
SHAPE_FLOOR_SERVER = """\
import inspect
import json
import os
from contextlib import asynccontextmanager

import httpx2
from mcp.server import MCPServer
from mcp.server.mcpserver import Context
from mcp.types import CallToolResult

from venice_mcp.tools.text import venice_chat

URL = os.environ["VENICE_BASE_URL"] + "/chat/completions"
HEADERS = {"Authorization": "Bearer " + os.environ["VENICE_API_KEY"]}
SHAPE = json.loads(os.environ["SHAPE_RESULT"])


@asynccontextmanager
async def lifespan(server):
    async with httpx2.AsyncClient(timeout=30) as http:
        yield {"http": http}


mcp = MCPServer("shape-floor", log_level="WARNING", lifespan=lifespan)


async def chat(ctx: Context, **arguments) -> CallToolResult:
    \"\"\"Ask the model.\"\"\"
    http = ctx.request_context.lifespan_context["http"]
    messages = [{"role": "user", "content": arguments["prompt"]}]
    body = {"messages": messages, "model": arguments["model"], "max_completion_tokens": 32768}
    reply = (await http.post(URL, json=body, headers=HEADERS)).json()
    structured = {**SHAPE["structuredContent"], "usage": reply["usage"]}
    structured["text"] = reply["choices"][0]["message"]["content"]
    return CallToolResult(content=SHAPE["content"], structured_content=structured)


_, *parameters = inspect.signature(venice_chat).parameters.values()
ctx = inspect.Parameter("ctx", inspect.Parameter.POSITIONAL_OR_KEYWORD, annotation=Context)
chat.__signature__ = inspect.Signature([ctx, *parameters], return_annotation=CallToolResult)
chat.__annotations__ = {"ctx": Context, **{p.name: p.annotation for p in parameters}}
chat.__annotations__["return"] = CallToolResult
mcp.tool(structured_output=False)(chat)
mcp.run()
"""


def child_env(home: str, **extra: str) -> dict[str, str]:
    keep = ("PATH", "HOME", "LANG", "LC_ALL", "TMPDIR", "SYSTEMROOT")
    env = {k: v for k, v in os.environ.items() if k in keep}
    env.update(VENICE_MCP_HOME=home, VENICE_MCP_LOG_LEVEL="WARNING", **extra)
    return env


class RpcChild:
    """A server child spoken to with raw JSON-RPC lines over its pipes."""

    def __init__(self, argv: Sequence[str], env: dict[str, str]) -> None:
        # stderr goes to a file: a pipe nobody reads could fill up and stall the child.
        self._stderr = tempfile.TemporaryFile()  # noqa: SIM115 - closed in close()
        self.proc = subprocess.Popen(
            argv, env=env, stdin=subprocess.PIPE, stdout=subprocess.PIPE, stderr=self._stderr, cwd=ROOT
        )
        self._next_id = 0

    def request(self, method: str, params: dict[str, Any]) -> dict[str, Any]:
        self._next_id += 1
        self.send({"jsonrpc": "2.0", "id": self._next_id, "method": method, "params": params})
        assert self.proc.stdout is not None
        while True:
            line = self.proc.stdout.readline()
            if not line:
                self.proc.wait(timeout=10)
                self._stderr.seek(0)
                tail = self._stderr.read().decode(errors="replace")[-2000:]
                raise RuntimeError(f"server exited (rc={self.proc.returncode}) waiting for {method}:\n{tail}")
            message: dict[str, Any] = json.loads(line)
            if message.get("id") == self._next_id:
                return message

    def send(self, message: dict[str, Any]) -> None:
        assert self.proc.stdin is not None
        self.proc.stdin.write(json.dumps(message).encode() + b"\n")
        self.proc.stdin.flush()

    def initialize(self) -> dict[str, Any]:
        return self.request(
            "initialize",
            {
                "protocolVersion": LEGACY_VERSION,
                "capabilities": {},
                "clientInfo": {"name": "venice-mcp-bench", "version": "0"},
            },
        )

    def close(self) -> None:
        if self.proc.poll() is None:
            self.proc.kill()
        self.proc.wait(timeout=10)
        for pipe in (self.proc.stdin, self.proc.stdout):
            if pipe is not None:
                pipe.close()
        self._stderr.close()


def median(xs: Sequence[float]) -> float:
    return statistics.median(xs)


def p95(xs: Sequence[float]) -> float:
    ordered = sorted(xs)
    return ordered[min(len(ordered) - 1, round(0.95 * (len(ordered) - 1)))]


# --- (a) cold start ---------------------------------------------------------------------------


def cold_start(n: int, home: str) -> tuple[dict[str, dict[str, list[float]]], int]:
    """Per contender: spawn → initialize and spawn → first tools/list (ms); and the tools/list bytes."""
    with tempfile.NamedTemporaryFile("w", suffix="_bare_server.py", delete=False) as f:
        f.write(BARE_SERVER)
        bare_path = f.name
    venice = [sys.executable, "-m", "venice_mcp", "serve"]
    plain = child_env(home, VENICE_API_KEY=SANDBOX_KEY)
    contenders: dict[str, tuple[list[str], dict[str, str]]] = {
        "bare MCPServer (1 tool)": ([sys.executable, bare_path], plain),
        "venice-mcp serve (API key)": (venice, plain),
        "venice-mcp serve (wallet)": (venice, child_env(home, VENICE_WALLET_KEY=BENCH_WALLET_KEY)),
        "venice-mcp serve --sandbox": ([*venice, "--sandbox"], plain),
    }
    times: dict[str, dict[str, list[float]]] = {name: {"init": [], "list": []} for name in contenders}
    names = list(contenders)
    listed = 0
    try:
        for i in range(n):
            # Rotate the order each round: a spawn right after another child was killed runs
            # slower on a 2-core machine, and a fixed order would pin that cost on one contender.
            k = i % len(names)
            for name in names[k:] + names[:k]:
                argv, env = contenders[name]
                start = time.perf_counter()
                child = RpcChild(argv, env)
                try:
                    reply = child.initialize()
                    initialized = (time.perf_counter() - start) * 1000
                    child.send({"jsonrpc": "2.0", "method": "notifications/initialized"})
                    tools = child.request("tools/list", {})
                    first_list = (time.perf_counter() - start) * 1000
                finally:
                    child.close()
                if "result" not in reply or "result" not in tools:
                    raise RuntimeError(f"{name}: initialize or tools/list failed: {reply} {tools}")
                times[name]["init"].append(initialized)
                times[name]["list"].append(first_list)
                if name == "venice-mcp serve (API key)":
                    compact = json.dumps(tools["result"], separators=(",", ":"), ensure_ascii=False)
                    listed = len(compact.encode())
    finally:
        os.unlink(bare_path)
    return times, listed


# --- (b) per-call overhead --------------------------------------------------------------------


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return int(sock.getsockname()[1])


def wait_for_port(port: int, proc: subprocess.Popen[bytes], timeout: float = 60.0) -> None:
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        if proc.poll() is not None:
            raise RuntimeError(f"sandbox exited with {proc.returncode}")
        try:
            socket.create_connection(("127.0.0.1", port), timeout=1).close()
            return
        except OSError:
            time.sleep(0.05)
    raise TimeoutError(f"sandbox did not listen on {port} within {timeout} s")


def pick_model(conn: http.client.HTTPConnection) -> str:
    conn.request("GET", "/api/v1/models?type=text", headers={"Authorization": f"Bearer {SANDBOX_KEY}"})
    body = json.loads(conn.getresponse().read())
    return str(body["data"][0]["id"])


def credit_wallet(conn: http.client.HTTPConnection, key: str) -> None:
    """Give the bench wallet sandbox credit (the simulator's control surface; nothing settles)."""
    from eth_account import Account

    address = Account.from_key(key).address
    conn.request("POST", "/_sandbox/credit", body=json.dumps({"address": address, "usd": 1000}))
    response = conn.getresponse()
    response.read()
    if response.status != 200:
        raise RuntimeError(f"crediting the bench wallet failed: {response.status}")


def start_sandbox(home: str) -> tuple[int, subprocess.Popen[bytes]]:
    """``venice-mcp sandbox`` (this checkout's) on a free loopback port; (port, process)."""
    port = free_port()
    sandbox = subprocess.Popen(
        [sys.executable, "-m", "venice_mcp", "sandbox", "--port", str(port)],
        env=child_env(home),
        stdin=subprocess.DEVNULL,
        stdout=subprocess.DEVNULL,
        stderr=subprocess.DEVNULL,
        cwd=ROOT,  # this checkout's venice_mcp, as for the servers
    )
    return port, sandbox


def call_overhead(calls: int, warmup: int, home: str) -> dict[str, list[float]]:
    port, sandbox = start_sandbox(home)
    servers: list[RpcChild] = []
    paths = []
    for source in (FLOOR_SERVER, SHAPE_FLOOR_SERVER):
        with tempfile.NamedTemporaryFile("w", suffix="_floor.py", delete=False) as f:
            f.write(source)
            paths.append(f.name)
    floor_path, shape_path = paths
    try:
        wait_for_port(port, sandbox)
        conn = http.client.HTTPConnection("127.0.0.1", port, timeout=30)
        model = pick_model(conn)
        base_url = f"http://127.0.0.1:{port}/api/v1"
        env = child_env(home, VENICE_BASE_URL=base_url, VENICE_API_KEY=SANDBOX_KEY)
        venice = RpcChild([sys.executable, "-m", "venice_mcp", "serve"], env)
        floor = RpcChild([sys.executable, floor_path], env)
        credit_wallet(conn, BENCH_WALLET_KEY)
        wallet_home = tempfile.mkdtemp(prefix="wallet-", dir=home)  # its own ledger
        wallet_env = child_env(wallet_home, VENICE_BASE_URL=base_url, VENICE_WALLET_KEY=BENCH_WALLET_KEY)
        wallet = RpcChild([sys.executable, "-m", "venice_mcp", "serve"], wallet_env)
        servers += [venice, floor, wallet]
        for server in servers:
            server.initialize()
            server.send({"jsonrpc": "2.0", "method": "notifications/initialized"})
        arguments = {"prompt": "hello", "model": model}
        sample = venice.request("tools/call", {"name": "venice_chat", "arguments": arguments})["result"]
        shape = RpcChild([sys.executable, shape_path], {**env, "SHAPE_RESULT": json.dumps(sample)})
        servers.append(shape)
        shape.initialize()
        shape.send({"jsonrpc": "2.0", "method": "notifications/initialized"})

        body = json.dumps({"model": model, "messages": [{"role": "user", "content": "hello"}]})
        headers = {"Authorization": f"Bearer {SANDBOX_KEY}", "Content-Type": "application/json"}

        def tool_call(server: RpcChild, name: str) -> Callable[[], float]:
            def call() -> float:
                start = time.perf_counter()
                reply = server.request(
                    "tools/call", {"name": name, "arguments": {"prompt": "hello", "model": model}}
                )
                elapsed = (time.perf_counter() - start) * 1000
                if reply.get("result", {}).get("isError") or "error" in reply:
                    raise RuntimeError(f"{name} failed: {reply}")
                return elapsed

            return call

        def direct() -> float:
            start = time.perf_counter()
            conn.request("POST", "/api/v1/chat/completions", body=body, headers=headers)
            response = conn.getresponse()
            response.read()
            elapsed = (time.perf_counter() - start) * 1000
            if response.status != 200:
                raise RuntimeError(f"direct chat failed: {response.status}")
            return elapsed

        contenders: list[tuple[str, Callable[[], float]]] = [
            ("mcp", tool_call(venice, "venice_chat")),
            ("floor", tool_call(floor, "chat")),
            ("shape", tool_call(shape, "chat")),
            ("wallet", tool_call(wallet, "venice_chat")),
            ("direct", direct),
        ]
        for _ in range(warmup):
            for _, fn in contenders:
                fn()
        results: dict[str, list[float]] = {name: [] for name, _ in contenders}
        for key in ("diff", "floor_diff", "wallet_diff", "over_floor", "shape_over_floor", "over_shape"):
            results[key] = []
        for i in range(calls):
            # Rotate the order inside each round so drift and cache effects hit all alike.
            k = i % len(contenders)
            measured = {name: fn() for name, fn in contenders[k:] + contenders[:k]}
            for name, _ in contenders:
                results[name].append(measured[name])
            results["diff"].append(measured["mcp"] - measured["direct"])
            results["floor_diff"].append(measured["floor"] - measured["direct"])
            results["wallet_diff"].append(measured["wallet"] - measured["direct"])
            results["over_floor"].append(measured["mcp"] - measured["floor"])
            results["shape_over_floor"].append(measured["shape"] - measured["floor"])
            results["over_shape"].append(measured["mcp"] - measured["shape"])
        conn.close()
        return results
    finally:
        for server in servers:
            server.close()
        for path in paths:
            Path(path).unlink(missing_ok=True)
        if sandbox.poll() is None:
            sandbox.kill()
        sandbox.wait(timeout=10)


# --- (d) workers on PostgreSQL ----------------------------------------------------------------

MODERN = "2026-07-28"
WORKERS_RATIO_GOAL = 1.5
PG_OVER_SQLITE_GOAL_MS = 1.0
BUSY_NEIGHBOUR_MS = 0.2  # CPU per call of other processes above which a run is marked (*)
_META = {
    "io.modelcontextprotocol/protocolVersion": MODERN,
    "io.modelcontextprotocol/clientCapabilities": {},
    "io.modelcontextprotocol/clientInfo": {"name": "venice-mcp-bench", "version": "0"},
}
_CHAT_HEADERS = {
    "Accept": "application/json, text/event-stream",
    "MCP-Protocol-Version": MODERN,
    "Mcp-Method": "tools/call",
    "Mcp-Name": "venice_chat",
}


def chat_body(n: int, model: str) -> dict[str, Any]:
    arguments = {"prompt": "hello", "model": model}
    params = {"name": "venice_chat", "arguments": arguments, "_meta": _META}
    return {"jsonrpc": "2.0", "id": n, "method": "tools/call", "params": params}


def chat_failed(status: int, reply: dict[str, Any]) -> bool:
    return status != 200 or "error" in reply or bool(reply.get("result", {}).get("isError"))


class ServeChild:
    """``venice-mcp serve --transport http --workers N`` on a loopback port."""

    def __init__(self, workers: int, env: dict[str, str], log_dir: str) -> None:
        self.port = free_port()
        self.url = f"http://127.0.0.1:{self.port}/mcp"
        self._log = tempfile.TemporaryFile(dir=log_dir)  # noqa: SIM115 - closed in close()
        argv = [sys.executable, "-m", "venice_mcp", "serve", "--transport", "http", "--port", str(self.port)]
        self.proc = subprocess.Popen(
            [*argv, "--workers", str(workers)],
            env=env,
            stdin=subprocess.DEVNULL,
            stdout=subprocess.DEVNULL,
            stderr=self._log,
            cwd=ROOT,
        )

    def wait(self) -> None:
        wait_for_port(self.port, self.proc)

    def log_tail(self, size: int = 3000) -> str:
        """The end of the server's stderr (a failed run shows why)."""
        self._log.seek(0)
        return self._log.read().decode(errors="replace")[-size:]

    def close(self) -> None:
        if self.proc.poll() is None:
            self.proc.terminate()  # the parent stops its workers
            try:
                self.proc.wait(timeout=15)
            except subprocess.TimeoutExpired:
                self.proc.kill()
                self.proc.wait(timeout=10)
        self._log.close()


# The request the load generator sends, byte for byte what ``httpx2.post(url, json=...,
# headers=_CHAT_HEADERS)`` sends (the same header order and values, compact JSON).
_REQUEST_HEAD = (
    "POST {path} HTTP/1.1\r\n"
    "Host: {host}\r\n"
    "Accept-Encoding: gzip, deflate\r\n"
    "Connection: keep-alive\r\n"
    "User-Agent: python-httpx2/2.16.2\r\n"
    + "".join(f"{name}: {value}\r\n" for name, value in _CHAT_HEADERS.items())
    + "Content-Length: {length}\r\n"
    "Content-Type: application/json\r\n"
    "\r\n"
)


def chat_request(url: str, n: int, model: str) -> bytes:
    """The whole HTTP/1.1 request of one venice_chat call with JSON-RPC id ``n``."""
    parts = urlsplit(url)
    body = json.dumps(chat_body(n, model), separators=(",", ":"), ensure_ascii=False).encode()
    head = _REQUEST_HEAD.format(path=parts.path or "/", host=parts.netloc, length=len(body))
    return head.encode("ascii") + body


def reply_of(content_type: bytes, body: bytes) -> dict[str, Any]:
    """The JSON-RPC message of a response body: JSON, or the last ``data:`` event of an SSE stream."""
    if content_type.startswith(b"text/event-stream"):
        data = [line[5:].strip() for line in body.splitlines() if line.startswith(b"data:")]
        body = data[-1] if data else b"{}"
    reply = json.loads(body) if body else {}
    return reply if isinstance(reply, dict) else {}


class _Exchange(asyncio.Protocol):
    """One keep-alive HTTP/1.1 connection: send a request, parse the one response to it (status
    line, headers, a Content-Length or chunked body), hand over (status, content type, body)."""

    def __init__(self) -> None:
        self._buf = bytearray()
        self._waiter: asyncio.Future[tuple[int, bytes, bytes]] | None = None
        self._head: tuple[int, bytes, int | None] | None = None  # status, content type, length
        self._chunks: list[bytes] = []
        self.closed = False

    def connection_made(self, transport: asyncio.BaseTransport) -> None:
        self.transport = cast(asyncio.Transport, transport)

    def send(self, request: bytes) -> asyncio.Future[tuple[int, bytes, bytes]]:
        self._waiter = asyncio.get_running_loop().create_future()
        self.transport.write(request)
        return self._waiter

    def data_received(self, data: bytes) -> None:
        self._buf += data
        try:
            reply = self._parse()
        except (ValueError, IndexError) as exc:
            self._fail(ValueError(f"not an HTTP/1.1 response: {exc}"))
            return
        if reply is not None and self._waiter is not None and not self._waiter.done():
            self._waiter.set_result(reply)

    def connection_lost(self, exc: Exception | None) -> None:
        self._fail(exc or ConnectionError("the server closed the connection"))

    def close(self) -> None:
        self.closed = True
        self.transport.close()

    def _fail(self, exc: Exception) -> None:
        self.closed = True
        if self._waiter is not None and not self._waiter.done():
            self._waiter.set_exception(exc)

    def _parse(self) -> tuple[int, bytes, bytes] | None:
        buf = self._buf
        if self._head is None:
            end = buf.find(b"\r\n\r\n")
            if end < 0:
                return None
            lines = bytes(buf[:end]).split(b"\r\n")
            del buf[: end + 4]
            status = int(lines[0].split(b" ", 2)[1])
            fields = {}
            for line in lines[1:]:
                name, _, value = line.partition(b":")
                fields[name.strip().lower()] = value.strip()
            if fields.get(b"connection", b"").lower() == b"close":
                self.closed = True
            chunked = b"chunked" in fields.get(b"transfer-encoding", b"").lower()
            length = None if chunked else int(fields.get(b"content-length", b"0"))
            self._head = (status, fields.get(b"content-type", b""), length)
        status, content_type, length = self._head
        if length is not None:
            if len(buf) < length:
                return None
            body = bytes(buf[:length])
            del buf[:length]
        else:
            while True:  # chunked: size line, data, CRLF; a zero size ends the body
                line_end = buf.find(b"\r\n")
                if line_end < 0:
                    return None
                size = int(bytes(buf[:line_end]).split(b";", 1)[0], 16)
                if size == 0:
                    trailer_end = buf.find(b"\r\n\r\n", line_end)
                    if trailer_end < 0:
                        return None
                    del buf[: trailer_end + 4]
                    break
                if len(buf) < line_end + 2 + size + 2:
                    return None
                self._chunks.append(bytes(buf[line_end + 2 : line_end + 2 + size]))
                del buf[: line_end + 2 + size + 2]
            body = b"".join(self._chunks)
            self._chunks = []
        self._head = None
        return status, content_type, body


async def load(
    url: str, model: str, clients: int, calls: int, failures: list[str] | None = None
) -> tuple[float, int]:
    """``clients`` concurrent clients × ``calls`` sequential venice_chat calls; (calls/s, errors).

    Each client is one keep-alive connection (a new one if the server closed it) sending
    pre-encoded requests (see the module doc, (d)). An error is a refused or dropped connection,
    or a reply ``chat_failed`` rejects; each is described in ``failures`` when given."""
    loop = asyncio.get_running_loop()
    parts = urlsplit(url)
    host, port = parts.hostname or "127.0.0.1", parts.port or 80
    requests = [[chat_request(url, k * calls + i, model) for i in range(calls)] for k in range(clients)]

    async def client(mine: list[bytes]) -> int:
        errors = 0
        conn: _Exchange | None = None
        for request in mine:
            try:
                if conn is None or conn.closed:
                    _, conn = await loop.create_connection(_Exchange, host, port)
                status, content_type, body = await conn.send(request)
                if chat_failed(status, reply_of(content_type, body)):
                    errors += 1
                    if failures is not None:
                        failures.append(f"HTTP {status}: {body[:300].decode(errors='replace')}")
            except (OSError, ValueError) as exc:  # refused, dropped, or not HTTP/JSON: an error of the run
                errors += 1
                if failures is not None:
                    failures.append(f"{type(exc).__name__}: {exc}")
                if conn is not None:
                    conn.close()
                conn = None
        if conn is not None:
            conn.close()
        return errors

    start = time.perf_counter()
    errors = await asyncio.wait_for(asyncio.gather(*(client(r) for r in requests)), timeout=600)
    elapsed = time.perf_counter() - start
    return clients * calls / elapsed, sum(errors)


def sequential_pairs(urls: dict[str, str], model: str, calls: int, warmup: int) -> dict[str, list[float]]:
    """One call to each server per round, the order alternating; per server the latencies (ms)."""
    import httpx2

    out: dict[str, list[float]] = {name: [] for name in urls}
    names = list(urls)
    with httpx2.Client(timeout=60) as http:
        for i in range(warmup + calls):
            order = names if i % 2 == 0 else names[::-1]
            for name in order:
                start = time.perf_counter()
                reply = http.post(urls[name], json=chat_body(i, model), headers=_CHAT_HEADERS)
                elapsed = (time.perf_counter() - start) * 1000
                if chat_failed(reply.status_code, reply.json()):
                    raise RuntimeError(f"{name}: venice_chat failed: {reply.text[:500]}")
                if i >= warmup:
                    out[name].append(elapsed)
    return out


def cpu_seconds(pid: int) -> float:
    """CPU time (user + system) of a process and its live children, from /proc (0 elsewhere)."""
    try:
        fields = Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()
        children = Path(f"/proc/{pid}/task/{pid}/children").read_text().split()
    except OSError:
        return 0.0
    own = (int(fields[11]) + int(fields[12])) / os.sysconf("SC_CLK_TCK")
    return own + sum(cpu_seconds(int(c)) for c in children)


def machine_cpu_seconds() -> float:
    """CPU time spent by the whole machine (every CPU, every process), from /proc (0 elsewhere):
    beside the parties' own figures, it shows what else ran during a measurement."""
    try:
        fields = Path("/proc/stat").read_text().split("\n", 1)[0].split()[1:9]
    except OSError:
        return 0.0
    user, nice, system, _idle, _iowait, irq, softirq, steal = (int(f) for f in fields)
    return (user + nice + system + irq + softirq + steal) / os.sysconf("SC_CLK_TCK")


def workers_bench(
    home: str, clients: int, calls: int, rounds: int, latency_calls: int
) -> tuple[
    dict[str, list[tuple[float, int]]],
    dict[str, list[float]],
    dict[str, dict[str, float]],
    dict[str, list[float]],
]:
    """Throughput runs per server (calls/s, errors), sequential latencies (ms), CPU per call of
    each party (ms), and per run the CPU per call (ms) of whatever else ran then; see (d)."""
    sys.path.insert(0, str(ROOT))
    from tests import pgserver
    from tests.backend import in_schema

    pg_folder = pgserver.new_folder()
    port, sandbox = start_sandbox(home)
    servers: dict[str, ServeChild] = {}
    try:
        import psycopg

        pg_url = pgserver.start(pg_folder)
        wait_for_port(port, sandbox)
        conn = http.client.HTTPConnection("127.0.0.1", port, timeout=30)
        model = pick_model(conn)
        conn.close()
        base = {"VENICE_BASE_URL": f"http://127.0.0.1:{port}/api/v1", "VENICE_API_KEY": SANDBOX_KEY}
        plan = {"4 workers": 4, "2 workers": 2, "1 worker": 1, "1 worker, SQLite": 1}
        for name, workers in plan.items():
            server_home = tempfile.mkdtemp(prefix="serve-", dir=home)
            env = child_env(server_home, **base)
            if "SQLite" not in name:
                schema = "bench_" + str(len(servers))
                with psycopg.connect(pg_url, autocommit=True) as pg:
                    pg.execute(f"CREATE SCHEMA {schema}")
                env["VENICE_MCP_DATABASE_URL"] = in_schema(pg_url, schema)
            servers[name] = ServeChild(workers, env, home)
        for server in servers.values():
            server.wait()

        latencies = sequential_pairs(
            {"PostgreSQL": servers["1 worker"].url, "SQLite": servers["1 worker, SQLite"].url},
            model,
            latency_calls,
            warmup=20,
        )
        throughput: dict[str, list[tuple[float, int]]] = {
            name: [] for name in ("4 workers", "2 workers", "1 worker")
        }
        names = list(throughput)
        for name in names:  # warm-up: every worker's connections, the tools built
            asyncio.run(load(servers[name].url, model, clients, 1))
        # Where the two cores go, per call: the load generator (this process), the simulator, the
        # server (all its workers), PostgreSQL, and anything else running on the machine then (a
        # busy neighbour skews a run; this says so). A ratio below the workers' count shows here.
        parts = ("load", "sandbox", "server", "database", "other")
        cpu: dict[str, dict[str, float]] = {n: dict.fromkeys(parts, 0.0) for n in names}
        pg_pid = int((pg_folder / "data" / "postmaster.pid").read_text().split()[0])
        failures: dict[str, list[str]] = {n: [] for n in names}
        neighbours: dict[str, list[float]] = {n: [] for n in names}
        for r in range(rounds):
            k = r % len(names)
            for name in names[k:] + names[:k]:
                pids = (sandbox.pid, servers[name].proc.pid, pg_pid)
                before = (time.process_time(), *(cpu_seconds(pid) for pid in pids), machine_cpu_seconds())
                run = load(servers[name].url, model, clients, calls, failures[name])
                throughput[name].append(asyncio.run(run))
                after = (time.process_time(), *(cpu_seconds(pid) for pid in pids), machine_cpu_seconds())
                spent = [
                    (a - b) * 1000 / (clients * calls * rounds) for a, b in zip(after, before, strict=True)
                ]
                for key, ms in zip(("load", "sandbox", "server", "database"), spent, strict=False):
                    cpu[name][key] += ms
                cpu[name]["other"] += spent[-1] - sum(spent[:-1])
                neighbours[name].append((spent[-1] - sum(spent[:-1])) * rounds)
        for name, failed in failures.items():
            if failed:
                code = servers[name].proc.poll()
                state = "running" if code is None else f"exited ({code})"
                common = "".join(f"      {n} × {what}\n" for what, n in Counter(failed).most_common(5))
                print(
                    f"    {name}: errors; the server is {state}. Most common:\n{common}"
                    f"    its stderr ends:\n{servers[name].log_tail()}",
                    file=sys.stderr,
                )
        return throughput, latencies, cpu, neighbours
    finally:
        for server in servers.values():
            server.close()
        if sandbox.poll() is None:
            sandbox.kill()
        sandbox.wait(timeout=10)
        pgserver.stop(pg_folder)


def report_workers(args: argparse.Namespace, home: str) -> None:
    print(
        f"(d) workers on one PostgreSQL: {args.clients} concurrent Streamable HTTP clients"
        f" × {args.per_client} venice_chat calls, {args.rounds} rounds rotating"
        " (raw 2026-07-28 JSON-RPC POSTs, a bare asyncio HTTP/1.1 client)"
    )
    # uvicorn picks these up when installed: the simulator's CPU per call depends on them (the
    # servers always parse with h11, see connections.py, and run uvloop only if installed).
    found = [name for name in ("httptools", "uvloop") if importlib.util.find_spec(name) is not None]
    print(f"    installed: {', '.join(found) or 'neither httptools nor uvloop'}")
    throughput, latencies, cpu, neighbours = workers_bench(
        home, args.clients, args.per_client, args.rounds, args.latency_calls
    )
    for name, runs in throughput.items():
        rates = [rate for rate, _ in runs]
        errors = sum(e for _, e in runs)
        # A run during which other processes took a noticeable share of the CPU is starred.
        runs_text = ", ".join(
            f"{x:.0f}{'*' if other > BUSY_NEIGHBOUR_MS else ''}"
            for x, other in zip(rates, neighbours[name], strict=True)
        )
        print(
            f"    {name:10s} median {median(rates):7.1f} calls/s  (runs {runs_text})"
            f"   errors {errors} of {len(runs) * args.clients * args.per_client}"
        )
    errors = sum(e for _, e in throughput["4 workers"])
    print(f"    4 workers, errors: {errors}  (goal 0: {verdict(errors == 0)})")
    ratio = median([r for r, _ in throughput["2 workers"]]) / median([r for r, _ in throughput["1 worker"]])
    goal = f"goal ≥ {WORKERS_RATIO_GOAL:.1f}×: {verdict(ratio >= WORKERS_RATIO_GOAL)}"
    print(f"    2 workers / 1 worker: {ratio:.2f}×  ({goal})")
    ratio4 = median([r for r, _ in throughput["4 workers"]]) / median([r for r, _ in throughput["1 worker"]])
    print(f"    4 workers / 1 worker: {ratio4:.2f}×")
    for name, ms in cpu.items():
        print(
            f"    CPU per call, {name}: load generator {ms['load']:.2f} ms, simulator {ms['sandbox']:.2f} ms,"
            f" server {ms['server']:.2f} ms, PostgreSQL {ms['database']:.2f} ms,"
            f" rest of the machine {ms['other']:.2f} ms"
        )
    if any(other > BUSY_NEIGHBOUR_MS for runs in neighbours.values() for other in runs):
        busy = f"> {BUSY_NEIGHBOUR_MS} ms of CPU per call"
        print(f"    * other processes used {busy} during that run: compare with care")
    pg, lite = latencies["PostgreSQL"], latencies["SQLite"]
    diffs = [a - b for a, b in zip(pg, lite, strict=True)]
    print(
        f"    one worker, sequential venice_chat, {len(pg)} pairs: PostgreSQL median {median(pg):.2f} ms"
        f" (p95 {p95(pg):.2f}), SQLite {median(lite):.2f} ms (p95 {p95(lite):.2f})"
    )
    added = median(diffs)
    goal = f"goal ≤ {PG_OVER_SQLITE_GOAL_MS:.1f} ms: {verdict(added <= PG_OVER_SQLITE_GOAL_MS)}"
    print(f"    PostgreSQL over SQLite (median of pairwise): {added:+.2f} ms  ({goal})")


# --- report -----------------------------------------------------------------------------------


def verdict(ok: bool) -> str:
    return "MEETS GOAL" if ok else "MISSES GOAL"


def main(argv: Sequence[str] | None = None) -> int:
    parser = argparse.ArgumentParser(
        description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter
    )
    parser.add_argument("-n", type=int, default=20, help="spawns per server for the cold start (default 20)")
    parser.add_argument("--calls", type=int, default=200, help="measured call pairs (default 200)")
    parser.add_argument("--warmup", type=int, default=20, help="warm-up call pairs (default 20)")
    parser.add_argument(
        "--workers-bench", action="store_true", help="also (d): workers on PostgreSQL (a minute or two)"
    )
    parser.add_argument("--workers-only", action="store_true", help="only (d)")
    parser.add_argument("--clients", type=int, default=200, help="(d) concurrent clients (default 200)")
    parser.add_argument("--per-client", type=int, default=10, help="(d) calls per client (default 10)")
    parser.add_argument("--rounds", type=int, default=3, help="(d) load rounds per server (default 3)")
    parser.add_argument("--latency-calls", type=int, default=300, help="(d) sequential pairs (default 300)")
    args = parser.parse_args(argv)
    if args.workers_only:
        with tempfile.TemporaryDirectory(prefix="venice-mcp-bench-") as home:
            print(f"venice-mcp bench  (python {sys.version.split()[0]}, {os.cpu_count()} CPUs)\n")
            report_workers(args, home)
        return 0

    with tempfile.TemporaryDirectory(prefix="venice-mcp-bench-") as home:
        print(f"venice-mcp bench  (python {sys.version.split()[0]}, {os.cpu_count()} CPUs)\n")
        print(f"(a) spawn → initialize reply over stdio, median of {args.n}, interleaved")
        starts, listed = cold_start(args.n, home)
        bare = "bare MCPServer (1 tool)"
        for name, xs in starts.items():
            init, first = xs["init"], xs["list"]
            print(
                f"    {name:28s} initialize {median(init):6.1f} ms (p95 {p95(init):6.1f})"
                f"   first tools/list {median(first):6.1f} ms"
            )
        for name in ("venice-mcp serve (API key)", "venice-mcp serve (wallet)"):
            ratio = median(starts[name]["init"]) / median(starts[bare]["init"])
            goal = f"goal ≤ {COLD_START_GOAL:.2f}×: {verdict(ratio <= COLD_START_GOAL)}"
            print(f"    {name} / bare: {ratio:.2f}×  ({goal})")
        sandboxed = median(starts["venice-mcp serve --sandbox"]["init"]) / median(starts[bare]["init"])
        print(f"    --sandbox / bare: {sandboxed:.2f}×")
        listing = median(starts["venice-mcp serve (API key)"]["list"]) / median(starts[bare]["list"])
        print(f"    first tools/list, serve / bare: {listing:.2f}× (venice-mcp builds its tools then)\n")

        print(f"(b) venice_chat tools/call over stdio vs direct HTTP to the sandbox, {args.calls} rounds")
        per_call = call_overhead(args.calls, args.warmup, home)
        for name, label in (
            ("mcp", "venice_chat (API key)"),
            ("floor", "floor server tools/call"),
            ("shape", "floor with venice_chat's shape"),
            ("wallet", "venice_chat (wallet, SIWX)"),
            ("direct", "direct HTTP POST"),
        ):
            samples = per_call[name]
            print(f"    {label:30s} median {median(samples):6.2f} ms   p95 {p95(samples):6.2f} ms")
        overhead, floor = median(per_call["diff"]), median(per_call["floor_diff"])
        print(f"    over direct HTTP (median of pairwise): venice-mcp {overhead:.2f}, floor {floor:.2f} ms")
        over = median(per_call["over_floor"])
        goal = f"goal ≤ +{OVER_FLOOR_GOAL_MS:.2f} ms: {verdict(over <= OVER_FLOOR_GOAL_MS)}"
        print(f"    venice-mcp over the floor (median of pairwise): {over:+.2f} ms  ({goal})")
        print(
            f"    of which venice_chat's interface (the shape floor over the floor):"
            f" {median(per_call['shape_over_floor']):+.2f} ms, venice-mcp's own work (over the"
            f" shape floor): {median(per_call['over_shape']):+.2f} ms"
        )
        print(
            f"    wallet mode over direct: {median(per_call['wallet_diff']):.2f} ms "
            f"(+{median(per_call['wallet_diff']) - overhead:.2f} ms for signing in per request)\n"
        )

        print(f"(c) tools/list with the default settings: {listed:,} bytes of compact JSON")
        if args.workers_bench:
            print()
            report_workers(args, home)
    return 0


if __name__ == "__main__":
    sys.exit(main())
