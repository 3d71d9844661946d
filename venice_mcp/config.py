"""Settings, read once from the environment and validated at start.

Every knob the server has lives here, so the README's configuration table and this module are the
same list. Values that MCP Bundle hosts leave unsubstituted (``${user_config.x}``) count as unset.
"""

from __future__ import annotations

import ipaddress
import os
import re
from collections.abc import Mapping
from dataclasses import dataclass, field, replace
from pathlib import Path
from typing import Literal
from urllib.parse import urlsplit

DEFAULT_BASE_URL = "https://api.venice.ai/api/v1"

# Spend limits (USD). Conservative on purpose: an agent with a wallet should need a person to
# raise them, never the other way round.
DEFAULT_MAX_CALL_USD = 0.50
DEFAULT_MAX_TOPUP_USD = 10.0
DEFAULT_DAILY_TOPUP_USD = 20.0
# What one automatic top-up pays (clamped to VENICE_MCP_MAX_TOPUP_USD and Venice's $5 minimum).
DEFAULT_TOPUP_AMOUNT_USD = 10.0

PaymentShape = Literal["venice", "x402v2"]

# HTTP transports. Connections: half the open-file limit at most (the rest stays for the database,
# output files and Venice connections); a request must arrive whole within the read timeout (Go's
# http.Server.ReadTimeout; 30 s lets a slow link send the 4 MiB body limit). Sessions, per
# transport: measured at ~40 KB each for Streamable HTTP and ~110 KB for SSE, so 500 of each stay
# under ~75 MB; the idle expiry is the SDK's own default.
DEFAULT_MAX_CONNECTIONS = 1000
DEFAULT_READ_TIMEOUT_S = 30.0
DEFAULT_MAX_SESSIONS = 500
DEFAULT_SESSION_IDLE_S = 1800.0

# Charging remote agents per call (x402 over MCP): on when VENICE_MCP_CHARGE_PAY_TO is set. The
# facilitator is the x402 project's public one unless the operator runs their own; paying agents
# may spend at most this much of the operator's Venice credit per rolling 24 h.
DEFAULT_FACILITATOR_URL = "https://x402.org/facilitator"
DEFAULT_CHARGE_MARKUP = 1.0
DEFAULT_CHARGE_MIN_USD = 0.001
DEFAULT_DAILY_VENICE_USD = 20.0
# A facilitator settles on-chain: Base confirms in seconds; a settlement with no answer in this
# long is resubmitted (the same payload: it can settle once).
DEFAULT_FACILITATOR_TIMEOUT_S = 30.0

# VENICE_MCP_TOOLSETS chooses among these (tools/_declare.py assigns each tool to one or more).
TOOLSETS = ("text", "images", "audio", "video", "web", "crypto", "account", "wallet")

_HEX_KEY = re.compile(r"^(0x)?[0-9a-fA-F]{64}$")
_ADDRESS = re.compile(r"^0x[0-9a-fA-F]{40}$")

# The server's own files under VENICE_MCP_HOME. No input or output read reaches them, wherever the
# output folder is (even the home itself).
STATE_DB_FILE = "state.sqlite3"
STATE_KEY_FILE = "request-state.key"
SECRETS_DIR = "secrets"
# API keys venice_api_key_create saved are named so; before the secrets folder existed they were
# written to the output folder, where they are still never read.
SECRET_FILE_PREFIX = "api-key-"


def default_home() -> Path:
    """The platform's user data folder for venice-mcp (platformdirs loads only when needed)."""
    import platformdirs

    return Path(platformdirs.user_data_dir("venice-mcp"))


class ConfigError(ValueError):
    """A setting is malformed; the message is one line naming the variable and what it expects.

    Never the value: a key pasted into the wrong setting would land in the host's logs.
    """


class Secret:
    """A string that never shows itself in repr, str, logs or tracebacks."""

    __slots__ = ("_value",)

    def __init__(self, value: str) -> None:
        self._value = value

    def get(self) -> str:
        return self._value

    def __repr__(self) -> str:
        return "Secret('**********')"

    __str__ = __repr__

    def __eq__(self, other: object) -> bool:
        return isinstance(other, Secret) and other._value == self._value

    def __hash__(self) -> int:
        return hash(self._value)

    def __reduce__(self) -> str:
        raise TypeError("a Secret cannot be pickled or copied: it would carry the value with it")


@dataclass(frozen=True)
class Settings:
    api_key: Secret | None = None
    wallet_key: Secret | None = None
    base_url: str = DEFAULT_BASE_URL
    home: Path = field(default_factory=default_home)
    output_dir: Path | None = None
    auth_token: Secret | None = None
    max_call_usd: float = DEFAULT_MAX_CALL_USD
    max_topup_usd: float = DEFAULT_MAX_TOPUP_USD
    daily_topup_usd: float = DEFAULT_DAILY_TOPUP_USD
    auto_topup: bool = False
    topup_amount_usd: float = DEFAULT_TOPUP_AMOUNT_USD
    payment_shape: PaymentShape = "venice"
    allow_remote_paths: bool = False
    admin_tools: bool = False
    toolsets: tuple[str, ...] = TOOLSETS
    # Seals the 2026 protocol's requestState (a person's answer in flight); None: a key kept in
    # the home. Several workers must share one.
    state_key: Secret | None = None
    log_level: str = "WARNING"
    # Folders local input paths may come from; None means the user's home and the output folder.
    input_roots: tuple[Path, ...] | None = None
    # Set by the CLI: local paths are read on stdio only, unless allow_remote_paths.
    transport: Literal["stdio", "http"] = "stdio"
    # Set by --sandbox: the base URL then points at the in-process simulator.
    sandbox: bool = False
    # HTTP transports only (see connections.py and sessions.py).
    max_connections: int = DEFAULT_MAX_CONNECTIONS
    read_timeout_s: float = DEFAULT_READ_TIMEOUT_S
    max_sessions: int = DEFAULT_MAX_SESSIONS
    session_idle_s: float = DEFAULT_SESSION_IDLE_S
    # Charging mode (payments/payee.py): remote agents pay each paid call to this address.
    charge_pay_to: str | None = None
    facilitator_url: str = DEFAULT_FACILITATOR_URL
    charge_markup: float = DEFAULT_CHARGE_MARKUP
    charge_min_usd: float = DEFAULT_CHARGE_MIN_USD
    daily_venice_usd: float = DEFAULT_DAILY_VENICE_USD
    facilitator_timeout_s: float = DEFAULT_FACILITATOR_TIMEOUT_S
    # PostgreSQL for all state (several workers share it); None: the SQLite file in the home.
    database_url: Secret | None = None

    @property
    def charging(self) -> bool:
        return self.charge_pay_to is not None

    def secret_values(self) -> tuple[str, ...]:
        """Every secret this server holds, as the strings that could appear in a file."""
        values: list[str] = []
        if self.wallet_key is not None:
            key = self.wallet_key.get()
            values += [key, key.removeprefix("0x")]
        for secret in (self.api_key, self.auth_token, self.state_key):
            if secret is not None:
                values.append(secret.get())
        if self.database_url is not None:
            password = urlsplit(self.database_url.get()).password
            values += [password] if password else []
        return tuple(values)

    @property
    def secrets_dir(self) -> Path:
        """Where created API keys are kept (mode 700): outside every folder a tool reads."""
        return self.home / SECRETS_DIR

    @property
    def sealed(self) -> tuple[Path, ...]:
        """The server's own files and folders, never an input nor an output."""
        db = self.home / STATE_DB_FILE
        journals = tuple(db.with_name(db.name + s) for s in ("-wal", "-shm", "-journal"))
        return (self.secrets_dir, db, *journals, self.home / STATE_KEY_FILE)

    @property
    def readable_roots(self) -> tuple[Path, ...]:
        return self.input_roots or (Path.home(), self.outputs)

    @property
    def local_inputs_allowed(self) -> bool:
        return self.transport == "stdio" or self.allow_remote_paths

    @property
    def outputs(self) -> Path:
        return self.output_dir or self.home / "outputs"

    @property
    def auth_mode(self) -> Literal["wallet", "api_key", "none"]:
        if self.wallet_key is not None:
            return "wallet"
        if self.api_key is not None:
            return "api_key"
        return "none"

    def with_changes(self, **changes: object) -> Settings:
        return replace(self, **changes)  # type: ignore[arg-type]


def _unset(value: str | None) -> bool:
    # An optional bundle setting the user left empty arrives as the literal placeholder.
    return value is None or value.strip() == "" or value.strip().startswith("${user_config.")


def _expand(value: str, env: Mapping[str, str]) -> str:
    home = env.get("HOME") or str(Path.home())
    value = value.replace("${HOME}", home).replace("$HOME", home)
    return str(Path(value).expanduser()) if value.startswith("~") else value


def _number(env: Mapping[str, str], name: str, default: float, lo: float, hi: float) -> float:
    raw = env.get(name)
    if _unset(raw):
        return default
    assert raw is not None
    try:
        value = float(raw)
    except ValueError:
        raise ConfigError(f"{name} must be a number of US dollars (such as {default:g})") from None
    if not (lo <= value <= hi):  # NaN fails this too
        raise ConfigError(f"{name} must be a number of US dollars between {lo:g} and {hi:g}")
    return value


def _bounded(
    env: Mapping[str, str], name: str, default: float, lo: float, hi: float, *, whole: bool, what: str = ""
) -> float:
    # The value is never echoed: a key pasted into the wrong variable must not reach the logs.
    raw = env.get(name)
    if _unset(raw):
        return default
    assert raw is not None
    try:
        value = float(raw)
    except ValueError:
        value = float("nan")
    if not lo <= value <= hi or (whole and value != int(value)):  # NaN fails too
        what = what or ("a whole number" if whole else "a number of seconds")
        raise ConfigError(f"{name} must be {what} between {lo:g} and {hi:g}")
    return value


def _count(env: Mapping[str, str], name: str, default: int, hi: int) -> int:
    return int(_bounded(env, name, default, 1, hi, whole=True))


def _seconds(env: Mapping[str, str], name: str, default: float, lo: float, hi: float) -> float:
    return _bounded(env, name, default, lo, hi, whole=False)


def _flag(env: Mapping[str, str], name: str, default: bool = False) -> bool:
    raw = env.get(name)
    if _unset(raw):
        return default
    assert raw is not None
    lowered = raw.strip().lower()
    if lowered in ("1", "true", "yes", "on"):
        return True
    if lowered in ("0", "false", "no", "off"):
        return False
    raise ConfigError(f"{name} must be true or false")


def _base_url(raw: str) -> str:
    parts = urlsplit(raw)
    if parts.scheme not in ("http", "https") or not parts.netloc:
        raise ConfigError(f"VENICE_BASE_URL must be an http(s) URL such as {DEFAULT_BASE_URL}")
    return raw.rstrip("/")


def _safe_for_wallet(url: str) -> bool:
    parts = urlsplit(url)
    if parts.scheme == "https":
        return True
    host = (parts.hostname or "").lower()
    if host == "localhost":
        return True
    try:
        return ipaddress.ip_address(host).is_loopback
    except ValueError:
        return False


def _wallet_key(raw: str) -> Secret:
    value = raw.strip()
    if not _HEX_KEY.match(value):
        # Never echo the value: it may be a real key with a typo.
        raise ConfigError(
            "VENICE_WALLET_KEY must be a 32-byte hex private key (0x followed by 64 hex digits)"
        )
    return Secret(value if value.startswith("0x") else "0x" + value)


def _pay_to(raw: str) -> str:
    value = raw.strip()
    if not _ADDRESS.match(value) or int(value, 16) == 0:
        raise ConfigError("VENICE_MCP_CHARGE_PAY_TO must be an EVM address (0x followed by 40 hex digits)")
    return value


def _facilitator_url(raw: str) -> str:
    # Verification and settlement answers decide whether a call runs: plain http only on loopback.
    value = raw.strip().rstrip("/")
    parts = urlsplit(value)
    if parts.scheme not in ("http", "https") or not parts.netloc or not _safe_for_wallet(value):
        raise ConfigError(
            "VENICE_MCP_FACILITATOR_URL must be an https:// URL (plain http only for a loopback address)"
        )
    return value


def _api_key(raw: str) -> Secret:
    value = raw.strip()
    if any(ch.isspace() for ch in value) or not value.isprintable():
        raise ConfigError("VENICE_API_KEY contains whitespace or control characters; paste the key alone")
    return Secret(value)


def parse_database_url(raw: str) -> Secret:
    # Never echoed: the URL may hold the database's password.
    value = raw.strip()
    try:
        parts = urlsplit(value)
        parts.port  # noqa: B018 (a malformed port raises here)
    except ValueError:
        parts = urlsplit("")
    if parts.scheme not in ("postgresql", "postgres"):
        raise ConfigError(
            "VENICE_MCP_DATABASE_URL must be a postgresql:// URL"
            " (leave it unset to keep state in VENICE_MCP_HOME)"
        )
    return Secret(value)


def _toolsets(raw: str) -> tuple[str, ...]:
    names = tuple(dict.fromkeys(n.strip().lower() for n in raw.split(",") if n.strip()))
    unknown = [n for n in names if n not in TOOLSETS and n != "all"]
    if unknown or not names:
        raise ConfigError(f"VENICE_MCP_TOOLSETS takes a comma-separated list of: all, {', '.join(TOOLSETS)}")
    return TOOLSETS if "all" in names else names


def _state_key(raw: str) -> Secret:
    value = raw.strip()
    if len(value) < 32:
        raise ConfigError("VENICE_MCP_STATE_KEY must be at least 32 characters of secret randomness")
    return Secret(value)


def load_settings(env: Mapping[str, str] | None = None) -> Settings:
    """Read and validate every setting; raise ConfigError with one clear line on the first bad one."""
    env = os.environ if env is None else env
    get = env.get

    api_key = None if _unset(get("VENICE_API_KEY")) else _api_key(get("VENICE_API_KEY", ""))
    wallet_key = None if _unset(get("VENICE_WALLET_KEY")) else _wallet_key(get("VENICE_WALLET_KEY", ""))
    base_url = DEFAULT_BASE_URL if _unset(get("VENICE_BASE_URL")) else _base_url(get("VENICE_BASE_URL", ""))
    home_raw = get("VENICE_MCP_HOME")
    home = Path(_expand(home_raw, env)) if not _unset(home_raw) and home_raw else default_home()
    out_raw = get("VENICE_MCP_OUTPUT_DIR")
    output_dir = Path(_expand(out_raw, env)) if not _unset(out_raw) and out_raw else None
    token_raw = get("VENICE_MCP_AUTH_TOKEN")
    auth_token = None
    if not _unset(token_raw) and token_raw:
        if len(token_raw.strip()) < 16:
            raise ConfigError(
                "VENICE_MCP_AUTH_TOKEN must be at least 16 characters; use a long random string"
            )
        auth_token = Secret(token_raw.strip())
    # Checked for the bundle placeholder before case-folding: "${USER_CONFIG.…}" would not match.
    shape_raw = "venice" if _unset(get("VENICE_MCP_PAYMENT_SHAPE")) else get("VENICE_MCP_PAYMENT_SHAPE", "")
    shape_raw = shape_raw.strip().lower()
    if shape_raw not in ("venice", "x402v2"):
        raise ConfigError("VENICE_MCP_PAYMENT_SHAPE must be 'venice' or 'x402v2'")
    level_raw = "WARNING" if _unset(get("VENICE_MCP_LOG_LEVEL")) else get("VENICE_MCP_LOG_LEVEL", "")
    level_raw = level_raw.strip().upper()
    if level_raw not in ("DEBUG", "INFO", "WARNING", "ERROR", "CRITICAL"):
        raise ConfigError("VENICE_MCP_LOG_LEVEL must be DEBUG, INFO, WARNING, ERROR or CRITICAL")

    toolsets = TOOLSETS if _unset(get("VENICE_MCP_TOOLSETS")) else _toolsets(get("VENICE_MCP_TOOLSETS", ""))
    state_key = None if _unset(get("VENICE_MCP_STATE_KEY")) else _state_key(get("VENICE_MCP_STATE_KEY", ""))

    roots_raw = get("VENICE_MCP_INPUT_ROOTS")
    input_roots = None
    if not _unset(roots_raw) and roots_raw:
        input_roots = tuple(Path(_expand(p.strip(), env)) for p in roots_raw.split(os.pathsep) if p.strip())

    if wallet_key is not None and not _safe_for_wallet(base_url):
        # Top-up discovery is unauthenticated: over plain HTTP anyone on the path could swap payTo.
        raise ConfigError(
            "VENICE_BASE_URL must be https:// when VENICE_WALLET_KEY is set; "
            "plain http is allowed only for a loopback address"
        )

    return Settings(
        api_key=api_key,
        wallet_key=wallet_key,
        base_url=base_url,
        home=home,
        output_dir=output_dir,
        auth_token=auth_token,
        max_call_usd=_number(env, "VENICE_MCP_MAX_CALL_USD", DEFAULT_MAX_CALL_USD, 0, 1000),
        max_topup_usd=_number(env, "VENICE_MCP_MAX_TOPUP_USD", DEFAULT_MAX_TOPUP_USD, 0, 10_000),
        daily_topup_usd=_number(env, "VENICE_MCP_DAILY_TOPUP_USD", DEFAULT_DAILY_TOPUP_USD, 0, 100_000),
        auto_topup=_flag(env, "VENICE_MCP_AUTO_TOPUP"),
        topup_amount_usd=_number(env, "VENICE_MCP_TOPUP_AMOUNT_USD", DEFAULT_TOPUP_AMOUNT_USD, 0, 10_000),
        payment_shape="x402v2" if shape_raw == "x402v2" else "venice",
        allow_remote_paths=_flag(env, "VENICE_MCP_ALLOW_REMOTE_PATHS"),
        admin_tools=_flag(env, "VENICE_MCP_ADMIN_TOOLS"),
        toolsets=toolsets,
        state_key=state_key,
        log_level=level_raw,
        input_roots=input_roots,
        max_connections=_count(env, "VENICE_MCP_MAX_CONNECTIONS", DEFAULT_MAX_CONNECTIONS, 100_000),
        read_timeout_s=_seconds(env, "VENICE_MCP_READ_TIMEOUT_SECONDS", DEFAULT_READ_TIMEOUT_S, 0.1, 3600),
        max_sessions=_count(env, "VENICE_MCP_MAX_SESSIONS", DEFAULT_MAX_SESSIONS, 100_000),
        session_idle_s=_seconds(env, "VENICE_MCP_SESSION_IDLE_SECONDS", DEFAULT_SESSION_IDLE_S, 0.1, 86400),
        charge_pay_to=None
        if _unset(get("VENICE_MCP_CHARGE_PAY_TO"))
        else _pay_to(get("VENICE_MCP_CHARGE_PAY_TO", "")),
        facilitator_url=DEFAULT_FACILITATOR_URL
        if _unset(get("VENICE_MCP_FACILITATOR_URL"))
        else _facilitator_url(get("VENICE_MCP_FACILITATOR_URL", "")),
        charge_markup=_bounded(
            env,
            "VENICE_MCP_CHARGE_MARKUP",
            DEFAULT_CHARGE_MARKUP,
            0.01,
            100,
            whole=False,
            what="a multiplier",
        ),
        charge_min_usd=_number(env, "VENICE_MCP_CHARGE_MIN_USD", DEFAULT_CHARGE_MIN_USD, 0.000001, 1000),
        daily_venice_usd=_number(env, "VENICE_MCP_DAILY_VENICE_USD", DEFAULT_DAILY_VENICE_USD, 0, 100_000),
        facilitator_timeout_s=_seconds(
            env, "VENICE_MCP_FACILITATOR_TIMEOUT_SECONDS", DEFAULT_FACILITATOR_TIMEOUT_S, 0.1, 600
        ),
        database_url=None
        if _unset(get("VENICE_MCP_DATABASE_URL"))
        else parse_database_url(get("VENICE_MCP_DATABASE_URL", "")),
    )
