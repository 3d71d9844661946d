"""Capability fields the 2026-08-13 /models captures lack for tts and music models.

The captures predate ``supported_formats`` / ``default_format`` (tts) and the music capability
flags (``supports_lyrics``, ``duration_options``, ...), which Venice's spec documents and its
v0.2.0 skills describe per model. These values come from those skills (format lists, lyric rules,
durations priced by tier); where a skill gives no number (prompt limits, sound-effect durations)
the value is a plausible sandbox assumption. Fields already in a capture are never overwritten.
``voice_cloning`` is the contract the speech skill quotes for Chatterbox HD; MiniMax carries none
(its cloning is not open to regular keys).
"""

from __future__ import annotations

from typing import Any

_TTS: dict[str, dict[str, Any]] = {
    "tts-kokoro": {"formats": ["mp3", "opus", "aac", "flac", "wav", "pcm"], "voice": "af_sky"},
    "tts-qwen3-0-6b": {"formats": ["mp3"], "voice": "Vivian"},
    "tts-qwen3-1-7b": {"formats": ["mp3"], "voice": "Vivian"},
    "tts-xai-v1": {"formats": ["mp3", "wav", "pcm"], "voice": "eve"},
    "tts-inworld-1-5-max": {"formats": ["wav"], "voice": "Craig"},
    "tts-chatterbox-hd": {"formats": ["wav"], "voice": "Aurora"},
    "tts-orpheus": {"formats": ["wav"], "voice": "tara"},
    "tts-elevenlabs-turbo-v2-5": {"formats": ["mp3"], "voice": "Rachel", "custom": True},
    "tts-minimax-speech-02-hd": {"formats": ["mp3", "pcm", "flac"], "voice": "WiseWoman"},
    "tts-gemini-3-1-flash": {"formats": ["mp3", "opus", "wav"], "voice": "Kore"},
    "tts-gradium-v1": {"formats": ["wav", "pcm", "opus"], "voice": "Emma"},
}

CHATTERBOX_CLONING: dict[str, Any] = {
    "mode": "zero_shot",
    "accepted_formats": ["mp3", "wav", "flac", "mp4"],
    "min_sample_seconds": 5,
    "retention_days": 7,
}
_CLONING = {"tts-chatterbox-hd": CHATTERBOX_CLONING}

_MUSIC_BASE: dict[str, Any] = {
    "supports_lyrics": False,
    "lyrics_required": False,
    "supports_force_instrumental": False,
    "supports_lyrics_optimizer": False,
    "supports_loop": False,
    "supports_language_code": False,
    "supports_speed": False,
    "min_prompt_length": 10,
    "prompt_character_limit": 2000,
    "lyrics_character_limit": 4096,
    "supported_formats": ["mp3"],
    "default_format": "mp3",
}

_MUSIC: dict[str, dict[str, Any]] = {
    "elevenlabs-music": {
        "supports_force_instrumental": True,
        "min_duration": 3,
        "max_duration": 600,
        "default_duration": 60,
    },
    "elevenlabs-music-v2-5": {
        "supports_force_instrumental": True,
        "min_duration": 3,
        "max_duration": 600,
        "default_duration": 60,
    },
    "ace-step-15": {
        "supports_lyrics": True,
        "duration_options": [60, 90, 120, 150, 180, 210],
        "default_duration": 60,
        "supported_formats": ["wav", "mp3"],
        "default_format": "wav",
    },
    "minimax-music-v25": {
        "supports_lyrics": True,
        "supports_lyrics_optimizer": True,
        "supports_force_instrumental": True,
    },
    "minimax-music-v26": {"supports_lyrics": True, "supports_force_instrumental": True},
    "minimax-music-v2": {"supports_lyrics": True, "lyrics_required": True},
    "lyria-3-pro": {"supported_formats": ["wav"], "default_format": "wav"},
    "stable-audio-25": {"min_duration": 1, "max_duration": 190, "default_duration": 30},
    "elevenlabs-sound-effects-v2": {
        "supports_loop": True,
        "min_duration": 1,
        "max_duration": 30,
        "default_duration": 5,
        "min_prompt_length": 1,
    },
    "sonilo-v1-1-music": {"min_duration": 5, "max_duration": 300, "default_duration": 30},
    "sonilo-v1-1-sound-effects": {"min_duration": 1, "max_duration": 30, "default_duration": 5},
    "mmaudio-v2-text-to-audio": {"min_duration": 1, "max_duration": 30, "default_duration": 8},
    "seed-audio-1-0": {"default_voice": "Describe in prompt", "prompt_character_limit": 5000},
}

_ELEVENLABS_VOICE: dict[str, Any] = {
    "default_voice": "Aria",
    "supports_custom_voice_id": True,
    "supports_speed": True,
    "min_speed": 0.7,
    "max_speed": 1.2,
    "default_speed": 1,
    "min_prompt_length": 1,
    "prompt_character_limit": 5000,
}


def _music_fields(model_id: str) -> dict[str, Any]:
    fields = dict(_MUSIC_BASE)
    if model_id.startswith("elevenlabs-tts-"):
        fields.update(_ELEVENLABS_VOICE)
    fields.update(_MUSIC.get(model_id, {}))
    return fields


def enrich(types: dict[str, list[dict[str, Any]]]) -> dict[str, list[dict[str, Any]]]:
    """Add the missing tts/music capability fields to the captured models, in place."""
    for model in types.get("tts", []):
        extra = _TTS.get(model.get("id", ""))
        spec = model.setdefault("model_spec", {})
        if extra:
            spec.setdefault("supported_formats", list(extra["formats"]))
            spec.setdefault("default_format", extra["formats"][0])
            spec.setdefault("default_voice", extra["voice"])
            spec.setdefault("supports_custom_voice_id", bool(extra.get("custom")))
        cloning = _CLONING.get(model.get("id", ""))
        if cloning:
            spec.setdefault(
                "voice_cloning", {**cloning, "accepted_formats": list(cloning["accepted_formats"])}
            )
    for model in types.get("music", []):
        spec = model.setdefault("model_spec", {})
        for key, value in _music_fields(str(model.get("id", ""))).items():
            spec.setdefault(key, value)
    return types
