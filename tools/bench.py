#!/usr/bin/env python
"""Performance bench for venice-mcp: cold start and per-call overhead over stdio.

Run from the repository with the project's venv:  .venv/bin/python tools/bench.py [-n 20] [--calls 200]

Method (all figures come from one run on one machine; compare only within a run):

(a) Cold start. Spawn a server, write one raw JSON-RPC ``initialize`` line to its stdin and time
    until the reply line arrives on stdout ("spawn → initialize"). Three servers, interleaved
    round-robin with the order rotating each round so drift (CPU frequency, page cache, the
    previous child's teardown) hits all alike, N spawns each:
      * bare: a minimal ``mcp`` ``MCPServer`` with one tool (the floor any Python MCP server pays);
      * ``venice-mcp serve --sandbox`` (the figure the goal is quoted for);
      * ``venice-mcp serve`` (no sandbox: what a desktop host with an API key starts).
    The goal is on ``venice-mcp serve`` (what a host launches): median(serve) / median(bare)
    ≤ 1.10×; the ``--sandbox`` ratio is shown beside it.

(b) Per-call overhead. Start the simulator on a loopback port (``venice-mcp sandbox --port P``)
    and ``venice-mcp serve`` pointed at it (``VENICE_BASE_URL``, sandbox API key), plus a floor
    server: a bare ``MCPServer`` whose one tool posts the same chat request with ``httpx2`` (the
    "python floor" of perf-anchors.md). After a warm-up, make triples of calls, the order rotating:
    ``venice_chat`` over our server's pipes, the floor's tool, and a direct HTTP POST of the same
    chat request to the same endpoint (stdlib keep-alive connection). Reported: median and p95 of
    each, the median of the pairwise differences (call − direct), i.e. what the MCP layer, the HTTP
    client and our tool code add per call (goal: < 1.5 ms), and the same for the floor, so what is
    ours can be told from what the SDK and httpx2 cost on this machine.

Raw JSON-RPC lines are used instead of the SDK client so the client's own overhead (its stdio
reader is quadratic on big messages and adds ~0.5 ms per call) does not pollute the numbers.
"""

from __future__ import annotations

import argparse
import http.client
import json
import os
import socket
import statistics
import subprocess
import sys
import tempfile
import time
from collections.abc import Callable, Sequence
from pathlib import Path
from typing import Any

ROOT = Path(__file__).resolve().parent.parent
SANDBOX_KEY = "VENICE_INFERENCE_KEY_sandbox"
LEGACY_VERSION = "2025-11-25"
COLD_START_GOAL = 1.10
OVERHEAD_GOAL_MS = 1.5

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


def cold_start(n: int, home: str) -> dict[str, list[float]]:
    with tempfile.NamedTemporaryFile("w", suffix="_bare_server.py", delete=False) as f:
        f.write(BARE_SERVER)
        bare_path = f.name
    venice = [sys.executable, "-m", "venice_mcp", "serve"]
    contenders: dict[str, list[str]] = {
        "bare MCPServer (1 tool)": [sys.executable, bare_path],
        "venice-mcp serve --sandbox": [*venice, "--sandbox"],
        "venice-mcp serve": venice,
    }
    env = child_env(home)
    times: dict[str, list[float]] = {name: [] for name in contenders}
    names = list(contenders)
    try:
        for i in range(n):
            # Rotate the order each round: a spawn right after another child was killed runs
            # slower on a 2-core machine, and a fixed order would pin that cost on one contender.
            k = i % len(names)
            for name in names[k:] + names[:k]:
                argv = contenders[name]
                start = time.perf_counter()
                child = RpcChild(argv, env)
                try:
                    reply = child.initialize()
                    elapsed = (time.perf_counter() - start) * 1000
                finally:
                    child.close()
                if "result" not in reply:
                    raise RuntimeError(f"{name}: initialize failed: {reply}")
                times[name].append(elapsed)
    finally:
        os.unlink(bare_path)
    return times


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


def call_overhead(calls: int, warmup: int, home: str) -> dict[str, list[float]]:
    port = free_port()
    sandbox = subprocess.Popen(
        [sys.executable, "-m", "venice_mcp", "sandbox", "--port", str(port)],
        env=child_env(home),
        stdin=subprocess.DEVNULL,
        stdout=subprocess.DEVNULL,
        stderr=subprocess.DEVNULL,
    )
    servers: list[RpcChild] = []
    with tempfile.NamedTemporaryFile("w", suffix="_floor.py", delete=False) as f:
        f.write(FLOOR_SERVER)
        floor_path = f.name
    try:
        wait_for_port(port, sandbox)
        conn = http.client.HTTPConnection("127.0.0.1", port, timeout=30)
        model = pick_model(conn)
        env = child_env(home, VENICE_BASE_URL=f"http://127.0.0.1:{port}/api/v1", VENICE_API_KEY=SANDBOX_KEY)
        venice = RpcChild([sys.executable, "-m", "venice_mcp", "serve"], env)
        floor = RpcChild([sys.executable, floor_path], env)
        servers += [venice, floor]
        for server in servers:
            server.initialize()
            server.send({"jsonrpc": "2.0", "method": "notifications/initialized"})

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
            ("direct", direct),
        ]
        for _ in range(warmup):
            for _, fn in contenders:
                fn()
        results: dict[str, list[float]] = {"mcp": [], "floor": [], "direct": [], "diff": [], "floor_diff": []}
        for i in range(calls):
            # Rotate the order inside each triple so drift and cache effects hit all three alike.
            k = i % len(contenders)
            measured = {name: fn() for name, fn in contenders[k:] + contenders[:k]}
            for name in ("mcp", "floor", "direct"):
                results[name].append(measured[name])
            results["diff"].append(measured["mcp"] - measured["direct"])
            results["floor_diff"].append(measured["floor"] - measured["direct"])
        conn.close()
        return results
    finally:
        for server in servers:
            server.close()
        Path(floor_path).unlink(missing_ok=True)
        if sandbox.poll() is None:
            sandbox.kill()
        sandbox.wait(timeout=10)


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
    args = parser.parse_args(argv)

    with tempfile.TemporaryDirectory(prefix="venice-mcp-bench-") as home:
        print(f"venice-mcp bench  (python {sys.version.split()[0]}, {os.cpu_count()} CPUs)\n")
        print(f"(a) spawn → initialize reply over stdio, median of {args.n}, interleaved")
        starts = cold_start(args.n, home)
        for name, xs in starts.items():
            print(f"    {name:30s} median {median(xs):7.1f} ms   p95 {p95(xs):7.1f} ms")
        names = list(starts)
        sandboxed = median(starts[names[1]]) / median(starts[names[0]])
        plain = median(starts[names[2]]) / median(starts[names[0]])
        goal = f"goal ≤ {COLD_START_GOAL:.2f}×: {verdict(plain <= COLD_START_GOAL)}"
        print(f"    ratio serve / bare:     {plain:.2f}×  ({goal})")
        print(f"    ratio --sandbox / bare: {sandboxed:.2f}×  (also builds the in-process simulator)\n")

        print(f"(b) venice_chat tools/call over stdio vs direct HTTP to the sandbox, {args.calls} pairs")
        calls = call_overhead(args.calls, args.warmup, home)
        for name, label in (
            ("mcp", "venice_chat tools/call"),
            ("floor", "floor server tools/call"),
            ("direct", "direct HTTP POST"),
        ):
            xs = calls[name]
            print(f"    {label:30s} median {median(xs):6.2f} ms   p95 {p95(xs):6.2f} ms")
        overhead = median(calls["diff"])
        goal = f"goal < {OVERHEAD_GOAL_MS} ms: {verdict(overhead < OVERHEAD_GOAL_MS)}"
        print(f"    overhead, median of pairwise (call − direct): {overhead:.2f} ms  ({goal})")
        print(f"    overhead p95: {p95(calls['diff']):.2f} ms")
        floor = median(calls["floor_diff"])
        print(f"    floor overhead (bare MCPServer + httpx2, same sandbox): {floor:.2f} ms;")
        print(f"    venice-mcp over the floor: {overhead - floor:+.2f} ms  ({overhead / floor:.2f}×)")
    return 0


if __name__ == "__main__":
    sys.exit(main())
