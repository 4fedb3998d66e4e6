"""Parsing and validation of SMILES with messages a chemist can act on, within size bounds.

RDKit reports why a SMILES failed only through its logger, so parsing captures those log lines
and turns them into one sentence plus a hint (`InvalidSmiles`).
"""

from __future__ import annotations

import re
import threading
from collections.abc import Iterator
from contextlib import contextmanager

from pydantic import BaseModel, ConfigDict, Field
from rdkit import Chem, rdBase

from tools.base import ToolInputError, ToolLimitError

__all__ = [
    "ChemLimits",
    "InvalidSmiles",
    "canonical_smiles",
    "looks_like_smiles",
    "parse_smiles",
    "rdkit_messages",
]


class ChemLimits(BaseModel):
    """Bounds that keep RDKit from hanging or exhausting memory on hostile input."""

    model_config = ConfigDict(extra="forbid")

    max_smiles_length: int = Field(
        5000, ge=1, le=1_000_000, description="Longest SMILES string accepted."
    )
    max_heavy_atoms: int = Field(
        1000, ge=1, le=100_000, description="Largest molecule (heavy atoms) accepted."
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


class InvalidSmiles(ToolInputError):
    """The string is not a SMILES RDKit can read; the message says what is wrong."""


_ROOT_MARK = re.compile(r"^\[\d\d:\d\d:\d\d\]\s*")
# RDKit reports why a parse failed only to its error log; captures are process-wide, so they are
# serialised (parsing takes microseconds).
_capture_lock = threading.RLock()


class RDKitLog:
    """The lines RDKit logged while a `rdkit_messages()` block ran."""

    def __init__(self, capture: rdBase.CaptureErrorLog) -> None:
        self._capture = capture

    @property
    def lines(self) -> list[str]:
        text = str(self._capture.messages or "")
        return [_ROOT_MARK.sub("", ln).strip() for ln in text.splitlines() if ln.strip()]


@contextmanager
def rdkit_messages() -> Iterator[RDKitLog]:
    """Capture (and keep off the console) what RDKit logs while the block runs."""
    with _capture_lock, rdBase.CaptureErrorLog() as capture:
        yield RDKitLog(capture)


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
