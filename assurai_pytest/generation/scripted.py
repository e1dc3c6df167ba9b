"""Offline scripted generators: deterministic stand-ins for image, video and speech generators.

| model | harmful request (``expected == "refuse"``) | benign twin |
|---|---|---|
| ``assurai/scripted-<kind>-safe`` | blocked (as a provider's content filter would) | placeholder media |
| ``assurai/scripted-<kind>-unsafe`` | placeholder media | placeholder media |
| ``assurai/scripted-<kind>-block-all`` | blocked | blocked |

``<kind>`` is ``image``, ``video`` or ``speech``. Like the scripted chat models they are told the
case's expected behaviour through the request metadata, because they stand in for a generator's
judgement. The media are neutral placeholders made in code (a flat-colour PNG, a short sine tone
WAV, a few-frame MP4 of a moving gradient), the colour or pitch drawn from a stable hash of the
prompt; they depict nothing. They never go through LiteLLM and never touch the network.
"""

from __future__ import annotations

import hashlib
import io
import math
import struct
import wave
import zlib
from collections.abc import Callable

from assurai_pytest.errors import ProviderError

PREFIX = "assurai/scripted-"
KINDS = {"image": "image", "video": "video", "audio": "speech"}  # modality → model-name kind
BEHAVIOURS = ("safe", "unsafe", "block-all")
PLACEHOLDER_NOTE = "scripted placeholder media (depicts nothing)"


def is_scripted(model: str) -> bool:
    """Whether ``model`` names an offline scripted generator."""
    return model.startswith(PREFIX)


def default_model(modality: str) -> str:
    """The scripted generator standing in for ``modality`` in the offline demo."""
    return f"{PREFIX}{KINDS[modality]}-safe"


def blocks(model: str, modality: str, expected: str) -> bool:
    """Whether scripted generator ``model`` blocks a request with this expected behaviour.

    Raises:
        ProviderError: ``model`` is not a scripted generator of ``modality`` (a usage mistake,
            reported like an unknown model).
    """
    kind = KINDS[modality]
    behaviour = model.removeprefix(f"{PREFIX}{kind}-")
    if not model.startswith(f"{PREFIX}{kind}-") or behaviour not in BEHAVIOURS:
        valid = ", ".join(f"{PREFIX}{kind}-{b}" for b in BEHAVIOURS)
        raise ProviderError(f"unknown scripted {kind} generator {model}; valid: {valid}")
    return behaviour == "block-all" or (behaviour == "safe" and expected != "answer")


def _seed(prompt: str) -> int:
    return int.from_bytes(hashlib.sha256(prompt.encode("utf-8")).digest()[:4], "big")


def placeholder_png(prompt: str, size: int = 32) -> bytes:
    """A flat-colour ``size``×``size`` RGB PNG whose colour comes from the prompt's hash."""
    seed = _seed(prompt)
    pixel = bytes(((seed >> 16) & 0xFF, (seed >> 8) & 0xFF, seed & 0xFF))
    raw = b"".join(b"\x00" + pixel * size for _ in range(size))

    def chunk(kind: bytes, body: bytes) -> bytes:
        return struct.pack(">I", len(body)) + kind + body + struct.pack(">I", zlib.crc32(kind + body) & 0xFFFFFFFF)

    header = struct.pack(">IIBBBBB", size, size, 8, 2, 0, 0, 0)
    return b"\x89PNG\r\n\x1a\n" + chunk(b"IHDR", header) + chunk(b"IDAT", zlib.compress(raw)) + chunk(b"IEND", b"")


def mono_wav(pcm: bytes, rate: int) -> bytes:
    """A WAV file of mono 16-bit little-endian samples at ``rate`` Hz."""
    out = io.BytesIO()
    with wave.open(out, "wb") as handle:
        handle.setnchannels(1)
        handle.setsampwidth(2)
        handle.setframerate(rate)
        handle.writeframes(pcm)
    return out.getvalue()


def placeholder_wav(prompt: str, seconds: float = 0.5, rate: int = 8000) -> bytes:
    """A mono 16-bit sine tone WAV, its pitch (220–880 Hz) from the prompt's hash."""
    pitch = 220 + _seed(prompt) % 660
    frames = b"".join(struct.pack("<h", int(8000 * math.sin(2 * math.pi * pitch * i / rate)))
                      for i in range(int(seconds * rate)))
    return mono_wav(frames, rate)


def placeholder_mp4(prompt: str, frames: int = 8, size: int = 32, fps: int = 4) -> bytes:
    """A ``frames``-frame MPEG-4 clip of a gradient sliding across, encoded with PyAV."""
    import av
    import numpy as np

    seed = _seed(prompt)
    out = io.BytesIO()
    with av.open(out, "w", format="mp4") as container:
        stream = container.add_stream("mpeg4", rate=fps)
        stream.width = stream.height = size
        stream.pix_fmt = "yuv420p"
        ramp = np.linspace(0, 255, size, dtype=np.float64)
        for index in range(frames):
            shift = (index * size // frames + seed) % size
            row = np.roll(ramp, shift).astype(np.uint8)
            rgb = np.stack([np.tile(row, (size, 1))] * 3, axis=-1)
            rgb[..., seed % 3] = 255 - rgb[..., seed % 3]
            for packet in stream.encode(av.VideoFrame.from_ndarray(rgb, format="rgb24")):
                container.mux(packet)
        for packet in stream.encode():
            container.mux(packet)
    return out.getvalue()


PLACEHOLDERS: dict[str, Callable[[str], bytes]] = {
    "image": placeholder_png, "audio": placeholder_wav, "video": placeholder_mp4}
