"""Every input of every tool is refused when it carries this server's key, also split across
lines, base64-encoded, in UTF-16 or gzipped (issue 10, finding 8a): as a data: URL, as a local
file, inside chat content parts and video references."""

from __future__ import annotations

import base64
import codecs
import gzip
from collections.abc import Callable
from pathlib import Path
from typing import Any

import pytest
from mcp import Client

from tests.tools.conftest import text_of
from venice_mcp.sandbox import SANDBOX_API_KEY, SandboxState

pytestmark = pytest.mark.anyio

KEY = SANDBOX_API_KEY.encode()


def _doc(key: bytes) -> bytes:
    return b'{"venice": {"apiKey": "' + key + b'"}}\n'


def hostile(key: bytes) -> dict[str, bytes]:
    """A file holding ``key`` in each of the forms that got through before."""
    return {
        "split across lines": b"key:\n" + b"\n".join(key[i : i + 8] for i in range(0, len(key), 8)) + b"\n",
        "base64": b"apiKey: " + base64.b64encode(_doc(key)) + b"\n",
        "utf-16": codecs.BOM_UTF16_LE + _doc(key).decode().encode("utf-16-le"),
        "gzip": gzip.compress(_doc(key)),
    }


def _chat(part: Callable[[str], dict[str, Any]]) -> Callable[[str], tuple[str, dict[str, Any]]]:
    def args(ref: str) -> tuple[str, dict[str, Any]]:
        content = [{"type": "text", "text": "Describe it."}, part(ref)]
        return "venice_chat", {
            "messages": [{"role": "user", "content": content}],
            "model": "qwen3-vl-235b-a22b",
        }

    return args


def _video(model: str, **fields: Any) -> Callable[[str], tuple[str, dict[str, Any]]]:
    def args(ref: str) -> tuple[str, dict[str, Any]]:
        filled = {k: (ref if v is None else v) for k, v in fields.items()}
        if "references" in filled:
            filled["references"] = [
                {**r, "src": ref if r["src"] is None else r["src"]} for r in filled["references"]
            ]
        return "venice_video_generate", {
            "prompt": "@Element1 walks.",
            "model": model,
            "confirm": True,
            **filled,
        }

    return args


PNG_URL = "https://img.example/ok.png"

# Every tool argument that takes a file, and where a part or reference can hold one.
INPUTS: dict[str, Callable[[str], tuple[str, dict[str, Any]]]] = {
    "image_generate style_references": lambda ref: (
        "venice_image_generate",
        {"prompt": "a cat", "model": "krea-v2-large", "style_references": [ref]},
    ),
    "image_edit image": lambda ref: ("venice_image_edit", {"image": ref, "prompt": "red sky"}),
    "image_multi_edit images": lambda ref: (
        "venice_image_multi_edit",
        {"images": [PNG_URL, ref], "prompt": "mix"},
    ),
    "image_upscale image": lambda ref: ("venice_image_upscale", {"image": ref}),
    "image_remove_background image": lambda ref: ("venice_image_remove_background", {"image": ref}),
    "transcribe audio": lambda ref: ("venice_transcribe", {"audio": ref}),
    "voice_clone sample": lambda ref: ("venice_voice_clone", {"sample": ref}),
    "parse_document file": lambda ref: ("venice_parse_document", {"file": ref}),
    "chat image_url": _chat(lambda ref: {"type": "image_url", "image_url": {"url": ref}}),
    "chat input_audio": _chat(lambda ref: {"type": "input_audio", "input_audio": {"data": ref}}),
    "chat video_url": _chat(lambda ref: {"type": "video_url", "video_url": {"url": ref}}),
    "chat file": _chat(lambda ref: {"type": "file", "file": {"file_data": ref}}),
    "responses input_image": lambda ref: (
        "venice_responses",
        {"input": [{"role": "user", "content": [{"type": "input_image", "image_url": {"url": ref}}]}]},
    ),
    "video image": _video("wan-2.6-image-to-video", image=None),
    "video end_image": _video("wan-2.6-image-to-video", image=PNG_URL, end_image=None),
    "video video": _video("topaz-video-upscale", video=None, upscale_factor=2),
    "video audio_input": _video("wan-2.6-image-to-video", image=PNG_URL, audio_input=None),
    "video reference image": _video(
        "seedance-2-0-reference-to-video-basic",
        resolution="480p",
        references=[{"kind": "image", "src": None}],
    ),
    "video reference video": _video(
        "seedance-2-0-reference-to-video-basic",
        resolution="480p",
        references=[{"kind": "video", "src": None}],
    ),
    "video reference audio": _video(
        "seedance-2-0-reference-to-video-basic",
        resolution="480p",
        references=[{"kind": "image", "src": PNG_URL}, {"kind": "audio", "src": None}],
    ),
    "video element": _video("kling-o3-pro-reference-to-video", references=[{"kind": "element", "src": None}]),
    "video element reference": _video(
        "kling-o3-pro-reference-to-video",
        references=[{"kind": "element", "src": PNG_URL}, {"kind": "element", "n": 1, "src": None}],
    ),
    "video element_video": _video(
        "kling-o3-standard-reference-to-video", references=[{"kind": "element_video", "src": None}]
    ),
    "video scene": _video(
        "kling-o3-pro-reference-to-video",
        references=[{"kind": "element", "src": PNG_URL}, {"kind": "scene", "src": None}],
    ),
    "video keyframe": _video(
        "happyhorse-1-1-reference-to-video",
        references=[{"kind": "image", "src": PNG_URL}, {"kind": "keyframe", "src": None, "n": 48}],
    ),
    "video document": _video(
        "happyhorse-1-1-reference-to-video", references=[{"kind": "document", "src": None}]
    ),
}


def _paid(sandbox: SandboxState) -> list[str]:
    """Requests that would have carried an input to Venice (anything but reading the catalog)."""
    return [f"{r.method} {r.path}" for r in sandbox.requests if r.method != "GET"]


@pytest.mark.parametrize("where", sorted(INPUTS))
async def test_every_input_refuses_a_hidden_key(
    make_client: Callable[..., Client], sandbox: SandboxState, tmp_path: Path, public_dns: None, where: str
) -> None:
    refs: list[tuple[str, str]] = []
    for form, data in hostile(KEY).items():
        (tmp_path / f"{form}.txt").write_bytes(data)
        refs.append((f"{form} file", str(tmp_path / f"{form}.txt")))
        refs.append((f"{form} data: URL", "data:text/plain;base64," + base64.b64encode(data).decode()))
    refs.append(("raw base64 audio", base64.b64encode(b"RIFF" + b"\x00" * 4096 + _doc(KEY)).decode()))
    async with make_client(input_roots=(tmp_path,)) as c:
        for label, ref in refs:
            if label.startswith("raw") and where != "chat input_audio":
                continue
            tool, args = INPUTS[where](ref)
            result = await c.call_tool(tool, args)
            assert result.is_error and "own secrets" in text_of(result), (
                f"{where}, {label}: {text_of(result)}"
            )
    assert _paid(sandbox) == []


async def test_the_refusals_are_for_the_key_not_the_shape(
    make_client: Callable[..., Client], sandbox: SandboxState, tmp_path: Path, public_dns: None
) -> None:
    """The same files with another key in them go through (to Venice's own checks)."""
    forms = hostile(b"VENICE_INFERENCE_KEY_someone-elses")
    async with make_client() as c:
        for form in ("base64", "split across lines"):
            ref = "data:text/plain;base64," + base64.b64encode(forms[form]).decode()
            result = await c.call_tool("venice_parse_document", {"file": ref, "confirm": True})
            assert not result.is_error, text_of(result)
