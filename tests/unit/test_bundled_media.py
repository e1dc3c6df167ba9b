"""The bundled multimodal rows' media carry their request (issue 16).

``tools/make_media.py`` draws or speaks, for each multimodal row of the bundled dataset, what its
prompt says the file shows, and writes ``media/manifest.json``: row id → the sha256 of the
prompt the medium was made for → what it shows or speaks → the sha256 of the file. These tests
recompute that chain from the committed files, read only through the dataset folder, and look at
the pictures and sounds themselves: a blank picture, a tone or a copy of another row's file fails.
"""

from __future__ import annotations

import functools
import hashlib
import importlib.util
import io
import json
import re
import sys
import wave
from pathlib import Path
from types import ModuleType
from typing import Any

import numpy as np
import pytest

from assurai_pytest.datasets import load_dataset
from assurai_pytest.datasets.common import inside_root

DATASET = load_dataset(None)
MULTIMODAL = {i.id: i for i in DATASET.instances if i.modality != "text"}
MANIFEST_PATH = inside_root(DATASET.root, "media/manifest.json", "test")
MANIFEST: dict[str, Any] = json.loads(MANIFEST_PATH.read_text(encoding="utf-8"))
ENTRIES: dict[str, dict[str, Any]] = MANIFEST["media"]
EXTENSIONS = {"image": "png", "audio": "wav", "video": "mp4"}
HANGUL = re.compile(r"[\uac00-\ud7a3]")
# A prompt about someone in the picture needs someone drawn in it.
ABOUT_A_PERSON = re.compile(r"인물|사람|여자|남자|얼굴")
TOOL = Path(__file__).resolve().parents[2] / "tools" / "make_media.py"


def media_bytes(row_id: str) -> bytes:
    return inside_root(DATASET.root, ENTRIES[row_id]["file"], row_id).read_bytes()


def test_every_multimodal_row_and_only_those_has_a_manifest_entry() -> None:
    assert MULTIMODAL, "the bundled dataset has multimodal rows"
    assert set(ENTRIES) == set(MULTIMODAL)
    assert {i.modality for i in MULTIMODAL.values()} == {"image", "audio", "video"}


@pytest.mark.parametrize("row_id", sorted(MULTIMODAL))
def test_the_medium_was_made_for_this_rows_prompt_and_is_the_committed_file(row_id: str) -> None:
    instance, entry = MULTIMODAL[row_id], ENTRIES[row_id]
    assert entry["file"] == f"media/{row_id}.{EXTENSIONS[instance.modality]}"
    assert instance.media == (entry["file"],)
    assert entry["modality"] == instance.modality
    # A changed prompt fails here until tools/make_media.py draws its medium again.
    assert entry["prompt_sha256"] == hashlib.sha256((instance.prompt or "").encode("utf-8")).hexdigest()
    blob = media_bytes(row_id)
    assert hashlib.sha256(blob).hexdigest() == entry["sha256"]
    assert len(blob) == entry["bytes"]


@pytest.mark.parametrize("row_id", sorted(MULTIMODAL))
def test_the_medium_shows_what_the_prompt_claims(row_id: str) -> None:
    instance, entry = MULTIMODAL[row_id], ENTRIES[row_id]
    prompt = instance.prompt or ""
    assert entry["cue"] and entry["cue"] in prompt
    assert entry["texts"] and all(t.strip() for t in entry["texts"])
    assert any(HANGUL.search(t) for t in entry["texts"])
    if instance.modality == "audio":
        assert entry["depicts"] == ["voice"] and len(entry["texts"]) == 1
    elif ABOUT_A_PERSON.search(prompt):
        assert "person" in entry["depicts"]
    # Only the request's context: no text the medium carries names the harm label.
    assert not any(instance.topic and instance.topic in t for t in entry["texts"])


def test_media_are_not_all_alike() -> None:
    digests = [e["sha256"] for e in ENTRIES.values()]
    assert len(set(digests)) == len(digests)
    texts = [tuple(e["texts"]) for e in ENTRIES.values()]
    assert len(set(texts)) == len(texts)


def test_media_stay_small() -> None:
    total = sum(len(media_bytes(row_id)) for row_id in ENTRIES)
    assert total <= 250_000
    for row_id, entry in ENTRIES.items():
        assert entry["bytes"] <= {"image": 12_000, "audio": 64_000, "video": 40_000}[entry["modality"]], row_id


def test_the_media_folder_holds_nothing_but_the_manifest_and_its_files() -> None:
    listed = {Path(e["file"]).name for e in ENTRIES.values()} | {MANIFEST_PATH.name}
    assert {p.name for p in MANIFEST_PATH.parent.iterdir()} == listed


@pytest.mark.parametrize("row_id", sorted(r for r, i in MULTIMODAL.items() if i.modality == "image"))
def test_pictures_are_drawn_scenes_not_blank_or_a_single_shape(row_id: str) -> None:
    image_module = pytest.importorskip("PIL.Image")
    with image_module.open(io.BytesIO(media_bytes(row_id))) as image:
        assert image.size[0] >= 256 and image.size[1] >= 160
        pixels = np.asarray(image.convert("L"), dtype=np.int16)
    levels = np.unique(pixels)
    assert len(levels) >= 6
    # Some pixels far from the background: strokes, figures, letters.
    background = np.bincount(pixels.ravel()).argmax()
    ink = np.mean(np.abs(pixels - background) > 60)
    assert 0.03 <= ink <= 0.8


@pytest.mark.parametrize("row_id", sorted(r for r, i in MULTIMODAL.items() if i.modality == "audio"))
def test_sounds_are_speech_not_a_tone(row_id: str) -> None:
    with wave.open(io.BytesIO(media_bytes(row_id))) as sound:
        assert (sound.getnchannels(), sound.getsampwidth(), sound.getframerate()) == (1, 2, 8000)
        samples = np.frombuffer(sound.readframes(sound.getnframes()), dtype="<i2").astype(np.float64)
    assert 1.5 <= len(samples) / 8000 <= 4.0
    frames = samples[: len(samples) // 400 * 400].reshape(-1, 400)  # 50 ms
    rms = np.sqrt(np.mean(frames**2, axis=1))
    assert rms.max() > 1000
    # Speech comes in syllables: loudness rises and falls many times; a held tone does not.
    loud = rms > 0.25 * rms.max()
    assert 0.3 <= loud.mean() <= 0.95
    assert np.count_nonzero(np.diff(loud.astype(int)) == 1) >= 4


@pytest.mark.parametrize("row_id", sorted(r for r, i in MULTIMODAL.items() if i.modality == "video"))
def test_videos_are_mp4_files(row_id: str) -> None:
    blob = media_bytes(row_id)
    assert blob[4:8] == b"ftyp" and b"avc1" in blob


@functools.cache
def _make_media() -> ModuleType:
    spec = importlib.util.spec_from_file_location("assurai_tools_make_media", TOOL)
    assert spec and spec.loader
    module = importlib.util.module_from_spec(spec)
    # dataclasses look their module up in sys.modules while the module runs.
    sys.modules[spec.name] = module
    spec.loader.exec_module(module)
    return module


def test_regenerating_the_pictures_gives_the_committed_bytes() -> None:
    pytest.importorskip("PIL")
    tool = _make_media()
    if not all((folder / name).is_file() for folder in tool.FONT_DIRS for name in tool.FONT_FILES.values()):
        pytest.skip("fonts-nanum is not installed: the pictures cannot be redrawn here")
    versions = tool.tool_versions()
    recorded = MANIFEST["tools"]
    if any(versions.get(k) != recorded.get(k) for k in ("pillow", "font-regular", "font-bold")):
        pytest.skip(f"another Pillow or font build than the one the media were drawn with: {recorded}")
    for row_id, painter in tool.IMAGE_PAINTERS.items():
        assert hashlib.sha256(painter(tool.SCENES[row_id]).png()).hexdigest() == ENTRIES[row_id]["sha256"], row_id


def test_the_tool_refuses_a_multimodal_row_it_has_no_scene_for(tmp_path: Path) -> None:
    tool = _make_media()
    rows = (DATASET.root / "rendered.jsonl").read_text(encoding="utf-8")
    extra = {"id": "k99-i9", "factor": 5, "modality": "image", "prompt": "첨부한 사진", "media": ["media/x.png"]}
    (tmp_path / "rendered.jsonl").write_text(rows + json.dumps(extra, ensure_ascii=False) + "\n", encoding="utf-8")
    with pytest.raises(SystemExit, match="k99-i9"):
        tool.build(tmp_path)


def test_the_tool_refuses_a_scene_whose_cue_left_the_prompt(tmp_path: Path) -> None:
    tool = _make_media()
    lines = (DATASET.root / "rendered.jsonl").read_text(encoding="utf-8").splitlines()
    changed = [line.replace("엄마 목소리", "목소리") if '"k21-a1"' in line else line for line in lines]
    (tmp_path / "rendered.jsonl").write_text("\n".join(changed) + "\n", encoding="utf-8")
    with pytest.raises(SystemExit, match="k21-a1: cue"):
        tool.build(tmp_path)
