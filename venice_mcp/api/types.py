"""Venice's response bodies as typed models (venice-api.md §5.4, §5.5).

Each model types the fields this package reads and keeps whatever else Venice sends
(``extra="allow"``): a new Venice field never breaks a user. Fields are read leniently where a
strict check would only lose a paid job (a queue answer is worth keeping if it has a queue id);
prices are read strictly, since a price that cannot be read must not pass the spend gate as $0.
"""

from __future__ import annotations

import math
from collections.abc import Mapping
from dataclasses import dataclass, field
from pathlib import Path
from typing import Annotated, Any, Literal, TypeVar

from pydantic import BaseModel, BeforeValidator, ConfigDict, Field, PrivateAttr, ValidationError

from venice_mcp.api import errors

MediaKind = Literal["music", "video"]

M = TypeVar("M", bound="VeniceModel")


def _text_or_none(value: Any) -> str | None:
    return value if isinstance(value, str) and value else None


def _int_or_none(value: Any) -> int | None:
    if isinstance(value, bool) or not isinstance(value, (int, float)) or not math.isfinite(value):
        return None
    return int(value)


def _number(value: Any) -> Any:
    # JSON true is not a price, nor is a numeric string; pydantic's lax mode would take both.
    if isinstance(value, (bool, str)):
        raise ValueError("not a number")
    return value


def _queue_id(value: Any) -> Any:
    return str(value) if isinstance(value, int) and not isinstance(value, bool) else value


OptionalText = Annotated[str | None, BeforeValidator(_text_or_none)]
OptionalInt = Annotated[int | None, BeforeValidator(_int_or_none)]


class VeniceModel(BaseModel):
    """A Venice response body, with the response's headers at hand (deprecation warnings)."""

    model_config = ConfigDict(extra="allow")

    _headers: Mapping[str, str] = PrivateAttr(default_factory=dict)

    @property
    def headers(self) -> Mapping[str, str]:
        return self._headers

    @classmethod
    def read(cls: type[M], body: Any, headers: Mapping[str, str], what: str) -> M:
        """``body`` as this model.

        Raises:
            APIResponseError: the body is not an object of this shape.
        """
        if not isinstance(body, dict):
            raise errors.APIResponseError(what, body, "expected a JSON object")
        try:
            out = cls.model_validate(body)
        except ValidationError as exc:
            first = exc.errors()[0]
            where = ".".join(str(p) for p in first["loc"]) or "body"
            raise errors.APIResponseError(what, body, f"{where}: {first['msg']}") from exc
        out._headers = headers
        return out


class Quote(VeniceModel):
    """POST /video/quote, /audio/quote: the price in USD; nothing is spent."""

    quote: Annotated[float, BeforeValidator(_number), Field(ge=0, allow_inf_nan=False)]


class QueuedJob(VeniceModel):
    """POST /video/queue, /audio/queue: the job Venice accepted (and may have charged)."""

    queue_id: Annotated[str, BeforeValidator(_queue_id), Field(min_length=1)]
    model: OptionalText = None
    # VPS-backed video models: where the finished media is fetched, without credentials.
    download_url: OptionalText = None


class JobStatus(VeniceModel):
    """POST /video/retrieve, /audio/retrieve while there is no media to send: PROCESSING, or
    COMPLETED for a VPS model whose media is at its download_url."""

    status: Annotated[str, BeforeValidator(lambda v: str(v) if v else "")] = ""
    average_execution_time: OptionalInt = None  # ms, Venice's P80 estimate
    execution_duration: OptionalInt = None  # ms so far

    @property
    def state(self) -> str:
        return self.status.upper()


class Completion(VeniceModel):
    """POST /video/complete, /audio/complete: whether Venice deleted the stored media."""

    # Only a literal true counts: false or anything else means "not cleaned up, try later".
    success: Annotated[bool, BeforeValidator(lambda v: v is True)] = False


@dataclass(frozen=True)
class SavedMedia:
    """A finished job's media, streamed to ``path`` (retrieve, or a VPS download_url)."""

    path: Path
    size: int
    content_type: str
    headers: Mapping[str, str] = field(default_factory=dict)
