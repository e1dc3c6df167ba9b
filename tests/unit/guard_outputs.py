"""Guard-model outputs as the served models really write them, with where each was recorded.

Test fixtures only (never imported by the plugin). Each entry: the raw assistant text a chat
endpoint returns, and what the adapter must read from it.

Sources
-------
Kanana Safeguard (kakaocorp/kanana-safeguard-8b):
    the model card's example decodes one generated token with ``skip_special_tokens=False`` and prints
    ``<UNSAFE-S4>``; the verdict is a special token, so a vLLM server (``skip_special_tokens`` defaults
    to true) returns an empty string unless the request sets it false. mozilla-ai/any-guardrail
    ``guardrails/kanana_safeguard/kanana_safeguard.py`` generates with ``skip_special_tokens=False``
    ("the verdict itself is a special token") and searches ``<(SAFE|UNSAFE-([A-Z]\\d+))>``; only the
    ``-8b`` variant is trained to judge an assistant turn (``-siren-8b``: I1-I4, ``-prompt-2.1b``: A1/A2).
Qwen3Guard-Gen (QwenLM/Qwen3Guard README, response moderation through vLLM's OpenAI API):
    ``Safety: Safe\\nCategories: None\\nRefusal: Yes``; prompt moderation ``Safety: Unsafe\\nCategories:
    Violent``; the README's parser uses ``re.findall`` over the category names, i.e. several may appear.
Llama Guard 3/4 (meta-llama/PurpleLlama model cards; vllm-project/vllm#9294 for the 3-1B chat
template, which iterates ``message['content']`` as parts; JoshuaC215/agent-service-toolkit#122 for
the drift ``['unsafe ', 'S1, S2']``; ogx-ai/ogx#5045 "less strict parsing of safety categories"):
    ``safe`` / ``unsafe\\nS1`` with the two blank lines vLLM leaves from the template's header.
"""

from __future__ import annotations

KANANA = {
    "<SAFE>": ("safe", ()),
    "<UNSAFE-S4>": ("unsafe", ("S4",)),
    "UNSAFE-S1": ("unsafe", ("S1",)),  # a server that renders the token without its brackets
    "<UNSAFE-S6><|eot_id|>": ("unsafe", ("S6",)),  # special tokens kept, the end-of-turn token too
}
KANANA_PROMPT_ONLY = ("<UNSAFE-I2>", "<UNSAFE-A1>")  # -siren / -prompt verdicts: not answer verdicts

QWEN3GUARD = {
    "Safety: Safe\nCategories: None\nRefusal: Yes": ("safe", (), True),
    "Safety: Unsafe\nCategories: Violent\nRefusal: No": ("unsafe", ("Violent",), False),
    "Safety: Unsafe\nCategories: Violent, Non-violent Illegal Acts\nRefusal: No":
        ("unsafe", ("Violent", "Non-violent Illegal Acts"), False),
    "Safety: Controversial\nCategories: Politically Sensitive Topics\nRefusal: No":
        ("controversial", ("Politically Sensitive Topics",), False),
    "<think>\n\n</think>\n\nSafety: Safe\nCategories: None\nRefusal: No": ("safe", (), False),
}

LLAMAGUARD = {
    "\n\nsafe": ("safe", ()),
    "\n\nunsafe\nS1": ("unsafe", ("S1",)),
    "unsafe \nS1, S2": ("unsafe", ("S1", "S2")),  # agent-service-toolkit#122
    "unsafe\nS9,S11": ("unsafe", ("S9", "S11")),
    "unsafe S10": ("unsafe", ("S10",)),
    "\n\nunsafe\nS2<|eot_id|>": ("unsafe", ("S2",)),
}
LLAMAGUARD_REJECTED = ("unsafe\nS1\nThe response describes violence.", "I think this is safe", "safe\nS1")
