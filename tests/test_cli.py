"""The CLI in process: argument handling, exit codes, result rendering, the --sandbox wiring."""

from __future__ import annotations

import base64
import os
from pathlib import Path

import pytest
from mcp.server import MCPServer
from mcp.server.mcpserver.exceptions import ToolError
from mcp.types import CallToolResult, ImageContent, ResourceLink, TextContent

from venice_mcp import cli
from venice_mcp.config import Secret, Settings

WALLET_KEY = "0x" + "11" * 32


@pytest.fixture(autouse=True)
def clean_env(monkeypatch: pytest.MonkeyPatch, tmp_path: Path) -> None:
    for name in list(os.environ):
        if name.startswith("VENICE_"):
            monkeypatch.delenv(name)
    monkeypatch.setenv("VENICE_MCP_HOME", str(tmp_path))


@pytest.fixture
def stand_in(monkeypatch: pytest.MonkeyPatch) -> MCPServer:
    server = MCPServer("stand-in")

    @server.tool()
    def echo(text: str) -> str:
        """Echo the text back.

        Second line that the listing leaves out."""
        return text

    @server.tool()
    def fail() -> str:
        """Always fails."""
        raise ToolError("it broke")

    monkeypatch.setattr(cli, "make_server", lambda settings, *, sandbox: server)
    return server


def test_help_explains_every_verb(capsys: pytest.CaptureFixture[str]) -> None:
    with pytest.raises(SystemExit) as exit_info:
        cli.main(["--help"])
    assert exit_info.value.code == 0
    out = capsys.readouterr().out
    for verb in ("serve", "sandbox", "call", "tools", "--sandbox"):
        assert verb in out


def test_no_verb_means_serve() -> None:
    assert cli._normalize([]) == ["serve"]
    assert cli._normalize(["--transport", "http"]) == ["serve", "--transport", "http"]
    assert cli._normalize(["--help"]) == ["--help"]
    assert cli._normalize(["tools"]) == ["tools"]


def test_malformed_setting_is_one_line_and_exit_2(
    monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:
    monkeypatch.setenv("VENICE_MCP_MAX_CALL_USD", "abc")
    assert cli.main(["tools"]) == 2
    captured = capsys.readouterr()
    assert captured.out == ""
    assert captured.err.count("\n") == 1
    assert captured.err.startswith("venice-mcp: VENICE_MCP_MAX_CALL_USD")


def test_exposed_http_without_token_refuses_to_start(capsys: pytest.CaptureFixture[str]) -> None:
    assert cli.main(["serve", "--transport", "http", "--host", "0.0.0.0"]) == 2
    err = capsys.readouterr().err
    assert err.count("\n") == 1 and "VENICE_MCP_AUTH_TOKEN" in err


def test_call_prints_text_and_exits_0(stand_in: MCPServer, capsys: pytest.CaptureFixture[str]) -> None:
    assert cli.main(["call", "echo", "--args", '{"text": "hi there"}']) == 0
    assert capsys.readouterr().out == "hi there\n"


def test_call_tool_error_exits_1(stand_in: MCPServer, capsys: pytest.CaptureFixture[str]) -> None:
    assert cli.main(["call", "fail"]) == 1
    assert "it broke" in capsys.readouterr().out


def test_call_unknown_tool_names_the_real_ones(
    stand_in: MCPServer, capsys: pytest.CaptureFixture[str]
) -> None:
    assert cli.main(["call", "nope"]) == 2
    err = capsys.readouterr().err
    assert "'nope'" in err and "echo, fail" in err


@pytest.mark.parametrize("raw", ["{bad", "[1, 2]", '"text"'])
def test_call_with_bad_args_exits_2(raw: str, capsys: pytest.CaptureFixture[str]) -> None:
    assert cli.main(["call", "echo", "--args", raw]) == 2
    assert capsys.readouterr().err.startswith("venice-mcp: --args")


def test_tools_lists_name_and_first_line(stand_in: MCPServer, capsys: pytest.CaptureFixture[str]) -> None:
    assert cli.main(["tools"]) == 0
    assert capsys.readouterr().out.splitlines() == ["echo  Echo the text back.", "fail  Always fails."]


def test_format_result_summarizes_binary_content() -> None:
    png = base64.b64encode(b"x" * 300).decode()
    result = CallToolResult(
        content=[
            TextContent(type="text", text="made an image"),
            ImageContent(type="image", data=png, mime_type="image/png"),
            ResourceLink(type="resource_link", name="img", uri="file:///tmp/a.png", mime_type="image/png"),
        ]
    )
    assert cli.format_result(result) == (
        "made an image\n[image: image/png, 300 bytes]\n[resource_link: file:///tmp/a.png, image/png]"
    )


def test_format_result_shows_structured_content_only_without_text() -> None:
    only_data = CallToolResult(content=[], structured_content={"balance": 1.5})
    assert cli.format_result(only_data) == '{\n  "balance": 1.5\n}'
    with_text = CallToolResult(
        content=[TextContent(type="text", text="1.5")], structured_content={"result": "1.5"}
    )
    assert cli.format_result(with_text) == "1.5"


# --- --sandbox never uses the user's keys -----------------------------------------------------


def test_sandboxed_replaces_the_api_key() -> None:
    pytest.importorskip("venice_mcp.sandbox", reason="sandbox not built yet")
    from venice_mcp.sandbox import SANDBOX_API_KEY

    settings, transport = cli.sandboxed(Settings(api_key=Secret("real-user-key")))
    assert settings.sandbox and settings.base_url == cli.SANDBOX_BASE_URL
    assert settings.api_key == Secret(SANDBOX_API_KEY) and settings.wallet_key is None
    assert transport is not None


def test_sandboxed_swaps_a_configured_wallet_for_a_throwaway_one() -> None:
    pytest.importorskip("venice_mcp.sandbox", reason="sandbox not built yet")
    settings, _ = cli.sandboxed(Settings(api_key=Secret("real-user-key"), wallet_key=Secret(WALLET_KEY)))
    assert settings.api_key is None
    assert settings.wallet_key is not None and settings.wallet_key != Secret(WALLET_KEY)
    assert settings.sandbox


@pytest.mark.parametrize(
    ("argv", "says"),
    [
        (["serve", "--workers", "2"], "over http or sse only"),
        (["serve", "--transport", "http", "--workers", "0"], "at least 1"),
        (["serve", "--transport", "http", "--workers", "2", "--sandbox"], "venice-mcp sandbox"),
    ],
)
def test_workers_are_refused_where_they_cannot_work(
    argv: list[str], says: str, capsys: pytest.CaptureFixture[str]
) -> None:
    assert cli.main(argv) == 2
    assert says in capsys.readouterr().err
