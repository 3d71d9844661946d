"""The image tools through an MCP client against the sandbox: what the agent receives (text line,
resource links that resolve to the saved bytes, previews), the files written, the requests Venice
received, pre-flight refusals that spend nothing, and Venice's own errors."""

from __future__ import annotations

import base64
import io
import json
import subprocess
import sys
from collections.abc import Callable
from pathlib import Path
from typing import Any

import pytest
from mcp import Client
from PIL import Image

from tests.backend import recorded_calls
from tests.hints import hints
from tests.tools.conftest import text_of, venice_requests
from venice_mcp.sandbox import SandboxState
from venice_mcp.sandbox.images import render

pytestmark = pytest.mark.anyio

IMAGE_PATHS = (
    "/image/generate",
    "/image/edit",
    "/image/multi-edit",
    "/image/upscale",
    "/image/background-remove",
)


def png(width: int = 320, height: int = 240, key: str = "input") -> bytes:
    return render(width, height, key, "png")


def data_url(data: bytes) -> str:
    return "data:image/png;base64," + base64.b64encode(data).decode()


def opened(data: bytes) -> Image.Image:
    img = Image.open(io.BytesIO(data))
    img.load()
    return img


def blocks(result: Any, kind: str) -> list[Any]:
    return [b for b in result.content if b.type == kind]


def paid_requests(sandbox: SandboxState) -> list[Any]:
    return [r for r in sandbox.requests if r.path in IMAGE_PATHS]


async def read_link(client: Client, uri: str) -> bytes:
    read = await client.read_resource(uri)
    contents = read.contents[0]
    assert hasattr(contents, "blob"), "images are served as binary resources"
    return base64.b64decode(contents.blob)


async def check_image_result(client: Client, result: Any, *, size: tuple[int, int], fmt: str) -> bytes:
    """The standard shape: a text line, a resource link to the saved file, a preview ≤ 768 px."""
    assert not result.is_error, text_of(result)
    [link] = blocks(result, "resource_link")
    data = result.structured_content
    path = Path(data["path"])
    saved = path.read_bytes()
    img = opened(saved)
    assert (img.format, img.size) == (fmt, size)
    assert link.uri == data["uri"] and link.uri.endswith(path.name)
    assert await read_link(client, link.uri) == saved
    text = text_of(result)
    assert str(path) in text and link.mime_type in text and f"{size[0]}×{size[1]}" in text
    [preview] = blocks(result, "image")
    shown = opened(base64.b64decode(preview.data))
    assert max(shown.size) <= 768
    assert len(result.model_dump_json()) < 1024 * 1024
    return saved


# -- venice_image_generate -----------------------------------------------------------------------


async def test_generate_saves_a_file_with_link_and_preview(client: Client, sandbox: SandboxState) -> None:
    args = {"prompt": "a red fox in the snow", "width": 512, "height": 384, "seed": 42}
    result = await client.call_tool("venice_image_generate", args)
    await check_image_result(client, result, size=(512, 384), fmt="WEBP")
    name = Path(result.structured_content["path"]).name  # type: ignore[index]
    assert name.startswith("image-z-image-turbo-a-red-fox-in-the") and name.endswith(".webp")
    assert "model z-image-turbo" in text_of(result) and "estimated cost $0.01" in text_of(result)
    [sent] = venice_requests(sandbox, "/image/generate")
    assert sent.status == 200
    assert sent.json == {
        "model": "z-image-turbo",
        "prompt": "a red fox in the snow",
        "format": "webp",
        "safe_mode": True,
        "return_binary": False,
        "variants": 1,
        "width": 512,
        "height": 384,
        "seed": 42,
    }


async def test_variants_give_one_file_and_link_each_with_small_previews(
    client: Client, sandbox: SandboxState
) -> None:
    args = {"prompt": "tiles", "variants": 3, "format": "png", "width": 1024, "height": 1024}
    result = await client.call_tool("venice_image_generate", args)
    assert not result.is_error, text_of(result)
    links = blocks(result, "resource_link")
    files = result.structured_content["files"]  # type: ignore[index]
    assert len(links) == len(files) == 3 and len({f["path"] for f in files}) == 3
    saved = [await read_link(client, link.uri) for link in links]
    assert [opened(s).size for s in saved] == [(1024, 1024)] * 3 and len(set(saved)) == 3
    assert [Path(f["path"]).read_bytes() for f in files] == saved
    previews = blocks(result, "image")
    assert len(previews) == 3 and all(max(opened(base64.b64decode(p.data)).size) <= 384 for p in previews)
    assert len(result.model_dump_json()) < 1024 * 1024
    assert "3 images" in text_of(result) and "estimated cost $0.03" in text_of(result)
    [sent] = venice_requests(sandbox, "/image/generate")
    assert sent.json["variants"] == 3 and sent.json["format"] == "png"


async def test_aspect_ratio_model_gets_ratio_and_resolution(client: Client, sandbox: SandboxState) -> None:
    args = {
        "prompt": "wide",
        "model": "nano-banana-2",
        "aspect_ratio": "16:9",
        "resolution": "2K",
        "format": "jpeg",
    }
    result = await client.call_tool("venice_image_generate", args)
    await check_image_result(client, result, size=(2048, 1152), fmt="JPEG")
    assert "estimated cost $0.14" in text_of(result)
    [sent] = venice_requests(sandbox, "/image/generate")
    assert sent.json["aspect_ratio"] == "16:9" and sent.json["resolution"] == "2K"
    assert "width" not in sent.json and "height" not in sent.json


async def test_aspect_ratio_on_a_pixel_model_becomes_width_and_height(
    client: Client, sandbox: SandboxState
) -> None:
    result = await client.call_tool("venice_image_generate", {"prompt": "wide", "aspect_ratio": "16:9"})
    await check_image_result(client, result, size=(1280, 720), fmt="WEBP")
    [sent] = venice_requests(sandbox, "/image/generate")
    assert (sent.json["width"], sent.json["height"]) == (1280, 720) and "aspect_ratio" not in sent.json


async def test_style_and_enhanced_prompt(client: Client, sandbox: SandboxState) -> None:
    args = {
        "prompt": "a castle",
        "style_preset": "3D Model",
        "enhance_prompt": True,
        "width": 256,
        "height": 256,
    }
    result = await client.call_tool("venice_image_generate", args)
    assert not result.is_error, text_of(result)
    data = result.structured_content
    assert data is not None and data["estimate_usd"] == pytest.approx(0.05)
    assert data["enhanced_prompt"].startswith("a castle,") and "enhanced prompt: a castle," in text_of(result)
    [sent] = venice_requests(sandbox, "/image/generate")
    assert sent.json["style_preset"] == "3D Model" and sent.json["enhance_prompt"] is True


async def test_style_references_are_read_and_sent(
    make_client: Callable[..., Client], sandbox: SandboxState, tmp_path: Path, public_dns: None
) -> None:
    painting = tmp_path / "painting.png"
    painting.write_bytes(png(key="painting"))
    inline = data_url(png(key="inline"))
    refs = [str(painting), inline, "https://art.example/poster.jpg"]
    async with make_client(input_roots=(tmp_path,)) as c:
        result = await c.call_tool(
            "venice_image_generate",
            {"prompt": "a harbour", "model": "krea-v2-large", "style_references": refs},
        )
    assert not result.is_error, text_of(result)
    [sent] = venice_requests(sandbox, "/image/generate")
    assert sent.json["style_references"] == [
        {"image": data_url(painting.read_bytes())},
        {"image": inline},
        {"image": "https://art.example/poster.jpg"},  # Venice fetches a URL itself
    ]


def noise_png(side: int) -> bytes:
    """A PNG that does not compress: random pixels, about 3 bytes a pixel."""
    import os

    out = io.BytesIO()
    Image.frombytes("RGB", (side, side), os.urandom(side * side * 3)).save(out, "PNG", compress_level=0)
    return out.getvalue()


@pytest.mark.parametrize(
    ("model", "refs", "words"),
    [
        ("z-image-turbo", [data_url(png())], "z-image-turbo takes no style_references"),
        ("krea-v2-large", [data_url(png())] * 4, "at most 3 style_references (got 4)"),
        ("luma-uni-1", ["data:text/plain;base64,aGk="], "Style reference 1 is not an image"),
        ("luma-uni-1", [data_url(noise_png(1700))], "Venice takes less than 8 MB"),
    ],
)
async def test_style_references_are_refused_before_spending(
    make_client: Callable[..., Client],
    sandbox: SandboxState,
    tmp_path: Path,
    model: str,
    refs: list[str],
    words: str,
) -> None:
    async with make_client() as c:
        args = {"prompt": "a harbour", "model": model, "style_references": refs}
        result = await c.call_tool("venice_image_generate", args)
    assert result.is_error and words in text_of(result), text_of(result)
    assert paid_requests(sandbox) == []
    assert await recorded_calls(tmp_path / "home") == []


@pytest.mark.parametrize(
    ("args", "words"),
    [
        ({"model": "gpt-image-2", "resolution": "8K"}, "allowed: 1K, 2K, 4K"),
        ({"model": "z-image-turbo", "quality": "high"}, "z-image-turbo has no 'quality' option"),
        ({"model": "z-image-turbo", "resolution": "2K"}, "has no 'resolution' option"),
        ({"model": "gpt-image-1-5", "aspect_ratio": "16:9"}, "allowed: 1:1, 3:2, 2:3"),
        ({"model": "qwen-image", "width": 512}, "sized by aspect_ratio"),
        ({"model": "venice-sd35", "steps": 31}, "at most 30 steps"),
        ({"model": "z-image-turbo", "steps": 9}, "at most 8 steps"),
        ({"model": "venice-sd35", "prompt": "x" * 1501}, "takes at most 1500"),
        ({"model": "venice-sd35", "negative_prompt": "x" * 1501}, "'negative_prompt' is 1501 characters"),
        ({"style_preset": "3d model"}, "Did you mean '3D Model'"),
        ({"model": "bria-bg-remover"}, "venice_image_remove_background"),
        ({"model": "no-such-image-model-xyz"}, "No Venice model matches"),
        ({"prompt": "   "}, "'prompt' is empty"),
        ({"variants": 5}, "variants"),
        ({"width": 2000}, "width"),
    ],
)
async def test_generate_preflight_refuses_for_free(
    client: Client, sandbox: SandboxState, args: dict[str, Any], words: str
) -> None:
    result = await client.call_tool("venice_image_generate", {"prompt": "a cat", **args})
    assert result.is_error
    assert words in text_of(result)
    assert paid_requests(sandbox) == []


async def test_content_violation_is_reported_and_not_charged(
    make_client: Callable[..., Client], sandbox: SandboxState, settings: Any
) -> None:
    async with make_client() as c:
        result = await c.call_tool(
            "venice_image_generate", {"prompt": "SANDBOX_CONTENT_VIOLATION", "width": 64, "height": 64}
        )
    assert result.is_error
    assert "content-policy violation" in text_of(result) and "not charged" in text_of(result)
    assert not settings.outputs.exists() or list(settings.outputs.iterdir()) == []
    [sent] = venice_requests(sandbox, "/image/generate")
    assert sent.status == 200
    [row] = await recorded_calls(settings.home)
    assert row["tool"] == "venice_image_generate" and row["charge_usd"] == 0


async def test_blurred_output_is_said(client: Client) -> None:
    result = await client.call_tool(
        "venice_image_generate", {"prompt": "SANDBOX_BLUR", "width": 128, "height": 128}
    )
    assert not result.is_error
    assert "blurred by safe_mode" in text_of(result) and result.structured_content["blurred"] is True  # type: ignore[index]


async def test_expensive_generation_needs_confirmation(
    make_client: Callable[..., Client], sandbox: SandboxState
) -> None:
    args = {"prompt": "x", "model": "gpt-image-2", "resolution": "4K", "quality": "high", "variants": 4}
    async with make_client(max_call_usd=1.0) as c:
        result = await c.call_tool("venice_image_generate", args)
        assert not result.is_error
        assert result.structured_content["status"] == "confirmation_required"  # type: ignore[index]
        assert result.structured_content["estimate_usd"] == pytest.approx(4 * 0.83)  # type: ignore[index]
        assert paid_requests(sandbox) == []
        confirmed = await c.call_tool("venice_image_generate", {**args, "resolution": "1K", "confirm": True})
    assert not confirmed.is_error, text_of(confirmed)
    assert len(venice_requests(sandbox, "/image/generate")) == 1


# -- venice_image_edit ---------------------------------------------------------------------------


async def test_edit_uploads_a_local_file_inside_the_roots(
    make_client: Callable[..., Client], sandbox: SandboxState, tmp_path: Path
) -> None:
    source = tmp_path / "photo.png"
    source.write_bytes(png(320, 240))
    async with make_client(input_roots=(tmp_path,)) as c:
        result = await c.call_tool("venice_image_edit", {"image": str(source), "prompt": "make the sky red"})
        await check_image_result(c, result, size=(320, 240), fmt="PNG")
    assert Path(result.structured_content["path"]).name.startswith("image-edit-firered-image-edit-make-the")  # type: ignore[index]
    assert "estimated cost $0.04" in text_of(result)
    [sent] = venice_requests(sandbox, "/image/edit")
    assert sent.json["model"] == "firered-image-edit" and sent.json["prompt"] == "make the sky red"
    assert sent.json["image"] == data_url(source.read_bytes())


async def test_edit_passes_urls_through(client: Client, sandbox: SandboxState, public_dns: None) -> None:
    args = {
        "image": "https://img.example/photo.jpg",
        "prompt": "sunrise",
        "model": "qwen-image-3-edit",
        "aspect_ratio": "16:9",
        "resolution": "2K",
    }
    result = await client.call_tool("venice_image_edit", args)
    await check_image_result(client, result, size=(2048, 1152), fmt="JPEG")
    assert Path(result.structured_content["path"]).suffix == ".jpg"  # type: ignore[index]
    [sent] = venice_requests(sandbox, "/image/edit")
    assert sent.json["image"] == "https://img.example/photo.jpg" and sent.json["resolution"] == "2K"


async def test_edit_content_policy_422_reaches_the_agent(client: Client) -> None:
    args = {"image": data_url(png()), "prompt": "SANDBOX_CONTENT_VIOLATION"}
    result = await client.call_tool("venice_image_edit", args)
    assert result.is_error
    assert "422" in text_of(result) and "violates the content policy" in text_of(result)


async def test_edit_provider_404_reaches_the_agent(client: Client, public_dns: None) -> None:
    args = {"image": "https://img.example/SANDBOX_NOT_FOUND.png", "prompt": "x"}
    result = await client.call_tool("venice_image_edit", args)
    assert result.is_error and "404" in text_of(result) and "Failed to fetch image" in text_of(result)


@pytest.mark.parametrize(
    ("args", "words"),
    [
        ({"model": "gpt-image-2-edit", "aspect_ratio": "auto"}, "allowed: 1:1, 3:2"),
        ({"resolution": "2K"}, "firered-image-edit has no 'resolution' option"),
        ({"image": data_url(png(100, 100))}, "at least 65,536 pixels"),
        ({"image": "data:image/png;base64,bm90IGFuIGltYWdl"}, "not an image Venice can read"),
        ({"image": "http://127.0.0.1/secret.png"}, "not a public address"),
        ({"image": "OUTSIDE"}, "outside the folders"),
        ({"prompt": "x" * 5001}, "takes at most 5000"),
        ({"model": "z-image-turbo"}, "No Venice model matches"),
    ],
)
async def test_edit_preflight_refuses_for_free(
    make_client: Callable[..., Client],
    sandbox: SandboxState,
    tmp_path: Path,
    args: dict[str, Any],
    words: str,
) -> None:
    outside = tmp_path / "outside.png"
    outside.write_bytes(png())
    if args.get("image") == "OUTSIDE":
        args = {**args, "image": str(outside)}
    async with make_client(input_roots=(tmp_path / "inside",)) as c:
        result = await c.call_tool("venice_image_edit", {"image": data_url(png()), "prompt": "p", **args})
    assert result.is_error
    assert words in text_of(result)
    assert paid_requests(sandbox) == []


# -- venice_image_multi_edit ---------------------------------------------------------------------


async def test_multi_edit_sends_model_id_and_every_image(
    make_client: Callable[..., Client], sandbox: SandboxState, tmp_path: Path
) -> None:
    layer = tmp_path / "layer.png"
    layer.write_bytes(png(300, 300, "layer"))
    base = png(400, 300, "base")
    async with make_client(input_roots=(tmp_path,)) as c:
        args = {
            "images": [data_url(base), str(layer)],
            "prompt": "put the layer on the base",
            "model": "flux-2-max-edit",
        }
        result = await c.call_tool("venice_image_multi_edit", args)
        await check_image_result(c, result, size=(400, 300), fmt="PNG")
    assert result.structured_content["estimate_usd"] == pytest.approx(0.12 + 0.0345)  # type: ignore[index]
    [sent] = venice_requests(sandbox, "/image/multi-edit")
    assert sent.json["modelId"] == "flux-2-max-edit" and "model" not in sent.json
    assert sent.json["images"] == [data_url(base), data_url(layer.read_bytes())]


async def test_multi_edit_refuses_more_images_than_the_model_takes(
    client: Client, sandbox: SandboxState
) -> None:
    result = await client.call_tool(
        "venice_image_multi_edit", {"images": [data_url(png())] * 4, "prompt": "p"}
    )
    assert result.is_error and "at most 3 input image(s); got 4" in text_of(result)
    assert paid_requests(sandbox) == []


async def test_multi_edit_venice_400_carries_venices_words(client: Client, sandbox: SandboxState) -> None:
    # luma-uni-1-edit is an edit model, but Venice's multi-edit does not list it.
    args = {"images": [data_url(png())], "prompt": "p", "model": "luma-uni-1-edit"}
    result = await client.call_tool("venice_image_multi_edit", args)
    assert result.is_error
    assert "400" in text_of(result) and "luma-uni-1-edit" in text_of(result)
    assert [r.status for r in venice_requests(sandbox, "/image/multi-edit")] == [400]


# -- venice_image_upscale ------------------------------------------------------------------------


async def test_upscale_sends_raw_base64_and_saves_the_bigger_png(
    client: Client, sandbox: SandboxState
) -> None:
    source = png(300, 250)
    result = await client.call_tool("venice_image_upscale", {"image": data_url(source)})
    await check_image_result(client, result, size=(600, 500), fmt="PNG")
    assert "estimated cost $0.02" in text_of(result)
    [sent] = venice_requests(sandbox, "/image/upscale")
    assert sent.json["image"] == base64.b64encode(source).decode()  # raw, no data: prefix
    assert sent.json["scale"] == 2 and sent.json["creativity"] == 0.01


async def test_upscale_above_2x_is_priced_at_the_4x_rate(client: Client) -> None:
    result = await client.call_tool("venice_image_upscale", {"image": data_url(png(300, 250)), "scale": 3})
    await check_image_result(client, result, size=(900, 750), fmt="PNG")
    assert result.structured_content["estimate_usd"] == pytest.approx(0.08)  # type: ignore[index]


@pytest.mark.parametrize(
    ("args", "words"),
    [
        ({"image": data_url(png(4096, 4096))}, "no room to upscale"),
        ({"image": data_url(png(200, 200))}, "at least 65,536 pixels"),
        ({"image": "http://10.0.0.1/a.png"}, "not a public address"),
        ({"image": data_url(png()), "scale": 1}, "scale"),
        ({"image": data_url(png()), "creativity": 0.5}, "creativity"),
    ],
)
async def test_upscale_preflight_refuses_for_free(
    client: Client, sandbox: SandboxState, args: dict[str, Any], words: str
) -> None:
    result = await client.call_tool("venice_image_upscale", args)
    assert result.is_error and words in text_of(result)
    assert paid_requests(sandbox) == []


# -- venice_image_remove_background --------------------------------------------------------------


async def test_remove_background_uploads_bytes(client: Client, sandbox: SandboxState) -> None:
    result = await client.call_tool("venice_image_remove_background", {"image": data_url(png(300, 200))})
    saved = await check_image_result(client, result, size=(300, 200), fmt="PNG")
    assert opened(saved).mode == "RGBA" and opened(saved).getchannel("A").getpixel((0, 0)) == 0
    assert "model bria-bg-remover" in text_of(result) and "estimated cost $0.03" in text_of(result)
    [sent] = venice_requests(sandbox, "/image/background-remove")
    assert set(sent.json) == {"image"} and sent.json["image"].startswith("data:image/png;base64,")


async def test_remove_background_passes_a_url_as_image_url(
    client: Client, sandbox: SandboxState, public_dns: None
) -> None:
    result = await client.call_tool("venice_image_remove_background", {"image": "https://img.example/p.jpg"})
    await check_image_result(client, result, size=(1024, 768), fmt="PNG")
    [sent] = venice_requests(sandbox, "/image/background-remove")
    assert sent.json == {"image_url": "https://img.example/p.jpg"}


async def test_remove_background_refuses_a_non_image(client: Client, sandbox: SandboxState) -> None:
    result = await client.call_tool(
        "venice_image_remove_background", {"image": "data:text/plain;base64,aGVsbG8="}
    )
    assert result.is_error and "not an image" in text_of(result)
    assert paid_requests(sandbox) == []


# -- styles, annotations, resources --------------------------------------------------------------


async def test_styles_tool_and_resource(client: Client, sandbox: SandboxState) -> None:
    result = await client.call_tool("venice_image_styles", {})
    assert not result.is_error
    styles = result.structured_content["styles"]  # type: ignore[index]
    assert "3D Model" in styles and "Anime" in text_of(result)
    read = await client.read_resource("venice-mcp://images/styles")
    assert json.loads(read.contents[0].text)["styles"] == styles  # type: ignore[union-attr]
    assert len(venice_requests(sandbox, "/image/styles")) == 1  # cached between the two


async def test_annotations(client: Client) -> None:
    tools = {t.name: t for t in (await client.list_tools()).tools}
    assert hints(tools["venice_image_styles"])["read_only_hint"] is True
    for name in (
        "venice_image_generate",
        "venice_image_edit",
        "venice_image_multi_edit",
        "venice_image_upscale",
        "venice_image_remove_background",
    ):
        paid = hints(tools[name])
        assert paid["read_only_hint"] is False and paid["open_world_hint"] is True


async def test_heif_input_pillow_cannot_read_is_left_to_venice(client: Client, sandbox: SandboxState) -> None:
    heic = b"\x00\x00\x00\x18ftypheic\x00\x00\x00\x00mif1heic" + b"\x00" * 64  # a HEIF header, no pixels
    result = await client.call_tool(
        "venice_image_edit",
        {"image": "data:image/heic;base64," + base64.b64encode(heic).decode(), "prompt": "p"},
    )
    # Sent (Venice reads HEIF), and Venice's own 400 for this unreadable file reaches the agent.
    assert result.is_error and "corrupted or unreadable" in text_of(result)
    [sent] = venice_requests(sandbox, "/image/edit")
    assert sent.json["image"].startswith("data:image/heic;base64,")


async def test_wallet_pays_for_an_image_and_the_sandbox_debits_the_model_price(
    make_client: Callable[..., Client], sandbox: SandboxState
) -> None:
    from venice_mcp.config import Secret
    from venice_mcp.payments.signer import EthAccountSigner

    key = "0x" + "42" * 32
    address = EthAccountSigner(key).address
    sandbox.credit(address, 1.0)
    async with make_client(api_key=None, wallet_key=Secret(key)) as c:
        result = await c.call_tool(
            "venice_image_generate", {"prompt": "x", "variants": 2, "width": 64, "height": 64}
        )
    assert not result.is_error, text_of(result)
    [sent] = venice_requests(sandbox, "/image/generate")
    assert "sign-in-with-x" in sent.headers and "authorization" not in sent.headers
    assert sandbox.balance(address) == pytest.approx(1.0 - 2 * 0.01)


async def test_a_retiring_image_models_warning_reaches_the_agent(
    client: Client, sandbox: SandboxState
) -> None:
    sandbox.deprecations["venice-sd35"] = {"date": "2027-03-01"}
    result = await client.call_tool("venice_image_generate", {"prompt": "a fox", "model": "venice-sd35"})
    assert not result.is_error, text_of(result)
    assert "warning: The model venice-sd35 is deprecated and will be removed on 2027-03-01." in text_of(
        result
    )
    assert result.structured_content["deprecation"].startswith("The model venice-sd35")  # type: ignore[index]


async def test_urls_venice_fetches_need_no_local_resolver(
    client: Client, sandbox: SandboxState, offline_dns: None
) -> None:
    args = {"image": "https://img.example/photo.jpg", "prompt": "sunrise"}
    result = await client.call_tool("venice_image_edit", args)
    assert not result.is_error, text_of(result)
    [sent] = venice_requests(sandbox, "/image/edit")
    assert sent.json["image"] == "https://img.example/photo.jpg"
    refused = await client.call_tool("venice_image_edit", {**args, "image": "http://0x7f.1/photo.jpg"})
    assert refused.is_error and "not a public address" in text_of(refused)
    # venice_image_upscale downloads the image itself: that one must resolve here.
    upscale = await client.call_tool("venice_image_upscale", {"image": "https://img.example/photo.jpg"})
    assert upscale.is_error and "Could not resolve" in text_of(upscale)


@pytest.mark.skipif(sys.platform == "win32", reason="ru_maxrss")
def test_upscaling_to_16_megapixels_has_bounded_peak_memory(tmp_path: Path) -> None:
    """Venice's ~64 MiB PNG is streamed to disk and previewed a strip at a time: the call used
    to read it whole and decode it whole (+214 MiB peak here)."""
    from tests.test_previews import noise_png

    big = noise_png(tmp_path / "answer.png")
    done = subprocess.run(
        [sys.executable, "-m", "tests.tools.upscale_memory", str(tmp_path / "home"), str(big)],
        capture_output=True,
        text=True,
        timeout=300,
        cwd=Path(__file__).parents[2],
    )
    assert done.returncode == 0, done.stderr
    peak, _ = done.stdout.split()
    assert float(peak) < 48, f"+{peak} MiB"
