"""The image endpoints: generate, styles, edit, multi-edit, upscale and background removal
(venice-api.md §4), returning real image bytes made with Pillow.

Every image is a deterministic gradient whose colours come from a hash of the prompt (and seed and
variant), in the requested size and format, so tests can open it and check what they asked for.

Markers a test can put in a prompt (any endpoint with a prompt):

- ``SANDBOX_CONTENT_VIOLATION``: the content policy trips. ``/image/generate`` answers 200 with
  ``x-venice-is-content-violation: true`` and blacked-out images, and charges nothing; edit and
  multi-edit answer Venice's 422.
- ``SANDBOX_BLUR``: with ``safe_mode`` on (the default) the output is blurred and
  ``x-venice-is-blurred: true`` is set.

An input image given as an http(s) URL is not fetched: it stands for a 1024×768 picture, unless the
URL contains ``SANDBOX_NOT_FOUND`` (then the provider "cannot fetch it": 404).
"""

from __future__ import annotations

import base64
import binascii
import hashlib
import io
import math
import secrets
from typing import Any
from urllib.parse import quote, urlsplit

from starlette.datastructures import UploadFile
from starlette.responses import JSONResponse, Response

from venice_mcp.sandbox import catalog, spec
from venice_mcp.sandbox.context import Context, new_id
from venice_mcp.sandbox.errors import VeniceError, detailed_error, error

VIOLATION_MARKER = "SANDBOX_CONTENT_VIOLATION"
BLUR_MARKER = "SANDBOX_BLUR"
NOT_FOUND_MARKER = "SANDBOX_NOT_FOUND"
CONTENT_POLICY = "Your prompt violates the content policy of Venice.ai or the model provider"

# GET /image/styles as Venice lists it (case-sensitive names).
STYLES = (
    "3D Model",
    "Analog Film",
    "Anime",
    "Cinematic",
    "Comic Book",
    "Craft Clay",
    "Digital Art",
    "Enhance",
    "Fantasy Art",
    "Isometric Style",
    "Line Art",
    "Lowpoly",
    "Neon Punk",
    "Origami",
    "Photographic",
    "Pixel Art",
    "Texture",
    "Advertising",
    "Food Photography",
    "Real Estate",
    "Abstract",
    "Cubist",
    "Graffiti",
    "Hyperrealism",
    "Impressionist",
    "Pointillism",
    "Pop Art",
    "Psychedelic",
    "Renaissance",
    "Steampunk",
    "Surrealist",
    "Typography",
    "Watercolor",
)

DEFAULT_EDIT_MODEL = "firered-image-edit"
BG_REMOVE_MODEL = "bria-bg-remover"
URL_IMAGE_SIZE = (1024, 768)
MIN_PIXELS = 65_536
MIN_SIDE = 64
MAX_INPUT_PIXELS = 33_177_600  # 7680 × 4320
MAX_UPSCALE_PIXELS = 16_777_216  # 4096 × 4096
MAX_STYLE_REFERENCE_BYTES = 8_000_000
ENHANCE_USD = 0.04
TIER_LONG_SIDE = {"1K": 1024, "2K": 2048, "4K": 4096}
# Models that use `steps` (others accept any integer and ignore it).
STEP_MODELS = ("venice-sd35", "wai-Illustrious", "lustify-")
# Aspect-ratio models that reject width/height outright.
NO_WIDTH_HEIGHT = ("qwen-image", "qwen-image-3", "qwen-image-3-pro")
PIL_FORMATS = {"webp": "WEBP", "png": "PNG", "jpeg": "JPEG", "jpg": "JPEG"}


# -- image making --------------------------------------------------------------------------------


def _colors(key: str) -> list[tuple[int, int, int]]:
    digest = hashlib.sha256(key.encode()).digest()
    return [(digest[i], digest[i + 1], digest[i + 2]) for i in range(0, 12, 3)]


def render(
    width: int, height: int, key: str, fmt: str = "png", *, black: bool = False, blur: bool = False
) -> bytes:
    """A ``width``×``height`` image in ``fmt``: a smooth four-corner gradient seeded by ``key``."""
    from PIL import Image, ImageFilter

    if black:
        img = Image.new("RGB", (width, height), (0, 0, 0))
    else:
        corners = Image.new("RGB", (2, 2))
        corners.putdata(_colors(key))
        img = corners.resize((width, height), Image.Resampling.BILINEAR)
        if blur:
            img = img.filter(ImageFilter.BoxBlur(8))
    return _encode(img, fmt)


def _encode(img: Any, fmt: str) -> bytes:
    out = io.BytesIO()
    pil = PIL_FORMATS[fmt]
    if pil == "JPEG":
        img.convert("RGB").save(out, pil, quality=85)
    elif pil == "WEBP":
        img.save(out, pil, quality=80)
    else:
        img.save(out, pil)
    return out.getvalue()


def sniff(data: bytes) -> str:
    if data.startswith(b"\x89PNG"):
        return "image/png"
    if data.startswith(b"\xff\xd8\xff"):
        return "image/jpeg"
    if data[:4] == b"RIFF" and data[8:12] == b"WEBP":
        return "image/webp"
    return "application/octet-stream"


def _ratio(value: str) -> tuple[int, int]:
    w, _, h = value.partition(":")
    return int(w), int(h)


def _sized(ratio: tuple[int, int], long_side: int) -> tuple[int, int]:
    rw, rh = ratio
    if rw >= rh:
        return long_side, max(1, round(long_side * rh / rw))
    return max(1, round(long_side * rw / rh)), long_side


# -- request helpers -----------------------------------------------------------------------------


def _constraints(model: dict[str, Any]) -> dict[str, Any]:
    found = model.get("model_spec", {}).get("constraints") or {}
    return found if isinstance(found, dict) else {}


def _too_long(field: str, limit: int) -> VeniceError:
    return detailed_error(
        [
            {
                "code": "too_big",
                "type": "string",
                "path": [field],
                "maximum": limit,
                "inclusive": True,
                "message": f"String must contain at most {limit} character(s)",
            }
        ]
    )


def _check_prompt(body: dict[str, Any], model: dict[str, Any], *fields: str) -> None:
    limit = _constraints(model).get("promptCharacterLimit")
    if not isinstance(limit, int):
        return
    for field in fields:
        value = body.get(field)
        if isinstance(value, str) and len(value) > limit:
            raise _too_long(field, limit)


def _markers(body: dict[str, Any]) -> tuple[bool, bool]:
    prompt = str(body.get("prompt") or "")
    return VIOLATION_MARKER in prompt, BLUR_MARKER in prompt and body.get("safe_mode", True) is not False


def _tier_price(model: dict[str, Any], key: str, resolution: str | None, quality: str | None) -> float:
    """Per-image USD: quality tier, then resolution tier, then the flat ``key`` price."""
    pricing = model.get("model_spec", {}).get("pricing") or {}
    limits = _constraints(model)
    res = resolution or limits.get("defaultResolution") or "1K"
    qual = quality or limits.get("defaultQuality")
    tiers = pricing.get("quality")
    if isinstance(tiers, dict) and qual and isinstance(tiers.get(res), dict) and qual in tiers[res]:
        return float(tiers[res][qual]["usd"])
    by_res = pricing.get("resolutions")
    if isinstance(by_res, dict) and res in by_res:
        return float(by_res[res]["usd"])
    return catalog.price(model, key)


def _input_images_price(model: dict[str, Any], count: int) -> float:
    extra = (model.get("model_spec", {}).get("pricing") or {}).get("inputImages")
    if not isinstance(extra, dict):
        return 0.0
    over = max(0, count - int(extra.get("included", 0)))
    return over * float((extra.get("additional") or {}).get("usd", 0.0))


def _decode_base64(value: str) -> bytes:
    try:
        return base64.b64decode(value, validate=True)
    except (binascii.Error, ValueError):
        raise error(400, "The image file is corrupted or unreadable") from None


def _image_bytes(value: Any, *, allow_url: bool, allow_data_url: bool = True) -> bytes | None:
    """Bytes of an input image (None for a URL: it stands for a URL_IMAGE_SIZE picture)."""
    if isinstance(value, bytes):
        return value
    if not isinstance(value, str) or not value.strip():
        raise error(400, "Image is required")
    text = value.strip()
    if text[:8].lower().startswith(("http://", "https://")):
        if not allow_url:
            raise error(400, "Image URLs are not supported; send the image as raw base64 or a file")
        host = urlsplit(text).hostname or ""
        if host in ("localhost", "127.0.0.1", "0.0.0.0", "169.254.169.254") or host.endswith(".internal"):
            raise error(400, "The image URL is not allowed")
        if NOT_FOUND_MARKER in text:
            raise error(404, f"Failed to fetch image from URL: {text}")
        return None
    if text.startswith("data:"):
        if not allow_data_url:
            raise error(400, "Image must be raw base64 without a data: URL prefix")
        _, sep, text = text.partition(",")
        if not sep:
            raise error(400, "The image file is corrupted or unreadable")
    return _decode_base64(text)


def _open(data: bytes | None, *, check_size: bool = True) -> tuple[int, int]:
    """The size of an input image, with Venice's size rules."""
    if data is None:
        return URL_IMAGE_SIZE
    from PIL import Image, UnidentifiedImageError

    try:
        with Image.open(io.BytesIO(data)) as img:
            img.verify()
            width, height = img.size
    except (UnidentifiedImageError, OSError, ValueError, SyntaxError):
        raise error(400, "The image file is corrupted or unreadable") from None
    if check_size:
        if width * height < MIN_PIXELS or min(width, height) < MIN_SIDE:
            raise error(400, "Image dimensions are too small")
        if width * height > MAX_INPUT_PIXELS:
            raise error(422, "Image dimensions exceed the maximum allowed.")
    return width, height


async def _form_body(ctx: Context, files: tuple[str, ...]) -> dict[str, Any]:
    """A multipart body as a dict: text fields as Venice coerces them, file parts as bytes."""
    form = await ctx.request.form()
    body: dict[str, Any] = {}
    for key, value in form.multi_items():
        if isinstance(value, UploadFile):
            data = await value.read()
            if key in files and key.endswith("s"):
                body.setdefault(key, []).append(data)
            else:
                body[key] = data
        elif value in ("true", "false"):
            body[key] = value == "true"
        else:
            try:
                body[key] = float(value) if key in ("scale", "creativity") else value
            except ValueError:
                body[key] = value
    return body


def _for_schema(body: dict[str, Any]) -> dict[str, Any]:
    """Uploaded bytes stand in as strings when the body is checked against the JSON schema."""
    out: dict[str, Any] = {}
    for key, value in body.items():
        if isinstance(value, bytes):
            out[key] = "<file>"
        elif isinstance(value, list):
            out[key] = ["<file>" if isinstance(v, bytes) else v for v in value]
        else:
            out[key] = value
    return out


async def _body(ctx: Context, files: tuple[str, ...] = ()) -> dict[str, Any]:
    if ctx.body is None and ctx.request.method == "POST":
        ctype = ctx.request.headers.get("content-type", "")
        if ctype.startswith("multipart/form-data"):
            return await _form_body(ctx, files)
    if not isinstance(ctx.body, dict):
        spec.validate_body(ctx.path, ctx.body)  # Venice's 400 for a non-object body
        raise error(400, "Invalid request parameters")
    return ctx.body


def _binary(data: bytes, ctx: Context, model: dict[str, Any], *, blurred: bool) -> Response:
    rid = new_id("img-")
    ctx.headers.update(
        {
            "x-request-id": rid,
            "x-venice-model-id": model["id"],
            "x-venice-model-name": str(model.get("model_spec", {}).get("name") or model["id"]),
            "x-venice-is-blurred": "true" if blurred else "false",
            "x-venice-is-content-violation": "false",
        }
    )
    return Response(data, media_type=sniff(data))


# -- GET /image/styles ---------------------------------------------------------------------------


async def styles(ctx: Context) -> Response:
    return JSONResponse({"object": "list", "data": list(STYLES)})


# -- POST /image/generate ------------------------------------------------------------------------


def _generate_size(body: dict[str, Any], model: dict[str, Any]) -> tuple[int, int]:
    limits = _constraints(model)
    ratios = limits.get("aspectRatios")
    if not ratios:  # a pixel-sized model
        return int(body.get("width") or 1024), int(body.get("height") or 1024)
    wanted = body.get("aspect_ratio")
    # /image/generate does not validate aspect_ratio: an unlisted one falls back to the default.
    chosen = wanted if wanted in ratios else limits.get("defaultAspectRatio", "1:1")
    ratio = (1, 1) if chosen == "auto" else _ratio(str(chosen))
    tier = body.get("resolution") if limits.get("resolutions") else None
    tier = tier or limits.get("defaultResolution") or "1K"
    return _sized(ratio, TIER_LONG_SIDE.get(str(tier), 1024))


def _check_generate(body: dict[str, Any], model: dict[str, Any]) -> None:
    limits = _constraints(model)
    mid = model["id"]
    _check_prompt(body, model, "prompt", "negative_prompt")
    resolutions = limits.get("resolutions")
    if "resolution" in body and resolutions and body["resolution"] not in resolutions:
        raise error(
            400,
            f"Resolution {body['resolution']} is not supported by {mid}. Supported: {', '.join(resolutions)}",
        )
    qualities = limits.get("qualities")
    if "quality" in body and qualities and body["quality"] not in qualities:
        raise error(
            400, f"Quality {body['quality']} is not supported by {mid}. Supported: {', '.join(qualities)}"
        )
    if mid in NO_WIDTH_HEIGHT and ("width" in body or "height" in body):
        raise error(400, f"{mid} does not support width and height; use aspect_ratio instead")
    steps = limits.get("steps") or {}
    uses_steps = mid.startswith(STEP_MODELS)
    step_max = steps.get("max") if uses_steps and "steps" in body else None
    if isinstance(step_max, int) and not 1 <= body["steps"] <= step_max:
        raise error(400, f"steps must be between 1 and {step_max} for {mid}")
    if body.get("return_binary") and body.get("variants", 1) > 1:
        raise error(400, "variants is only supported when return_binary is false")
    if "style_preset" in body and body["style_preset"] not in STYLES:
        raise error(400, f"Invalid style preset: {body['style_preset']}. See /image/styles for the list.")
    refs = body.get("style_references")
    if refs:
        cap = limits.get("maxStyleReferences")
        if not isinstance(cap, int):
            raise error(400, f"{mid} does not support style_references")
        if len(refs) > cap:
            raise error(400, f"{mid} accepts at most {cap} style references")
        for ref in refs:
            data = _image_bytes(ref["image"], allow_url=True)
            if data is not None and len(data) >= MAX_STYLE_REFERENCE_BYTES:
                raise error(400, "Style reference images must be smaller than 8MB")
            _open(data, check_size=False)


async def generate(ctx: Context) -> Response:
    body = ctx.body
    if isinstance(body, dict):
        if body.get("model") is None:
            raise error(400, "model is required")
        if "inpaint" in body:
            raise error(400, "inpaint is no longer supported; use /image/edit")
    spec.validate_body("/image/generate", body)
    assert isinstance(body, dict)
    model = catalog.resolve(body, "image")
    ctx.deprecation(model)
    _check_generate(body, model)
    violation, blurred = _markers(body)
    width, height = _generate_size(body, model)
    fmt = str(body.get("format", "webp"))
    variants = int(body.get("variants", 1))
    seed = body.get("seed", 0)
    images = [
        render(
            width, height, f"{model['id']}|{body['prompt']}|{seed}|{i}", fmt, black=violation, blur=blurred
        )
        for i in range(variants)
    ]
    ctx.headers["x-venice-is-content-violation"] = "true" if violation else "false"
    ctx.headers["x-venice-is-blurred"] = "true" if blurred else "false"
    if body.get("enhance_prompt"):
        ctx.headers["x-venice-enhanced-prompt"] = quote(f"{body['prompt']}, highly detailed, sharp focus")
    rid = f"generate-image-{secrets.token_hex(8)}"
    if not violation:  # a blocked image is not charged
        usd = _tier_price(model, "generation", body.get("resolution"), body.get("quality")) * variants
        usd += ENHANCE_USD if body.get("enhance_prompt") else 0.0
        ctx.charge(round(usd, 6), request_id=rid, model_id=model["id"])
    if body.get("return_binary"):
        ctx.headers["x-request-id"] = rid
        return Response(images[0], media_type=sniff(images[0]))
    parsed = {
        "format": fmt,
        "height": height,
        "width": width,
        "hide_watermark": False,
        "safe_mode": True,
        "embed_exif_metadata": False,
        "return_binary": False,
        "variants": variants,
        **{k: v for k, v in body.items() if k != "style_references"},
    }
    elapsed = 1.0 + len(images) * 0.5  # milliseconds; the sandbox is quick
    return JSONResponse(
        {
            "id": rid,
            "images": [base64.b64encode(img).decode() for img in images],
            "timing": {
                "inferenceDuration": elapsed,
                "inferencePreprocessingTime": 0,
                "inferenceQueueTime": 0,
                "total": elapsed,
            },
            "request": {"success": True, "data": parsed},
        }
    )


# -- POST /image/edit and /image/multi-edit ------------------------------------------------------


def _edit_model(name: Any) -> dict[str, Any]:
    model = catalog.find(str(name), "inpaint") if isinstance(name, str) else None
    if model is None:
        raise error(400, "Invalid model id")
    return model


def _check_edit_options(
    body: dict[str, Any], model: dict[str, Any], *, strict_resolution: bool
) -> str | None:
    """Aspect ratio, resolution and quality against the model; returns the effective resolution."""
    limits = _constraints(model)
    mid = model["id"]
    ratios = limits.get("aspectRatios") or []
    if "aspect_ratio" in body and body["aspect_ratio"] not in ratios:
        raise error(
            400,
            f"Aspect ratio {body['aspect_ratio']} is not supported by {mid}. Supported: {', '.join(ratios)}",
        )
    resolutions = limits.get("resolutions")
    resolution = body.get("resolution")
    if resolution is not None:
        if not resolutions:
            if strict_resolution:
                raise error(400, f"{mid} does not support the resolution parameter")
            resolution = None  # multi-edit drops it silently
        elif resolution not in resolutions:
            raise error(
                400, f"Resolution {resolution} is not supported by {mid}. Supported: {', '.join(resolutions)}"
            )
    qualities = limits.get("qualities")
    if "quality" in body and qualities and body["quality"] not in qualities:
        raise error(
            400, f"Quality {body['quality']} is not supported by {mid}. Supported: {', '.join(qualities)}"
        )
    return str(resolution) if resolution else limits.get("defaultResolution")


def _edit_output(
    body: dict[str, Any], first: tuple[int, int], resolution: str | None, key: str, blurred: bool
) -> bytes:
    long_side = TIER_LONG_SIDE.get(resolution or "1K", 1024)
    ratio = body.get("aspect_ratio")
    if ratio and ratio != "auto":
        width, height = _sized(_ratio(str(ratio)), long_side)
    else:  # keep the input's shape, no larger than the tier
        scale = min(1.0, long_side / max(first))
        width, height = max(1, round(first[0] * scale)), max(1, round(first[1] * scale))
    fmt = body.get("output_format") or ("png" if (resolution or "1K") == "1K" else "jpeg")
    return render(width, height, key, str(fmt), blur=blurred)


async def edit(ctx: Context) -> Response:
    body = await _body(ctx, files=("image",))
    spec.validate_body("/image/edit", _for_schema(body))
    model = _edit_model(body.get("model") or body.get("modelId") or DEFAULT_EDIT_MODEL)
    _check_prompt(body, model, "prompt")
    resolution = _check_edit_options(body, model, strict_resolution=True)
    size = _open(_image_bytes(body["image"], allow_url=True))
    violation, blurred = _markers(body)
    if violation:
        raise error(422, CONTENT_POLICY)
    data = _edit_output(body, size, resolution, f"edit|{model['id']}|{body['prompt']}", blurred)
    usd = _tier_price(model, "inpaint", resolution, None) + _input_images_price(model, 1)
    usd += ENHANCE_USD if body.get("enhance_prompt") else 0.0
    response = _binary(data, ctx, model, blurred=blurred)
    ctx.charge(round(usd, 6), request_id=ctx.headers["x-request-id"], model_id=model["id"])
    return response


async def multi_edit(ctx: Context) -> Response:
    if ctx.body is None and not ctx.request.headers.get("content-type", "").startswith("multipart/"):
        raise error(415, "Invalid request content-type")
    body = await _body(ctx, files=("images",))
    spec.validate_body("/image/multi-edit", _for_schema(body))
    model = _edit_model(body.get("modelId") or DEFAULT_EDIT_MODEL)
    limits = _constraints(model)
    cap = limits.get("maxInputImages") or 3
    if limits.get("combineImages") is False:
        cap = 1
    images = body["images"]
    if len(images) > cap:
        raise error(400, f"{model['id']} accepts at most {cap} input image(s); got {len(images)}")
    _check_prompt(body, model, "prompt")
    resolution = _check_edit_options(body, model, strict_resolution=False)
    sizes = [_open(_image_bytes(img, allow_url=True)) for img in images]
    violation, blurred = _markers(body)
    if violation:
        raise error(422, CONTENT_POLICY)
    data = _edit_output(
        body, sizes[0], resolution, f"multi|{model['id']}|{body['prompt']}|{len(images)}", blurred
    )
    usd = _tier_price(model, "inpaint", resolution, body.get("quality")) + _input_images_price(
        model, len(images)
    )
    usd += ENHANCE_USD if body.get("enhance_prompt") else 0.0
    response = _binary(data, ctx, model, blurred=blurred)
    ctx.charge(round(usd, 6), request_id=ctx.headers["x-request-id"], model_id=model["id"])
    return response


# -- POST /image/upscale -------------------------------------------------------------------------


async def upscale(ctx: Context) -> Response:
    body = await _body(ctx, files=("image",))
    spec.validate_body("/image/upscale", _for_schema(body))  # not strict: unknown fields pass
    width, height = _open(_image_bytes(body["image"], allow_url=False, allow_data_url=False))
    raw_scale = body.get("scale")
    scale = 2.0 if raw_scale is None else float(raw_scale)
    effective = min(scale, math.sqrt(MAX_UPSCALE_PIXELS / (width * height)))
    out_w, out_h = math.floor(width * effective), math.floor(height * effective)
    if effective <= 1 or out_w <= width:
        raise error(400, "The image is too large to upscale: the output would exceed 16777216 pixels")
    model = catalog.find("upscaler", "upscale") or {"id": "upscaler", "model_spec": {}}
    data = render(out_w, out_h, f"upscale|{width}x{height}|{scale}", "png")
    pricing = model.get("model_spec", {}).get("pricing", {}).get("upscale", {})
    tier = "2x" if effective <= 2 else "4x"
    usd = float((pricing.get(tier) or {}).get("usd", 0.02 if tier == "2x" else 0.08))
    response = _binary(data, ctx, model, blurred=False)
    ctx.charge(usd, request_id=ctx.headers["x-request-id"], model_id=model["id"])
    return response


# -- POST /image/background-remove ---------------------------------------------------------------


async def background_remove(ctx: Context) -> Response:
    body = await _body(ctx, files=("image",))
    spec.validate_body("/image/background-remove", _for_schema(body))
    has_image = isinstance(body.get("image"), bytes) or (
        isinstance(body.get("image"), str) and body["image"].strip() != ""
    )
    if has_image == ("image_url" in body) or ("image" in body and not has_image):
        raise error(400, "Provide exactly one of image or image_url")
    if has_image:
        size = _open(_image_bytes(body["image"], allow_url=False), check_size=False)
    else:
        size = _open(_image_bytes(body["image_url"], allow_url=True), check_size=False)
    model = catalog.find(BG_REMOVE_MODEL, "image") or {"id": BG_REMOVE_MODEL, "model_spec": {}}
    data = _cutout(size, f"bg|{size}")
    response = _binary(data, ctx, model, blurred=False)
    ctx.charge(
        catalog.price(model, "generation") or 0.03,
        request_id=ctx.headers["x-request-id"],
        model_id=model["id"],
    )
    return response


def _cutout(size: tuple[int, int], key: str) -> bytes:
    """A PNG with alpha: the subject (an ellipse) opaque, the background transparent."""
    from PIL import Image, ImageDraw

    width, height = size
    corners = Image.new("RGB", (2, 2))
    corners.putdata(_colors(key))
    img = corners.resize(size, Image.Resampling.BILINEAR).convert("RGBA")
    mask = Image.new("L", size, 0)
    ImageDraw.Draw(mask).ellipse((width // 6, height // 6, width * 5 // 6, height * 5 // 6), fill=255)
    img.putalpha(mask)
    return _encode(img, "png")
