"""Settings: malformed values stop the server with one clear line; bundle placeholders are unset."""

from __future__ import annotations

import re
from pathlib import Path

import pytest

from venice_mcp import config
from venice_mcp.config import DEFAULT_BASE_URL, TOOLSETS, ConfigError, load_settings


def test_empty_environment_is_valid_with_no_credentials() -> None:
    s = load_settings({})
    assert s.auth_mode == "none" and s.base_url == DEFAULT_BASE_URL
    assert s.max_call_usd == 0.5 and s.auto_topup is False


def test_wallet_wins_over_api_key_and_keys_never_show() -> None:
    key = "0x" + "ab" * 32
    s = load_settings({"VENICE_WALLET_KEY": key, "VENICE_API_KEY": "VENICE_INFERENCE_KEY_abc"})
    assert s.auth_mode == "wallet"
    assert key not in repr(s) and "VENICE_INFERENCE_KEY_abc" not in repr(s)


def test_wallet_key_without_0x_is_accepted() -> None:
    s = load_settings({"VENICE_WALLET_KEY": "ab" * 32})
    assert s.wallet_key is not None and s.wallet_key.get() == "0x" + "ab" * 32


@pytest.mark.parametrize(
    ("env", "needle"),
    [
        ({"VENICE_WALLET_KEY": "0x1234"}, "VENICE_WALLET_KEY"),
        ({"VENICE_BASE_URL": "ftp://x"}, "VENICE_BASE_URL"),
        ({"VENICE_MCP_MAX_CALL_USD": "abc"}, "VENICE_MCP_MAX_CALL_USD"),
        ({"VENICE_MCP_MAX_TOPUP_USD": "-1"}, "VENICE_MCP_MAX_TOPUP_USD"),
        ({"VENICE_MCP_AUTO_TOPUP": "maybe"}, "VENICE_MCP_AUTO_TOPUP"),
        ({"VENICE_MCP_AUTH_TOKEN": "short"}, "VENICE_MCP_AUTH_TOKEN"),
        ({"VENICE_API_KEY": "has space"}, "VENICE_API_KEY"),
        ({"VENICE_MCP_TOOLSETS": "text,pictures"}, "VENICE_MCP_TOOLSETS"),
        ({"VENICE_MCP_TOOLSETS": " , "}, "VENICE_MCP_TOOLSETS"),
        ({"VENICE_MCP_STATE_KEY": "too-short"}, "VENICE_MCP_STATE_KEY"),
    ],
)
def test_malformed_values_name_the_variable_in_one_line(env: dict[str, str], needle: str) -> None:
    with pytest.raises(ConfigError) as info:
        load_settings(env)
    assert needle in str(info.value) and "\n" not in str(info.value)


def test_bad_wallet_key_is_not_echoed() -> None:
    almost = "0x" + "cd" * 31 + "zz"
    with pytest.raises(ConfigError) as info:
        load_settings({"VENICE_WALLET_KEY": almost})
    assert "cd" * 10 not in str(info.value)


def test_unsubstituted_bundle_values_count_as_unset() -> None:
    s = load_settings(
        {"VENICE_API_KEY": "${user_config.api_key}", "VENICE_MCP_MAX_CALL_USD": "${user_config.max_call}"}
    )
    assert s.api_key is None and s.max_call_usd == 0.5


def test_placeholders_of_case_folded_settings_count_as_unset() -> None:
    # The log level is upper-cased before it is checked: the placeholder must be recognised first.
    env = {
        "VENICE_MCP_LOG_LEVEL": "${user_config.log_level}",
        "VENICE_MCP_PAYMENT_SHAPE": "${user_config.shape}",
    }
    s = load_settings(env)
    assert (s.log_level, s.payment_shape) == ("WARNING", "venice")


def test_home_expands_tilde_and_home_variable() -> None:
    s = load_settings({"HOME": "/home/u", "VENICE_MCP_HOME": "${HOME}/vm", "VENICE_MCP_OUTPUT_DIR": "~/out"})
    assert str(s.home) == "/home/u/vm"
    assert s.outputs.name == "out" and "~" not in str(s.outputs)


def test_secrets_cannot_be_pickled_or_copied() -> None:
    import copy
    import pickle

    from venice_mcp.api.client import BearerAuth

    s = load_settings({"VENICE_WALLET_KEY": "0x" + "ab" * 32})
    for obj in (s.wallet_key, s, BearerAuth("VENICE_INFERENCE_KEY_x")):
        with pytest.raises(TypeError):
            pickle.dumps(obj)
        with pytest.raises(TypeError):
            copy.deepcopy(obj)


def test_a_wallet_needs_https_except_on_loopback() -> None:
    key = "0x" + "ab" * 32
    with pytest.raises(ConfigError, match="https"):
        load_settings({"VENICE_WALLET_KEY": key, "VENICE_BASE_URL": "http://venice.example/api/v1"})
    for ok in ("https://api.venice.ai/api/v1", "http://127.0.0.1:8787/api/v1", "http://localhost/api/v1"):
        assert load_settings({"VENICE_WALLET_KEY": key, "VENICE_BASE_URL": ok}).base_url == ok
    # An API key alone may use plain http (a local proxy, say): no payment is signed.
    assert load_settings({"VENICE_API_KEY": "k", "VENICE_BASE_URL": "http://proxy.lan/api/v1"})


def test_toolsets_are_a_list_and_all_means_all() -> None:
    assert load_settings({}).toolsets == TOOLSETS
    assert load_settings({"VENICE_MCP_TOOLSETS": "all"}).toolsets == TOOLSETS
    assert load_settings({"VENICE_MCP_TOOLSETS": " Images, text ,images"}).toolsets == ("images", "text")


def test_http_limits_have_defaults_and_take_numbers() -> None:
    s = load_settings({})
    assert (s.max_connections, s.read_timeout_s, s.max_sessions, s.session_idle_s) == (
        1000,
        30.0,
        500,
        1800.0,
    )
    s = load_settings(
        {
            "VENICE_MCP_MAX_CONNECTIONS": "64",
            "VENICE_MCP_READ_TIMEOUT_SECONDS": "2.5",
            "VENICE_MCP_MAX_SESSIONS": "200",
            "VENICE_MCP_SESSION_IDLE_SECONDS": "1",
        }
    )
    assert (s.max_connections, s.read_timeout_s, s.max_sessions, s.session_idle_s) == (64, 2.5, 200, 1.0)


@pytest.mark.parametrize(
    "name",
    [
        "VENICE_MCP_MAX_CONNECTIONS",
        "VENICE_MCP_READ_TIMEOUT_SECONDS",
        "VENICE_MCP_MAX_SESSIONS",
        "VENICE_MCP_SESSION_IDLE_SECONDS",
    ],
)
@pytest.mark.parametrize("value", ["0", "-3", "nan", "inf", "1e9", "0x" + "ab" * 32])
def test_a_bad_http_limit_names_the_variable_and_never_echoes_the_value(name: str, value: str) -> None:
    with pytest.raises(ConfigError) as info:
        load_settings({name: value})
    message = str(info.value)
    assert message.startswith(name) and "ab" * 8 not in message and "\n" not in message


@pytest.mark.parametrize("name", ["VENICE_MCP_MAX_CONNECTIONS", "VENICE_MCP_MAX_SESSIONS"])
def test_counts_are_whole_numbers(name: str) -> None:
    with pytest.raises(ConfigError, match="whole number"):
        load_settings({name: "2.5"})


WALLET_KEY = "0x" + "5eed" * 16
API_KEY = "VENICE_ADMIN_KEY_" + "Qw7" * 12
SETTINGS = sorted(set(re.findall(r'"(VENICE_[A-Z_]+)"', Path(config.__file__).read_text())))


def _leaks(message: str, value: str) -> bool:
    """Whether 8 characters in a row of a key's secret part in ``value`` show in ``message``."""
    lowered = message.lower()
    parts = [p for p in ("5eed" * 16, "Qw7" * 12) if p in value]
    return any(p[i : i + 8].lower() in lowered for p in parts for i in range(len(p) - 7))


@pytest.mark.parametrize("name", SETTINGS)
@pytest.mark.parametrize("pasted", [WALLET_KEY, API_KEY, f"{API_KEY} {WALLET_KEY}", f"${{{API_KEY}}}"])
def test_no_setting_echoes_a_malformed_value(name: str, pasted: str) -> None:
    """A key pasted into the wrong setting must not reach the host's logs through the error."""
    try:
        load_settings({name: pasted})
    except ConfigError as exc:
        assert name in str(exc) and not _leaks(str(exc), pasted), str(exc)


def test_every_setting_is_checked_for_echoes() -> None:
    assert {"VENICE_MCP_MAX_CALL_USD", "VENICE_MCP_LOG_LEVEL", "VENICE_BASE_URL"} <= set(SETTINGS)
    assert len(SETTINGS) >= 18


def test_the_wallet_https_rule_does_not_echo_the_url() -> None:
    url = f"http://user:{API_KEY}@venice.example/api/v1"
    with pytest.raises(ConfigError) as info:
        load_settings({"VENICE_WALLET_KEY": WALLET_KEY, "VENICE_BASE_URL": url})
    assert "VENICE_BASE_URL" in str(info.value) and not _leaks(str(info.value), API_KEY)


def test_a_malformed_poll_interval_is_not_echoed(caplog: pytest.LogCaptureFixture) -> None:
    from venice_mcp.jobs import POLL_ENV, poll_seconds

    assert poll_seconds({POLL_ENV: API_KEY}) == 3.0
    assert POLL_ENV in caplog.text and not _leaks(caplog.text, API_KEY)
