"""The JSON schema an LLM plan must match, built from the registered tools. Pure.

Molecule arguments are enums of the molecules in play (written in the question, resolved by a
tool, read from an image, or from the last turn), and image arguments of the question's images,
so even a weak model cannot invent a structure or a file: it can only choose which known
molecule or image a tool runs on. Free strings get length
limits, so constrained decoding always ends.
"""

from __future__ import annotations

import copy
from dataclasses import dataclass, field
from typing import Any

from agent.planners.base import ToolSpec

# A weak model pads the list to the maximum with repeats (about 2 s of decoding each on a
# CPU); four calls cover one question's molecules and quantities, and the plan loops anyway.
MAX_CALLS = 4
FREE_STRING_CHARS = 300
FREE_ARRAY_ITEMS = 12


@dataclass
class Candidates:
    """What molecule-valued arguments may be: SMILES (with the user's label) and names."""

    smiles: dict[str, str] = field(default_factory=dict)
    names: list[str] = field(default_factory=list)
    invalid: list[str] = field(default_factory=list)
    images: list[str] = field(default_factory=list)

    def add_smiles(self, smiles: str, label: str | None) -> None:
        if smiles not in self.smiles or self.smiles[smiles] == smiles:
            self.smiles[smiles] = label or smiles


def _inline_refs(schema: dict[str, Any]) -> dict[str, Any]:
    defs = schema.get("$defs", {})

    def walk(node: Any) -> Any:
        if isinstance(node, dict):
            if "$ref" in node:
                return walk(copy.deepcopy(defs[node["$ref"].split("/")[-1]]))
            return {k: walk(v) for k, v in node.items() if k not in ("$defs", "title")}
        if isinstance(node, list):
            return [walk(v) for v in node]
        return node

    out: dict[str, Any] = walk(schema)
    return out


def _kind(name: str, prop: dict[str, Any]) -> str:
    """smiles | name | image | free: what a tool argument holds, from its name and description."""
    text = str(prop.get("description", ""))
    if name in ("name", "identifier"):
        return "name"
    if name == "image":
        return "image"
    if "SMILES" in text and "SMARTS" not in text:
        return "smiles"
    return "free"


def _limit(prop: dict[str, Any], values: list[str] | None) -> dict[str, Any] | None:
    """`prop` with molecule values as an enum and free strings/arrays bounded; None if no value
    can be given."""
    prop = dict(prop)
    if prop.get("type") == "array" and isinstance(prop.get("items"), dict):
        items = _limit(prop["items"], values)
        if items is None:
            return None
        prop["items"] = items
        prop.setdefault("maxItems", FREE_ARRAY_ITEMS)
        return prop
    if prop.get("type") == "string" and "enum" not in prop:
        if values is not None:
            if not values:
                return None
            return {"enum": values, "description": prop.get("description", "")}
        # A plan's free text (a literature query, a question for the model) is short; a tool
        # may accept more, but decoding up to its limit costs seconds per plan.
        prop["maxLength"] = min(int(prop.get("maxLength", FREE_STRING_CHARS)), FREE_STRING_CHARS)
    return prop


def tool_choice(spec: ToolSpec, cands: Candidates) -> dict[str, Any] | None:
    """The schema of one call of `spec` ({"tool": name, "args": {...}}), or None when one of
    its required molecule arguments has no candidate."""
    params = _inline_refs(dict(spec.parameters))
    required = set(params.get("required", []))
    props: dict[str, Any] = {}
    for name, prop in params.get("properties", {}).items():
        kind = _kind(name, prop)
        values = None
        if kind == "smiles":
            values = [*cands.smiles, *cands.invalid]
        elif kind == "name":
            values = list(cands.names) + (list(cands.smiles) if name == "identifier" else [])
        elif kind == "image":
            values = list(cands.images)
        limited = _limit(prop, values)
        if limited is None:
            if name in required:
                return None
            continue
        props[name] = limited
    args = {
        "type": "object",
        "properties": props,
        "required": sorted(required & set(props)),
        "additionalProperties": False,
    }
    return {
        "type": "object",
        "properties": {"tool": {"const": spec.name}, "args": args},
        "required": ["tool", "args"],
        "additionalProperties": False,
    }


def plan_schema(
    tools: list[ToolSpec], cands: Candidates, must_act: bool
) -> tuple[dict[str, Any], dict[str, dict[str, Any]]]:
    """The plan schema and, per offered tool, its call schema (for validating replies).

    Two shapes, so the schema allows exactly what the validator accepts: `"next": "tools"`
    with one to `MAX_CALLS` calls, or `"next": "answer"` with none. `must_act`: the first step
    of a question about known molecules has to call a tool, because every claim in an answer
    has to come from one.
    """
    offered = {t.name: s for t in tools if (s := tool_choice(t, cands)) is not None}
    answer = {
        "type": "object",
        "properties": {"next": {"const": "answer"}, "calls": {"type": "array", "maxItems": 0}},
        "required": ["next", "calls"],
        "additionalProperties": False,
    }
    if not offered:
        return answer, offered
    act = {
        "type": "object",
        "properties": {
            "next": {"const": "tools"},
            "calls": {
                "type": "array",
                "items": {"anyOf": list(offered.values())},
                "minItems": 1,
                "maxItems": MAX_CALLS,
            },
        },
        "required": ["next", "calls"],
        "additionalProperties": False,
    }
    return (act if must_act else {"anyOf": [act, answer]}), offered


def check_call(tool: str, args: dict[str, Any], offered: dict[str, dict[str, Any]]) -> str | None:
    """What is wrong with a proposed call (for servers that do not enforce the schema)."""
    if tool not in offered:
        return f"tool {tool!r} is not one of {', '.join(offered) or 'none'}"
    spec = offered[tool]["properties"]["args"]
    props: dict[str, Any] = spec["properties"]
    for key in spec["required"]:
        if key not in args:
            return f"{tool}: missing argument {key!r}"
    for key, value in args.items():
        if key not in props:
            return f"{tool}: unknown argument {key!r}; it takes {', '.join(props)}"
        allowed = props[key].get("enum") or props[key].get("items", {}).get("enum")
        values = value if isinstance(value, list) else [value]
        if allowed and any(v not in allowed for v in values):
            return f"{tool}: {key} must be one of {', '.join(map(str, allowed))}"
    return None
