"""Every snippet of the README's "Connecting a host" and "Running remotely" sections, run for real.

JSON configs are started the way a host would start them (the placeholder path replaced by this
venv's ``venice-mcp``, ``--sandbox`` added, credentials replaced by dummies the sandbox never
uses), then a tool is listed and called. Remote configs connect, with the header they show, to a
server started with a token. ``claude mcp add`` lines are fed to the real Claude Code CLI (from
the npm registry, with a throw-away HOME) and the server it records is started; without ``npx``
they are parsed here instead. ``uvx`` lines run when ``uv`` is installed; otherwise their shape is
checked against pyproject and the manifest. The remote start command runs through bash.
"""

from __future__ import annotations

import json
import os
import re
import shlex
import shutil
import subprocess
import sys
from pathlib import Path
from typing import Any

import anyio
import httpx2
import pytest
from mcp import Client, StdioServerParameters
from mcp.client.sse import sse_client
from mcp.client.streamable_http import streamable_http_client
from mcp.types import TextContent

from tests.e2e.helpers import CALL_TIMEOUT, HttpServer, child_env, free_port, stop, wait_until_listening

ROOT = Path(__file__).resolve().parents[2]
README = (ROOT / "README.md").read_text(encoding="utf-8")
MANIFEST = json.loads((ROOT / "manifest.json").read_text(encoding="utf-8"))
SECTIONS = ("## Connecting a host\n", "## Running remotely\n")

PLACEHOLDER_BIN = "/absolute/path/to/venice-mcp/.venv/bin/venice-mcp"
PLACEHOLDER_CHECKOUT = "/absolute/path/to/venice-mcp"
REMOTE = "https://mcp.example.com"
TOKEN_PLACEHOLDER = "<token>"
REPOSITORY = MANIFEST["repository"]["url"]
CLAUDE_CODE = "@anthropic-ai/claude-code@2.1.332"
# What the README may show instead of a key; anything else in a credential is a leaked secret.
CREDENTIALS = {
    "VENICE_API_KEY": ("VENICE_INFERENCE_KEY_...", "VENICE_INFERENCE_KEY_readme"),
    "VENICE_WALLET_KEY": ("0x...", "0x" + "11" * 32),
}
NPX_TIMEOUT = 300.0


def section() -> str:
    start = README.index(SECTIONS[0])
    rest = README[start:]
    # Up to the first level-2 heading that is not one of ours.
    for match in re.finditer(r"^## .*\n", rest, re.M):
        if match.group(0) not in SECTIONS:
            return rest[: match.start()]
    return rest


TEXT = section()
BLOCKS = re.findall(r"^```(\w*)\n(.*?)^```", TEXT, re.M | re.S)
JSON_DOCS: list[dict[str, Any]] = [json.loads(body) for lang, body in BLOCKS if lang == "json"]


def bash_commands() -> list[str]:
    """The commands of the bash blocks, continuation lines joined, comments dropped."""
    commands = []
    for lang, body in BLOCKS:
        if lang != "bash":
            continue
        for command in body.replace("\\\n", " ").splitlines():
            command = command.split("    #", 1)[0].strip()
            if command and not command.startswith("#"):
                commands.append(command)
    return commands


COMMANDS = bash_commands()


def server_entries() -> list[tuple[str, dict[str, Any], dict[str, Any]]]:
    """(id, entry, document) for every server of every JSON snippet."""
    out = []
    for number, doc in enumerate(JSON_DOCS):
        servers = doc.get("mcpServers") or doc.get("servers")
        assert isinstance(servers, dict) and servers, doc
        for name, entry in servers.items():
            kind = "stdio" if "command" in entry else entry.get("type") or "http"
            out.append((f"json{number}-{name}-{kind}", entry, doc))
    return out


ENTRIES = server_entries()
STDIO = [e for e in ENTRIES if "command" in e[1]]
REMOTES = [e for e in ENTRIES if "url" in e[1]]


def venv_bin() -> str:
    found = Path(sys.executable).parent / "venice-mcp"
    path = str(found) if found.exists() else shutil.which("venice-mcp")
    assert path, "venice-mcp is not installed in this environment (pip install -e .)"
    return path


def dummy_env(env: dict[str, str], inputs: list[dict[str, Any]] | None = None) -> dict[str, str]:
    """The snippet's env with its credential placeholders replaced by sandbox-safe dummies."""
    out = {}
    input_ids = {item["id"] for item in inputs or []}
    for name, value in env.items():
        if name in CREDENTIALS:
            shown, dummy = CREDENTIALS[name]
            vscode_input = re.fullmatch(r"\$\{input:([\w-]+)\}", value)
            assert value == shown or (vscode_input and vscode_input.group(1) in input_ids), (
                f"{name} in the README must be the placeholder {shown!r} or a declared ${{input:…}}"
            )
            out[name] = dummy
        else:
            assert "${" not in value and "..." not in value, (name, value)
            out[name] = value
    return out


async def list_and_chat(target: Any) -> None:
    with anyio.fail_after(CALL_TIMEOUT):
        async with Client(target) as client:
            names = {tool.name for tool in (await client.list_tools()).tools}
            assert {t["name"] for t in MANIFEST["tools"]} <= names
            result = await client.call_tool("venice_chat", {"prompt": "hello"})
    assert not result.is_error, result
    text = "".join(block.text for block in result.content if isinstance(block, TextContent))
    assert text.startswith("[sandbox]"), text


async def run_stdio(command: str, args: list[str], env: dict[str, str], home: Path) -> None:
    assert command == PLACEHOLDER_BIN, f"a stdio snippet should start {PLACEHOLDER_BIN}, not {command!r}"
    assert args in ([], ["serve"]), args
    params = StdioServerParameters(
        command=venv_bin(), args=["serve", "--sandbox"], env=child_env(home, **env)
    )
    await list_and_chat(params)


async def run_remote(kind: str, url: str, headers: dict[str, str], server: HttpServer) -> None:
    assert url.startswith(REMOTE + "/"), url
    assert headers == {"Authorization": f"Bearer {TOKEN_PLACEHOLDER}"}, headers
    assert server.token
    url = server.base + url[len(REMOTE) :]
    real = {"Authorization": f"Bearer {server.token}"}
    if kind == "sse":
        assert url.endswith("/sse")
        await list_and_chat(sse_client(url, headers=real))
    else:
        assert kind == "http" and url.endswith("/mcp"), (kind, url)
        async with httpx2.AsyncClient(headers=real, timeout=CALL_TIMEOUT) as http:
            await list_and_chat(streamable_http_client(url, http_client=http))


# --- the section is complete ------------------------------------------------------------------


def test_every_host_has_a_snippet() -> None:
    for needle in (
        "claude_desktop_config.json",
        "mcpb@",
        "claude mcp add venice",
        "claude mcp add --transport http",
        "claude mcp add --transport sse",
        ".cursor/mcp.json",
        ".vscode/mcp.json",
        "uvx --from git+",
        "venice-mcp serve --transport http",
    ):
        assert needle in TEXT, needle
    assert len(STDIO) >= 4 and len(JSON_DOCS) >= 7
    kinds = [entry_id.rsplit("-", 1)[1] for entry_id, _, _ in REMOTES]
    assert kinds.count("http") >= 3 and kinds.count("sse") >= 1, kinds
    assert any("servers" in doc and "mcpServers" not in doc for doc in JSON_DOCS)  # VS Code's format


# --- JSON snippets ----------------------------------------------------------------------------


@pytest.mark.anyio
@pytest.mark.parametrize("entry_id,entry,doc", STDIO, ids=[e[0] for e in STDIO])
async def test_stdio_snippet_starts_and_answers(
    entry_id: str, entry: dict[str, Any], doc: dict[str, Any], tmp_path: Path
) -> None:
    if "servers" in doc:  # VS Code wants the type spelled out
        assert entry.get("type") == "stdio"
    env = dummy_env(entry.get("env", {}), doc.get("inputs"))
    await run_stdio(entry["command"], list(entry.get("args", [])), env, tmp_path)


@pytest.mark.anyio
@pytest.mark.parametrize("entry_id,entry,doc", REMOTES, ids=[e[0] for e in REMOTES])
async def test_remote_snippet_connects_with_its_header(
    entry_id: str, entry: dict[str, Any], doc: dict[str, Any], token_server: HttpServer
) -> None:
    kind = entry.get("type") or ("sse" if entry["url"].endswith("/sse") else "http")
    if "servers" in doc:
        assert "type" in entry
    await run_remote(kind, entry["url"], entry.get("headers", {}), token_server)


# --- claude mcp add ---------------------------------------------------------------------------

CLAUDE_LINES = [c for c in COMMANDS if c.startswith("claude mcp add ")]


def claude_code_config(line: str, home: Path) -> tuple[str, dict[str, Any]]:
    """The server entry `claude mcp add …` records: by the real CLI when npx is here."""
    argv = shlex.split(line)
    home.mkdir(parents=True, exist_ok=True)
    npx = shutil.which("npx")
    if npx is None:
        return parse_claude_mcp_add(argv[3:])
    env = {
        "PATH": os.environ.get("PATH", ""),
        "HOME": str(home),
        # Keep the developer's npm cache (a cold download also works, just slower).
        "npm_config_cache": os.environ.get("npm_config_cache") or str(Path.home() / ".npm"),  # noqa: SIM112
        "DISABLE_TELEMETRY": "1",
        "CLAUDE_CODE_DISABLE_NONESSENTIAL_TRAFFIC": "1",
    }
    done = subprocess.run(
        [npx, "-y", CLAUDE_CODE, *argv[1:]],
        cwd=home,
        env=env,
        capture_output=True,
        text=True,
        timeout=NPX_TIMEOUT,
        check=False,
    )
    assert done.returncode == 0, done.stdout + done.stderr
    config = json.loads((home / ".claude.json").read_text())
    (project,) = config["projects"].values()
    ((name, entry),) = project["mcpServers"].items()
    return name, entry


def parse_claude_mcp_add(argv: list[str]) -> tuple[str, dict[str, Any]]:
    """`claude mcp add [options] <name> <commandOrUrl> [args...]`, as Claude Code 2.1 reads it."""
    entry: dict[str, Any] = {"type": "stdio"}
    positional: list[str] = []
    items = iter(argv)
    for item in items:
        if item == "--":
            positional.extend(items)
        elif item in ("--transport", "-t"):
            entry["type"] = next(items)
        elif item in ("--env", "-e"):
            key, _, value = next(items).partition("=")
            entry.setdefault("env", {})[key] = value
        elif item in ("--header", "-H"):
            key, _, value = next(items).partition(":")
            entry.setdefault("headers", {})[key.strip()] = value.strip()
        elif item in ("--scope", "-s"):
            next(items)
        else:
            assert not item.startswith("-"), f"unknown option {item}"
            positional.append(item)
    name, target, *args = positional
    entry.update({"url": target} if entry["type"] != "stdio" else {"command": target, "args": args})
    return name, entry


def test_claude_mcp_add_lines_exist() -> None:
    assert len(CLAUDE_LINES) >= 3, CLAUDE_LINES


@pytest.mark.anyio
@pytest.mark.parametrize("line", CLAUDE_LINES)
async def test_claude_code_snippet(line: str, tmp_path: Path, token_server: HttpServer) -> None:
    name, entry = claude_code_config(line, tmp_path / "claude-home")
    assert name.startswith("venice")
    if entry["type"] == "stdio":
        await run_stdio(entry["command"], entry.get("args", []), dummy_env(entry.get("env", {})), tmp_path)
    else:
        await run_remote(entry["type"], entry["url"], entry.get("headers", {}), token_server)


def test_parse_claude_mcp_add_matches_the_cli_shape() -> None:
    # The fallback parser (used without npx) reads the README's forms as Claude Code does.
    name, entry = parse_claude_mcp_add(["venice", "--env", "A=b", "--", "/x/venice-mcp"])
    assert (name, entry) == (
        "venice",
        {"type": "stdio", "env": {"A": "b"}, "command": "/x/venice-mcp", "args": []},
    )
    name, entry = parse_claude_mcp_add(["--transport", "sse", "v", "https://h/sse", "--header", "A: B c"])
    assert entry == {"type": "sse", "headers": {"A": "B c"}, "url": "https://h/sse"}


# --- install, uvx and the bundle --------------------------------------------------------------


def test_install_lines() -> None:
    clone = next(c for c in COMMANDS if c.startswith("git clone "))
    assert shlex.split(clone)[2] == REPOSITORY
    install = next(c for c in COMMANDS if "pip install -e ." in c)
    assert ".venv/bin/pip" in install and PLACEHOLDER_BIN.endswith("/venice-mcp/.venv/bin/venice-mcp")


UVX_LINES = [c for c in COMMANDS if c.startswith("uvx ")]


@pytest.mark.parametrize("line", UVX_LINES)
def test_uvx_snippet(line: str, tmp_path: Path) -> None:
    argv = shlex.split(line)
    assert argv[:2] == ["uvx", "--from"] and argv[3:] == ["venice-mcp", "--help"], argv
    source = argv[2]
    assert source in (f"git+{REPOSITORY}", PLACEHOLDER_CHECKOUT), source
    scripts = (ROOT / "pyproject.toml").read_text().split("[project.scripts]", 1)[1]
    assert re.search(r'^venice-mcp\s*=\s*"venice_mcp\.__main__:main"', scripts, re.M)
    uvx = shutil.which("uvx")
    if uvx is None or source != PLACEHOLDER_CHECKOUT:
        # No uv here, or a repository this machine cannot reach: the command it would run.
        done = subprocess.run([venv_bin(), "--help"], capture_output=True, text=True, timeout=CALL_TIMEOUT)
    else:
        # uv needs the caller's network settings (proxy, certificates), so the full environment.
        env = {**os.environ, "VENICE_MCP_HOME": str(tmp_path), "UV_CACHE_DIR": str(tmp_path / "uv-cache")}
        done = subprocess.run(
            [uvx, "--from", str(ROOT), *argv[3:]],
            env=env,
            capture_output=True,
            text=True,
            timeout=NPX_TIMEOUT,
        )
    assert done.returncode == 0, done.stderr
    assert "usage: venice-mcp" in done.stdout


def test_uvx_host_config_matches_the_uvx_line() -> None:
    inline = re.search(r'`"command": "uvx", "args": (\[.*?\])`', TEXT)
    assert inline, "the inline uvx host config is gone"
    assert json.loads(inline.group(1)) == ["--from", f"git+{REPOSITORY}", "venice-mcp"]


def test_bundle_pack_line_uses_the_version_ci_checks() -> None:
    (line,) = [c for c in COMMANDS if "@anthropic-ai/mcpb@" in c]
    argv = shlex.split(line)
    pinned = re.search(r'MCPB="(@anthropic-ai/mcpb@[\d.]+)"', (ROOT / ".ci" / "smoke.sh").read_text())
    assert pinned and argv == ["npx", "-y", pinned.group(1), "pack", ".", "venice-mcp.mcpb"]
    assert (ROOT / "manifest.json").is_file() and (ROOT / ".mcpbignore").is_file()
    assert "uv run --directory <bundle> venice-mcp" in TEXT
    assert MANIFEST["server"]["mcp_config"]["args"] == ["run", "--directory", "${__dirname}", "venice-mcp"]


# --- running remotely -------------------------------------------------------------------------


@pytest.mark.anyio
async def test_remote_start_command(tmp_path: Path) -> None:
    (line,) = [c for c in COMMANDS if "venice-mcp serve --transport http" in c]
    generator = re.search(r"\$\((.*?)\)(?=\s)", line)
    assert generator, line
    # The token recipe works and makes a token the server accepts (at least 16 characters).
    made = subprocess.run(["bash", "-c", generator.group(1)], capture_output=True, text=True, timeout=30)
    assert made.returncode == 0 and len(made.stdout.strip()) >= 32, made
    token = made.stdout.strip()
    port = free_port()
    script = (
        line.replace(generator.group(0), shlex.quote(token))
        .replace(CREDENTIALS["VENICE_API_KEY"][0], CREDENTIALS["VENICE_API_KEY"][1])
        .replace("venice-mcp serve", f"exec {shlex.quote(venv_bin())} serve --sandbox")
        .replace("--port 8000", f"--port {port}")
    )
    assert "--host 0.0.0.0" in script and f"--port {port}" in script
    log = tmp_path / "stderr.log"
    with log.open("wb") as err:
        proc = subprocess.Popen(
            ["bash", "-c", script], env=child_env(tmp_path), stdin=subprocess.DEVNULL, stdout=err, stderr=err
        )
    try:
        try:
            await wait_until_listening(port, proc)
        except (RuntimeError, TimeoutError) as exc:
            raise AssertionError(f"{exc}: {log.read_text()[-2000:]}") from None
        server = HttpServer(port, token, log)
        async with httpx2.AsyncClient(timeout=CALL_TIMEOUT) as http:
            assert (await http.get(f"{server.base}/health")).text == "ok"
            assert (await http.post(f"{server.base}/mcp", json={})).status_code == 401
        await run_remote("http", f"{REMOTE}/mcp", {"Authorization": "Bearer <token>"}, server)
        await run_remote("sse", f"{REMOTE}/sse", {"Authorization": "Bearer <token>"}, server)
    finally:
        stop(proc)
