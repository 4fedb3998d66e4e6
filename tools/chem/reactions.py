"""Apply a reaction SMARTS to reactants; enumeration runs in the isolated worker."""

from __future__ import annotations

from typing import Any

from rdkit import Chem
from rdkit.Chem import rdChemReactions

from models.rdkit_log import rdkit_messages
from tools.base import ToolInputError, ToolLimitError
from tools.chem.isolation import default_runner
from tools.chem.mol import ChemLimits, parse_smiles


def parse_reaction(smarts: str, limits: ChemLimits) -> rdChemReactions.ChemicalReaction:
    text = smarts.strip()
    if ">>" not in text:
        raise ToolInputError(
            f"invalid reaction SMARTS {text!r}: it needs reactants>>products, "
            "e.g. [C:1](=O)[OH]>>[C:1](=O)OC"
        )
    if len(text) > limits.max_smarts_length:
        raise ToolLimitError(
            f"reaction SMARTS is {len(text)} characters; the limit is {limits.max_smarts_length}"
        )
    with rdkit_messages() as log:
        try:
            rxn = rdChemReactions.ReactionFromSmarts(text)
        except ValueError:
            rxn = None
    if rxn is None:
        detail = "; ".join(m for m in log.lines if "Parse Error" in m)
        raise ToolInputError(
            f"invalid reaction SMARTS {text!r}" + (f": {detail}" if detail else "")
        )
    return rxn


def enumerate_products(
    reaction: str, reactants: list[str], max_products: int
) -> list[dict[str, Any]]:
    """Worker side: run the reaction and return unique, sanitised product sets."""
    rxn = rdChemReactions.ReactionFromSmarts(reaction)
    mols = [Chem.MolFromSmiles(s) for s in reactants]
    seen: set[str] = set()
    out: list[dict[str, Any]] = []
    rejected: list[str] = []
    for product_set in rxn.RunReactants(tuple(mols), maxProducts=max_products):
        smiles = []
        try:
            for p in product_set:
                Chem.SanitizeMol(p)
                smiles.append(Chem.MolToSmiles(p))
        except Exception as exc:  # chemically impossible product (bad valence): skipped
            rejected.append(" ".join(str(exc).split()) or type(exc).__name__)
            continue
        key = ".".join(smiles)
        if key not in seen:
            seen.add(key)
            out.append({"products": smiles, "smiles": key})
    if rejected and not out:
        # The template matched: "does not apply" would be wrong. Say what went wrong instead.
        raise ToolInputError(
            f"the reaction template matches the reactants, but all {len(rejected)} product "
            f"set(s) it makes are chemically impossible ({rejected[0]}); check the template's "
            "bond orders, charges and explicit hydrogens"
        )
    return out


def apply_reaction(reaction: str, reactants: list[str], limits: ChemLimits) -> list[dict[str, Any]]:
    """Products of `reaction` applied to `reactants` (one SMILES per reactant template)."""
    rxn = parse_reaction(reaction, limits)
    need = rxn.GetNumReactantTemplates()
    if len(reactants) != need:
        raise ToolInputError(
            f"the reaction has {need} reactant template(s) but {len(reactants)} reactant(s) were given"
        )
    canonical = [Chem.MolToSmiles(parse_smiles(s, limits)) for s in reactants]
    return list(
        default_runner().call(
            __name__,
            "enumerate_products",
            limits.smarts_timeout_s,
            reaction=reaction.strip(),
            reactants=canonical,
            max_products=limits.max_products,
        )
    )
