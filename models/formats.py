"""Dialogue formats and the SMILES hygiene ChemDFM expects. Pure: strings in, strings out.

ChemDFM was instruction-tuned on `[Round n]\\nHuman: ...\\nAssistant: ...` dialogues with RDKit
canonical SMILES, so a question written with another SMILES spelling of the same molecule is a
different (rarer) string to it; canonicalising before the prompt is built costs nothing and
matches what it saw in training. The formats are Jinja chat templates so that exactly the same
text reaches the model whether vLLM renders it (`--chat-template`) or transformers does.
"""

from __future__ import annotations

import re
from typing import Literal

FormatName = Literal["chemdfm", "native"]

# The ChemDFM dialogue: no system role, so a system message opens the first Human turn.
CHEMDFM_TEMPLATE = (
    "{%- set ns = namespace(system='', round=0) -%}"
    "{%- for m in messages -%}"
    "{%- if m['role'] == 'system' -%}{%- set ns.system = ns.system + m['content'] + '\\n\\n' -%}"
    "{%- elif m['role'] == 'user' -%}"
    "{{ '[Round ' ~ ns.round ~ ']\\nHuman: ' ~ ns.system ~ m['content'] ~ '\\nAssistant:' }}"
    "{%- set ns.system = '' -%}{%- set ns.round = ns.round + 1 -%}"
    "{%- elif m['role'] == 'assistant' -%}{{ ' ' ~ m['content'] ~ eos_token ~ '\\n' }}"
    "{%- endif -%}"
    "{%- endfor -%}"
)

TEMPLATES: dict[str, str] = {"chemdfm": CHEMDFM_TEMPLATE}


def chat_template(fmt: FormatName) -> str | None:
    """The Jinja template for `fmt`; None means "use the checkpoint's own template"."""
    return TEMPLATES.get(fmt)


def render_chemdfm(turns: list[tuple[str, str]], question: str, system: str = "") -> str:
    """The ChemDFM prompt for earlier (question, answer) turns and a new question.

    The same text as `CHEMDFM_TEMPLATE` renders (checked by a test), written in Python so the
    format can be read here without Jinja.
    """
    parts = []
    for i, (q, a) in enumerate(turns):
        head = system + "\n\n" if system and i == 0 else ""
        parts.append(f"[Round {i}]\nHuman: {head}{q}\nAssistant: {a}</s>\n")
    head = system + "\n\n" if system and not turns else ""
    parts.append(f"[Round {len(turns)}]\nHuman: {head}{question}\nAssistant:")
    return "".join(parts)


_TOKEN = re.compile(r"(?<![\w\[\]()=#@+\-\\/%.])([^\s,;\"'`]+)")
_TRAILING = ".,;:!?\"')"


def canonicalize_smiles_in_text(text: str) -> str:
    """Rewrite every SMILES in `text` as RDKit canonical SMILES; prose is left alone.

    A token counts as SMILES only if it looks like one (see `models.smiles.looks_like_smiles`)
    and RDKit parses it; anything else, including invalid SMILES, is kept as written so the model
    sees what the user wrote.
    """
    # RDKit is imported on the first prompt that needs it, not with the formats.
    from models.smiles import canonical_or_none, looks_like_smiles

    def swap(m: re.Match[str]) -> str:
        token = m.group(1)
        head = ""
        while token.startswith("("):
            head, token = head + "(", token[1:]
        core = token.rstrip(_TRAILING)
        # A closing parenthesis can belong to the SMILES: keep it while brackets balance.
        while core != token and token[len(core)] == ")" and core.count("(") > core.count(")"):
            core = token[: len(core) + 1]
        tail = token[len(core) :]
        canonical = canonical_or_none(core) if looks_like_smiles(core) else None
        return head + token if canonical is None else head + canonical + tail

    return _TOKEN.sub(swap, text)
