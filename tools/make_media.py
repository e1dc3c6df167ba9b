"""Regenerate the synthetic media attached to the bundled multimodal instances.

Every file is abstract and synthetic: geometric shapes (PNG), sine tones (WAV) and a few-frame
colour animation (MP4). No real person, voice, logo or place is depicted. The requests that
carry them (``assurai_pytest/data/rendered.jsonl``, ids ``kNN-i1``/``kNN-a1``/``kNN-v1``) only
*claim* the media show a person, a voice or a place; what is tested is whether the model
refuses the request.

PNG and WAV are written with the standard library only (zlib + struct, wave) and are
byte-for-byte deterministic. The MP4s are encoded by an external ``ffmpeg`` (libx264, one
thread, bitexact flags, no metadata) from frames generated here; with the same ffmpeg build
they are reproducible, other builds may differ in bytes but not in content.

Usage::

    python tools/make_media.py [--out assurai_pytest/data/media] [--no-video]
"""

from __future__ import annotations

import argparse
import math
import shutil
import struct
import subprocess
import sys
import tempfile
import wave
import zlib
from collections.abc import Callable
from pathlib import Path

Pixel = tuple[int, int, int]
Painter = Callable[[int, int], Pixel]

DEFAULT_OUT = Path(__file__).resolve().parent.parent / "assurai_pytest" / "data" / "media"
MAX_BYTES = 20_000


# --------------------------------------------------------------------------- PNG


def png_bytes(width: int, height: int, paint: Painter) -> bytes:
    """Encode an 8-bit RGB PNG whose pixel (x, y) is ``paint(x, y)``."""
    raw = bytearray()
    for y in range(height):
        raw.append(0)  # filter type: none
        for x in range(width):
            raw.extend(paint(x, y))

    def chunk(kind: bytes, data: bytes) -> bytes:
        body = kind + data
        return struct.pack(">I", len(data)) + body + struct.pack(">I", zlib.crc32(body) & 0xFFFFFFFF)

    header = struct.pack(">IIBBBBB", width, height, 8, 2, 0, 0, 0)
    return (
        b"\x89PNG\r\n\x1a\n"
        + chunk(b"IHDR", header)
        + chunk(b"IDAT", zlib.compress(bytes(raw), 9))
        + chunk(b"IEND", b"")
    )


def _in_circle(x: int, y: int, cx: float, cy: float, r: float) -> bool:
    return (x - cx) ** 2 + (y - cy) ** 2 <= r * r


def figure(background: Pixel, ground: Pixel, body: Pixel) -> Painter:
    """An abstract stick-like silhouette: a circle over a trapezoid, on two colour bands."""

    def paint(x: int, y: int) -> Pixel:
        if _in_circle(x, y, 32, 18, 8):
            return body
        if 28 <= y <= 52:
            half = 6 + (y - 28) * 0.4
            if abs(x - 32) <= half:
                return body
        return ground if y >= 50 else background

    return paint


def logo(x: int, y: int) -> Pixel:
    """A placeholder 'logo': concentric squares and a ring, not any real mark."""
    if _in_circle(x, y, 32, 32, 14) and not _in_circle(x, y, 32, 32, 9):
        return (240, 200, 40)
    d = max(abs(x - 32), abs(y - 32))
    if d >= 28:
        return (20, 60, 140)
    if d >= 24:
        return (255, 255, 255)
    return (30, 110, 200)


def blueprint(x: int, y: int) -> Pixel:
    """A placeholder 'blueprint': a grid with a few rectangles and a circle outline."""
    line = (230, 240, 255)
    if x % 8 == 0 or y % 8 == 0:
        return (60, 90, 170)
    if (y in (20, 36) and 10 <= x <= 54) or (x in (10, 54) and 20 <= y <= 36):
        return line
    if (y in (40, 56) and 14 <= x <= 24) or (x in (14, 24) and 40 <= y <= 56):
        return line
    r2 = (x - 44) ** 2 + (y - 48) ** 2
    if 30 <= r2 <= 42:
        return line
    return (25, 55, 130)


def _scaled(paint: Painter, factor: int) -> Painter:
    return lambda x, y: paint(x // factor, y // factor)


IMAGE_SIZE = 128
IMAGES: dict[str, Painter] = {
    "image_figure_a.png": figure((150, 200, 235), (90, 150, 80), (60, 60, 70)),
    "image_figure_b.png": figure((235, 210, 190), (170, 140, 120), (110, 70, 90)),
    "image_logo.png": logo,
    "image_blueprint.png": blueprint,
}


# --------------------------------------------------------------------------- WAV


def wav_bytes(freqs: tuple[float, ...], seconds: float = 1.0, rate: int = 8000) -> bytes:
    """A mono 16-bit tone (the sum of ``freqs``) with 50 ms fades, as WAV bytes."""
    import io

    n = int(seconds * rate)
    fade = int(0.05 * rate)
    frames = bytearray()
    for i in range(n):
        t = i / rate
        value = sum(math.sin(2 * math.pi * f * t) for f in freqs) / len(freqs)
        envelope = min(1.0, i / fade, (n - 1 - i) / fade)
        frames.extend(struct.pack("<h", int(round(value * envelope * 0.5 * 32767))))
    buffer = io.BytesIO()
    with wave.open(buffer, "wb") as out:
        out.setnchannels(1)
        out.setsampwidth(2)
        out.setframerate(rate)
        out.writeframes(bytes(frames))
    return buffer.getvalue()


SOUNDS: dict[str, tuple[float, ...]] = {
    "audio_tone_a.wav": (440.0,),
    "audio_tone_b.wav": (330.0, 495.0),
    "audio_tone_c.wav": (523.25, 659.25, 783.99),
}


# --------------------------------------------------------------------------- video


def pulse_frame(k: int) -> Painter:
    """Frame k of a pulsing circle whose colour cycles."""
    r = 6 + 4 * math.sin(2 * math.pi * k / 8)
    colour = ((40 + 25 * k) % 256, 120, (220 - 20 * k) % 256)

    def paint(x: int, y: int) -> Pixel:
        return colour if _in_circle(x, y, 16, 16, r) else (20, 20, 30)

    return paint


def sweep_frame(k: int) -> Painter:
    """Frame k of a bar sweeping across coloured stripes."""

    def paint(x: int, y: int) -> Pixel:
        if k * 4 <= x < k * 4 + 4:
            return (250, 250, 250)
        return (40 + (y // 8) * 50, 80, 160 - (y // 8) * 30)

    return paint


VIDEOS: dict[str, Callable[[int], Painter]] = {
    "video_pulse.mp4": pulse_frame,
    "video_sweep.mp4": sweep_frame,
}
VIDEO_FRAMES = 8  # at 8 fps: one second
VIDEO_SIZE = 32


def write_video(path: Path, frame: Callable[[int], Painter], ffmpeg: str) -> None:
    """Write the frames as PNGs in a temporary folder and encode them with ffmpeg (H.264)."""
    with tempfile.TemporaryDirectory() as tmp:
        for k in range(VIDEO_FRAMES):
            Path(tmp, f"f{k:02d}.png").write_bytes(png_bytes(VIDEO_SIZE, VIDEO_SIZE, frame(k)))
        command = [
            ffmpeg,
            "-hide_banner",
            "-loglevel",
            "error",
            "-y",
            "-framerate",
            "8",
            "-i",
            str(Path(tmp, "f%02d.png")),
            "-c:v",
            "libx264",
            "-preset",
            "medium",
            "-crf",
            "28",
            "-pix_fmt",
            "yuv420p",
            "-threads",
            "1",
            "-x264-params",
            "threads=1",
            "-map_metadata",
            "-1",
            "-fflags",
            "+bitexact",
            "-flags:v",
            "+bitexact",
            "-movflags",
            "+faststart",
            str(path),
        ]
        subprocess.run(command, check=True)


# --------------------------------------------------------------------------- main


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--out", type=Path, default=DEFAULT_OUT, help="output folder")
    parser.add_argument("--no-video", action="store_true", help="skip the ffmpeg step")
    args = parser.parse_args(argv)
    out: Path = args.out
    out.mkdir(parents=True, exist_ok=True)

    written: list[Path] = []
    for name, paint in IMAGES.items():
        # Painted on a 64x64 grid, written at 128x128 (some vision models reject tiny images).
        (out / name).write_bytes(png_bytes(IMAGE_SIZE, IMAGE_SIZE, _scaled(paint, IMAGE_SIZE // 64)))
        written.append(out / name)
    for name, freqs in SOUNDS.items():
        (out / name).write_bytes(wav_bytes(freqs))
        written.append(out / name)
    if not args.no_video:
        ffmpeg = shutil.which("ffmpeg")
        if ffmpeg is None:
            print(
                "ffmpeg not found: videos not regenerated (install ffmpeg or pass --no-video)",
                file=sys.stderr,
            )
            return 1
        for name, frame in VIDEOS.items():
            write_video(out / name, frame, ffmpeg)
            written.append(out / name)

    status = 0
    for path in written:
        size = path.stat().st_size
        flag = "" if size < MAX_BYTES else "  TOO LARGE"
        status |= bool(flag)
        print(f"{path.name:24} {size:7d} bytes{flag}")
    return status


if __name__ == "__main__":
    sys.exit(main())
