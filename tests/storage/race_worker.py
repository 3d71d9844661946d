"""One racer in its own process, on its own connection pool: ``python -m tests.storage.race_worker
OP URL ARG...``. It opens the database, prints ``ready``, waits for ``go`` on stdin (so every racer
starts together), does OP once and prints its outcome as one JSON line."""

from __future__ import annotations

import json
import sys
import time
import uuid
from typing import Any

import anyio

from venice_mcp.payments.ledger import Ledger, NewPayment, new_owner
from venice_mcp.payments.receipts import DailyShareSpent, Receipts, Received, Replayed
from venice_mcp.storage.postgres import PostgresDatabase

WALLET = "0x" + "ab" * 20


def payment(amount: float) -> NewPayment:
    nonce = "0x" + uuid.uuid4().hex
    return NewPayment(
        intent_id=uuid.uuid4().hex,
        origin="https://api.venice.ai/api/v1",
        reason="auto",
        wallet=WALLET,
        amount_usd=amount,
        value=str(int(amount * 1e6)),
        pay_to="0x" + "cd" * 20,
        nonce=nonce,
        valid_before=int(time.time()) + 600,
        header_name="X-402-Payment",
        header="e30=",
    )


def authorization(nonce: str) -> Received:
    return Received(
        network="eip155:8453",
        asset="0x" + "ee" * 20,
        payer="0x" + "11" * 20,
        nonce=nonce,
        value=1000,
        pay_to="0x" + "22" * 20,
        valid_before=int(time.time()) + 600,
        payload={"nonce": nonce},
        requirement={},
    )


async def run(op: str, db: PostgresDatabase, args: list[str]) -> Any:
    if op == "topup":  # amount, daily limit
        inserted, _ = await Ledger(db).reserve_payment(
            payment(float(args[0])), daily_limit_usd=float(args[1])
        )
        return inserted
    if op == "receive":  # nonce, this call's Venice cost, daily share
        try:
            await Receipts(db).receive(
                authorization(args[0]),
                tool="venice_chat",
                request_ref=None,
                price_usd=0.01,
                venice_usd=float(args[1]),
                daily_limit=float(args[2]),
                owner=new_owner(),
            )
        except Replayed:
            return "replayed"
        except DailyShareSpent:
            return "spent"
        return "accepted"
    if op == "claim":  # intent
        row = await Ledger(db).claim_payment(args[0], owner=new_owner())
        return None if row is None else row["owner"]
    raise SystemExit(f"unknown op {op}")


async def main() -> None:
    op, url, *args = sys.argv[1:]
    db = await PostgresDatabase.open(url, max_size=1)
    print("ready", flush=True)
    # Blocking on stdin is this process's only job: nothing else runs on its loop meanwhile.
    if sys.stdin.readline().strip() == "go":
        print(json.dumps(await run(op, db, args)), flush=True)
    await db.aclose()


if __name__ == "__main__":
    anyio.run(main)
