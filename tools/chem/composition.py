"""Atoms by element, net charge, and simple derivatives named relative to a molecule.

Counting carbons or building "the methyl ester of salicylic acid" are what chemists ask after
the formula; both are exact with RDKit, so no model is needed. Derivatives are the ones named by
a functional-group change (an ester of an acid, an acetate of an alcohol, an amide), applied to
every matching group, with the reaction written here as SMARTS.
"""

from __future__ import annotations

from collections import Counter
from dataclasses import dataclass

from rdkit import Chem
from rdkit.Chem import rdChemReactions

# Element names as questions write them, for the fields "carbon_atoms", ... (symbol -> name).
ELEMENTS: dict[str, str] = {
    "C": "carbon",
    "H": "hydrogen",
    "N": "nitrogen",
    "O": "oxygen",
    "S": "sulfur",
    "P": "phosphorus",
    "F": "fluorine",
    "Cl": "chlorine",
    "Br": "bromine",
    "I": "iodine",
    "B": "boron",
    "Si": "silicon",
    "Se": "selenium",
}


def atom_counts(mol: Chem.Mol) -> dict[str, int]:
    """Atoms of each element, implicit hydrogens included, in Hill order (C, H, then A-Z)."""
    counts: Counter[str] = Counter()
    for atom in mol.GetAtoms():
        counts[atom.GetSymbol()] += 1
        counts["H"] += atom.GetTotalNumHs()
    counts = Counter({k: v for k, v in counts.items() if v})
    first = [s for s in ("C", "H") if s in counts] if "C" in counts else []
    return {s: counts[s] for s in [*first, *sorted(set(counts) - set(first))]}


def composition_fields(mol: Chem.Mol) -> dict[str, int]:
    """`<element>_atoms` for every element of the table (zero when absent), total atoms and the
    net formal charge: the fields the answer reports when one of them is asked for."""
    counts = atom_counts(mol)
    fields = {f"{name}_atoms": counts.get(sym, 0) for sym, name in ELEMENTS.items()}
    fields["total_atoms"] = sum(counts.values())
    fields["formal_charge"] = Chem.GetFormalCharge(mol)
    return fields


@dataclass(frozen=True)
class Derivative:
    """A derivative by name: the SMARTS that makes it from the parent's group (salts and
    "acetylated" are made in code: `derive`)."""

    name: str
    group: str  # what the parent must have, in words
    smarts: str = ""


_ALKYLS = {
    "methyl": "C",
    "ethyl": "CC",
    "propyl": "CCC",
    "isopropyl": "C(C)C",
    "butyl": "CCCC",
    "isobutyl": "CC(C)C",
    "sec-butyl": "C(C)CC",
    "tert-butyl": "C(C)(C)C",
    "pentyl": "CCCCC",
    "allyl": "CC=C",
    "benzyl": "Cc1ccccc1",
    "phenyl": "c1ccccc1",
}

DERIVATIVES: dict[str, Derivative] = {
    **{
        f"{alkyl} ester": Derivative(
            f"{alkyl} ester",
            "a carboxylic acid",
            f"[CX3:1](=[OX1:2])[OX2H1]>>[C:1](=[O:2])O{smiles}",
        )
        for alkyl, smiles in _ALKYLS.items()
    },
    **{
        f"{alkyl} ether": Derivative(
            f"{alkyl} ether",
            "an OH group",
            f"[OX2H1;!$(O[CX3]=O):1]>>[O:1]{smiles}",
        )
        for alkyl, smiles in _ALKYLS.items()
        if alkyl != "phenyl"
    },
    "acetate": Derivative("acetate", "an OH group", "[OX2H1;!$(O[CX3]=O):1]>>[O:1]C(C)=O"),
    "amide": Derivative("amide", "a carboxylic acid", "[CX3:1](=[OX1:2])[OX2H1]>>[C:1](=[O:2])N"),
    "methylamide": Derivative(
        "methylamide", "a carboxylic acid", "[CX3:1](=[OX1:2])[OX2H1]>>[C:1](=[O:2])NC"
    ),
    "acid chloride": Derivative(
        "acid chloride", "a carboxylic acid", "[CX3:1](=[OX1:2])[OX2H1]>>[C:1](=[O:2])Cl"
    ),
    "n-acetyl": Derivative(
        "N-acetyl derivative",
        "an N-H amine",
        "[NX3;H1,H2;!$(N[CX3]=[O,S,N]):1]>>[N:1]C(C)=O",
    ),
    "sodium salt": Derivative("sodium salt", "an acid group (COOH or SO3H)"),
    "potassium salt": Derivative("potassium salt", "an acid group (COOH or SO3H)"),
    "hydrochloride": Derivative("hydrochloride", "a basic nitrogen"),
    "acetylated": Derivative("acetylated", "an OH or N-H group"),
}
DERIVATIVE_NAMES: tuple[str, ...] = tuple(DERIVATIVES)
# Other ways of writing a derivative's name -> its key.
# Other spellings of the alkyl groups: "t-butyl ester" is the tert-butyl ester, never the
# n-butyl ester that the words "butyl ester" inside it would otherwise be read as.
_ALKYL_SPELLINGS = {
    "t-butyl": "tert-butyl",
    "t butyl": "tert-butyl",
    "tbutyl": "tert-butyl",
    "tert butyl": "tert-butyl",
    "n-butyl": "butyl",
    "n-propyl": "propyl",
    "n-pentyl": "pentyl",
    "i-propyl": "isopropyl",
    "iso-propyl": "isopropyl",
    "i-butyl": "isobutyl",
    "iso-butyl": "isobutyl",
    "s-butyl": "sec-butyl",
    "sec butyl": "sec-butyl",
}
DERIVATIVE_ALIASES = {
    **{
        f"{spelling} {kind}": f"{alkyl} {kind}"
        for spelling, alkyl in _ALKYL_SPELLINGS.items()
        for kind in ("ester", "ether")
    },
    "hydrochloride salt": "hydrochloride",
    "hcl salt": "hydrochloride",
    "na salt": "sodium salt",
    "k salt": "potassium salt",
    "acetyl derivative": "acetylated",
    "n-acetylated": "n-acetyl",
    "n-acetyl derivative": "n-acetyl",
    "o-acetylated": "acetate",
    "o-acetyl derivative": "acetate",
    "acetylated form": "acetylated",
}

_ACID = Chem.MolFromSmarts("[$([OX2H1][CX3]=O),$([OX2H1]S(=O)=O)]")
# Basic nitrogens, most basic first: aliphatic amines, amidines/guanidines, pyridine-like, anilines.
_BASES = [
    Chem.MolFromSmarts(s)
    for s in (
        "[NX3;H0,H1,H2;!$(N-[C,S,P]=[O,S,N]);!$(N-a);!$(N#*);!$(N=*);!$(N-N=O)]",
        "[NX2;$(N=C(-N)-N),$(N=C-N)]",
        "[nX2;r6]",
        "[NX3;H1,H2;$(N-a);!$(N-[C,S]=O)]",
    )
]


class NoSuchGroup(ValueError):
    """The parent lacks the group the derivative is made from."""


def _salt(mol: Chem.Mol, metal: str) -> Chem.Mol:
    """Every acid group as its metal salt (carboxylate or sulfonate and the cation)."""
    rw = Chem.RWMol(mol)
    hits = [m[0] for m in mol.GetSubstructMatches(_ACID)]
    if not hits:
        raise NoSuchGroup("it has no acid group (COOH or SO3H) to make the salt from")
    for idx in hits:
        atom = rw.GetAtomWithIdx(idx)
        atom.SetFormalCharge(-1)
        atom.SetNumExplicitHs(0)
        atom.SetNoImplicit(True)
        ion = rw.AddAtom(Chem.Atom(metal))
        rw.GetAtomWithIdx(ion).SetFormalCharge(1)
    out = rw.GetMol()
    Chem.SanitizeMol(out)
    return out


def _hydrochloride(mol: Chem.Mol) -> Chem.Mol:
    """The monohydrochloride: the most basic nitrogen protonated, with chloride."""
    for pattern in _BASES:
        hits = mol.GetSubstructMatches(pattern)
        if hits:
            rw = Chem.RWMol(mol)
            atom = rw.GetAtomWithIdx(hits[0][0])
            atom.SetFormalCharge(1)
            atom.SetNumExplicitHs(atom.GetTotalNumHs() + 1)
            atom.SetNoImplicit(True)
            cl = rw.AddAtom(Chem.Atom("Cl"))
            rw.GetAtomWithIdx(cl).SetFormalCharge(-1)
            out = rw.GetMol()
            Chem.SanitizeMol(out)
            return out
    raise NoSuchGroup("it has no basic nitrogen to make the hydrochloride from")


def derive(mol: Chem.Mol, name: str) -> Chem.Mol:
    """The derivative `name` of `mol`, every matching group converted (a diacid gives a diester).

    Raises NoSuchGroup when nothing matches: "the methyl ester of benzene" is not a molecule."""
    name = DERIVATIVE_ALIASES.get(name, name)
    if name in ("sodium salt", "potassium salt"):
        return _salt(mol, "Na" if name == "sodium salt" else "K")
    if name == "hydrochloride":
        return _hydrochloride(mol)
    if name == "acetylated":  # amines are acetylated before alcohols (paracetamol, not its ester)
        try:
            return derive(mol, "n-acetyl")
        except NoSuchGroup:
            return derive(mol, "acetate")
    d = DERIVATIVES[name]
    rxn = rdChemReactions.ReactionFromSmarts(d.smarts)
    current = Chem.Mol(mol)
    changed = False
    for _ in range(8):  # one group per pass; molecules with more groups than this are rare
        products = rxn.RunReactants((current,))
        if not products:
            break
        product = products[0][0]
        Chem.SanitizeMol(product)
        current, changed = product, True
    if not changed:
        raise NoSuchGroup(f"it has no {d.group.split(' ', 1)[1]} to make the {d.name} from")
    return current
