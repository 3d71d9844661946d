"""A video job from generate to file through the real CLI over stdio, with progress observed.

The child polls every 10 ms (VENICE_MCP_POLL_SECONDS, the documented test knob); the sandbox's
job advances per poll, so this needs no real waiting.
"""

from __future__ import annotations

from pathlib import Path

import anyio
import pytest
from mcp import Client, StdioServerParameters

from tests.e2e.helpers import CALL_TIMEOUT, child_env, cli
from tests.tools.media_helpers import ProgressLog, mp4_boxes


@pytest.mark.anyio
@pytest.mark.parametrize("mode", ["auto", "legacy"])
async def test_stdio_video_job_to_file_with_progress(mode: str, tmp_path: Path) -> None:
    command, *args = cli("serve", "--sandbox")
    env = child_env(tmp_path, VENICE_MCP_POLL_SECONDS="0.01")
    log = ProgressLog()
    with anyio.fail_after(CALL_TIMEOUT):
        async with Client(StdioServerParameters(command=command, args=args, env=env), mode=mode) as client:
            result = await client.call_tool(
                "venice_video_generate", {"prompt": "A lighthouse at dawn"}, progress_callback=log
            )
            assert not result.is_error, result
            data = result.structured_content
            assert data is not None and data["status"] == "completed"
            listed = await client.call_tool("venice_jobs", {})
    saved = Path(data["path"])
    assert saved.is_relative_to(tmp_path / "outputs") and saved.suffix == ".mp4"
    assert mp4_boxes(saved.read_bytes()) == [b"ftyp", b"moov", b"mdat"]
    # Three PROCESSING polls (the sandbox default) and the finish, each one further along.
    log.assert_strictly_increasing(at_least=4)
    assert log.events[-1][0] == log.events[-1][1] and "ready" in str(log.events[-1][2])
    assert listed.structured_content["jobs"][0]["status"] == "completed"  # type: ignore[index]
