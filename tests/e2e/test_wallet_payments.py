"""Wallet payments across real processes: `venice-mcp sandbox` on a loopback port, the server as a
child that is killed while its top-up is in flight and then started again; and Venice's own npm
client, venice-x402-client 0.2.0, against the same sandbox."""

from __future__ import annotations

import base64
import json
import os
import shutil
import subprocess
from pathlib import Path
from typing import Any

import anyio
import pytest
from eth_account import Account

from tests.backend import state_db
from tests.e2e.helpers import CALL_TIMEOUT, Sandbox, child_env, cli, stop
from venice_mcp.payments.signer import EthAccountSigner
from venice_mcp.payments.x402 import select_requirement, sign_payment

pytestmark = pytest.mark.anyio

SDK = "venice-x402-client@0.2.0"


def _key() -> str:
    return "0x" + bytes(Account.create().key).hex()


def _key_forms(key: str) -> set[str]:
    bare = key[2:]
    return {bare, bare.upper(), bare.lower(), "0x" + bare.upper()}


async def _payments(home: Path) -> list[dict[str, Any]]:
    async with state_db(home) as db:
        return await db.query("SELECT * FROM payments ORDER BY id")


async def test_killed_mid_top_up_then_restarted_reconciles_and_never_signs_twice(
    sandbox: Sandbox, tmp_path: Path
) -> None:
    key = _key()
    address = EthAccountSigner(key).address
    home = tmp_path / "home"
    env = child_env(home, VENICE_BASE_URL=sandbox.api, VENICE_WALLET_KEY=key)
    # Venice credits the payment, then its answer never comes back before the child is killed.
    await sandbox.control("POST", "topups/faults", {"hang_after_credit": 1})
    out, err = tmp_path / "first.out", tmp_path / "first.err"
    with out.open("wb") as o, err.open("wb") as e:
        first = subprocess.Popen(
            cli("call", "venice_wallet_top_up", "--args", json.dumps({"amount_usd": 5, "confirm": True})),
            env=env,
            stdin=subprocess.DEVNULL,
            stdout=o,
            stderr=e,
        )
    try:
        with anyio.fail_after(CALL_TIMEOUT + 30):
            arrived = await sandbox.control("GET", "topups/wait", count=1, timeout=CALL_TIMEOUT)
        assert arrived["ok"], err.read_text()
        assert first.poll() is None, "the call finished although its top-up answer was held"
    finally:
        stop(first)  # SIGKILL: no cleanup, as in a crash

    # Committed before it was sent: the row is there, pending, with its one signed nonce.
    [row] = await _payments(home)
    assert row["status"] == "pending" and row["amount_usd"] == 5.0
    assert (await sandbox.control("GET", f"balance/{address}"))["balance"] == 5.0

    second = subprocess.run(
        cli("call", "venice_wallet_balance"),
        env=env,
        stdin=subprocess.DEVNULL,
        capture_output=True,
        timeout=CALL_TIMEOUT,
    )
    assert second.returncode == 0, second.stderr.decode()
    assert "$5.00" in second.stdout.decode()

    [row] = await _payments(home)
    assert row["status"] == "settled" and row["submissions"] == 2 and row["nonce"] == arrived_nonce(row)
    book = await sandbox.control("GET", "topups")
    assert book["nonces"] == [row["nonce"]]  # one signed authorization, ever
    assert len(book["submissions"]) == 2 and len(book["settlements"]) == 1
    assert book["settlements"][0]["submissions"] == 2
    ledger = (await sandbox.control("GET", f"balance/{address}"))["ledger"]
    assert [e["type"] for e in ledger] == ["TOP_UP"] and ledger[0]["amount"] == 5.0

    # The key is nowhere: not in either child's output, not in any file under VENICE_MCP_HOME.
    texts = [out.read_bytes(), err.read_bytes(), second.stdout, second.stderr]
    texts += [p.read_bytes() for p in home.rglob("*") if p.is_file()]
    for form in _key_forms(key):
        for blob in texts:
            assert form.encode() not in blob and form.lower().encode() not in blob.lower()


def arrived_nonce(row: dict[str, Any]) -> str:
    """The nonce inside the stored header (the row and its header must agree)."""
    payload = json.loads(base64.b64decode(row["header"]))
    return str(payload["payload"]["authorization"]["nonce"])


# -- Venice's own client -----------------------------------------------------------------------

INTEROP_SCRIPT = """
const { VeniceClient } = require("venice-x402-client");
async function main() {
  const [key, apiUrl] = process.argv.slice(2);
  const venice = new VeniceClient(key, { apiUrl });
  const out = { address: venice.address };
  out.before = await venice.getBalance();
  await venice.topUp(5);
  out.afterTopUp = await venice.getBalance();
  const messages = [{ role: "user", content: "hello from the SDK" }];
  const chat = await venice.chat({ model: "default", messages });
  out.chat = { id: chat.id, content: chat.choices[0].message.content };
  out.transactions = await venice.getTransactions({ limit: 10 });
  console.log(JSON.stringify(out));
}
main().catch((err) => {
  const details = err && err.details ? JSON.stringify(err.details) : "";
  console.error("INTEROP FAILED:", err && (err.stack || err), details);
  process.exit(1);
});
"""


def _sdk_dir() -> Path:
    """venice-x402-client 0.2.0 from the npm registry, installed once into a cache directory."""
    if shutil.which("node") is None or shutil.which("npm") is None:
        pytest.skip("node and npm are needed for the venice-x402-client interop test")
    base = Path(os.environ.get("VENICE_MCP_NPM_CACHE") or Path.home() / ".cache" / "venice-mcp-tests")
    target = base / SDK.replace("@", "-")
    if not (target / "node_modules" / "venice-x402-client" / "package.json").exists():
        target.mkdir(parents=True, exist_ok=True)
        done = subprocess.run(
            ["npm", "install", "--no-audit", "--no-fund", "--prefix", str(target), SDK],
            capture_output=True,
            timeout=600,
        )
        if done.returncode != 0:
            pytest.skip(f"npm could not fetch {SDK}: {done.stderr.decode(errors='replace')[-500:]}")
    manifest = json.loads((target / "node_modules" / "venice-x402-client" / "package.json").read_text())
    assert manifest["version"] == "0.2.0"
    return target


async def test_official_venice_x402_client_against_the_sandbox(sandbox: Sandbox) -> None:
    sdk = _sdk_dir()
    (sdk / "interop.cjs").write_text(INTEROP_SCRIPT)
    key = _key()
    origin = f"http://127.0.0.1:{sandbox.port}"  # the SDK's apiUrl is an origin; it adds /api/v1
    with anyio.fail_after(CALL_TIMEOUT * 2):
        done = await anyio.run_process(["node", "interop.cjs", key, origin], cwd=sdk, check=False)
    assert done.returncode == 0, done.stderr.decode()
    out = json.loads(done.stdout)
    assert out["before"]["balanceUsd"] == 0 and out["before"]["canConsume"] is False
    assert out["afterTopUp"]["balanceUsd"] == 5 and out["afterTopUp"]["canConsume"] is True
    assert out["chat"]["content"].startswith("[sandbox] ")
    charge, top_up = out["transactions"]["transactions"]
    assert top_up["type"] == "TOP_UP" and top_up["amount"] == 5
    assert charge["type"] == "CHARGE" and charge["requestId"] == out["chat"]["id"]

    # What the SDK sent, as the sandbox recorded it: the legacy headers, the v1-style envelope.
    requests = await sandbox.control("GET", "requests")
    [paid] = [r for r in requests if r["path"] == "/x402/top-up" and "x-402-payment" in r["headers"]]
    assert any("x-sign-in-with-x" in r["headers"] for r in requests)
    sdk_payload = json.loads(base64.b64decode(paid["headers"]["x-402-payment"]))

    # The payer's default shape has exactly the SDK's structure (keys, order, string fields).
    discovery = (await sandbox.http.post("/api/v1/x402/top-up")).json()
    ours = sign_payment(EthAccountSigner(key), select_requirement(discovery), 5_000_000)
    assert ours.header_name.lower() == "x-402-payment"
    our_payload = json.loads(base64.b64decode(ours.header))

    def shape(obj: Any) -> Any:
        if isinstance(obj, dict):
            return [(k, shape(v)) for k, v in obj.items()]
        return type(obj).__name__

    assert shape(our_payload) == shape(sdk_payload)
    assert {k: sdk_payload[k] for k in ("x402Version", "scheme", "network")} == {
        k: our_payload[k] for k in ("x402Version", "scheme", "network")
    }
    sdk_auth, our_auth = sdk_payload["payload"]["authorization"], our_payload["payload"]["authorization"]
    assert sdk_auth["to"] == our_auth["to"] and sdk_auth["value"] == our_auth["value"]
    # The SDK reads the clock twice (validAfter, then validBefore): a second may tick in between.
    assert int(sdk_auth["validBefore"]) - int(sdk_auth["validAfter"]) in (900, 901)
    assert int(our_auth["validBefore"]) - int(our_auth["validAfter"]) == 900
