"""Music, sound effects and long-form voice: quote, spend gate, queue, bounded wait."""

from typing import Annotated, Any

from pydantic import Field

from venice_mcp import media_specs
from venice_mcp.call import Call
from venice_mcp.context import AppState
from venice_mcp.payments.budget import Estimate
from venice_mcp.reply import Reply
from venice_mcp.tools._common import Confirm
from venice_mcp.tools._declare import tool
from venice_mcp.tools._media import DEFAULT_WAIT, WaitSeconds, queue_paid_job, wait_and_reply

# The Venice operations these tools reach (tools/spec_coverage.py reads this), all through the
# client's typed job operations (api/media.py); retrieve and complete are sent by
# venice_mcp/jobs.py while the tool waits.
ENDPOINTS = {
    "POST /audio/quote": ("venice_music_generate",),
    "POST /audio/queue": ("venice_music_generate",),
    "POST /audio/retrieve": ("venice_music_generate",),
    "POST /audio/complete": ("venice_music_generate",),
}

DEFAULT_MUSIC_MODEL = "elevenlabs-music"


async def music_quote(state: AppState, model: str, spec: dict[str, Any], body: dict[str, Any]) -> float:
    """Venice's price for the job (POST /audio/quote; no credentials needed, nothing spent)."""
    quote: dict[str, Any] = {"model": model}
    if body.get("duration_seconds") is not None:
        quote["duration_seconds"] = body["duration_seconds"]
    if media_specs.music_charges_by_characters(spec):
        quote["character_count"] = max(1, len(str(body.get("prompt") or "")))
    return (await state.client.music.quote(quote)).quote


@tool("Generate music or sound", "paid", "audio")
async def venice_music_generate(
    call: Call,
    prompt: Annotated[
        str,
        Field(
            min_length=1,
            description=("Style, mood, instruments (voice models: the text)."),
        ),
    ],
    model: Annotated[
        str,
        Field(description="venice_models type=music."),
    ] = DEFAULT_MUSIC_MODEL,
    duration_seconds: Annotated[int | None, Field(gt=0)] = None,
    lyrics: Annotated[str | None, Field()] = None,
    force_instrumental: Annotated[bool | None, Field()] = None,
    lyrics_optimizer: Annotated[bool | None, Field(description="Write lyrics from the prompt.")] = None,
    loop: Annotated[bool | None, Field(description="Sound effects.")] = None,
    voice: Annotated[str | None, Field()] = None,
    language_code: Annotated[str | None, Field(description="ISO 639-1.")] = None,
    speed: Annotated[float | None, Field(ge=0.25, le=4)] = None,
    wait_seconds: WaitSeconds = DEFAULT_WAIT,
    confirm: Confirm = False,
) -> Reply:
    """Music, a sound effect or narration: quoted, queued, waited on up to wait_seconds; returns
    the audio or a job id."""
    state = call.state
    body: dict[str, Any] = {"model": model, "prompt": prompt}
    for key, value in (
        ("lyrics_prompt", lyrics),
        ("duration_seconds", duration_seconds),
        ("force_instrumental", force_instrumental),
        ("lyrics_optimizer", lyrics_optimizer),
        ("loop", loop),
        ("voice", voice),
        ("language_code", language_code),
        ("speed", speed),
    ):
        if value is not None:
            body[key] = value
    state.client.ensure_credentials()
    resolved = await state.catalog.resolve(model, "music")
    body["model"] = resolved.id
    media_specs.music(resolved.spec, resolved.id, body)
    price = await music_quote(state, resolved.id, resolved.spec, body)
    estimate = Estimate(price, "Venice's quote for this job")
    job = await queue_paid_job(
        call,
        kind="music",
        model=resolved.id,
        body=body,
        prompt=prompt,
        estimate=estimate,
        confirm=confirm,
    )
    return await wait_and_reply(call, job, wait_seconds)
