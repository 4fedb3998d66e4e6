"""Text from a client checked as storable before anything runs.

JSON may carry a lone UTF-16 surrogate (`"\\udc80"` is valid JSON) that no UTF-8 store can hold:
left unchecked it fails half-way through a question, after the turn was checkpointed, so the
client sees a 500 and a retry duplicates the turn. Checked at the boundary it is a clear 400 and
nothing is written."""

from __future__ import annotations

from typing import Annotated, Any

from pydantic import AfterValidator


class TextError(ValueError):
    """Text that cannot be stored (a lone surrogate); the message says where."""


def encodable(text: str) -> str:
    """`text` unchanged, or a `ValueError` naming the first character UTF-8 cannot hold."""
    try:
        text.encode("utf-8")
    except UnicodeEncodeError as exc:
        bad = text[exc.start]
        raise ValueError(
            f"the text holds a lone surrogate (U+{ord(bad):04X} at character {exc.start}), "
            "which is not a character; send valid UTF-8"
        ) from None
    return text


Text = Annotated[str, AfterValidator(encodable)]


def check_all(value: Any, where: str = "body") -> None:
    """Every string inside a JSON value, keys included, checked with `encodable`; raises
    `TextError` naming the first bad one's place (`args.smiles`, `targets[2]`)."""
    if isinstance(value, str):
        try:
            encodable(value)
        except ValueError as exc:
            raise TextError(f"{where}: {exc}") from None
    elif isinstance(value, dict):
        for key, item in value.items():
            check_all(key, where)
            check_all(item, f"{where}.{key}")
    elif isinstance(value, list | tuple):
        for i, item in enumerate(value):
            check_all(item, f"{where}[{i}]")
