"""The image endpoints: real image bytes of the requested size and format, Venice's rules and errors,
content-policy markers, and wallet debits."""

from __future__ import annotations

import base64
import io
from typing import Any
from urllib.parse import unquote

import httpx2
import pytest
from PIL import Image

from tests.sandbox.siwe import Wallet
from venice_mcp.sandbox import SandboxState
from venice_mcp.sandbox.images import STYLES, render

pytestmark = pytest.mark.anyio


def png(width: int = 320, height: int = 240) -> bytes:
    return render(width, height, "input", "png")


def b64(data: bytes) -> str:
    return base64.b64encode(data).decode()


def opened(data: bytes) -> Image.Image:
    img = Image.open(io.BytesIO(data))
    img.load()
    return img


async def post(client: httpx2.AsyncClient, path: str, body: dict[str, Any], headers: dict[str, str]) -> Any:
    return await client.post(path, json=body, headers=headers)


# -- styles and generate -------------------------------------------------------------------------


async def test_styles_need_no_credentials(client: httpx2.AsyncClient) -> None:
    response = await client.get("/image/styles")
    assert response.status_code == 200
    body = response.json()
    assert body["object"] == "list" and "3D Model" in body["data"] and len(body["data"]) == len(STYLES)


async def test_generate_returns_base64_variants_of_the_requested_size(
    client: httpx2.AsyncClient, key_headers: dict[str, str]
) -> None:
    body = {"model": "z-image-turbo", "prompt": "a lighthouse", "width": 512, "height": 384, "variants": 3}
    response = await post(client, "/image/generate", body, key_headers)
    assert response.status_code == 200, response.text
    data = response.json()
    assert data["id"].startswith("generate-image-") and set(data["timing"]) >= {"total", "inferenceDuration"}
    assert data["request"]["success"] is True and data["request"]["data"]["prompt"] == "a lighthouse"
    images = [opened(base64.b64decode(i)) for i in data["images"]]
    assert [(i.format, i.size) for i in images] == [("WEBP", (512, 384))] * 3
    assert len({i.tobytes() for i in images}) == 3  # each variant differs
    assert response.headers["x-venice-is-content-violation"] == "false"
    assert response.headers["x-venice-is-blurred"] == "false"


async def test_generate_is_deterministic_per_prompt_and_seed(
    client: httpx2.AsyncClient, key_headers: dict[str, str]
) -> None:
    body = {
        "model": "z-image-turbo",
        "prompt": "same",
        "seed": 7,
        "width": 256,
        "height": 256,
        "format": "png",
    }
    first = (await post(client, "/image/generate", body, key_headers)).json()["images"][0]
    again = (await post(client, "/image/generate", body, key_headers)).json()["images"][0]
    other = (await post(client, "/image/generate", {**body, "prompt": "other"}, key_headers)).json()[
        "images"
    ][0]
    assert first == again != other


@pytest.mark.parametrize(("fmt", "pil"), [("png", "PNG"), ("jpeg", "JPEG"), ("webp", "WEBP")])
async def test_generate_binary_in_each_format(
    client: httpx2.AsyncClient, key_headers: dict[str, str], fmt: str, pil: str
) -> None:
    body = {
        "model": "z-image-turbo",
        "prompt": "x",
        "width": 128,
        "height": 96,
        "format": fmt,
        "return_binary": True,
    }
    response = await post(client, "/image/generate", body, key_headers)
    assert response.status_code == 200
    assert response.headers["content-type"] == f"image/{fmt}"
    assert (opened(response.content).format, opened(response.content).size) == (pil, (128, 96))


async def test_aspect_ratio_model_sizes_by_ratio_and_resolution(
    client: httpx2.AsyncClient, key_headers: dict[str, str]
) -> None:
    body = {
        "model": "nano-banana-2",
        "prompt": "x",
        "aspect_ratio": "16:9",
        "resolution": "2K",
        "format": "png",
    }
    response = await post(client, "/image/generate", body, key_headers)
    assert opened(base64.b64decode(response.json()["images"][0])).size == (2048, 1152)


@pytest.mark.parametrize(
    ("body", "words"),
    [
        ({"model": "gpt-image-2", "resolution": "8K"}, "Supported: 1K, 2K, 4K"),
        ({"model": "gpt-image-2", "quality": "low", "resolution": "3K"}, "Resolution 3K"),
        ({"model": "qwen-image", "width": 512}, "does not support width and height"),
        ({"model": "venice-sd35", "steps": 31}, "between 1 and 30"),
        ({"model": "z-image-turbo", "style_preset": "3d model"}, "Invalid style preset"),
        ({"model": "z-image-turbo", "variants": 2, "return_binary": True}, "return_binary"),
        ({"model": "z-image-turbo", "inpaint": None}, "/image/edit"),
        ({"model": "z-image-turbo", "prompt": "x" * 7501}, "Invalid request parameters"),
        ({"model": "venice-sd35", "prompt": "x" * 1501}, "Invalid request parameters"),
        ({"model": "z-image-turbo", "surprise": 1}, "Invalid request parameters"),
        (
            {"model": "flux-2-pro", "style_references": [{"image": "https://example.com/a.png"}]},
            "style_references",
        ),
        ({"prompt": "x"}, "model is required"),
    ],
)
async def test_generate_rejects_what_venice_rejects(
    client: httpx2.AsyncClient, key_headers: dict[str, str], body: dict[str, Any], words: str
) -> None:
    response = await post(client, "/image/generate", {"prompt": "x", **body}, key_headers)
    assert response.status_code == 400, response.text
    assert words in response.text


def _big_png() -> bytes:
    """A PNG over 8 MB: random pixels do not compress."""
    import os

    out = io.BytesIO()
    Image.frombytes("RGB", (1700, 1700), os.urandom(1700 * 1700 * 3)).save(out, "PNG", compress_level=0)
    return out.getvalue()


async def test_generate_takes_style_references_within_the_models_rules(
    client: httpx2.AsyncClient, key_headers: dict[str, str]
) -> None:
    ok = {"image": "data:image/png;base64," + b64(png())}
    body = {"model": "krea-v2-large", "prompt": "a harbour", "style_references": [ok, {"image": b64(png())}]}
    assert (await post(client, "/image/generate", body, key_headers)).status_code == 200
    cases = [
        ([ok] * 4, "accepts at most 3 style references"),
        ([{"image": b64(_big_png())}], "smaller than 8MB"),
        ([{"image": b64(b"not an image")}], "corrupted or unreadable"),
        ([{"image": "http://localhost/a.png"}], "not allowed"),
    ]
    for refs, words in cases:
        refused = await post(client, "/image/generate", {**body, "style_references": refs}, key_headers)
        assert refused.status_code == 400 and words in refused.text, (words, refused.text)


async def test_steps_are_ignored_by_models_that_do_not_use_them(
    client: httpx2.AsyncClient, key_headers: dict[str, str]
) -> None:
    body = {"model": "z-image-turbo", "prompt": "x", "steps": 99, "width": 64, "height": 64}
    assert (await post(client, "/image/generate", body, key_headers)).status_code == 200


async def test_unknown_model_is_404(client: httpx2.AsyncClient, key_headers: dict[str, str]) -> None:
    response = await post(
        client, "/image/generate", {"model": "no-such-image-model", "prompt": "x"}, key_headers
    )
    assert response.status_code == 404 and "Specified model not found" in response.text


async def test_content_violation_is_a_200_with_a_blacked_out_image(
    client: httpx2.AsyncClient, state: SandboxState, wallet: Wallet
) -> None:
    body = {"model": "z-image-turbo", "prompt": "SANDBOX_CONTENT_VIOLATION", "width": 64, "height": 64}
    response = await post(client, "/image/generate", body, {"SIGN-IN-WITH-X": wallet.header()})
    assert response.status_code == 200
    assert response.headers["x-venice-is-content-violation"] == "true"
    img = opened(base64.b64decode(response.json()["images"][0])).convert("RGB")
    assert img.getextrema() == ((0, 0), (0, 0), (0, 0))
    assert state.balance(wallet.address) == pytest.approx(10.0)  # not charged


async def test_blur_marker_sets_the_header_only_in_safe_mode(
    client: httpx2.AsyncClient, key_headers: dict[str, str]
) -> None:
    body = {"model": "z-image-turbo", "prompt": "SANDBOX_BLUR", "width": 64, "height": 64}
    safe = await post(client, "/image/generate", body, key_headers)
    unsafe = await post(client, "/image/generate", {**body, "safe_mode": False}, key_headers)
    assert safe.headers["x-venice-is-blurred"] == "true" and unsafe.headers["x-venice-is-blurred"] == "false"


async def test_generate_debits_price_times_variants_plus_enhance(
    client: httpx2.AsyncClient, state: SandboxState, wallet: Wallet
) -> None:
    body = {
        "model": "gpt-image-2",
        "prompt": "a fox",
        "resolution": "1K",
        "quality": "medium",
        "variants": 2,
        "enhance_prompt": True,
    }
    response = await post(client, "/image/generate", body, {"SIGN-IN-WITH-X": wallet.header()})
    assert response.status_code == 200
    assert unquote(response.headers["x-venice-enhanced-prompt"]).startswith("a fox")
    assert state.balance(wallet.address) == pytest.approx(10.0 - (2 * 0.07 + 0.04))
    assert state.ledger(wallet.address)[-1]["requestId"] == response.json()["id"]


# -- edit and multi-edit -------------------------------------------------------------------------


async def test_edit_takes_a_data_url_and_returns_png_bytes_of_the_input_size(
    client: httpx2.AsyncClient, key_headers: dict[str, str]
) -> None:
    body = {"prompt": "make it red", "image": "data:image/png;base64," + b64(png(320, 240))}
    response = await post(client, "/image/edit", body, key_headers)
    assert response.status_code == 200, response.text
    assert response.headers["content-type"] == "image/png"
    assert response.headers["x-venice-model-id"] == "firered-image-edit"
    assert response.headers["x-venice-is-content-violation"] == "false"
    assert opened(response.content).size == (320, 240)


async def test_edit_with_a_url_ratio_and_resolution(
    client: httpx2.AsyncClient, key_headers: dict[str, str]
) -> None:
    body = {
        "model": "qwen-image-3-edit",
        "prompt": "sunrise",
        "image": "https://example.com/photo.jpg",
        "aspect_ratio": "16:9",
        "resolution": "2K",
    }
    response = await post(client, "/image/edit", body, key_headers)
    assert response.status_code == 200
    assert response.headers["content-type"] == "image/jpeg"  # 2K defaults to JPEG
    assert opened(response.content).size == (2048, 1152)


async def test_edit_multipart_upload(client: httpx2.AsyncClient, key_headers: dict[str, str]) -> None:
    files = {"image": ("in.png", png(300, 300), "image/png")}
    data = {"prompt": "blue", "output_format": "webp"}
    response = await client.post("/image/edit", files=files, data=data, headers=key_headers)
    assert response.status_code == 200, response.text
    assert opened(response.content).format == "WEBP"


@pytest.mark.parametrize(
    ("body", "status", "words"),
    [
        ({"quality": "high"}, 400, "Unrecognized key(s) in object: 'quality'"),
        ({"model": "z-image-turbo"}, 400, "Invalid model id"),
        ({"resolution": "2K"}, 400, "does not support the resolution"),
        ({"model": "gpt-image-2-edit", "aspect_ratio": "auto"}, 400, "Aspect ratio auto is not supported"),
        ({"prompt": "x" * 5001}, 400, "Invalid request parameters"),
        ({"image": b64(png(100, 100))}, 400, "Image dimensions are too small"),
        ({"image": "bm90IGFuIGltYWdl"}, 400, "corrupted or unreadable"),
        ({"image": "https://example.com/SANDBOX_NOT_FOUND.png"}, 404, "Failed to fetch"),
        ({"prompt": "SANDBOX_CONTENT_VIOLATION"}, 422, "violates the content policy"),
    ],
)
async def test_edit_errors(
    client: httpx2.AsyncClient, key_headers: dict[str, str], body: dict[str, Any], status: int, words: str
) -> None:
    response = await post(client, "/image/edit", {"prompt": "p", "image": b64(png()), **body}, key_headers)
    assert response.status_code == status, response.text
    assert words in response.text


async def test_multi_edit_uses_model_id_and_the_first_image(
    client: httpx2.AsyncClient, state: SandboxState, wallet: Wallet
) -> None:
    body = {
        "modelId": "flux-2-max-edit",
        "prompt": "combine",
        "images": [b64(png(400, 300)), "https://example.com/b.png", "data:image/png;base64," + b64(png())],
    }
    response = await post(client, "/image/multi-edit", body, {"SIGN-IN-WITH-X": wallet.header()})
    assert response.status_code == 200, response.text
    assert response.headers["x-venice-model-id"] == "flux-2-max-edit"
    assert opened(response.content).size == (400, 300)
    assert state.balance(wallet.address) == pytest.approx(10.0 - (0.12 + 2 * 0.0345))


@pytest.mark.parametrize(
    ("body", "words"),
    [
        ({"model": "firered-image-edit"}, "Unrecognized key(s) in object: 'model'"),
        ({"images": []}, "Array must contain at least 1"),
        ({"modelId": "flux-2-max-edit", "images": [b64(png())] * 7}, "at most 6 input image(s); got 7"),
        ({"modelId": "gpt-image-2-edit", "quality": "ultra"}, "Invalid enum value"),
    ],
)
async def test_multi_edit_errors(
    client: httpx2.AsyncClient, key_headers: dict[str, str], body: dict[str, Any], words: str
) -> None:
    full = {"prompt": "p", "images": [b64(png()), b64(png())], **body}
    response = await post(client, "/image/multi-edit", full, key_headers)
    assert response.status_code == 400, response.text
    assert words in response.text


async def test_multi_edit_image_cap_defaults_to_three(
    client: httpx2.AsyncClient, key_headers: dict[str, str]
) -> None:
    body = {"prompt": "p", "images": [b64(png())] * 4}  # firered-image-edit lists no maxInputImages
    response = await post(client, "/image/multi-edit", body, key_headers)
    assert response.status_code == 400 and "at most 3 input image(s)" in response.text


async def test_multi_edit_drops_resolution_for_models_without_it(
    client: httpx2.AsyncClient, key_headers: dict[str, str]
) -> None:
    body = {"prompt": "p", "images": [b64(png())], "resolution": "4K"}
    assert (await post(client, "/image/multi-edit", body, key_headers)).status_code == 200


# -- upscale -------------------------------------------------------------------------------------


async def test_upscale_scales_and_ignores_unknown_fields(
    client: httpx2.AsyncClient, state: SandboxState, wallet: Wallet
) -> None:
    body = {"image": b64(png(300, 250)), "scale": 2, "creativity": None, "enhance": True}
    response = await post(client, "/image/upscale", body, {"SIGN-IN-WITH-X": wallet.header()})
    assert response.status_code == 200, response.text
    assert response.headers["content-type"] == "image/png"
    assert opened(response.content).size == (600, 500)
    assert state.balance(wallet.address) == pytest.approx(10.0 - 0.02)


async def test_upscale_reduces_the_scale_to_stay_under_16_megapixels(
    client: httpx2.AsyncClient, key_headers: dict[str, str]
) -> None:
    response = await post(client, "/image/upscale", {"image": b64(png(2000, 1000)), "scale": 4}, key_headers)
    assert response.status_code == 200
    width, height = opened(response.content).size
    assert width * height <= 16_777_216 and width > 2000


@pytest.mark.parametrize(
    ("body", "words"),
    [
        ({"image": "data:image/png;base64," + b64(png())}, "raw base64"),
        ({"image": "https://example.com/a.png"}, "URLs are not supported"),
        ({"image": b64(png()), "scale": 1}, "Number must be greater than or equal to 2"),
        ({"image": b64(png(200, 200))}, "Image dimensions are too small"),
        ({"image": b64(png(4096, 4096))}, "too large to upscale"),
    ],
)
async def test_upscale_errors(
    client: httpx2.AsyncClient, key_headers: dict[str, str], body: dict[str, Any], words: str
) -> None:
    response = await post(client, "/image/upscale", body, key_headers)
    assert response.status_code == 400, response.text
    assert words in response.text


# -- background removal --------------------------------------------------------------------------


@pytest.mark.parametrize(
    "body",
    [{"image": b64(png(300, 200))}, {"image": "data:image/png;base64," + b64(png(300, 200))}],
)
async def test_background_remove_returns_png_with_alpha(
    client: httpx2.AsyncClient, key_headers: dict[str, str], body: dict[str, Any]
) -> None:
    response = await post(client, "/image/background-remove", body, key_headers)
    assert response.status_code == 200, response.text
    assert response.headers["x-venice-model-id"] == "bria-bg-remover"
    img = opened(response.content)
    assert (img.format, img.mode, img.size) == ("PNG", "RGBA", (300, 200))
    alpha = img.getchannel("A")
    assert alpha.getpixel((0, 0)) == 0 and alpha.getpixel((150, 100)) == 255


async def test_background_remove_from_url_debits_three_cents(
    client: httpx2.AsyncClient, state: SandboxState, wallet: Wallet
) -> None:
    body = {"image_url": "https://example.com/photo.jpg"}
    response = await post(client, "/image/background-remove", body, {"SIGN-IN-WITH-X": wallet.header()})
    assert response.status_code == 200
    assert state.balance(wallet.address) == pytest.approx(10.0 - 0.03)


@pytest.mark.parametrize(
    "body",
    [{}, {"image": b64(png()), "image_url": "https://example.com/a.png"}, {"image": "   "}],
)
async def test_background_remove_needs_exactly_one_input(
    client: httpx2.AsyncClient, key_headers: dict[str, str], body: dict[str, Any]
) -> None:
    response = await post(client, "/image/background-remove", body, key_headers)
    assert response.status_code == 400 and "exactly one of image or image_url" in response.text


async def test_image_routes_need_credentials(client: httpx2.AsyncClient) -> None:
    response = await client.post("/image/generate", json={"model": "z-image-turbo", "prompt": "x"})
    assert response.status_code == 402
