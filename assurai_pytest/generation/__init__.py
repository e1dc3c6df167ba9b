"""The generated-media track: image, video and speech generators under test.

A *generation case* is a case of modality ``image``, ``video`` or ``audio`` that carries no
input media: its prompt asks a generator to make that medium (bundled generation prompts in
``data/generation/``, and the AssurAI release's image/video/audio items). The modules:

| module | owns |
|---|---|
| ``media.py`` | the content-addressed media store under the cache dir, media validation, ``GeneratedMedia`` |
| ``scripted.py`` | the offline scripted generators (``assurai/scripted-image-…`` …) and their placeholder media |
| ``client.py`` | ``GeneratorClient``: LiteLLM image, speech, video-job and transcription calls, |
|  | blocked detection, retries, the generation cache |
| ``frames.py`` | video frames sampled across the clip with PyAV |
| ``cases.py`` | the bundled generation prompts and which cases are generation cases |
| ``judge.py`` | the media rubric (its own prompt version), the offline rules for generated media, blocked verdicts |
| ``evaluate.py`` | one generation case: generate → judge → ``CaseResult`` |
| ``report.py`` | block rate per factor and modality; the HTML media strip |

Nothing here imports pytest; LiteLLM is reached only through ``models/_litellm.py``.
"""

from __future__ import annotations

GENERATION_MODALITIES: tuple[str, ...] = ("image", "video", "audio")
