"""SMILES written in free text: telling them from words, and their canonical form for a prompt.

The prompt formats rewrite the SMILES of a question as RDKit canonical SMILES (what ChemDFM saw
in training), and the planner, the writer, the safety screen and the literature tools spot
SMILES among words with the same heuristic, so both live here, in the model layer, the lowest
one. Validating a SMILES with a message a chemist can act on is the tools' job
(`tools.chem.mol.parse_smiles`); a prompt only needs "canonical form, or leave it as written".
"""

from __future__ import annotations

import re

from rdkit import Chem

from models.rdkit_log import rdkit_messages

# A prompt token past these bounds is left as written: canonicalising it could take long and
# would not change what the model can do with it. They are also the defaults of the tools'
# `ChemLimits` (tools.chem.mol), which take them from here.
MAX_SMILES_CHARS = 5000
MAX_HEAVY_ATOMS = 1000

_SMILES_CHARS = re.compile(r"^[A-Za-z0-9@+\-\[\]\(\)=#$:/\\%.*]+$")
_SMILES_SYNTAX = re.compile(r"[=#\[\]\(\)@/\\%0-9]")
_BRACKET_ATOM = re.compile(r"\[[^\]]*\]")
_ORGANIC_ONLY = re.compile(r"^(?:Cl|Br|[BCNOSPFI])+$")
# Upper-case words that happen to be valid organic-subset SMILES.
_ACRONYMS = frozenset({"CNS", "BBB", "SPF", "COP", "NOS", "SOS", "POC", "FOB", "BOP", "CSF", "PPI"})


def looks_like_smiles(token: str) -> bool:
    """Whether a word from a question is meant as SMILES rather than prose.

    True for tokens with SMILES syntax (bonds, branches, rings, brackets) made only of atom symbols
    SMILES allows outside brackets, and for runs of three or more organic-subset atoms such as CCO.
    Names (2-acetyloxybenzoic), formulas (C9H8O4) and acronyms (CNS) are not SMILES.
    """
    if not _SMILES_CHARS.match(token) or token in _ACRONYMS:
        return False
    bare = _BRACKET_ATOM.sub("", token).replace("Cl", "").replace("Br", "")
    if any(ch.isalpha() and ch not in "BCNOSPFIbcnosp" for ch in bare):
        return False
    if not any(ch.isalpha() for ch in token):
        return False
    # All-lowercase words (sp3, cos) are prose unless they look like an aromatic ring (c1ccccc1).
    if token.islower() and not (
        "c" in token and any(ch.isdigit() for ch in token) and len(token) >= 5
    ):
        return False
    if _SMILES_SYNTAX.search(token):
        return True
    return len(token) >= 3 and bool(_ORGANIC_ONLY.match(token))


def canonical_or_none(smiles: str) -> str | None:
    """RDKit canonical isomeric SMILES of `smiles`, or None when RDKit cannot read it or it is
    past the bounds; nothing reaches the console (RDKit's complaints are captured)."""
    text = smiles.strip()
    if not text or len(text) > MAX_SMILES_CHARS or any(ch.isspace() for ch in text):
        return None
    with rdkit_messages():
        # The bare parse bounds the cost before the full, sanitising one.
        bare = Chem.MolFromSmiles(text, sanitize=False)
        if bare is None or bare.GetNumHeavyAtoms() > MAX_HEAVY_ATOMS:
            return None
        mol = Chem.MolFromSmiles(text)
    return None if mol is None else str(Chem.MolToSmiles(mol))
