"""Dialogues as training examples: the model's dialogue format, loss on assistant tokens only.

A dialogue is rendered with the same chat template the agent prompts with (ChemDFM's
`[Round n]` format or the checkpoint's own), so training and inference see the same text. The
tokens the loss covers are found by rendering: the text an assistant turn adds to the
conversation is exactly the rendering of the first k+1 messages minus that of the first k with
the generation prompt, and the tokens inside those character spans are the ones labelled.
"""

from __future__ import annotations

import json
from collections.abc import Iterator
from pathlib import Path
from typing import Any, Literal

from pydantic import BaseModel, ConfigDict, Field

IGNORE = -100  # label of tokens the loss skips (PyTorch's cross-entropy ignore_index)


class Turn(BaseModel):
    model_config = ConfigDict(extra="forbid")

    role: Literal["system", "user", "assistant"]
    content: str


class Dialogue(BaseModel):
    """One training conversation; `images` are file paths for the multimodal recipe."""

    model_config = ConfigDict(extra="forbid")

    messages: list[Turn] = Field(min_length=2)
    source: str = ""
    images: list[str] = Field(default_factory=list)


def read_dialogues(path: Path) -> Iterator[Dialogue]:
    """Our {"messages": [...]} rows, ShareGPT {"conversations": [{"from", "value"}]} rows and
    Alpaca {"instruction", "input", "output"} rows, so public general sets load as they are."""
    roles = {
        "human": "user",
        "user": "user",
        "gpt": "assistant",
        "assistant": "assistant",
        "system": "system",
    }
    with path.open(encoding="utf-8") as fh:
        for i, line in enumerate(fh, 1):
            if not line.strip():
                continue
            try:
                row = json.loads(line)
                if "messages" in row:
                    yield Dialogue.model_validate(row)
                elif "conversations" in row:
                    msgs = [
                        {"role": roles[t["from"]], "content": t["value"]}
                        for t in row["conversations"]
                    ]
                    yield Dialogue(
                        messages=[Turn(**m) for m in msgs], source=row.get("source", path.stem)
                    )
                elif "instruction" in row:
                    prompt = row["instruction"] + (
                        f"\n\n{row['input']}" if row.get("input") else ""
                    )
                    yield Dialogue(
                        messages=[
                            Turn(role="user", content=prompt),
                            Turn(role="assistant", content=row["output"]),
                        ],
                        source=row.get("source", path.stem),
                    )
                else:
                    raise ValueError("expected messages, conversations or instruction/output")
            except (ValueError, KeyError) as exc:
                raise ValueError(f"{path}:{i}: not a dialogue ({exc})") from exc


def write_dialogues(dialogues: list[Dialogue], path: Path) -> None:
    """Write JSONL atomically: a killed build never leaves a half-written training file."""
    tmp = path.with_name(path.name + ".partial")
    path.parent.mkdir(parents=True, exist_ok=True)
    with tmp.open("w", encoding="utf-8") as fh:
        for d in dialogues:
            fh.write(d.model_dump_json(exclude_defaults=True) + "\n")
    tmp.replace(path)


def render(tokenizer: Any, messages: list[dict[str, str]], template: str | None, gen: bool) -> str:
    return str(
        tokenizer.apply_chat_template(
            messages, chat_template=template, tokenize=False, add_generation_prompt=gen
        )
    )


def assistant_spans(
    tokenizer: Any, dialogue: Dialogue, template: str | None
) -> tuple[str, list[tuple[int, int]]]:
    """The rendered text and the character spans the assistant wrote (content and the end of
    turn token; whitespace the template adds after it is not the assistant's)."""
    msgs = [m.model_dump() for m in dialogue.messages]
    text = render(tokenizer, msgs, template, gen=False)
    spans = []
    for k, m in enumerate(msgs):
        if m["role"] != "assistant":
            continue
        before = render(tokenizer, msgs[:k], template, gen=True)
        upto = render(tokenizer, msgs[: k + 1], template, gen=False)
        if not text.startswith(upto) or not upto.startswith(before):
            raise ValueError(
                "the chat template does not render the conversation incrementally (turn "
                f"{k} changes earlier text), so assistant tokens cannot be located"
            )
        end = len(upto.rstrip())
        spans.append((len(before), end))
    return text, spans


def tokenize_dialogue(
    tokenizer: Any, dialogue: Dialogue, template: str | None, max_len: int
) -> tuple[list[int], list[int]]:
    """input_ids and labels (IGNORE outside assistant spans), cut to `max_len` tokens."""
    text, spans = assistant_spans(tokenizer, dialogue, template)
    enc = tokenizer(text, add_special_tokens=False, return_offsets_mapping=True)
    ids: list[int] = enc["input_ids"]
    labels = [
        tok if any(a <= start < b for a, b in spans) else IGNORE
        for tok, (start, _end) in zip(ids, enc["offset_mapping"], strict=True)
    ]
    return ids[:max_len], labels[:max_len]


def padding_id(tokenizer: Any) -> int:
    """The tokenizer's pad token, or EOS where it has none (LLaMA's tokenizer)."""
    pad = tokenizer.pad_token_id
    return int(pad if pad is not None else tokenizer.eos_token_id)


def collate(rows: list[tuple[list[int], list[int]]], pad_id: int) -> dict[str, Any]:
    """Pad (input_ids, labels) rows to the longest: pad tokens are masked out and unlabelled."""
    import torch

    width = max(len(ids) for ids, _ in rows)
    ids = torch.full((len(rows), width), pad_id, dtype=torch.long)
    labels = torch.full((len(rows), width), IGNORE, dtype=torch.long)
    mask = torch.zeros((len(rows), width), dtype=torch.long)
    for i, (x, y) in enumerate(rows):
        ids[i, : len(x)] = torch.tensor(x)
        labels[i, : len(y)] = torch.tensor(y)
        mask[i, : len(x)] = 1
    return {"input_ids": ids, "labels": labels, "attention_mask": mask}
