"""Named reactions (esterification, amide coupling, reductions, Suzuki ...) applied to reactants.

The reactions are data (`data/reactions.toml`): a name, the phrases and reagents that signal it,
and atom-mapped reaction SMARTS. Applying one runs the templates through `apply_reaction` (the
killable RDKit worker), trying the reactants in every order a two-reactant template needs, so
"esterify ethanol with acetic acid" and "acetic acid with ethanol" give the same ester.
"""

from __future__ import annotations

import itertools
import tomllib
from dataclasses import dataclass
from functools import cache
from importlib import resources
from typing import Any

from rdkit.Chem import rdChemReactions

from tools.base import ToolInputError
from tools.chem.mol import ChemLimits, canonical_smiles
from tools.chem.reactions import apply_reaction

MAX_ROUNDS = 6


@dataclass(frozen=True)
class NamedReaction:
    key: str
    name: str
    phrases: tuple[str, ...]
    reagents: tuple[str, ...]
    smarts: tuple[str, ...]
    repeat: bool = False


@cache
def reaction_table() -> dict[str, NamedReaction]:
    raw = tomllib.loads(
        (resources.files("tools.chem") / "data" / "reactions.toml").read_text("utf-8")
    )
    table = {}
    for r in raw["reaction"]:
        for s in r["smarts"]:
            if rdChemReactions.ReactionFromSmarts(s) is None:
                raise ValueError(f"bad reaction SMARTS for {r['key']}: {s}")
        table[r["key"]] = NamedReaction(
            r["key"], r["name"], tuple(r["phrases"]), tuple(r["reagents"]), tuple(r["smarts"]),
            bool(r.get("repeat", False)),
        )  # fmt: skip
    return table


def _templates(smarts: str) -> int:
    return int(rdChemReactions.ReactionFromSmarts(smarts).GetNumReactantTemplates())


def _exhaust(reaction: NamedReaction, smiles: str, limits: ChemLimits) -> tuple[list[str], str]:
    """Apply the one-reactant templates until none matches; (final fragments, templates used)."""
    pool, used = [smiles], []
    for _ in range(MAX_ROUNDS):
        changed = False
        for template in (t for t in reaction.smarts if _templates(t) == 1):
            nxt = []
            for s in pool:
                try:
                    sets = apply_reaction(template, [s], limits)
                except ToolInputError:
                    sets = []
                if sets:
                    nxt.extend(sets[0]["products"])
                    changed = True
                    used.append(template)
                else:
                    nxt.append(s)
            pool = nxt
        if not changed:
            break
    return list(dict.fromkeys(pool)), " ; ".join(dict.fromkeys(used))


def run_named_reaction(key: str, reactants: list[str], limits: ChemLimits) -> dict[str, Any]:
    """Products of the named reaction on `reactants`, with the template that made them."""
    table = reaction_table()
    if key not in table:
        raise ToolInputError(f"unknown named reaction {key!r}; known: {', '.join(sorted(table))}")
    reaction = table[key]
    given = [canonical_smiles(s, limits) for s in reactants]
    if reaction.repeat:
        outcomes = []
        for s in given:
            products, used = _exhaust(reaction, s, limits)
            if used:
                outcomes.append({"reactants": [s], "products": products, "template": used})
        if outcomes:
            return {"reaction": reaction.name, "key": key, "outcomes": outcomes}
    for template in reaction.smarts:
        n = _templates(template)
        if n > len(given):
            continue
        outcomes = []
        orders = itertools.permutations(given, n) if n > 1 else ([s] for s in given)
        for order in orders:
            sets = apply_reaction(template, list(order), limits)
            for ps in sets:
                outcomes.append(
                    {"reactants": list(order), "products": ps["products"], "template": template}
                )
        if outcomes:
            unique = {tuple(o["products"]): o for o in outcomes}
            return {"reaction": reaction.name, "key": key, "outcomes": list(unique.values())}
    need = max(_templates(t) for t in reaction.smarts)
    raise ToolInputError(
        f"the {reaction.name} templates match none of the given reactants ({', '.join(given)})"
        + (f"; it needs {need} reactants" if need > len(given) else "")
    )
