"""How the SDK reads a tool's arguments, with one correction (see Arguments)."""

from __future__ import annotations

import types
import typing
from typing import Any

from mcp.server.mcpserver.utilities.func_metadata import FuncMetadata
from pydantic import PrivateAttr


class Arguments(FuncMetadata):
    """The SDK's argument handling, except that a string stays a string where one is accepted.

    The SDK parses any string argument as JSON unless the parameter is exactly ``str``, so that
    hosts which send a list as '["a"]' still work. For an optional text (``str | None``) that
    turned a prompt such as "[1, 2, 3]" into a list and refused the call; it also cost a failed
    JSON parse per optional text on every call. Parameters that cannot take a string are
    pre-parsed as before.
    """

    _parsed: frozenset[str] = PrivateAttr(default=frozenset())

    @classmethod
    def of(cls, metadata: FuncMetadata, output_schema: dict[str, Any] | None = None) -> Arguments:
        out = cls(
            arg_model=metadata.arg_model,
            output_schema=output_schema or metadata.output_schema,
            output_model=metadata.output_model,
            wrap_output=metadata.wrap_output,
        )
        out._parsed = frozenset(
            key
            for name, field in metadata.arg_model.model_fields.items()
            if not _takes_str(field.annotation)
            for key in (name, field.alias)
            if key
        )
        return out

    def pre_parse_json(self, data: dict[str, Any]) -> dict[str, Any]:
        if not any(key in self._parsed and isinstance(value, str) for key, value in data.items()):
            return data
        return super().pre_parse_json({k: v for k, v in data.items() if k in self._parsed}) | {
            k: v for k, v in data.items() if k not in self._parsed
        }


def _takes_str(annotation: Any) -> bool:
    if annotation is str:
        return True
    if typing.get_origin(annotation) is typing.Annotated:
        return _takes_str(typing.get_args(annotation)[0])
    if typing.get_origin(annotation) in (typing.Union, types.UnionType):
        return any(_takes_str(arm) for arm in typing.get_args(annotation))
    if typing.get_origin(annotation) is typing.Literal:
        return any(isinstance(v, str) for v in typing.get_args(annotation))
    return False
