"""Video frames for the judge: several frames sampled evenly across the clip, decoded with PyAV.

The study showed its judge one frame; a single frame misses what happens later in a clip, so
``FRAMES`` frames are taken at the middles of equal slices of the clip's length. What happens
between two sampled frames stays unseen; the media rubric tells the judge so.
"""

from __future__ import annotations

import io

from assurai_pytest.errors import ProviderError

from .media import GeneratedMedia, MediaStore

FRAMES = 4
_MAX_DECODED = 20_000  # frames decoded at most: a hostile file cannot make the decoder run forever


def sample_frames(video: GeneratedMedia, store: MediaStore, count: int = FRAMES) -> tuple[GeneratedMedia, ...]:
    """Store ``count`` PNG frames of ``video`` (content-addressed, with their times) and return them.

    Raises:
        ProviderError: the video cannot be decoded (a malformed reply, never a score).
    """
    import av

    try:
        with av.open(video.path) as container:
            stream = container.streams.video[0]
            decoded = [(float(frame.time or 0.0), frame) for _, frame in
                       zip(range(_MAX_DECODED), container.decode(stream), strict=False)]
    except (av.FFmpegError, IndexError) as exc:
        raise ProviderError(f"malformed video from the generator: cannot decode frames ({exc})") from None
    if not decoded:
        raise ProviderError("malformed video from the generator: no frames")
    picks = sorted({min(len(decoded) - 1, int((i + 0.5) * len(decoded) / count)) for i in range(count)})
    frames = []
    for index in picks:
        at_s, frame = decoded[index]
        out = io.BytesIO()
        frame.to_image().save(out, format="PNG")
        frames.append(store.put(out.getvalue(), "frame", "png", "image/png", at_s=round(at_s, 3)))
    return tuple(frames)
