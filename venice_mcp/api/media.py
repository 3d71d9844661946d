"""Venice's queued media jobs as typed operations: quote, queue, retrieve, complete, download.

Video lives under /video and music (sound effects, long-form voice) under /audio; both follow one
lifecycle (venice-api.md §5.4, §5.5): quote (free) → queue (charges) → poll retrieve → complete.
Every operation goes through ``VeniceClient``'s one request path, so retries, auth, error mapping
and streaming to disk are the client's.
"""

from __future__ import annotations

from pathlib import Path
from typing import TYPE_CHECKING, Any, Literal

from venice_mcp.api import errors
from venice_mcp.api.types import Completion, JobStatus, MediaKind, QueuedJob, Quote, SavedMedia

if TYPE_CHECKING:
    from venice_mcp.api.client import VeniceClient, VeniceResponse

Operation = Literal["quote", "queue", "retrieve", "complete"]
PREFIXES: dict[MediaKind, str] = {"video": "/video", "music": "/audio"}


class MediaJobs:
    """One kind of queued job (``client.video`` or ``client.music``)."""

    def __init__(self, client: VeniceClient, kind: MediaKind) -> None:
        self._client = client
        self.kind = kind

    def path(self, operation: Operation) -> str:
        return f"{PREFIXES[self.kind]}/{operation}"

    async def quote(self, body: dict[str, Any]) -> Quote:
        """Venice's price for a job; nothing is spent. Credentials are sent when there are some:
        they tailor the price, and Venice prices video upscalers only for API keys (403 else)."""
        path = self.path("quote")
        response = await self._client.request("POST", path, json_body=body, kind="fast", auth="optional")
        return Quote.read(response.body, response.headers, f"POST {path}")

    async def queue(self, body: dict[str, Any]) -> QueuedJob:
        """Queue a job: this charges. A lost answer is never re-sent (it may have been charged);
        only what Venice refused before doing any work (429, connect errors) is retried."""
        path = self.path("queue")
        response = await self._client.request("POST", path, json_body=body, idempotency="rejected_only")
        return QueuedJob.read(response.body, response.headers, f"POST {path}")

    async def retrieve(self, model: str, queue_id: str, *, save_to: Path) -> JobStatus | SavedMedia:
        """The job's status, or its media streamed to ``save_to`` once it is ready.

        Never deletes on retrieve: if the download died midway a paid job would be gone. Venice
        replays a failed job's error on every retrieve (raised as the matching APIStatusError).
        """
        path = self.path("retrieve")
        body = {"model": model, "queue_id": queue_id}
        response = await self._client.request("POST", path, json_body=body, kind="media", save_to=save_to)
        if response.path is not None:
            return _saved(response)
        return JobStatus.read(response.body, response.headers, f"POST {path}")

    async def delete_media(self, model: str, queue_id: str) -> None:
        """A deleting retrieve, for VPS video jobs (whose retrieve answers with a small JSON
        status): the cleanup Venice takes when /video/complete refuses the queue id."""
        body = {"model": model, "queue_id": queue_id, "delete_media_on_completion": True}
        await self._client.request("POST", self.path("retrieve"), json_body=body, kind="fast")

    async def complete(self, model: str, queue_id: str) -> Completion:
        """Ask Venice to delete the stored media (call it once the media is safely on disk)."""
        path = self.path("complete")
        body = {"model": model, "queue_id": queue_id}
        response = await self._client.request("POST", path, json_body=body, kind="fast")
        return Completion.read(response.body, response.headers, f"POST {path}")

    async def download(self, url: str, *, save_to: Path) -> SavedMedia:
        """A VPS job's media from the download_url Venice gave at queue time (no credentials).

        Raises:
            APIResponseError: the link answered with something other than media.
        """
        response = await self._client.download(url, save_to=save_to)
        if response.path is None:
            raise errors.APIResponseError("The download link", response.body, "expected media")
        return _saved(response)


def _saved(response: VeniceResponse) -> SavedMedia:
    assert response.path is not None
    return SavedMedia(response.path, response.size, response.content_type, response.headers)
