"""Parsing and validation of SMILES with messages a chemist can act on, within size bounds.

RDKit reports why a SMILES failed only through its logger, so parsing captures those log lines
(`models.rdkit_log`) and turns them into one sentence plus a hint (`InvalidSmiles`). Telling
SMILES from words in a question is `models.smiles.looks_like_smiles`.
"""

from __future__ import annotations

import re

from pydantic import BaseModel, ConfigDict, Field
from rdkit import Chem

from models.rdkit_log import rdkit_messages
from models.smiles import MAX_HEAVY_ATOMS, MAX_SMILES_CHARS
from tools.base import ToolInputError, ToolLimitError

__all__ = ["ChemLimits", "InvalidSmiles", "canonical_smiles", "parse_smiles"]


class ChemLimits(BaseModel):
    """Bounds that keep RDKit from hanging or exhausting memory on hostile input."""

    model_config = ConfigDict(extra="forbid")

    max_smiles_length: int = Field(
        MAX_SMILES_CHARS, ge=1, le=1_000_000, description="Longest SMILES string accepted."
    )
    max_heavy_atoms: int = Field(
        MAX_HEAVY_ATOMS, ge=1, le=100_000, description="Largest molecule (heavy atoms) accepted."
    )
    max_smarts_length: int = Field(
        500, ge=1, le=100_000, description="Longest SMARTS or reaction SMARTS accepted."
    )
    max_smarts_atoms: int = Field(40, ge=1, le=1000, description="Most atoms in a SMARTS query.")
    max_search_molecules: int = Field(
        10000, ge=1, le=10_000_000, description="Most molecules in one search list."
    )
    max_products: int = Field(
        200, ge=1, le=100_000, description="Most products a reaction may enumerate."
    )
    smarts_timeout_s: float = Field(
        10.0,
        gt=0,
        le=3600,
        description="Wall-clock limit of one SMARTS search or reaction, in seconds.",
    )
    max_depictions: int = Field(
        1000,
        ge=1,
        le=1_000_000,
        description="Depiction files kept in the depictions folder; the oldest beyond this are "
        "removed when a new one is drawn (they are a cache: drawing again makes the same file).",
    )


class InvalidSmiles(ToolInputError):
    """The string is not a SMILES RDKit can read; the message says what is wrong."""


_HINTS: tuple[tuple[str, str], ...] = (
    ("unclosed ring", "a ring-bond digit is opened but never closed; check the ring numbers"),
    ("extra open parentheses", "a '(' branch is never closed; add the missing ')'"),
    ("extra close parentheses", "there is a ')' without a matching '('"),
    (
        "syntax error",
        "a character is not valid SMILES here (element symbols in brackets, e.g. [Na+])",
    ),
    ("valence", "an atom has more bonds than its valence allows; check charges and bond orders"),
    (
        "kekulize",
        "an aromatic ring cannot be given alternating bonds; check lowercase atoms and [nH]",
    ),
    ("duplicated ring closure", "the same ring digit closes two bonds on one atom"),
)


def _explain(smiles: str, messages: list[str]) -> str:
    detail = ""
    for msg in messages:
        if "check for mistakes" in msg or msg.strip("~^ ") == "" or msg == smiles:
            continue
        detail = msg.replace("SMILES Parse Error: ", "")
        break
    lowered = " ".join(messages).lower()
    hint = next((h for key, h in _HINTS if key in lowered), "check the SMILES syntax")
    position = next(
        (m.group(1) for msg in messages if (m := re.search(r"around position (\d+)", msg))), None
    )
    where = f" near position {position}" if position else ""
    shown = smiles if len(smiles) <= 80 else smiles[:77] + "..."
    reason = f" ({detail})" if detail else ""
    return f"invalid SMILES {shown!r}{where}: {hint}{reason}"


def parse_smiles(smiles: str, limits: ChemLimits | None = None) -> Chem.Mol:
    """Read a SMILES into a sanitised RDKit molecule, or raise with the reason.

    Raises:
        InvalidSmiles: the string cannot be read; the message names the problem.
        ToolLimitError: the molecule is larger than `limits` allow.
    """
    limits = limits or ChemLimits()
    text = smiles.strip()
    if not text:
        raise InvalidSmiles("empty SMILES: give a structure such as CCO (ethanol)")
    if len(text) > limits.max_smiles_length:
        raise ToolLimitError(
            f"SMILES is {len(text):,} characters; the limit is {limits.max_smiles_length:,} "
            "(setting chem.max_smiles_length)"
        )
    if any(ch.isspace() for ch in text):
        raise InvalidSmiles(f"invalid SMILES {text!r}: SMILES cannot contain spaces")
    if problem := _wrapped_isotope(text):
        raise InvalidSmiles(f"invalid SMILES {text[:80]!r}: {problem}")
    with rdkit_messages() as log:
        mol = Chem.MolFromSmiles(text, sanitize=False)
        if mol is None:
            raise InvalidSmiles(_explain(text, log.lines))
        heavy = mol.GetNumHeavyAtoms()
        if heavy > limits.max_heavy_atoms:
            raise ToolLimitError(
                f"molecule has {heavy:,} heavy atoms; the limit is {limits.max_heavy_atoms:,} "
                "(setting chem.max_heavy_atoms)"
            )
        # The full parse sanitises and perceives stereo (and removes explicit H) exactly as
        # RDKit users expect; the bare parse above only bounded its cost.
        full = Chem.MolFromSmiles(text)
        if full is None:
            raise InvalidSmiles(_explain(text, log.lines))
    if problem := impossible_atom(full):
        raise InvalidSmiles(f"invalid SMILES {text[:80]!r}: {problem}")
    return full


_ISOTOPE = re.compile(r"\[(\d+)")
MAX_ISOTOPE = 65535


def _wrapped_isotope(text: str) -> str | None:
    """A mass number RDKit cannot hold: it keeps 16 bits, so `[65549C]` would silently become
    carbon-13 and get carbon-13's mass. Read from the text, since the parsed molecule has lost it."""
    for match in _ISOTOPE.finditer(text):
        mass = int(match.group(1))
        if mass > MAX_ISOTOPE:
            return f"mass number {mass} in {match.group(0)}... is not a known isotope"
    return None


def impossible_atom(mol: Chem.Mol) -> str | None:
    """Why an atom cannot exist (RDKit accepts any charge and mass number), or None.

    A charge beyond ±8 or above the atom's own electron count, and a mass number below the
    atomic number or with no isotope mass known to RDKit, give molecular weights and exact
    masses for matter that does not exist.
    """
    table = Chem.GetPeriodicTable()
    for atom in mol.GetAtoms():
        z, charge, mass = atom.GetAtomicNum(), atom.GetFormalCharge(), atom.GetIsotope()
        symbol = atom.GetSymbol()
        if z == 0:
            continue
        if abs(charge) > 8 or charge > z:
            return f"a charge of {charge:+d} on {symbol} is not possible"
        if mass and (mass < z or table.GetMassForIsotope(z, mass) <= 0):
            return f"the mass number given for {symbol} (read as {mass}) is not a known isotope"
    return None


def canonical_smiles(smiles: str, limits: ChemLimits | None = None) -> str:
    """RDKit canonical isomeric SMILES of `smiles`."""
    return str(Chem.MolToSmiles(parse_smiles(smiles, limits)))
