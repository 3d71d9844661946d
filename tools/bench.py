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
    the floor's ≤ +0.10 ms.

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
    The load is raw JSON-RPC POSTs of the 2026-07-28 era (the ``_meta`` envelope, no session)
    sent with ``httpx2`` from one asyncio loop: 200 SDK ``Client`` objects would cost more CPU
    than the servers on a 2-core machine. The load generator, the simulator and the workers
    share the machine's CPUs, so the ratio is a lower bound of what separate machines would see.

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
            ("wallet", tool_call(wallet, "venice_chat")),
            ("direct", direct),
        ]
        for _ in range(warmup):
            for _, fn in contenders:
                fn()
        results: dict[str, list[float]] = {name: [] for name, _ in contenders}
        for key in ("diff", "floor_diff", "wallet_diff", "over_floor"):
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
        conn.close()
        return results
    finally:
        for server in servers:
            server.close()
        Path(floor_path).unlink(missing_ok=True)
        if sandbox.poll() is None:
            sandbox.kill()
        sandbox.wait(timeout=10)


# --- (d) workers on PostgreSQL ----------------------------------------------------------------

MODERN = "2026-07-28"
WORKERS_RATIO_GOAL = 1.5
PG_OVER_SQLITE_GOAL_MS = 1.0
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

    def close(self) -> None:
        if self.proc.poll() is None:
            self.proc.terminate()  # the parent stops its workers
            try:
                self.proc.wait(timeout=15)
            except subprocess.TimeoutExpired:
                self.proc.kill()
                self.proc.wait(timeout=10)
        self._log.close()


async def load(url: str, model: str, clients: int, calls: int) -> tuple[float, int]:
    """``clients`` concurrent clients × ``calls`` sequential venice_chat calls; (calls/s, errors)."""
    import asyncio

    import httpx2

    errors = 0
    limits = httpx2.Limits(max_connections=clients, max_keepalive_connections=clients)

    async def client(http: Any, k: int) -> None:
        nonlocal errors
        for i in range(calls):
            try:
                reply = await http.post(url, json=chat_body(k * calls + i, model), headers=_CHAT_HEADERS)
                if chat_failed(reply.status_code, reply.json()):
                    errors += 1
            except Exception:  # a refused or dropped connection is an error of the run
                errors += 1

    async with httpx2.AsyncClient(timeout=120, limits=limits) as http:
        start = time.perf_counter()
        await asyncio.gather(*(client(http, k) for k in range(clients)))
        elapsed = time.perf_counter() - start
    return clients * calls / elapsed, errors


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


def workers_bench(
    home: str, clients: int, calls: int, rounds: int, latency_calls: int
) -> tuple[dict[str, list[tuple[float, int]]], dict[str, list[float]], dict[str, dict[str, float]]]:
    """Throughput runs per server (calls/s, errors) and sequential latencies (ms), see (d)."""
    import asyncio

    sys.path.insert(0, str(ROOT))
    from tests import pgserver
    from tests.backend import in_schema

    pg_folder = pgserver.new_folder()
    port = free_port()
    sandbox = subprocess.Popen(
        [sys.executable, "-m", "venice_mcp", "sandbox", "--port", str(port)],
        env=child_env(home),
        stdin=subprocess.DEVNULL,
        stdout=subprocess.DEVNULL,
        stderr=subprocess.DEVNULL,
    )
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
        # server (all its workers). A ratio below the workers' count on a full machine shows here.
        cpu: dict[str, dict[str, float]] = {n: {"load": 0.0, "sandbox": 0.0, "server": 0.0} for n in names}
        for r in range(rounds):
            k = r % len(names)
            for name in names[k:] + names[:k]:
                before = (time.process_time(), cpu_seconds(sandbox.pid), cpu_seconds(servers[name].proc.pid))
                throughput[name].append(asyncio.run(load(servers[name].url, model, clients, calls)))
                after = (time.process_time(), cpu_seconds(sandbox.pid), cpu_seconds(servers[name].proc.pid))
                for key, b, a in zip(("load", "sandbox", "server"), before, after, strict=True):
                    cpu[name][key] += (a - b) * 1000 / (clients * calls * rounds)
        return throughput, latencies, cpu
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
        " (raw 2026-07-28 JSON-RPC POSTs, httpx2)"
    )
    throughput, latencies, cpu = workers_bench(
        home, args.clients, args.per_client, args.rounds, args.latency_calls
    )
    for name, runs in throughput.items():
        rates = [rate for rate, _ in runs]
        errors = sum(e for _, e in runs)
        runs_text = ", ".join(f"{x:.0f}" for x in rates)
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
            f" server {ms['server']:.2f} ms"
        )
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
        first = median(starts["venice-mcp serve (API key)"]["list"]) / median(starts[bare]["list"])
        print(f"    first tools/list, serve / bare: {first:.2f}× (venice-mcp builds its tools then)\n")

        print(f"(b) venice_chat tools/call over stdio vs direct HTTP to the sandbox, {args.calls} rounds")
        calls = call_overhead(args.calls, args.warmup, home)
        for name, label in (
            ("mcp", "venice_chat (API key)"),
            ("floor", "floor server tools/call"),
            ("wallet", "venice_chat (wallet, SIWX)"),
            ("direct", "direct HTTP POST"),
        ):
            xs = calls[name]
            print(f"    {label:30s} median {median(xs):6.2f} ms   p95 {p95(xs):6.2f} ms")
        overhead, floor = median(calls["diff"]), median(calls["floor_diff"])
        print(f"    over direct HTTP (median of pairwise): venice-mcp {overhead:.2f}, floor {floor:.2f} ms")
        over = median(calls["over_floor"])
        goal = f"goal ≤ +{OVER_FLOOR_GOAL_MS:.2f} ms: {verdict(over <= OVER_FLOOR_GOAL_MS)}"
        print(f"    venice-mcp over the floor (median of pairwise): {over:+.2f} ms  ({goal})")
        print(
            f"    wallet mode over direct: {median(calls['wallet_diff']):.2f} ms "
            f"(+{median(calls['wallet_diff']) - overhead:.2f} ms for signing in per request)\n"
        )

        print(f"(c) tools/list with the default settings: {listed:,} bytes of compact JSON")
        if args.workers_bench:
            print()
            report_workers(args, home)
    return 0


if __name__ == "__main__":
    sys.exit(main())
