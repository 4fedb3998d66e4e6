"""What a question must be before it is asked: checked once, by every interface, before anything
is stored.

Its own module so that both the `Assistant` (agent.api) and the batch runner (agent.batch), and the
CLI and HTTP layers, can refuse a bad question without importing each other.
"""

from __future__ import annotations

import re
from pathlib import Path

MAX_QUESTION_CHARS = 20_000
# NUL and the other C0/C1 controls (tab, newline and carriage return are text).
_CONTROL = re.compile(r"[\x00-\x08\x0b\x0c\x0e-\x1f\x7f-\x9f]")


class QuestionError(ValueError):
    """The question itself cannot be asked (empty, too long, a missing image file)."""


def check_question(question: str, images: list[str] | None = None) -> tuple[str, list[str]]:
    """Validate input before anything is stored; returns the stripped question and image paths."""
    text = (question or "").strip()
    if bad := _CONTROL.search(text):
        raise QuestionError(
            f"the question contains a control character ({bad.group(0)!r}) at position "
            f"{bad.start() + 1}; remove it (text pasted from a binary file?) and ask again"
        )
    if not text:
        raise QuestionError(
            "empty question: ask about a molecule, e.g. 'What is the logP of aspirin?'"
        )
    if len(text) > MAX_QUESTION_CHARS:
        raise QuestionError(
            f"question is {len(text):,} characters; the limit is {MAX_QUESTION_CHARS:,}"
        )
    paths = []
    for img in images or []:
        p = Path(img).expanduser()
        if not p.is_file():
            raise QuestionError(f"image not found: {img}")
        paths.append(str(p.resolve()))
    return text, paths
