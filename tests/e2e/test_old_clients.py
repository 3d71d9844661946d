"""Real clients of older protocol eras, which nobody here wrote, get every media result.

Old releases of the official SDKs (Python 1.5.0 and TypeScript 1.0.4 speak 2024-11-05; Python
1.9.4 and TypeScript 1.12.1 speak 2025-03-26) validate each result against their own types: one
``resource_link`` or ``audio`` block their era lacks and the whole, already paid, result is
rejected (a pydantic ValidationError, a ZodError). Each client here calls the media tools of
``venice-mcp serve --sandbox`` over stdio and reads back every file it was linked to.

They need PyPI and the npm registry, so they carry the ``registry`` marker: the default ``pytest``
leaves them out, CI runs them as a step of their own (``pytest -m registry``).
"""

from __future__ import annotations

import json
import shutil
import subprocess
import sys
from pathlib import Path
from typing import Any

import pytest

from tests.e2e.helpers import child_env, cli
from tests.e2e.test_protocol_eras import PNG

pytestmark = pytest.mark.registry

HERE = Path(__file__).parent / "old_clients"
INSTALL_TIMEOUT = 600
RUN_TIMEOUT = 300
CALLS = [
    ["venice_image_generate", {"prompt": "a red fox in snow"}],
    ["venice_image_edit", {"image": PNG, "prompt": "make it blue"}],
    ["venice_speech", {"text": "Hello from an older protocol."}],
    ["venice_music_generate", {"prompt": "calm piano"}],
    ["venice_video_generate", {"prompt": "a lighthouse at dawn"}],
    ["venice_embeddings", {"input": ["one", "two", "three", "four", "five"]}],
]
CURRENT_TS = "1.32.2"  # @modelcontextprotocol/sdk, December 2026
BLOCKS = {"2024-11-05": {"text", "image", "resource"}, "2025-03-26": {"text", "image", "audio", "resource"}}
MIME = {
    ".webp": "image/webp",
    ".png": "image/png",
    ".mp3": "audio/mpeg",
    ".mp4": "video/mp4",
    ".json": "application/json",
}


def _run(argv: list[str], cwd: Path | None = None) -> None:
    subprocess.run(argv, cwd=cwd, check=True, timeout=INSTALL_TIMEOUT, capture_output=True)


@pytest.fixture(
    scope="module", params=["python:1.5.0", "python:1.9.4", "typescript:1.0.4", "typescript:1.12.1"]
)
def old_client(request: pytest.FixtureRequest, tmp_path_factory: pytest.TempPathFactory) -> list[str]:
    """The command that runs the client script with that SDK release."""
    language, version = str(request.param).split(":")
    where = tmp_path_factory.mktemp(f"{language}-{version}")
    if language == "python":
        _run([sys.executable, "-m", "venv", str(where)])
        # The pydantic of that era: later releases removed a private helper these SDKs import.
        _run([str(where / "bin" / "pip"), "install", "--quiet", f"mcp=={version}", "pydantic<2.12"])
        return [str(where / "bin" / "python"), str(HERE / "py_client.py")]
    npm = shutil.which("npm")
    assert npm is not None, "the registry tests need node and npm"
    _run(
        [npm, "install", "--silent", "--no-audit", "--no-fund", f"@modelcontextprotocol/sdk@{version}"], where
    )
    shutil.copy(HERE / "ts_client.mjs", where / "client.mjs")
    return ["node", str(where / "client.mjs")]


def test_old_clients_get_every_media_result(old_client: list[str], tmp_path: Path) -> None:
    env = child_env(tmp_path, VENICE_MCP_MAX_CALL_USD="100", VENICE_MCP_POLL_SECONDS="0.01")
    done = subprocess.run(
        [*old_client, json.dumps(CALLS), *cli("serve", "--sandbox")],
        env=env,
        capture_output=True,
        timeout=RUN_TIMEOUT,
        check=False,
    )
    assert done.returncode == 0, done.stderr.decode()[-3000:]
    summary: dict[str, Any] = json.loads(done.stdout.decode().strip().splitlines()[-1])
    version = summary["protocolVersion"]
    assert version in BLOCKS, summary
    for call in summary["calls"]:
        assert "exception" not in call and not call["isError"], call
        assert set(call["types"]) <= BLOCKS[version], call
    speech = next(c for c in summary["calls"] if c["tool"] == "venice_speech")
    assert ("audio" if version == "2025-03-26" else "resource") in speech["types"]
    assert len(summary["reads"]) == len(CALLS)  # one file per call, each read back with its type
    for read in summary["reads"]:
        assert read["mimeType"] == MIME[Path(read["uri"]).suffix], read


@pytest.fixture(scope="module")
def current_ts_client(tmp_path_factory: pytest.TempPathFactory) -> list[str]:
    """A current TypeScript SDK: it checks each structured result against the tool's outputSchema."""
    where = tmp_path_factory.mktemp("typescript-current")
    npm = shutil.which("npm")
    assert npm is not None, "the registry tests need node and npm"
    _run(
        [npm, "install", "--silent", "--no-audit", "--no-fund", f"@modelcontextprotocol/sdk@{CURRENT_TS}"],
        where,
    )
    shutil.copy(HERE / "ts_client.mjs", where / "client.mjs")
    return ["node", str(where / "client.mjs")]


def test_a_current_ts_client_accepts_every_chat_result_under_its_output_schema(
    current_ts_client: list[str], tmp_path: Path
) -> None:
    weather = {
        "name": "get_weather",
        "parameters": {"type": "object", "properties": {"city": {"type": "string"}}},
    }
    calls = [
        ["venice_chat", {"prompt": "hello", "max_tokens": 100}],
        ["venice_chat", {"prompt": "use get_weather", "tools": [weather], "max_tokens": 100}],
        ["venice_chat", {"prompt": "two", "n": 2, "max_tokens": 100}],
        ["venice_chat", {"prompt": "hello", "model": "openai-gpt-54-pro", "max_tokens": 100_000}],  # stopped
    ]
    done = subprocess.run(
        [*current_ts_client, json.dumps(calls), *cli("serve", "--sandbox")],
        env=child_env(tmp_path),
        capture_output=True,
        timeout=RUN_TIMEOUT,
        check=False,
    )
    assert done.returncode == 0, done.stderr.decode()[-3000:]
    summary: dict[str, Any] = json.loads(done.stdout.decode().strip().splitlines()[-1])
    assert summary["protocolVersion"] not in BLOCKS  # an era with structured content
    for call in summary["calls"]:
        assert "exception" not in call and not call["isError"], call
