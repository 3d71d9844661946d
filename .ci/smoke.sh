#!/usr/bin/env bash
# Checks with the official MCP tools, run by .ci/run and runnable by hand from any checkout:
#
#   .ci/smoke.sh bundle     validate manifest.json and pack the .mcpb with @anthropic-ai/mcpb
#   .ci/smoke.sh inspector  the MCP Inspector CLI against `venice-mcp serve --sandbox`:
#                           tools/list then a venice_chat call, over stdio and Streamable HTTP
#   .ci/smoke.sh            both
#
# Needs Node >= 20 with npx (the npm registry is the only network used) and the project installed
# in .venv (or VENICE_MCP_BIN pointing at a venice-mcp executable). Every wait is bounded.
set -euo pipefail
cd "$(dirname "$0")/.."

MCPB="@anthropic-ai/mcpb@2.1.2"
INSPECTOR="@modelcontextprotocol/inspector@0.15.0"  # the newest line that runs on Node 20
BIN="${VENICE_MCP_BIN:-$PWD/.venv/bin/venice-mcp}"
PY="$(dirname "$BIN")/python"
[ -x "$PY" ] || PY=python3
NPX_TIMEOUT=300  # a cold npx download of the Inspector takes ~30 s

WORK="$(mktemp -d)"
SERVER_PID=""
cleanup() {
    if [ -n "$SERVER_PID" ]; then kill "$SERVER_PID" 2>/dev/null || true; wait "$SERVER_PID" 2>/dev/null || true; fi
    rm -rf "$WORK"
}
trap cleanup EXIT

fail() { echo "smoke: $*" >&2; exit 1; }

bundle() {
    timeout "$NPX_TIMEOUT" npx -y "$MCPB" validate manifest.json
    timeout "$NPX_TIMEOUT" npx -y "$MCPB" pack . "$WORK/venice-mcp.mcpb" | tail -n 9
    # What the host unpacks: the package, its data and pyproject.toml; no caches, venvs or tests.
    "$PY" - "$WORK/venice-mcp.mcpb" <<'EOF'
import sys, zipfile
names = zipfile.ZipFile(sys.argv[1]).namelist()
need = ["manifest.json", "pyproject.toml", "README.md", "venice_mcp/__main__.py", "venice_mcp/tools/__init__.py"]
missing = [n for n in need if n not in names]
need_data = any(n.startswith("venice_mcp/sandbox/data/") for n in names)
junk = [n for n in names if any(p in n for p in ("__pycache__", ".venv/", ".pyc", "egg-info", ".git/", "node_modules/"))
        or n.startswith(("tests/", "tools/", ".ci/"))]
if missing or junk or not need_data:
    sys.exit(f"bundle contents wrong: missing={missing} sandbox_data={need_data} unwanted={junk[:10]}")
print(f"bundle contents ok: {len(names)} files")
EOF
    # Start the unpacked bundle exactly as its mcp_config says (uv run --directory <bundle>
    # venice-mcp), with the env a host sends when the form is left at its defaults. Needs uv,
    # which CI does not have: there this part is skipped and says so.
    if ! command -v uv >/dev/null; then
        echo "bundle launch: skipped (uv is not installed)"
        return
    fi
    "$PY" -c 'import sys, zipfile; zipfile.ZipFile(sys.argv[1]).extractall(sys.argv[2])' \
        "$WORK/venice-mcp.mcpb" "$WORK/bundle"
    local env_args=()
    while IFS= read -r pair; do env_args+=(-e "$pair"); done < <("$PY" - "$WORK/bundle" <<'EOF'
import json, re, sys
manifest = json.load(open(f"{sys.argv[1]}/manifest.json"))
options = manifest["user_config"]
for name, raw in manifest["server"]["mcp_config"]["env"].items():
    key = re.fullmatch(r"\$\{user_config\.(\w+)\}", raw).group(1)
    default = options[key].get("default")
    value = raw if default is None else str(default).lower() if isinstance(default, bool) else f"{default:g}"
    print(f"{name}={value}")
EOF
)
    inspect "${env_args[@]}" -e VENICE_MCP_HOME="$WORK/home" -e UV_CACHE_DIR="$WORK/uv-cache" \
        "$(command -v uv)" run --directory "$WORK/bundle" venice-mcp --sandbox \
        --method tools/call --tool-name venice_chat --tool-arg prompt=hello >"$WORK/bundle-call.json"
    grep -q '\[sandbox\]' "$WORK/bundle-call.json" || fail "the bundle did not answer: $(cat "$WORK/bundle-call.json")"
    echo "bundle launch: uv run --directory <bundle> venice-mcp answered"
}

# Run the Inspector CLI; its stdout is JSON.
inspect() { timeout "$NPX_TIMEOUT" npx -y "$INSPECTOR" --cli "$@"; }

# $1 = label, $2 = tools/list JSON file, $3 = tools/call JSON file
check() {
    "$PY" - "$@" <<'EOF'
import json, sys
label, listed, called = sys.argv[1:4]
tools = {t["name"] for t in json.load(open(listed))["tools"]}
wanted = {t["name"] for t in json.load(open("manifest.json"))["tools"]}
if tools != wanted:
    sys.exit(f"{label}: tools/list differs from manifest.json: {sorted(tools ^ wanted)}")
result = json.load(open(called))
text = "".join(block.get("text", "") for block in result["content"])
if result.get("isError") or "[sandbox]" not in text:
    sys.exit(f"{label}: venice_chat failed: {result}")
print(f"{label}: {len(tools)} tools; venice_chat answered {text.splitlines()[0]!r}")
EOF
}

inspector() {
    [ -x "$BIN" ] || fail "no venice-mcp at $BIN (install the project in .venv, or set VENICE_MCP_BIN)"
    local home="$WORK/home"
    mkdir -p "$home"

    # stdio: the Inspector starts the server itself, with a minimal environment plus -e.
    # (0.15 syntax: -e and the command first, then the flags; "--" is the 2.x form.)
    inspect -e VENICE_MCP_HOME="$home" "$BIN" serve --sandbox --method tools/list >"$WORK/stdio-list.json"
    inspect -e VENICE_MCP_HOME="$home" "$BIN" serve --sandbox \
        --method tools/call --tool-name venice_chat --tool-arg prompt=hello >"$WORK/stdio-call.json"
    check stdio "$WORK/stdio-list.json" "$WORK/stdio-call.json"

    # Streamable HTTP: a background server on a free port, ready when GET /health answers.
    local port
    port="$("$PY" -c 'import socket; s=socket.socket(); s.bind(("127.0.0.1", 0)); print(s.getsockname()[1])')"
    VENICE_MCP_HOME="$home" "$BIN" serve --transport http --sandbox --port "$port" 2>"$WORK/http.log" &
    SERVER_PID=$!
    local url="http://127.0.0.1:$port"
    for _ in $(seq 1 300); do  # at most 30 s
        if "$PY" -c 'import sys, urllib.request; urllib.request.urlopen(sys.argv[1], timeout=1)' "$url/health" 2>/dev/null; then
            break
        fi
        kill -0 "$SERVER_PID" 2>/dev/null || { cat "$WORK/http.log" >&2; fail "HTTP server exited"; }
        sleep 0.1
    done
    "$PY" -c 'import sys, urllib.request; urllib.request.urlopen(sys.argv[1], timeout=1)' "$url/health" \
        || { cat "$WORK/http.log" >&2; fail "HTTP server not ready after 30 s"; }
    inspect "$url/mcp" --method tools/list >"$WORK/http-list.json"
    inspect "$url/mcp" --method tools/call --tool-name venice_chat --tool-arg prompt=hello >"$WORK/http-call.json"
    check "Streamable HTTP" "$WORK/http-list.json" "$WORK/http-call.json"
}

case "${1:-all}" in
    bundle) bundle ;;
    inspector) inspector ;;
    all) bundle; inspector ;;
    *) fail "usage: $0 [bundle|inspector]" ;;
esac
