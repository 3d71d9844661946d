"""A home with a known history, written through the ledger and job store as the tools write it."""

from __future__ import annotations

import json
from pathlib import Path

from tests.backend import state_db
from venice_mcp.jobs import JobStore
from venice_mcp.payments.ledger import DAY_S, CallRecord, Ledger, NewPayment

WALLET = "0x1111111111111111111111111111111111111111"
TX = "0x" + "ab" * 32
# Stands for the signed payment authorization a payment row keeps: it must never be shown.
SIGNED_HEADER = "eyJzaWduZWQtcGF5bWVudC1oZWFkZXIiOiB0cnVlfQ-SIGNED-HEADER"
PROMPT = "a slow pan over a harbour at dawn, gulls circling, " + "mist " * 30 + "THE-END-OF-THE-PROMPT"


async def seed(home: Path, now: float) -> None:
    """Today: one chat reported at $0.001, one failed chat, one video stopped at the gate; yesterday:
    an image estimated at $0.04; 40 days ago: a $9 chat (outside the 30 days); a $5 top-up an hour
    ago; a finished video job with a long prompt."""
    async with state_db(home) as db:
        await _seed(home, now, Ledger(db), JobStore(db))


async def _seed(home: Path, now: float, ledger: Ledger, jobs: JobStore) -> None:
    record = ledger.record_call
    record(CallRecord("venice_chat", "wallet", "ok", "glm-chat", 0.002, 0.001, "req-chat"), ts=now - 60)
    record(
        CallRecord("venice_chat", "wallet", "error", "glm-chat", 0.002, None, None, "RateLimitError (429)"),
        ts=now - 30,
    )
    record(CallRecord("venice_video_generate", "wallet", "confirmation_required", "kling", 3.0), ts=now - 20)
    image = CallRecord("venice_image_generate", "wallet", "ok", "flux-img", 0.04, None, "req-img")
    record(image, ts=now - DAY_S)
    record(CallRecord("venice_chat", "wallet", "ok", "glm-chat", 9.0, 9.0, "req-old"), ts=now - 40 * DAY_S)
    payment = NewPayment(
        intent_id="intent-1",
        origin="https://api.venice.ai",
        reason="manual",
        wallet=WALLET,
        amount_usd=5.0,
        value="5000000",
        pay_to="0x2222222222222222222222222222222222222222",
        nonce="0x" + "cd" * 32,
        valid_before=int(now) + 600,
        header_name="X-PAYMENT",
        header=SIGNED_HEADER,
    )
    assert (await ledger.reserve_payment(payment, daily_limit_usd=20, now=now - 3600))[0]
    await ledger.finish_payment(
        "intent-1", "settled", tx_hash=TX, payment_id="pay-1", credited_usd=5.0, new_balance_usd=12.5
    )
    job = await jobs.create(
        kind="video",
        model="kling",
        queue_id="q-1",
        base_url="https://api.venice.ai/api/v1",
        params=json.loads(json.dumps({"prompt": PROMPT[:200]})),
        quote_usd=0.75,
    )
    await jobs.update(job, status="completed", output_path=str(home / "outputs" / "video-kling-1.mp4"))
    (home / "outputs").mkdir(parents=True, exist_ok=True)
    (home / "outputs" / "video-kling-1.mp4").write_bytes(b"\x00\x00\x00\x18ftypmp42")
    await ledger.aclose()
