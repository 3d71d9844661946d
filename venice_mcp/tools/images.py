"""Image tools: generate, edit, multi-edit, upscale, background removal, and the style list.

Generation uses Venice's native ``/image/generate`` (JSON, ``return_binary: false``) because it is
the only route with variants, seeds, negative prompts, styles, aspect ratios, resolutions and
qualities; the OpenAI-compatible ``/images/generations`` does a subset of it (one image, fixed
sizes) and is not used. Every option is checked against the model's constraints from ``/models``
before anything is spent, and every image comes back as a file, a resource link and a preview.
"""

import base64
import binascii
import io
import math
import re
import time
import weakref
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Annotated, Any, Literal
from urllib.parse import unquote

import anyio
from mcp.server.mcpserver.exceptions import ToolError
from pydantic import Field

from venice_mcp import media_specs, pricing
from venice_mcp.api.client import VeniceClient
from venice_mcp.api.headers import deprecation
from venice_mcp.call import Call
from venice_mcp.catalog import Resolved
from venice_mcp.context import AppState
from venice_mcp.inputs import InputError, kind_of, sniff_mime
from venice_mcp.outputs import PREVIEW_MAX_BYTES, PREVIEW_MAX_SIDE, OutputFile, image_preview
from venice_mcp.payments.budget import Estimate
from venice_mcp.reply import Attachment, Reply, file_reply
from venice_mcp.tools._common import Confirm, cost_note
from venice_mcp.tools._declare import tool

DEFAULT_IMAGE_MODEL = "z-image-turbo"
DEFAULT_EDIT_MODEL = "firered-image-edit"
BG_REMOVE_MODEL = "bria-bg-remover"
STYLES_TTL = 600.0
MAX_SIDE = 1280  # width/height ceiling on /image/generate
MIN_PIXELS = 65_536
MIN_SIDE = 64
MAX_INPUT_PIXELS = 33_177_600  # 7680 × 4320
MAX_UPSCALE_PIXELS = 16_777_216  # 4096 × 4096
DEFAULT_MAX_INPUT_IMAGES = 3
MAX_STYLE_REFERENCE_BYTES = 8_000_000  # "less than 8MB" (read as decimal, the stricter)
# Previews of several variants share one budget, so the whole result stays well under 1 MiB.
VARIANT_PREVIEW_SIDE = 384
EXT = {"image/png": "png", "image/jpeg": "jpg", "image/webp": "webp"}
OPAQUE_FORMATS = ("image/heic", "image/avif")
FORMAT_MIME = {"png": "image/png", "jpeg": "image/jpeg", "webp": "image/webp"}

AspectRatio = Literal["auto", "1:1", "3:2", "16:9", "21:9", "9:16", "2:3", "3:4", "4:3", "4:5"]
OutputFormat = Literal["png", "jpeg", "webp"]
ImageRef = Annotated[
    str,
    Field(description="Path, https:// or data: URL."),
]

# Per Venice client (one per server session), so a cached list never outlives its server.
_styles_cache: weakref.WeakKeyDictionary[VeniceClient, tuple[float, list[str]]] = weakref.WeakKeyDictionary()

# The Venice operations each tool reaches (spec paths); tools/spec_coverage.py reads this.
ENDPOINTS = {
    "POST /image/generate": ("venice_image_generate",),
    "POST /image/edit": ("venice_image_edit",),
    "POST /image/multi-edit": ("venice_image_multi_edit",),
    "POST /image/upscale": ("venice_image_upscale",),
    "POST /image/background-remove": ("venice_image_remove_background",),
    "GET /image/styles": ("venice_image_styles", "venice_image_generate"),
}


# -- shared helpers ------------------------------------------------------------------------------


def _limits(resolved: Resolved) -> dict[str, Any]:
    found = resolved.spec.get("constraints")
    return found if isinstance(found, dict) else {}


def _allowed(values: Sequence[Any]) -> str:
    return ", ".join(str(v) for v in values)


def _check_prompt(resolved: Resolved, **texts: str | None) -> None:
    limit = _limits(resolved).get("promptCharacterLimit")
    for name, text in texts.items():
        if text is not None and not text.strip():
            raise ToolError(f"'{name}' is empty; describe what you want.")
        if isinstance(limit, int) and text is not None and len(text) > limit:
            raise ToolError(
                f"'{name}' is {len(text)} characters; {resolved.id} takes at most {limit}. Shorten it."
            )


def _check_choice(resolved: Resolved, name: str, value: str | None, key: str) -> None:
    """A per-model option (resolution, quality, aspect ratio) must be one the model lists."""
    if value is None:
        return
    allowed = _limits(resolved).get(key)
    if not allowed:
        raise ToolError(f"{resolved.id} has no '{name}' option; leave it out.")
    if value not in allowed:
        raise ToolError(f"{resolved.id} does not support {name} {value!r}; allowed: {_allowed(allowed)}.")


def _hint(model: str, prompt: str | None) -> str:
    words = re.findall(r"[A-Za-z0-9]+", prompt or "")[:5]
    return "-".join([model, *words])


def _dimensions(image: bytes | Path) -> tuple[int, int] | None:
    """Width and height from the image's header (nothing is decoded)."""
    from PIL import Image, UnidentifiedImageError

    try:
        with Image.open(io.BytesIO(image) if isinstance(image, bytes) else image) as img:
            width, height = img.size
            return int(width), int(height)
    except (UnidentifiedImageError, OSError, ValueError, Image.DecompressionBombError):
        return None


def _check_input_size(
    data: bytes, what: str, *, max_pixels: int | None = MAX_INPUT_PIXELS
) -> tuple[int, int]:
    """Venice's input-image rules, checked before paying: readable, ≥ 65,536 px and ≥ 64 px a side."""
    size = _dimensions(data)
    if size is None:
        raise ToolError(f"{what} is not an image Venice can read (JPEG, PNG, WebP, HEIF or AVIF).")
    width, height = size
    if width * height < MIN_PIXELS or min(width, height) < MIN_SIDE:
        raise ToolError(
            f"{what} is {width}×{height}; Venice needs at least 65,536 pixels and 64 px a side "
            "(e.g. 256×256). Upscale it first or use a larger image."
        )
    if max_pixels is not None and width * height > max_pixels:
        raise ToolError(f"{what} is {width}×{height}; Venice takes at most {max_pixels:,} pixels.")
    return width, height


@dataclass(frozen=True)
class Prepared:
    """An input image as it is sent: a URL Venice fetches itself, or the bytes as a data: URL."""

    value: str
    kind: str
    size: tuple[int, int] | None = None
    data: bytes | None = None


async def _prepare(state: AppState, ref: str, what: str, *, pass_urls: bool, check_size: bool) -> Prepared:
    ref = ref.strip()
    try:
        if kind_of(ref) == "url" and pass_urls:
            return Prepared(await state.inputs.check_passthrough(ref), "url")
        loaded = await state.inputs.load(ref)
    except InputError as exc:
        raise ToolError(f"{what}: {exc}") from None
    size: tuple[int, int] | None
    if loaded.mime_type in OPAQUE_FORMATS and _dimensions(loaded.data) is None:
        size = None  # Venice reads HEIF/AVIF; Pillow may not, so its size rules are Venice's to apply
    elif check_size:
        size = _check_input_size(loaded.data, what)
    else:
        size = _dimensions(loaded.data)
        if size is None:
            raise ToolError(f"{what} is not an image Venice can read (JPEG, PNG, WebP, HEIF or AVIF).")
    mime = loaded.mime_type if loaded.mime_type.startswith("image/") else "image/png"
    url = f"data:{mime};base64,{base64.b64encode(loaded.data).decode()}"
    return Prepared(url, loaded.kind, size, loaded.data)


def _file_info(saved: OutputFile, size: tuple[int, int] | None) -> dict[str, Any]:
    info: dict[str, Any] = {
        "path": str(saved.path),
        "uri": saved.uri,
        "size": saved.size,
        "mime_type": saved.mime_type,
    }
    if size is not None:
        info["width"], info["height"] = size
    return info


async def _images_result(
    files: list[OutputFile],
    *,
    what: str,
    details: list[str],
    structured: dict[str, Any],
) -> Reply:
    """Text line(s), one attachment per file, and previews that fit one shared budget. Previews
    are made from the saved files in a worker thread, with bounded memory (previews.py)."""
    many = len(files) > 1
    side = VARIANT_PREVIEW_SIDE if many else PREVIEW_MAX_SIDE
    budget = PREVIEW_MAX_BYTES // len(files)
    infos = [_file_info(saved, _dimensions(saved.path)) for saved in files]
    dims = [f"{i['width']}×{i['height']}" if "width" in i else "" for i in infos]
    previews = [await anyio.to_thread.run_sync(image_preview, saved.path, side, budget) for saved in files]
    if not many:
        extra = {k: v for k, v in infos[0].items() if k in ("width", "height")}
        return file_reply(
            files[0],
            what=what,
            details=[d for d in (dims[0], *details) if d],
            preview=previews[0],
            data={**extra, "files": infos, **structured},
        )
    lines = [f"{len(files)} {what.lower()}s · " + " · ".join(details)]
    lines += [f"[{n + 1}] {saved.summary()} · {dims[n]}" for n, saved in enumerate(files)]
    attachments = [
        Attachment(saved, f"{what} {n + 1}", preview)
        for n, (saved, preview) in enumerate(zip(files, previews, strict=True))
    ]
    return Reply("\n".join(lines), {**infos[0], "files": infos, **structured}, attachments)


def _details(model: str, estimate: Estimate, headers: Mapping[str, str]) -> tuple[list[str], dict[str, Any]]:
    details = [f"model {headers.get('x-venice-model-id') or model}", cost_note(estimate, None)]
    structured: dict[str, Any] = {
        "model": headers.get("x-venice-model-id") or model,
        "estimate_usd": estimate.usd,
    }
    if headers.get("x-venice-is-blurred") == "true":
        details.append("blurred by safe_mode (adult content); set safe_mode=false for an unblurred image")
        structured["blurred"] = True
    enhanced = headers.get("x-venice-enhanced-prompt")
    if enhanced:
        structured["enhanced_prompt"] = unquote(enhanced)
        details.append(f"enhanced prompt: {structured['enhanced_prompt'][:300]}")
    warning = deprecation(headers)
    if warning:
        details.append(f"warning: {warning}")
        structured["deprecation"] = warning
    return details, structured


async def _resolve(state: AppState, name: str, model_type: str) -> Resolved:
    return await state.catalog.resolve(name, model_type)


async def _paid_binary(
    call: Call,
    *,
    path: str,
    body: dict[str, Any],
    model: str,
    estimate: Estimate,
    confirm: bool,
    kind: str,
    hint: str,
    what: str,
) -> Reply:
    """Gate, send, and save a binary image reply under a descriptive name."""
    state = call.state
    fmt = body.get("output_format")
    dest = state.outputs.new_path(kind, EXT.get(FORMAT_MIME.get(str(fmt), "image/png"), "png"), hint)
    response = await call.paid_request(
        model=model,
        estimate=estimate,
        confirm=confirm,
        path=path,
        json_body=body,
        kind="upload",
        save_to=dest,
    )
    if response.path is None:
        raise ToolError(f"Venice answered {path} without an image ({response.content_type or 'no type'}).")
    saved_path = response.path
    with saved_path.open("rb") as fh:
        head = fh.read(16)  # enough to tell the format: the file can be ~100 MB
    ext = EXT.get(sniff_mime(head) or response.content_type, saved_path.suffix.lstrip("."))
    if saved_path.suffix != "." + ext:
        saved_path = saved_path.rename(saved_path.with_suffix("." + ext))
    details, structured = _details(model, estimate, response.headers)
    structured["request_id"] = response.request_id
    return await _images_result(
        [state.outputs.describe(saved_path)], what=what, details=details, structured=structured
    )


async def styles(state: AppState) -> list[str]:
    """Venice's style presets, cached per Venice client for STYLES_TTL seconds."""
    key = state.client
    hit = _styles_cache.get(key)
    if hit and time.monotonic() - hit[0] < STYLES_TTL:
        return hit[1]
    response = await state.client.request("GET", "/image/styles", kind="fast", auth="optional")
    data = response.body.get("data") if isinstance(response.body, dict) else None
    found = [str(s) for s in data or []]
    _styles_cache[key] = (time.monotonic(), found)
    return found


def forget_styles(state: AppState) -> None:
    _styles_cache.pop(state.client, None)


def _pixel_size(ratio: str, divisor: int) -> tuple[int, int]:
    """Width and height (≤ 1280, multiples of the model's divisor) for an aspect ratio."""
    rw, _, rh = ratio.partition(":")
    w, h = int(rw), int(rh)
    scale = MAX_SIDE / max(w, h)
    step = max(1, divisor)
    return int(w * scale) // step * step, int(h * scale) // step * step


# -- the tools -----------------------------------------------------------------------------------


@tool("Generate images", "paid", "images")
async def venice_image_generate(
    call: Call,
    prompt: Annotated[str, Field()],
    model: Annotated[
        str | None,
        Field(description="venice_models type=image."),
    ] = None,
    negative_prompt: Annotated[str | None, Field()] = None,
    width: Annotated[int | None, Field(ge=1, le=MAX_SIDE)] = None,
    height: Annotated[int | None, Field(ge=1, le=MAX_SIDE)] = None,
    aspect_ratio: Annotated[
        str | None,
        Field(description="e.g. '16:9'."),
    ] = None,
    resolution: Annotated[str | None, Field(description="'1K', '2K' or '4K'.")] = None,
    quality: Annotated[Literal["low", "medium", "high"] | None, Field()] = None,
    steps: Annotated[int | None, Field(ge=1)] = None,
    cfg_scale: Annotated[float | None, Field(gt=0, le=20)] = None,
    seed: Annotated[int | None, Field(ge=-999_999_999, le=999_999_999)] = None,
    variants: Annotated[int, Field(ge=1, le=4, description="Each is billed.")] = 1,
    style_preset: Annotated[str | None, Field(description="A venice_image_styles name.")] = None,
    style_references: Annotated[list[str] | None, Field()] = None,
    format: Annotated[OutputFormat, Field()] = "webp",
    safe_mode: Annotated[bool, Field(description="Blur adult content.")] = True,
    hide_watermark: Annotated[bool, Field()] = False,
    enhance_prompt: Annotated[bool, Field(description="Let Venice enrich the prompt (+$0.04).")] = False,
    confirm: Confirm = False,
) -> Reply:
    """Generate 1–4 images, saved as files with previews; unsupported options are refused free."""
    state = call.state
    state.client.ensure_credentials()
    name = model or await state.catalog.default_model("image", DEFAULT_IMAGE_MODEL)
    resolved = await _resolve(state, name, "image")
    if resolved.id == BG_REMOVE_MODEL:
        raise ToolError(f"{BG_REMOVE_MODEL} removes backgrounds; use venice_image_remove_background.")
    limits = _limits(resolved)
    _check_prompt(resolved, prompt=prompt, negative_prompt=negative_prompt)
    body: dict[str, Any] = {
        "model": resolved.id,
        "prompt": prompt,
        "format": format,
        "safe_mode": safe_mode,
        "return_binary": False,
        "variants": variants,
    }
    ratios = limits.get("aspectRatios")
    if ratios:
        if width is not None or height is not None:
            raise ToolError(f"{resolved.id} is sized by aspect_ratio ({_allowed(ratios)}), not width/height.")
        _check_choice(resolved, "aspect_ratio", aspect_ratio, "aspectRatios")
        if aspect_ratio is not None:
            body["aspect_ratio"] = aspect_ratio
    elif aspect_ratio is not None:
        if width is not None or height is not None:
            raise ToolError("Give either aspect_ratio or width/height, not both.")
        if not re.fullmatch(r"[1-9]\d*:[1-9]\d*", aspect_ratio):
            raise ToolError(f"aspect_ratio {aspect_ratio!r} should look like '16:9'.")
        body["width"], body["height"] = _pixel_size(aspect_ratio, int(limits.get("widthHeightDivisor") or 8))
    else:
        if width is not None:
            body["width"] = width
        if height is not None:
            body["height"] = height
    _check_choice(resolved, "resolution", resolution, "resolutions")
    _check_choice(resolved, "quality", quality, "qualities")
    step_max = (limits.get("steps") or {}).get("max")
    if steps is not None and isinstance(step_max, int) and steps > step_max:
        raise ToolError(f"{resolved.id} takes at most {step_max} steps; got {steps}.")
    if style_preset is not None:
        known = await styles(state)
        if style_preset not in known:
            close = [s for s in known if s.lower() == style_preset.lower()]
            hint = f" Did you mean {close[0]!r}?" if close else ""
            raise ToolError(
                f"Unknown style_preset {style_preset!r}.{hint} Styles (case-sensitive): {_allowed(known)}."
            )
        body["style_preset"] = style_preset
    if style_references:
        body["style_references"] = await _style_references(state, resolved, style_references)
    for key, value in (
        ("negative_prompt", negative_prompt),
        ("resolution", resolution),
        ("quality", quality),
        ("steps", steps),
        ("cfg_scale", cfg_scale),
        ("seed", seed),
    ):
        if value is not None:
            body[key] = value
    if hide_watermark:
        body["hide_watermark"] = True
    if enhance_prompt:
        body["enhance_prompt"] = True
    estimate = pricing.image_generation(
        resolved.spec,
        variants=variants,
        resolution=resolution,
        quality=quality,
        enhance=enhance_prompt,
    )
    await call.approve(model=resolved.id, estimate=estimate, confirm=confirm)
    with call.ledgered(model=resolved.id, estimate=estimate) as spend:
        response = await state.client.request("POST", "/image/generate", json_body=body)
        spend.request_id = response.request_id
        violation = response.headers.get("x-venice-is-content-violation") == "true"
        if violation:
            spend.charge_usd = 0.0
    if violation:
        raise ToolError(
            "Venice flagged this prompt as a content-policy violation and returned only a blacked-out "
            "placeholder, so no image was saved. You were not charged. Rephrase the prompt."
        )
    payload = response.body if isinstance(response.body, dict) else {}
    encoded = payload.get("images") or []
    if not encoded:
        raise ToolError("Venice returned no images; try again or another model.")
    files: list[OutputFile] = []
    hint = _hint(resolved.id, prompt)
    for item in encoded:
        try:
            data = base64.b64decode(str(item), validate=True)
        except (binascii.Error, ValueError):
            raise ToolError("Venice returned an image that is not valid base64.") from None
        ext = EXT.get(sniff_mime(data) or FORMAT_MIME[format], "webp")
        files.append(state.outputs.write(data, "image", ext, hint))
    details, structured = _details(resolved.id, estimate, response.headers)
    structured["request_id"] = response.request_id
    if seed is not None:
        structured["seed"] = seed
    return await _images_result(files, what="Image", details=details, structured=structured)


async def _style_references(state: AppState, resolved: Resolved, refs: list[str]) -> list[dict[str, str]]:
    """Checked against the model's maxStyleReferences, then each image read and checked."""
    cap = _limits(resolved).get("maxStyleReferences")
    if resolved.spec.get("supportsStyleReferences") is False or not isinstance(cap, (int, float)):
        raise media_specs.PreflightError(
            f"{resolved.id} takes no style_references (see venice_models: maxStyleReferences)."
        )
    if len(refs) > cap:
        raise media_specs.PreflightError(
            f"{resolved.id} takes at most {cap:g} style_references (got {len(refs)})."
        )
    out = []
    for n, ref in enumerate(refs, start=1):
        prepared = await _prepare(state, ref, f"Style reference {n}", pass_urls=True, check_size=False)
        if prepared.data is not None and len(prepared.data) >= MAX_STYLE_REFERENCE_BYTES:
            raise media_specs.PreflightError(
                f"Style reference {n} is {len(prepared.data) / 1e6:.1f} MB; Venice takes less than 8 MB."
            )
        out.append({"image": prepared.value})
    return out


@tool("Edit an image", "paid", "images")
async def venice_image_edit(
    call: Call,
    image: ImageRef,
    prompt: Annotated[str, Field(description="The change to make.")],
    model: Annotated[
        str | None,
        Field(description=f"type=inpaint; default {DEFAULT_EDIT_MODEL}."),
    ] = None,
    aspect_ratio: Annotated[
        AspectRatio | None,
        Field(),
    ] = None,
    resolution: Annotated[str | None, Field(description="'1K', '2K' or '4K'.")] = None,
    output_format: Annotated[OutputFormat | None, Field()] = None,
    safe_mode: Annotated[bool, Field(description="Blur adult content.")] = True,
    enhance_prompt: Annotated[bool, Field(description="Let Venice enrich the prompt (+$0.04).")] = False,
    confirm: Confirm = False,
) -> Reply:
    """Edit one image by instruction; saved with a preview."""
    state = call.state
    state.client.ensure_credentials()
    resolved = await _resolve(state, model or DEFAULT_EDIT_MODEL, "inpaint")
    _check_prompt(resolved, prompt=prompt)
    _check_choice(resolved, "aspect_ratio", aspect_ratio, "aspectRatios")
    _check_choice(resolved, "resolution", resolution, "resolutions")
    prepared = await _prepare(state, image, "The image", pass_urls=True, check_size=True)
    body: dict[str, Any] = {"model": resolved.id, "prompt": prompt, "image": prepared.value}
    body.update(_edit_options(aspect_ratio, resolution, output_format, safe_mode, enhance_prompt))
    estimate = pricing.image_edit(
        resolved.spec, images=1, resolution=resolution, quality=None, enhance=enhance_prompt
    )
    return await _paid_binary(
        call,
        path="/image/edit",
        body=body,
        model=resolved.id,
        estimate=estimate,
        confirm=confirm,
        kind="image-edit",
        hint=_hint(resolved.id, prompt),
        what="Edited image",
    )


@tool("Edit images together", "paid", "images")
async def venice_image_multi_edit(
    call: Call,
    images: Annotated[
        list[str],
        Field(
            min_length=1,
            description="Base first; up to the model's maxInputImages.",
        ),
    ],
    prompt: Annotated[str, Field()],
    model: Annotated[str | None, Field(description=f"Default {DEFAULT_EDIT_MODEL}.")] = None,
    aspect_ratio: Annotated[AspectRatio | None, Field()] = None,
    resolution: Annotated[str | None, Field()] = None,
    quality: Annotated[Literal["low", "medium", "high"] | None, Field()] = None,
    output_format: Annotated[OutputFormat | None, Field()] = None,
    safe_mode: Annotated[bool, Field(description="Blur adult content.")] = True,
    enhance_prompt: Annotated[bool, Field(description="Let Venice enrich the prompt (+$0.04).")] = False,
    confirm: Confirm = False,
) -> Reply:
    """Edit several images together (e.g. put image 2's subject into image 1)."""
    state = call.state
    state.client.ensure_credentials()
    resolved = await _resolve(state, model or DEFAULT_EDIT_MODEL, "inpaint")
    limits = _limits(resolved)
    cap = (
        1
        if limits.get("combineImages") is False
        else int(limits.get("maxInputImages") or DEFAULT_MAX_INPUT_IMAGES)
    )
    if len(images) > cap:
        raise ToolError(f"{resolved.id} takes at most {cap} input image(s); got {len(images)}.")
    _check_prompt(resolved, prompt=prompt)
    _check_choice(resolved, "aspect_ratio", aspect_ratio, "aspectRatios")
    _check_choice(resolved, "resolution", resolution, "resolutions")
    _check_choice(resolved, "quality", quality, "qualities")
    prepared = [
        await _prepare(state, ref, f"Image {n + 1}", pass_urls=True, check_size=True)
        for n, ref in enumerate(images)
    ]
    body: dict[str, Any] = {
        "modelId": resolved.id,  # multi-edit takes only modelId; 'model' is a 400
        "prompt": prompt,
        "images": [p.value for p in prepared],
    }
    body.update(_edit_options(aspect_ratio, resolution, output_format, safe_mode, enhance_prompt))
    if quality is not None:
        body["quality"] = quality
    estimate = pricing.image_edit(
        resolved.spec,
        images=len(images),
        resolution=resolution,
        quality=quality,
        enhance=enhance_prompt,
    )
    return await _paid_binary(
        call,
        path="/image/multi-edit",
        body=body,
        model=resolved.id,
        estimate=estimate,
        confirm=confirm,
        kind="image-multi-edit",
        hint=_hint(resolved.id, prompt),
        what="Edited image",
    )


@tool("Upscale an image", "paid", "images")
async def venice_image_upscale(
    call: Call,
    image: ImageRef,
    scale: Annotated[
        float,
        Field(ge=2, le=4, description="Capped at 16 MP output."),
    ] = 2,
    creativity: Annotated[float, Field(ge=0, le=0.02, description="Invented detail.")] = 0.01,
    confirm: Confirm = False,
) -> Reply:
    """Upscale an image 2–4× (2× rate up to an effective 2×, else 4×); saved as PNG."""
    state = call.state
    state.client.ensure_credentials()
    # Venice takes only raw base64 here: URLs are fetched (with the SSRF guard) and uploaded.
    prepared = await _prepare(state, image, "The image", pass_urls=False, check_size=True)
    assert prepared.data is not None
    # An image whose size cannot be read here is priced at the scale asked for.
    width, height = prepared.size or (0, 0)
    effective = min(scale, math.sqrt(MAX_UPSCALE_PIXELS / (width * height))) if width else scale
    if width and math.floor(width * effective) <= width:
        raise ToolError(
            f"The image is {width}×{height}; upscaling cannot go past {MAX_UPSCALE_PIXELS:,} pixels, "
            "so there is no room to upscale it."
        )
    try:
        spec = (await state.catalog.resolve("upscaler", "upscale")).spec
    except LookupError:
        spec = {}
    estimate = pricing.image_upscale(spec, effective)
    body = {
        "image": base64.b64encode(prepared.data).decode(),
        "scale": scale,
        "creativity": creativity,
    }
    return await _paid_binary(
        call,
        path="/image/upscale",
        body=body,
        model="upscaler",
        estimate=estimate,
        confirm=confirm,
        kind="image-upscaled",
        hint=f"x{effective:.2g}".replace(".", "_"),
        what="Upscaled image",
    )


@tool("Remove a background", "paid", "images")
async def venice_image_remove_background(call: Call, image: ImageRef, confirm: Confirm = False) -> Reply:
    """Cut out the subject: a PNG with transparent background ($0.03)."""
    state = call.state
    state.client.ensure_credentials()
    prepared = await _prepare(state, image, "The image", pass_urls=True, check_size=False)
    body = {"image_url": prepared.value} if prepared.kind == "url" else {"image": prepared.value}
    try:
        spec = (await state.catalog.resolve(BG_REMOVE_MODEL, "image")).spec
    except LookupError:
        spec = {}
    return await _paid_binary(
        call,
        path="/image/background-remove",
        body=body,
        model=BG_REMOVE_MODEL,
        estimate=pricing.background_removal(spec),
        confirm=confirm,
        kind="image-cutout",
        hint=BG_REMOVE_MODEL,
        what="Cut-out image",
    )


@tool("Image styles", "read_only", "images")
async def venice_image_styles(call: Call) -> Reply:
    """Style presets for venice_image_generate (case-sensitive)."""
    found = await styles(call.state)
    return Reply(f"{len(found)} image styles: " + ", ".join(found), {"styles": found})


def _edit_options(
    aspect_ratio: str | None,
    resolution: str | None,
    output_format: str | None,
    safe_mode: bool,
    enhance_prompt: bool,
) -> dict[str, Any]:
    out: dict[str, Any] = {"safe_mode": safe_mode}
    for key, value in (
        ("aspect_ratio", aspect_ratio),
        ("resolution", resolution),
        ("output_format", output_format),
    ):
        if value is not None:
            out[key] = value
    if enhance_prompt:
        out["enhance_prompt"] = True
    return out
