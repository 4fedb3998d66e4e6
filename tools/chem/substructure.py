"""SMARTS/SMILES substructure search over a list of molecules, bounded in size and time.

Validation runs in-process (cheap, gives precise errors); matching runs in the isolated worker
because its cost cannot be bounded up front (see `tools.chem.isolation`).
"""

from __future__ import annotations

import re
from typing import Any

from rdkit import Chem

from models.rdkit_log import rdkit_messages
from tools.base import ToolInputError, ToolLimitError
from tools.chem.isolation import default_runner
from tools.chem.mol import ChemLimits

_MAX_RECURSION_DEPTH = 3


def _recursion_depth(smarts: str) -> int:
    depth = best = 0
    stack: list[bool] = []
    for i, ch in enumerate(smarts):
        if ch == "(":
            is_recursive = i > 0 and smarts[i - 1] == "$"
            stack.append(is_recursive)
            depth += is_recursive
            best = max(best, depth)
        elif ch == ")" and stack:
            depth -= stack.pop()
    return best


def parse_query(pattern: str, limits: ChemLimits) -> Chem.Mol:
    """Read a SMARTS (or SMILES used as a pattern) and check it against the limits."""
    text = pattern.strip()
    if not text:
        raise ToolInputError("empty substructure pattern: give SMARTS such as C(=O)[OX2H1]")
    if len(text) > limits.max_smarts_length:
        raise ToolLimitError(
            f"pattern is {len(text)} characters; the limit is {limits.max_smarts_length} "
            "(setting chem.max_smarts_length)"
        )
    if _recursion_depth(text) > _MAX_RECURSION_DEPTH:
        raise ToolLimitError(
            f"pattern nests recursive SMARTS $(...) more than {_MAX_RECURSION_DEPTH} deep"
        )
    with rdkit_messages() as log:
        query = Chem.MolFromSmarts(text)
    if query is None:
        detail = next((m for m in log.lines if "Parse Error" in m), "")
        detail = re.sub(r"^SMARTS Parse Error:\s*", "", detail)
        raise ToolInputError(
            f"invalid SMARTS {text!r}"
            + (f": {detail}" if detail else "")
            + "; atoms in brackets like [OX2H1], bonds - = # ~ :"
        )
    if query.GetNumAtoms() > limits.max_smarts_atoms:
        raise ToolLimitError(
            f"pattern has {query.GetNumAtoms()} atoms; the limit is {limits.max_smarts_atoms} "
            "(setting chem.max_smarts_atoms)"
        )
    return query


def match_all(pattern: str, smiles: list[str], max_matches: int) -> list[dict[str, Any]]:
    """Worker side: match a validated pattern against canonical SMILES (runs in the child)."""
    query = Chem.MolFromSmarts(pattern)
    params = Chem.SubstructMatchParameters()
    params.maxMatches = max_matches  # type: ignore[assignment]  # RDKit stub types it wrongly
    out = []
    for smi in smiles:
        mol = Chem.MolFromSmiles(smi)
        hits = mol.GetSubstructMatches(query, params)
        out.append(
            {
                "smiles": smi,
                "match": bool(hits),
                "n_matches": len(hits),
                "atoms": [list(h) for h in hits[:10]],
            }
        )
    return out


def substructure_search(
    pattern: str, smiles: list[str], limits: ChemLimits, max_matches: int = 1000
) -> list[dict[str, Any]]:
    """Which molecules contain `pattern`, with match counts and the first atom mappings."""
    from tools.chem.mol import parse_smiles

    parse_query(pattern, limits)
    if len(smiles) > limits.max_search_molecules:
        raise ToolLimitError(
            f"{len(smiles):,} molecules given; the limit is {limits.max_search_molecules:,} per search"
        )
    canonical = [Chem.MolToSmiles(parse_smiles(s, limits)) for s in smiles]
    return list(
        default_runner().call(
            __name__,
            "match_all",
            limits.smarts_timeout_s,
            pattern=pattern.strip(),
            smiles=canonical,
            max_matches=max_matches,
        )
    )
