"""Which record a name means when several sources, or several records, list it (pure).

Measured on the index's data (tests/test_name_index.py has the cases): of 906,000 distinct names,
4,700 are on records with different structures. Almost all are PubChem synonyms shared by a
compound and its salt ("allvoran": diclofenac and diclofenac sodium), its stereoisomers ("(r,r)-
tartaric acid": tartaric acid and L-tartaric acid) or a trade product; some name different
compounds ("amcill": ampicillin and amoxicillin, "stearates": four salts). So, in order:

1. how the name belongs to the record: the record's own name or CAS number, then its IUPAC name,
   then a drug dictionary brand or synonym, then a PubChem synonym (a name that IS a record's
   common name beats the same string listed as another record's synonym);
2. the source: DrugCentral, then the chemicals package's curated tables, its large PubChem table,
   then the drug dictionary (whose structures are products: salts, sometimes mixtures);
3. records equally well named are one compound in several forms when their parents (largest
   fragment, neutralised, stereo ignored) agree: the parent form wins over a salt, then the
   stereo-specified form if the name gives stereo ("(R,R)-", "cis-", "L-"), else the better
   source (a drug's INN means its stereoisomer, which DrugCentral gives);
   different compounds are decided by the better source when it lists only one of them;
   otherwise the name is ambiguous and the index does not guess.
"""

from __future__ import annotations

import re
from dataclasses import dataclass

from tools.names.sources import Kind, Source

_TIER = {
    Kind.NAME: 0,
    Kind.CAS: 0,
    Kind.IUPAC: 1,
    Kind.DRUG_SYNONYM: 2,
    Kind.SYNONYM: 3,
    Kind.CAS_SYNONYM: 3,
}

# Stereo given in the name: "(R,R)-", "(+)-", "(E)-", "cis-", "L-", "alpha-".
_STEREO = re.compile(
    r"(?:^|[\s(,\-])(?:cis|trans|dl|rac|alpha|beta|[rsezdl]|[+\-±])(?=[\-),])", re.IGNORECASE
)


@dataclass(frozen=True)
class Candidate:
    """A record that lists the name, and how."""

    record: int
    source: Source
    kind: Kind
    name: str
    smiles: str | None
    cas: str | None = None
    cid: int | None = None
    formula: str | None = None

    @property
    def rank(self) -> tuple[int, int]:
        return _TIER[self.kind], int(self.source)


def ranked(candidates: list[Candidate]) -> list[Candidate]:
    """Best first (steps 1 and 2 above); ties keep the order they came in."""
    return sorted(candidates, key=lambda c: c.rank)


def names_stereo(query: str) -> bool:
    """Whether a name specifies stereochemistry."""
    return _STEREO.search(query) is not None


def _form(smiles: str) -> tuple[str, int, int, int] | None:
    """(parent's skeleton, fragments, |charge|, stereo marks) of a structure, None if
    unreadable. The skeleton ignores stereo, charges, counter-ions and mobile hydrogens."""
    from rdkit import Chem, rdBase
    from rdkit.Chem.MolStandardize import rdMolStandardize

    from models.rdkit_log import rdkit_messages

    with rdkit_messages(), rdBase.BlockLogs():
        mol = Chem.MolFromSmiles(smiles)
        if mol is None:
            return None
        frags = Chem.GetMolFrags(mol, asMols=True)
        largest = max(frags, key=lambda m: m.GetNumHeavyAtoms())
        parent = rdMolStandardize.Uncharger().uncharge(largest)
        # InChI's connectivity layer: one key for the keto and enol forms a table may draw.
        skeleton = Chem.MolToInchiKey(parent)[:14]  # type: ignore[no-untyped-call]
        key = skeleton or Chem.MolToSmiles(parent, isomericSmiles=False)
        iso = Chem.MolToSmiles(mol)
    stereo = iso.count("@") + iso.count("/") + iso.count("\\")
    return key, len(frags), abs(Chem.GetFormalCharge(mol)), stereo


def same_compound(candidates: list[Candidate], stereo: bool) -> Candidate | None:
    """The record to use when all are forms of one compound (step 3), else None."""
    forms = [(c, f) for c in candidates if c.smiles and (f := _form(c.smiles)) is not None]
    if len(forms) != len(candidates) or len({f[0] for _, f in forms}) != 1:
        return None

    def order(item: tuple[Candidate, tuple[str, int, int, int]]) -> tuple[int, ...]:
        c, (_, frags, charge, marks) = item
        if stereo:  # the name gives stereo: the record that has it, whatever its source
            return frags, charge, -marks, int(c.source)
        return frags, charge, int(c.source), marks

    return min(forms, key=order)[0]


def pick(group: list[Candidate], query: str) -> Candidate | None:
    """The record a group of equally well-named records means (best source first in `group`),
    or None when they are different compounds that no source ranks above the others."""
    structured = [c for c in group if c.smiles]
    if len(structured) <= 1 or len({c.smiles for c in structured}) == 1:
        return structured[0] if structured else None
    stereo = names_stereo(query)
    chosen = same_compound(structured, stereo)
    if chosen is None:  # different compounds: the best source decides, if it is unequivocal
        best = [c for c in structured if c.source is structured[0].source]
        chosen = best[0] if len(best) == 1 else same_compound(best, stereo)
    return chosen
