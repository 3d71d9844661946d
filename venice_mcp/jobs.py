"""Queued music and video jobs: in the state database, waited on with a bound, finished once.

A job row is written as soon as Venice accepts the queue call, so a restart (or another server
sharing VENICE_MCP_HOME or the PostgreSQL database) can resume waiting with ``venice_jobs``.
``JobRunner.wait`` polls retrieve for at most ``wait_seconds``, reports progress from Venice's
``average_execution_time`` and ``execution_duration``, and when the media arrives saves it, cleans
up on Venice's side and records the file. Failures Venice replays on every retrieve (content
policy, provider errors, expired media) are terminal and recorded; transient ones (429, 5xx,
network) leave the job as it was, to be asked again. Every Venice call (retrieve, download,
complete) is a typed operation of the client (``client.video``/``client.music``, api/media.py), so
retries, auth and streaming to disk are the client's.

Polling: every VENICE_MCP_POLL_SECONDS (default 3 s, inside Venice's advised 2-5 s). That
variable is a test knob too (the e2e test polls every few milliseconds); sleeping goes through
the client's retry policy, so in-process tests never really sleep.
"""

from __future__ import annotations

import json
import logging
import os
import secrets
import time
from collections.abc import Awaitable, Callable
from dataclasses import dataclass, fields
from pathlib import Path
from typing import Any, Literal, NoReturn

import anyio

from venice_mcp.api import errors
from venice_mcp.api.client import VeniceClient
from venice_mcp.api.types import JobStatus, MediaKind, SavedMedia
from venice_mcp.outputs import OutputFile, OutputStore
from venice_mcp.storage import Database

log = logging.getLogger(__name__)

Kind = MediaKind
Status = Literal["queued", "processing", "completed", "failed"]
TERMINAL = ("completed", "failed")

DEFAULT_POLL_SECONDS = 3.0
POLL_ENV = "VENICE_MCP_POLL_SECONDS"
DEFAULT_WAIT_SECONDS = 40
MAX_WAIT_SECONDS = 240

AUDIO_EXTENSIONS = {
    "audio/mpeg": "mp3",
    "audio/mp3": "mp3",
    "audio/wav": "wav",
    "audio/x-wav": "wav",
    "audio/wave": "wav",
    "audio/flac": "flac",
    "audio/aac": "aac",
    "audio/opus": "opus",
    "audio/ogg": "ogg",
    "audio/pcm": "pcm",
}


def poll_seconds(env: dict[str, str] | None = None) -> float:
    """The poll interval from VENICE_MCP_POLL_SECONDS (0.001-30 s), else 3 s."""
    raw = (env if env is not None else os.environ).get(POLL_ENV, "").strip()
    if raw.startswith("${"):  # left unsubstituted by an MCP Bundle host: unset
        raw = ""
    try:
        value = float(raw) if raw else DEFAULT_POLL_SECONDS
    except ValueError:
        # Not the value: whatever was pasted there may be a key.
        log.warning("%s is not a number of seconds; polling every %g s", POLL_ENV, DEFAULT_POLL_SECONDS)
        return DEFAULT_POLL_SECONDS
    return min(30.0, max(0.001, value))


@dataclass
class Job:
    id: str
    kind: Kind
    model: str
    queue_id: str
    status: Status
    base_url: str
    created: float
    updated: float
    download_url: str | None = None
    params: str = "{}"
    quote_usd: float | None = None
    average_ms: int | None = None
    execution_ms: int | None = None
    output_path: str | None = None
    mime_type: str | None = None
    size: int | None = None
    error: str | None = None
    cleanup: str | None = None

    @property
    def parameters(self) -> dict[str, Any]:
        try:
            value = json.loads(self.params)
        except ValueError:
            return {}
        return value if isinstance(value, dict) else {}

    @property
    def done(self) -> bool:
        return self.status in TERMINAL

    def summary(self) -> dict[str, Any]:
        out = {f.name: getattr(self, f.name) for f in fields(self) if f.name != "params"}
        out["params"] = self.parameters
        return out


_COLUMNS = tuple(f.name for f in fields(Job))


class JobStore:
    def __init__(self, db: Database, *, unguessable: bool = False) -> None:
        self.db = db
        # Charging mode: anyone may call, so a job's id is the only key to it (128 bits).
        self.id_bytes = 16 if unguessable else 5

    async def create(
        self,
        *,
        kind: Kind,
        model: str,
        queue_id: str,
        base_url: str,
        download_url: str | None = None,
        params: dict[str, Any] | None = None,
        quote_usd: float | None = None,
    ) -> Job:
        now = time.time()
        job = Job(
            id="job_" + secrets.token_hex(self.id_bytes),
            kind=kind,
            model=model,
            queue_id=queue_id,
            status="queued",
            base_url=base_url,
            created=now,
            updated=now,
            download_url=download_url,
            params=json.dumps(params or {}, ensure_ascii=False, default=str),
            quote_usd=quote_usd,
        )
        values = [getattr(job, c) for c in _COLUMNS]
        marks = ", ".join("?" for _ in _COLUMNS)
        await self.db.execute(f"INSERT INTO jobs ({', '.join(_COLUMNS)}) VALUES ({marks})", values)
        return job

    async def get(self, ref: str) -> Job | None:
        """A job by its local id, or by Venice's queue id."""
        rows = await self.db.query("SELECT * FROM jobs WHERE id = ? OR queue_id = ? LIMIT 1", (ref, ref))
        return _job(rows[0]) if rows else None

    async def update(self, job: Job, **changes: Any) -> Job:
        unknown = set(changes) - set(_COLUMNS) - {"updated"}
        if unknown:
            raise ValueError(f"unknown job fields: {sorted(unknown)}")
        changes["updated"] = time.time()
        for key, value in changes.items():
            setattr(job, key, value)
        sets = ", ".join(f"{k} = ?" for k in changes)
        await self.db.execute(f"UPDATE jobs SET {sets} WHERE id = ?", [*changes.values(), job.id])
        return job

    async def list(self, *, status: str | None = None, kind: str | None = None, limit: int = 20) -> list[Job]:
        sql = "SELECT * FROM jobs WHERE 1=1"
        args: list[Any] = []
        if status == "pending":
            sql += " AND status IN ('queued', 'processing')"
        elif status:
            sql += " AND status = ?"
            args.append(status)
        if kind:
            sql += " AND kind = ?"
            args.append(kind)
        sql += " ORDER BY created DESC LIMIT ?"
        args.append(limit)
        return [_job(r) for r in await self.db.query(sql, args)]


def _job(row: Any) -> Job:
    return Job(**{c: row[c] for c in _COLUMNS})


class JobFailed(Exception):
    """The job ended without media; the message says why and what to do next."""


class JobUnreachable(Exception):
    """Venice could not be asked right now (rate limit, outage, network); the job is unchanged."""


Progress = Callable[[float, float | None, str], Awaitable[None]]


async def _no_progress(progress: float, total: float | None, message: str) -> None:
    return None


@dataclass
class Waited:
    job: Job
    file: OutputFile | None = None


class JobRunner:
    """Waits on jobs; one waiter per job at a time, so two status calls never race a download."""

    def __init__(
        self,
        store: JobStore,
        client: VeniceClient,
        outputs: OutputStore,
        *,
        poll: float | None = None,
        clock: Callable[[], float] = time.monotonic,
    ) -> None:
        self.store = store
        self.client = client
        self.outputs = outputs
        self.poll = poll_seconds() if poll is None else poll
        self.clock = clock
        self._locks: dict[str, anyio.Lock] = {}

    async def wait(self, job: Job, wait_seconds: float, progress: Progress = _no_progress) -> Waited:
        """Poll until the media is saved, the job fails, or ``wait_seconds`` have passed.

        Raises:
            JobFailed: Venice reported a terminal failure (recorded on the job).
            JobUnreachable: Venice could not be asked; try again later.
        """
        lock = self._locks.setdefault(job.id, anyio.Lock())
        async with lock:
            fresh = await self.store.get(job.id) or job
            if fresh.done:
                return self._finished(fresh)
            return await self._poll(fresh, max(0.0, wait_seconds), progress)

    def _finished(self, job: Job) -> Waited:
        if job.status == "failed":
            raise JobFailed(job.error or "The job failed.")
        saved = None
        if job.output_path and Path(job.output_path).is_file():
            path = Path(job.output_path)
            saved = OutputFile(path=path, size=path.stat().st_size, mime_type=job.mime_type or "")
        return Waited(job, saved)

    async def _poll(self, job: Job, wait_seconds: float, progress: Progress) -> Waited:
        started = self.clock()
        slept = 0.0
        reported = 0.0
        polls = 0
        while True:
            polls += 1
            dest = self.outputs.new_path(job.kind, "mp4" if job.kind == "video" else "bin", job.model)
            answer = await self._retrieve(job, dest)
            if isinstance(answer, SavedMedia):
                saved = await self._keep(job, answer)
                await self._cleanup(job)
                reported = await self._report(progress, reported, job, final=True)
                return Waited(await self.store.update(job, status="completed"), saved)
            if answer.state == "COMPLETED":
                saved = await self._download(job, dest)
                await self._cleanup(job)
                reported = await self._report(progress, reported, job, final=True)
                return Waited(await self.store.update(job, status="completed"), saved)
            if answer.state != "PROCESSING":
                shown = json.dumps(answer.model_dump(exclude_unset=True), default=str)
                await self._fail(job, f"Venice answered the {job.kind} job's status with {shown[:300]}")
            await self.store.update(
                job,
                status="processing",
                average_ms=answer.average_execution_time,
                execution_ms=answer.execution_duration,
            )
            reported = await self._report(progress, reported, job, polls=polls)
            remaining = wait_seconds - max(self.clock() - started, slept)
            if remaining <= 0:
                return Waited(job)
            step = min(self.poll, remaining)
            await self.client.retry.sleep(step)
            slept += step

    async def _fail(self, job: Job, message: str) -> NoReturn:
        """Record a terminal failure and raise it."""
        await self.store.update(job, status="failed", error=message)
        raise JobFailed(message)

    async def _retrieve(self, job: Job, dest: Path) -> JobStatus | SavedMedia:
        # The media is cleaned up at Venice only once it is safely on disk (_cleanup).
        try:
            return await self.client.media(job.kind).retrieve(job.model, job.queue_id, save_to=dest)
        except errors.APIResponseError as exc:
            shown = json.dumps(exc.body, default=str)
            await self._fail(job, f"Venice answered the {job.kind} job's status with {shown[:300]}")
        except (errors.RateLimitError, errors.ServerError, errors.APIConnectionError) as exc:
            raise JobUnreachable(_agent_text(exc)) from exc
        except errors.NotFoundError as exc:
            message = (
                f"Venice no longer has this {job.kind} (deleted after an earlier download, or expired "
                f"24 h after queueing): {exc}. Queue it again if you still need it."
            )
            await self.store.update(job, status="failed", error=message)
            raise JobFailed(message) from exc
        except errors.APIStatusError as exc:
            message = self._failure_text(job, exc)
            await self.store.update(job, status="failed", error=message)
            raise JobFailed(message) from exc

    def _failure_text(self, job: Job, exc: errors.APIStatusError) -> str:
        what = "music" if job.kind == "music" else "video"
        if isinstance(exc, errors.ContentPolicyError):
            body = exc.body if isinstance(exc.body, dict) else {}
            refunded = exc.credits_refunded
            if refunded is None and isinstance(body.get("credits_refunded"), bool):
                refunded = body["credits_refunded"]
            parts = [f"Venice refused the {what} job on content policy: {exc}."]
            if refunded is True:
                parts.append("Credits were refunded.")
            elif refunded is False:
                parts.append("Credits were NOT refunded.")
            elif job.kind == "music":
                parts.append("Venice refunds failed music jobs (except DIEM charged in an earlier epoch).")
            if exc.recommended_model:
                parts.append(
                    f"Venice recommends the model {exc.recommended_model}; "
                    f"queue again with model={exc.recommended_model!r}."
                )
            if exc.suggested_prompt:
                parts.append(f"Venice suggests this prompt instead: {exc.suggested_prompt!r}.")
            return " ".join(parts)
        if isinstance(exc, errors.BadRequestError) and "Request ID is invalid" in str(exc):
            return (
                f"Venice does not know this {what} job any more (queue ids expire after 24 h, and "
                "belong to the account that queued them). Queue it again if you still need it."
            )
        return f"The {what} job failed: {exc.agent_message()}"

    async def _keep(self, job: Job, media: SavedMedia) -> OutputFile:
        path = media.path
        mime = media.content_type or ("video/mp4" if job.kind == "video" else "audio/mpeg")
        ext = "mp4" if job.kind == "video" else AUDIO_EXTENSIONS.get(mime, "bin")
        if path.suffix != "." + ext:
            target = path.with_suffix("." + ext)
            path.rename(target)
            path = target
        saved = OutputFile(path=path, size=media.size, mime_type=mime)
        await self.store.update(job, output_path=str(path), mime_type=mime, size=saved.size)
        return saved

    async def _download(self, job: Job, dest: Path) -> OutputFile:
        """A VPS model's media: GET the queue-time download_url (the client sends no credentials)."""
        if not job.download_url:
            await self._fail(
                job,
                f"Venice reports the {job.kind} job COMPLETED but gave no download_url when it was "
                "queued, so the media cannot be fetched.",
            )
        try:
            media = await self.client.media(job.kind).download(job.download_url, save_to=dest)
        except (errors.NotFoundError, errors.GoneError, errors.PermissionDeniedError) as exc:
            await self._fail(job, f"The download link of this {job.kind} has expired or is gone ({exc}).")
        except errors.APIConnectionError as exc:
            raise JobUnreachable(f"Could not download the {job.kind} ({exc}).") from exc
        except errors.VeniceError as exc:
            raise JobUnreachable(_agent_text(exc)) from exc
        mime = media.content_type if media.content_type.startswith("video/") else "video/mp4"
        saved = OutputFile(path=media.path, size=media.size, mime_type=mime)
        await self.store.update(job, output_path=str(media.path), mime_type=mime, size=media.size)
        return saved

    async def _cleanup(self, job: Job) -> None:
        """Ask Venice to delete the stored media once it is safely on disk (best effort)."""
        jobs = self.client.media(job.kind)
        path = jobs.path("complete")
        try:
            done = await jobs.complete(job.model, job.queue_id)
            await self.store.update(
                job, cleanup="completed" if done.success else "complete returned success=false"
            )
            return
        except errors.VeniceError as exc:
            note = f"{path} failed: {exc}"
        if job.kind == "video" and not job.download_url:
            # Venice's /video/complete rejects queue ids today, and a deleting retrieve would send
            # the whole video again: leave it to expire rather than download it twice.
            note += "; the media stays at Venice until it expires (24 h after queueing)"
        elif job.kind == "video":
            # A VPS model's retrieve answers with a small JSON status, so a deleting one is cheap.
            try:
                await jobs.delete_media(job.model, job.queue_id)
                note = "deleted by retrieve (complete was refused)"
            except errors.VeniceError as exc:
                note += f"; deleting retrieve failed: {exc}"
        log.info("job %s cleanup: %s", job.id, note)
        await self.store.update(job, cleanup=note)

    async def _report(
        self, progress: Progress, last: float, job: Job, *, polls: int = 0, final: bool = False
    ) -> float:
        """Send one progress notification if it moves forward; returns the last value sent."""
        average, elapsed = job.average_ms, job.execution_ms
        what = "Music" if job.kind == "music" else "Video"
        if average and average > 0:
            total = float(average)
            value = total if final else min(float(elapsed or 0), 0.99 * total)
            message = (
                f"{what} ready"
                if final
                else f"{what} generating: {(elapsed or 0) / 1000:.0f} s of about {average / 1000:.0f} s"
            )
            if value > last:
                await progress(value, total, message)
                return value
            return last
        value = last + 1
        await progress(value, None, f"{what} ready" if final else f"{what} generating (poll {polls})")
        return value


def _agent_text(exc: BaseException) -> str:
    return exc.agent_message() if isinstance(exc, errors.VeniceError) else str(exc)
