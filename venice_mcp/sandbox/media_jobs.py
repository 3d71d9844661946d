"""Queued music and video jobs: the state machine behind /audio/* and /video/* queue/retrieve.

queued → PROCESSING for ``polls_before_done`` retrieves (``execution_duration`` advancing
towards ``average_execution_time``) → the media (or a failure, replayed on every later retrieve)
→ deleted by complete or ``delete_media_on_completion`` (then 404). The clock is the poll count,
not wall time, so tests never wait. Jobs belong to the caller that queued them (an API key
caller, or one wallet); anyone else's id is "Request ID is invalid.", as Venice scopes them.
"""

from __future__ import annotations

import threading
import time
import uuid
from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Any, Literal

if TYPE_CHECKING:  # Starlette (under errors) loads only when an app is built
    from venice_mcp.sandbox.errors import VeniceError

Kind = Literal["audio", "video"]
MEDIA_GONE = "Media could not be found. Request may be invalid, expired, or deleted."
INVALID_ID = "Request ID is invalid."
# A prompt containing this fails the job on retrieve with Venice's content-policy 422.
CONTENT_VIOLATION_MARKER = "SANDBOX_CONTENT_VIOLATION"


@dataclass
class MediaJob:
    kind: Kind
    queue_id: str
    model: str
    owner: str
    body: dict[str, Any]
    price_usd: float
    average_ms: int
    polls_needed: int
    created: float = field(default_factory=time.time)
    polls: int = 0
    finished: bool = False
    deleted: bool = False
    failure: VeniceError | None = None
    download_url: str | None = None
    refunded: bool = False
    completed_calls: int = 0
    # Headers of each GET of download_url (it is not a Venice API route, so not in requests).
    downloads: list[dict[str, str]] = field(default_factory=list)

    @property
    def execution_ms(self) -> int:
        done = min(self.polls, self.polls_needed)
        return int(self.average_ms * done / max(1, self.polls_needed + 1))

    def processing(self) -> dict[str, Any]:
        """The retrieve answer while the job runs (times in ms), for audio and video alike."""
        return {
            "status": "PROCESSING",
            "average_execution_time": self.average_ms,
            "execution_duration": self.execution_ms,
        }


@dataclass
class MediaJobs:
    # How many retrieves answer PROCESSING before the media is ready.
    polls_before_done: int = 3
    # Venice v0.2.0: /video/complete answers 400 "Request ID is invalid." for queue ids.
    video_complete_rejects: bool = True
    # Venice v0.2.0: /video/transcriptions is retired (410). False serves the spec's transcript.
    video_transcriptions_retired: bool = True
    jobs: dict[str, MediaJob] = field(default_factory=dict)
    _lock: threading.Lock = field(default_factory=threading.Lock)

    def add(
        self,
        kind: Kind,
        model: str,
        owner: str,
        body: dict[str, Any],
        *,
        price_usd: float,
        average_ms: int,
    ) -> MediaJob:
        job = MediaJob(
            kind=kind,
            queue_id=str(uuid.uuid4()),
            model=model,
            owner=owner,
            body=dict(body),
            price_usd=price_usd,
            average_ms=average_ms,
            polls_needed=self.polls_before_done,
        )
        with self._lock:
            self.jobs[job.queue_id] = job
        return job

    def find(self, kind: Kind, body: Any, owner: str) -> MediaJob:
        """The caller's job named by ``queue_id`` and ``model``, or Venice's 400 / 404."""
        from venice_mcp.sandbox.errors import error

        queue_id = body.get("queue_id") if isinstance(body, dict) else None
        with self._lock:
            job = self.jobs.get(queue_id) if isinstance(queue_id, str) else None
        if job is None or job.kind != kind or job.owner != owner or job.model != body.get("model"):
            raise error(400, INVALID_ID)
        if job.deleted:
            raise error(404, MEDIA_GONE)
        return job

    def by_download(self, queue_id: str) -> MediaJob | None:
        with self._lock:
            job = self.jobs.get(queue_id)
        return job if job is not None and job.download_url else None

    def advance(self, job: MediaJob) -> bool:
        """Count one retrieve; True once the job is done (or failed)."""
        with self._lock:
            if not job.finished:
                job.polls += 1
                if job.polls > job.polls_needed:
                    job.finished = True
            return job.finished

    def clear(self) -> None:
        with self._lock:
            self.jobs.clear()


def owner_of(wallet: str | None, key_type: str | None) -> str:
    return f"wallet:{wallet.lower()}" if wallet else f"key:{key_type or 'anonymous'}"
