"""Every setting with its default and description, read from the settings models themselves."""

import textwrap

from pydantic import BaseModel

from agent.settings import Settings


def show(model: type[BaseModel], section: str) -> None:
    """Print the plain fields of one settings section, then its nested sections."""
    nested = []
    lines = []
    for name, field in model.model_fields.items():
        kind = field.annotation
        if isinstance(kind, type) and issubclass(kind, BaseModel):
            nested.append((name, kind))
            continue
        default = "(computed)" if field.default_factory is not None else repr(field.default)
        lines.append(f"  {name} = {default}")
        text = field.description or ""
        lines.append(textwrap.fill(text, 96, initial_indent=" " * 6, subsequent_indent=" " * 6))
    if lines:
        print(f"[{section}]" if section else "(top level)")
        print("\n".join(lines))
    for name, kind in nested:
        show(kind, f"{section}.{name}" if section else name)


show(Settings, "")
