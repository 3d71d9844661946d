"""manifest.json (the MCP Bundle manifest) against the live server, the package and config.py.

If the drift test fails, run ``python tools/gen_manifest.py`` and commit manifest.json.
"""

from __future__ import annotations

import json
import re
import sys
from collections.abc import Mapping
from pathlib import Path
from typing import Any

import pytest

import venice_mcp
from venice_mcp import config, jobs, transports
from venice_mcp.config import ConfigError, load_settings

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT / "tools"))

import gen_manifest  # noqa: E402

MANIFEST_TEXT = (ROOT / "manifest.json").read_text(encoding="utf-8")
MANIFEST: dict[str, Any] = json.loads(MANIFEST_TEXT)
USER_CONFIG: dict[str, dict[str, Any]] = MANIFEST["user_config"]
ENV: dict[str, str] = MANIFEST["server"]["mcp_config"]["env"]
PLACEHOLDER = re.compile(r"^\$\{user_config\.([A-Za-z0-9_]+)\}$")

CREDENTIALS = ("VENICE_API_KEY", "VENICE_WALLET_KEY")
LIMITS = {
    "VENICE_MCP_MAX_CALL_USD": config.DEFAULT_MAX_CALL_USD,
    "VENICE_MCP_MAX_TOPUP_USD": config.DEFAULT_MAX_TOPUP_USD,
    "VENICE_MCP_DAILY_TOPUP_USD": config.DEFAULT_DAILY_TOPUP_USD,
    "VENICE_MCP_TOPUP_AMOUNT_USD": config.DEFAULT_TOPUP_AMOUNT_USD,
}


def option_for(env_name: str) -> dict[str, Any]:
    match = PLACEHOLDER.match(ENV[env_name])
    assert match, f"{env_name} should be exactly ${{user_config.<key>}}, got {ENV[env_name]!r}"
    return USER_CONFIG[match.group(1)]


def host_env(values: Mapping[str, object]) -> dict[str, str]:
    """mcp_config.env as a host fills it in (mcpb's getMcpConfigForManifest): numbers stringified,
    booleans as "true"/"false", an empty optional key without a default left as the literal."""

    def fill(raw: str) -> str:
        match = PLACEHOLDER.match(raw)
        if not match or match.group(1) not in values:
            return raw
        value = values[match.group(1)]
        if isinstance(value, bool):
            return "true" if value else "false"
        if isinstance(value, float) and value.is_integer():
            return str(int(value))  # JavaScript's String(10) is "10", not "10.0"
        return str(value)

    return {name: fill(raw) for name, raw in ENV.items()}


# --- drift ------------------------------------------------------------------------------------


def test_tools_and_prompts_match_the_live_server() -> None:
    wanted = gen_manifest.expected(MANIFEST_TEXT)
    assert wanted == MANIFEST_TEXT, "manifest.json is out of date: run python tools/gen_manifest.py"


def test_every_tool_of_a_default_server_is_listed() -> None:
    # The drift test compares text; this says which tool is missing when it fails.
    import anyio

    tools, prompts = anyio.run(gen_manifest.live_surface)
    assert [t["name"] for t in MANIFEST["tools"]] == [t["name"] for t in tools]
    assert [p["name"] for p in MANIFEST.get("prompts", [])] == [p["name"] for p in prompts]
    assert len(tools) >= 30 and all(t["description"] for t in MANIFEST["tools"])


def test_summary_keeps_short_descriptions_whole_and_cuts_long_ones() -> None:
    assert gen_manifest.summary("One line.\n  wrapped here.") == "One line. wrapped here."
    long = "First sentence. " + "x" * 400
    assert gen_manifest.summary(long) == "First sentence."
    assert gen_manifest.summary("Intro paragraph.\n\n" + "y " * 200) == "Intro paragraph."


def test_version_equals_the_package_version() -> None:
    pyproject = (ROOT / "pyproject.toml").read_text(encoding="utf-8")
    project = pyproject.split("[project]", 1)[1].split("\n[", 1)[0]
    match = re.search(r'^version\s*=\s*"([^"]+)"', project, re.M)
    assert match
    assert MANIFEST["version"] == match.group(1) == venice_mcp.__version__


def test_bundle_basics() -> None:
    assert MANIFEST["manifest_version"] == "0.4"
    server = MANIFEST["server"]
    assert server["type"] == "uv" and (ROOT / server["entry_point"]).is_file()
    mcp_config = server["mcp_config"]
    # `uv run --directory ${__dirname} venice-mcp`: the console script pyproject declares.
    assert mcp_config["command"] == "uv"
    assert mcp_config["args"][:3] == ["run", "--directory", "${__dirname}"]
    script = mcp_config["args"][3]
    assert re.search(
        rf'^{re.escape(script)}\s*=\s*"venice_mcp.__main__:main"', (ROOT / "pyproject.toml").read_text(), re.M
    )
    assert MANIFEST["compatibility"]["runtimes"]["python"] == ">=3.10"
    assert re.search(r'requires-python\s*=\s*">=3.10"', (ROOT / "pyproject.toml").read_text())


# --- user_config <-> environment --------------------------------------------------------------


def test_every_option_is_mapped_and_every_mapping_is_an_option() -> None:
    used = {PLACEHOLDER.match(raw).group(1) for raw in ENV.values() if PLACEHOLDER.match(raw)}  # type: ignore[union-attr]
    assert used == set(USER_CONFIG)
    assert all(PLACEHOLDER.match(raw) for raw in ENV.values()), ENV


def test_credentials_are_optional_sensitive_strings() -> None:
    for name in CREDENTIALS:
        option = option_for(name)
        assert option["type"] == "string" and option["sensitive"] is True, name
        # A required value the user leaves empty stops the host from starting the server at all;
        # either credential alone is enough, and with none the free catalog tools still work.
        assert option.get("required", False) is False, name
        assert "default" not in option, name


@pytest.mark.parametrize("env_name", sorted(LIMITS))
def test_limits_are_numbers_with_config_defaults_and_bounds(env_name: str) -> None:
    option = option_for(env_name)
    assert option["type"] == "number"
    assert option["default"] == LIMITS[env_name]
    # The range the host's form accepts is exactly the range config.py accepts.
    low, high = option["min"], option["max"]
    load_settings({env_name: str(low)})
    load_settings({env_name: str(high)})
    for outside in (high + 1, low - 1):
        with pytest.raises(ConfigError, match=env_name):
            load_settings({env_name: str(outside)})


def test_auto_topup_is_a_boolean_off_by_default() -> None:
    option = option_for("VENICE_MCP_AUTO_TOPUP")
    assert option["type"] == "boolean" and option["default"] is False is config.Settings().auto_topup


def test_output_dir_is_a_directory() -> None:
    assert option_for("VENICE_MCP_OUTPUT_DIR")["type"] == "directory"


def test_a_bundle_left_at_its_defaults_runs_with_the_default_settings() -> None:
    defaults = {key: option["default"] for key, option in USER_CONFIG.items() if "default" in option}
    env = host_env(defaults)
    assert env["VENICE_API_KEY"] == "${user_config.venice_api_key}"  # left literal, as hosts do
    assert load_settings(env) == load_settings({})


def test_a_filled_in_bundle_reaches_the_settings(tmp_path: Path) -> None:
    values = {
        "venice_api_key": "VENICE_INFERENCE_KEY_abc",
        "max_call_usd": 1.25,
        "max_topup_usd": 7,
        "daily_topup_usd": 30,
        "auto_topup": True,
        "topup_amount_usd": 5,
        "output_dir": str(tmp_path),
    }
    settings = load_settings(host_env(values))
    assert settings.api_key is not None and settings.api_key.get() == "VENICE_INFERENCE_KEY_abc"
    assert settings.wallet_key is None
    assert (settings.max_call_usd, settings.max_topup_usd, settings.daily_topup_usd) == (1.25, 7, 30)
    assert settings.auto_topup is True and settings.topup_amount_usd == 5
    assert settings.outputs == tmp_path


def test_output_dir_expands_home(tmp_path: Path) -> None:
    # A directory default such as "${HOME}/Venice" reaches the server unexpanded (mcpb 2.1.2).
    env = {"HOME": str(tmp_path), "VENICE_MCP_OUTPUT_DIR": "${HOME}/venice-out"}
    assert load_settings(env).outputs == tmp_path / "venice-out"
    assert load_settings({"VENICE_MCP_OUTPUT_DIR": "~/venice-out"}).outputs == Path.home() / "venice-out"


class Recorder(dict[str, str]):
    """An environment that remembers every variable the code asked for."""

    def __init__(self, values: Mapping[str, str] | None = None) -> None:
        super().__init__(values or {})
        self.asked: set[str] = set()

    def get(self, key: str, default: Any = None) -> Any:  # type: ignore[override]
        self.asked.add(key)
        return super().get(key, default)

    def __getitem__(self, key: str) -> str:
        self.asked.add(key)
        return super().__getitem__(key)

    def __contains__(self, key: object) -> bool:
        if isinstance(key, str):
            self.asked.add(key)
        return super().__contains__(key)


def variables_read() -> set[str]:
    env = Recorder()
    load_settings(env)
    transports.allowed_hosts_from_env(env)
    jobs.poll_seconds(env)
    return {name for name in env.asked if name.startswith("VENICE_")}


def test_every_variable_treats_an_unsubstituted_placeholder_as_unset(
    caplog: pytest.LogCaptureFixture,
) -> None:
    names = variables_read()
    assert set(ENV) <= names, "mcp_config.env sets variables the server never reads"
    assert {"VENICE_MCP_LOG_LEVEL", "VENICE_MCP_INPUT_ROOTS", "VENICE_MCP_POLL_SECONDS"} <= names
    placeholders = {name: "${user_config." + name.lower() + "}" for name in names}
    assert load_settings(placeholders) == load_settings({})
    assert transports.allowed_hosts_from_env(placeholders) == []
    assert jobs.poll_seconds(placeholders) == jobs.DEFAULT_POLL_SECONDS
    assert not caplog.records, [r.getMessage() for r in caplog.records]


def test_the_environment_is_read_only_where_the_placeholder_test_looks() -> None:
    # A module reading os.environ on its own would escape the test above: route it through
    # config.load_settings (or one of the functions variables_read() calls) instead.
    readers = {
        path.relative_to(ROOT).as_posix()
        for path in (ROOT / "venice_mcp").rglob("*.py")
        if re.search(r"os\.environ|os\.getenv|getenv\(", path.read_text(encoding="utf-8"))
    }
    allowed = {"venice_mcp/config.py", "venice_mcp/jobs.py", "venice_mcp/cli.py"}
    assert readers <= allowed | {p for p in readers if p.startswith("venice_mcp/sandbox/")}, readers
