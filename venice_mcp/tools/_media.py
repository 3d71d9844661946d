"""Pieces the music, video and job tools share: waiting on a job with progress, and the reply."""

from __future__ import annotations

from typing import Annotated, Any

from mcp.server.mcpserver.exceptions import ToolError
from pydantic import Field

from venice_mcp.api.headers import deprecation
from venice_mcp.call import Call
from venice_mcp.jobs import DEFAULT_WAIT_SECONDS, MAX_WAIT_SECONDS, Job, JobFailed, JobUnreachable, Kind
from venice_mcp.outputs import OutputFile, audio_preview
from venice_mcp.payments.budget import Estimate
from venice_mcp.reply import Reply, file_reply
from venice_mcp.tools._common import usd

WaitSeconds = Annotated[
    float,
    Field(
        ge=0,
        le=MAX_WAIT_SECONDS,
        description=("Then a job id comes back."),
    ),
]
DEFAULT_WAIT = float(DEFAULT_WAIT_SECONDS)


async def queue_paid_job(
    call: Call,
    *,
    kind: Kind,
    model: str,
    body: dict[str, Any],
    prompt: str | None,
    estimate: Estimate,
    confirm: bool,
) -> Job:
    """Spend gate, then queue the job once (the client never re-sends a lost queue answer: it
    may already have been charged) and record it."""
    await call.approve(model=model, estimate=estimate, confirm=confirm)
    with call.ledgered(model=model, estimate=estimate) as spend:
        queued = await call.state.client.media(kind).queue(body)
        spend.request_id = queued.queue_id
        spend.charge_usd = estimate.usd
    # What was asked, for venice_jobs: inline media (data: URLs, also inside reference lists and
    # elements) is left out, the prompt cut short.
    summary: dict[str, Any] = {
        k: _without_inline(v) for k, v in body.items() if k != "model" and not _is_inline(v)
    }
    if prompt:
        summary["prompt"] = prompt[:200]
    warning = deprecation(queued.headers)
    if warning:
        summary["deprecation"] = warning  # told again with the file, however later that comes
    return await call.state.jobs.create(
        kind=kind,
        model=queued.model or model,
        queue_id=queued.queue_id,
        base_url=call.state.settings.base_url,
        download_url=queued.download_url,
        params=summary,
        quote_usd=estimate.usd,
    )


def _is_inline(value: Any) -> bool:
    return isinstance(value, str) and value.startswith("data:")


def _without_inline(value: Any) -> Any:
    """``value`` with every data: URL replaced by a short stand-in (it can be megabytes)."""
    if _is_inline(value):
        return str(value).split(",", 1)[0] + ",…"
    if isinstance(value, list):
        return [_without_inline(v) for v in value]
    if isinstance(value, dict):
        return {k: _without_inline(v) for k, v in value.items()}
    return value


async def wait_and_reply(call: Call, job: Job, wait_seconds: float) -> Reply:
    """Wait (bounded) on ``job`` with progress notifications, then the reply for where it got."""
    state = call.state
    try:
        waited = await state.runner.wait(job, wait_seconds, call.progress)
    except JobFailed as exc:
        raise ToolError(f"Job {job.id} ({job.kind}, {job.model}) failed. {exc}") from exc
    except JobUnreachable as exc:
        return pending_reply(
            await state.jobs.get(job.id) or job, note=f"Venice could not be asked just now: {exc}"
        )
    if waited.file is None:
        if waited.job.status == "completed":
            raise ToolError(
                f"Job {job.id} finished earlier, but its file {waited.job.output_path} is gone "
                "(Venice's copy is cleaned up once downloaded, so it cannot be fetched again)."
            )
        return pending_reply(waited.job)
    return done_reply(waited.job, waited.file)


def _facts(job: Job) -> list[str]:
    facts = [f"model {job.model}", f"job {job.id}"]
    if job.quote_usd is not None:
        facts.append(f"quoted {usd(job.quote_usd)}")
    if job.parameters.get("deprecation"):
        facts.append(f"warning: {job.parameters['deprecation']}")
    return facts


def done_reply(job: Job, saved: OutputFile) -> Reply:
    what = "Video" if job.kind == "video" else "Music"
    preview = None
    if job.kind == "music" and saved.path.is_file():
        data = saved.path.read_bytes() if saved.size <= 400_000 else b""
        preview = audio_preview(data, saved.mime_type) if data else None
    return file_reply(
        saved,
        what=what,
        details=_facts(job),
        preview=preview,
        data={"job": job.summary(), "status": "completed", "job_id": job.id},
    )


def pending_reply(job: Job, note: str = "") -> Reply:
    what = "video" if job.kind == "video" else "music"
    if job.average_ms:
        where = f"{(job.execution_ms or 0) / 1000:.0f} s in, Venice's estimate ~{job.average_ms / 1000:.0f} s"
    else:
        where = "queued"
    lines = [
        f"The {what} job {job.id} is still running ({where}; model {job.model}).",
        f"Call venice_jobs with job_id {job.id!r} to wait for it (wait_seconds up to "
        f"{MAX_WAIT_SECONDS}). Waiting costs nothing more; the file is saved when it is ready.",
    ]
    if job.parameters.get("deprecation"):
        lines.append(f"Warning: {job.parameters['deprecation']}")
    if note:
        lines.append(note)
    structured = {"status": job.status, "job_id": job.id, "job": job.summary()}
    return Reply("\n".join(lines), structured)
