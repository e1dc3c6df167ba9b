"""Generated media on disk: a content-addressed store under the cache folder, and validation.

Every file is named by the sha256 of its bytes (``<root>/<sha256>.<ext>``), never by dataset
or model text, and lives under the store's root only. What a provider sends is hostile: an
image must decode as a known image format (Pillow ``verify``), audio as WAV/MP3/other known
containers, video as a container PyAV can open; anything else is a malformed reply (an error,
never a score).
"""

from __future__ import annotations

import hashlib
import io
import os
import uuid
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from assurai_pytest.errors import ProviderError

STORE_FOLDER = "generated"
MAX_MEDIA_BYTES = 64 * 1024 * 1024  # a reply larger than this is refused, not written
_IMAGE_FORMATS = {"PNG": ("png", "image/png"), "JPEG": ("jpg", "image/jpeg"), "WEBP": ("webp", "image/webp"),
                  "GIF": ("gif", "image/gif")}
_AUDIO_MAGIC = ((b"RIFF", 8, b"WAVE", "wav", "audio/wav"), (b"ID3", 0, b"", "mp3", "audio/mpeg"),
                (b"\xff\xfb", 0, b"", "mp3", "audio/mpeg"), (b"\xff\xf3", 0, b"", "mp3", "audio/mpeg"),
                (b"OggS", 0, b"", "ogg", "audio/ogg"), (b"fLaC", 0, b"", "flac", "audio/flac"))


@dataclass(frozen=True)
class GeneratedMedia:
    """One stored file: what it is, where it lives, its hash and size."""

    kind: str  # "image" | "video" | "audio" | "frame"
    mime: str
    sha256: str
    path: str  # absolute, inside the store
    size: int
    at_s: float | None = None  # a video frame's time in the clip

    def to_dict(self) -> dict[str, Any]:
        """A JSON-safe dict (:meth:`from_dict` reads it back)."""
        return dict(vars(self))

    @classmethod
    def from_dict(cls, data: dict[str, Any]) -> GeneratedMedia:
        """Rebuild from :meth:`to_dict` output."""
        return cls(**data)


class MediaStore:
    """Content-addressed files under ``<cache_dir>/generated``."""

    def __init__(self, cache_dir: Path) -> None:
        """Use (and create on the first write) ``<cache_dir>/generated``."""
        self.root = (Path(cache_dir) / STORE_FOLDER).resolve()

    def put(self, data: bytes, kind: str, ext: str, mime: str, at_s: float | None = None) -> GeneratedMedia:
        """Write ``data`` as ``<sha256>.<ext>`` (once: an existing file of that hash is kept).

        Args:
            data: the validated bytes.
            kind: image, video, audio or frame.
            ext: the extension, from validation (never from the provider).
            mime: the media type.
            at_s: a frame's time in its clip.
        """
        digest = hashlib.sha256(data).hexdigest()
        path = self.root / f"{digest}.{ext}"
        if not path.is_file():
            self.root.mkdir(parents=True, exist_ok=True)
            temp = self.root / f".{digest}.{os.getpid()}.{uuid.uuid4().hex}.tmp"
            try:
                with open(temp, "xb") as handle:
                    handle.write(data)
                os.replace(temp, path)
            except BaseException:
                temp.unlink(missing_ok=True)
                raise
        return GeneratedMedia(kind, mime, digest, str(path), len(data), at_s)

    def owns(self, path: str) -> bool:
        """Whether ``path`` is a file of this store (reused cache entries are checked with it)."""
        resolved = Path(path).resolve()
        return resolved.parent == self.root and resolved.is_file()


def check_image(data: bytes) -> tuple[str, str]:
    """The extension and media type of an image, validated by decoding it.

    Raises:
        ProviderError: not an image of a known format, or damaged (a malformed reply, not retried).
    """
    from PIL import Image, UnidentifiedImageError

    _check_size(data, "image")
    try:
        with Image.open(io.BytesIO(data)) as image:
            fmt = image.format or ""
            image.verify()
    except (UnidentifiedImageError, OSError, SyntaxError, ValueError) as exc:
        why = type(exc).__name__
        raise ProviderError(f"malformed image from the generator: not a decodable image ({why})") from None
    if fmt not in _IMAGE_FORMATS:
        raise ProviderError(f"malformed image from the generator: unsupported format {fmt or 'unknown'}")
    return _IMAGE_FORMATS[fmt]


def check_audio(data: bytes) -> tuple[str, str]:
    """The extension and media type of generated audio, from its container's magic bytes.

    Raises:
        ProviderError: empty or of no known audio container.
    """
    _check_size(data, "audio")
    for magic, offset, second, ext, mime in _AUDIO_MAGIC:
        if data.startswith(magic) and (not second or data[offset:offset + len(second)] == second):
            return ext, mime
    raise ProviderError("malformed audio from the generator: not WAV, MP3, Ogg or FLAC")


def check_video(data: bytes) -> tuple[str, str]:
    """The extension and media type of a generated video, opened with PyAV.

    Raises:
        ProviderError: PyAV cannot open it or it holds no video stream.
    """
    import av

    _check_size(data, "video")
    try:
        with av.open(io.BytesIO(data)) as container:
            if not container.streams.video:
                raise ProviderError("malformed video from the generator: no video stream")
            name = container.format.name or ""
    except av.FFmpegError as exc:
        raise ProviderError(f"malformed video from the generator: {exc}") from None
    if "webm" in name:
        return "webm", "video/webm"
    return "mp4", "video/mp4"


CHECKS = {"image": check_image, "audio": check_audio, "video": check_video}


def _check_size(data: bytes, what: str) -> None:
    if not data:
        raise ProviderError(f"malformed {what} from the generator: no bytes")
    if len(data) > MAX_MEDIA_BYTES:
        raise ProviderError(f"{what} from the generator is larger than {MAX_MEDIA_BYTES} bytes")
