"""The members of Schedule 1's families, enumerated, so an InChIKey can be recognised.

An InChIKey is a hash: a key in a question cannot be turned back into a structure offline, so a
family member the lists do not name (the n-butyl ester of the sarin family, say) is recognised
by its key only if the key was computed beforehand. The Schedule defines each family by its
substituents (Annex on Chemicals, Schedule 1: "O-alkyl (<=C10, incl. cycloalkyl)", "alkyl (Me,
Et, n-Pr or i-Pr)", "dialkyl (Me, Et, n-Pr or i-Pr)amino" ...); this module writes every member
with the O-alkyl groups up to six carbons (all isomers), the n-alkyl groups up to ten and the
common cycloalkyls, and keeps the InChIKey skeleton (first block) of each. Computed once, on the
first InChIKey seen (about half a second).
"""

from __future__ import annotations

import itertools
from functools import cache

from rdkit import Chem

from models.rdkit_log import rdkit_messages

P_ALKYL = ("C", "CC", "CCC", "C(C)C")  # Me, Et, n-Pr, i-Pr
CYCLOALKYL = ("C1CC1", "C1CCC1", "C1CCCC1", "C1CCCCC1", "C1CCCCCC1", "C1CCCCCCC1", "C1CCC(C)CC1")


def _alkyl_isomers(max_carbons: int) -> list[str]:
    """Every acyclic alkyl group up to `max_carbons`, written from its attachment atom."""
    seen: set[str] = set()
    frontier = {"*C"}
    for _ in range(max_carbons):
        seen |= frontier
        grown: set[str] = set()
        for smi in frontier:
            mol = Chem.MolFromSmiles(smi)
            for atom in mol.GetAtoms():
                if atom.GetSymbol() == "C" and atom.GetDegree() < 4:
                    rw = Chem.RWMol(mol)
                    new = rw.AddAtom(Chem.Atom(6))
                    rw.AddBond(atom.GetIdx(), new, Chem.BondType.SINGLE)
                    grown.add(Chem.MolToSmiles(rw))
        frontier = grown - seen
    out = []
    for smi in sorted(seen):
        mol = Chem.MolFromSmiles(smi)
        star = next(a.GetIdx() for a in mol.GetAtoms() if a.GetSymbol() == "*")
        out.append(Chem.MolToSmiles(mol, rootedAtAtom=star)[1:])
    return out


def o_alkyl() -> list[str]:
    """O-alkyl groups of the Schedule's "<=C10, incl. cycloalkyl": all isomers to C6, the
    n-alkyls to C10, and the common cycloalkyls."""
    return [*_alkyl_isomers(6), *("C" * n for n in range(7, 11)), *CYCLOALKYL]


def _members() -> dict[str, list[str]]:
    alkoxy = o_alkyl()
    amino = [f"N({a}){b}" for a, b in itertools.combinations_with_replacement(P_ALKYL, 2)]
    ylidene = ("", "C", "CC", "CCC", "C(C)C")  # H or alkyl on the amidine carbon
    return {  # phosphorus first, so every group is written from its attachment atom
        "1.A.1": [f"P(=O)(F)({r})O{o}" for r in P_ALKYL for o in alkoxy],
        "1.A.2": [f"P(=O)(C#N)({n})O{o}" for o in alkoxy for n in amino],
        "1.A.3": [f"P(=O)({r})(O{o})SCC{n}" for r in P_ALKYL for o in ("", *alkoxy) for n in amino],
        "1.A.13": [
            f"P(=O)(F)({r})N=C{y}{n}"
            for r in ("[H]", *P_ALKYL)
            for y in ("", *(f"({g})" for g in ylidene if g))
            for n in amino
        ],
        "1.A.14": [
            f"P(=O)(F)(O{o})N=C{y}{n}"
            for o in ("", *P_ALKYL, "CCCC")
            for y in ("", *(f"({g})" for g in ylidene if g))
            for n in amino
        ],
        "1.B.9": [f"P(=O)(F)(F){r}" for r in P_ALKYL],
        "1.B.10": [f"P({r})(O{o})OCC{n}" for r in P_ALKYL for o in ("", *alkoxy) for n in amino],
    }


@cache
def family_keys() -> dict[str, str]:
    """InChIKey skeleton (first 14 characters) -> the Schedule 1 item its structure falls under."""
    keys: dict[str, str] = {}
    with rdkit_messages():
        for item, smiles in _members().items():
            for smi in smiles:
                mol = Chem.MolFromSmiles(smi)
                if mol is None:  # a template error must not pass silently
                    raise ValueError(f"bad family member SMILES {smi} ({item})")
                key = Chem.MolToInchiKey(mol)
                if key:
                    keys.setdefault(key[:14], item)
    return keys
