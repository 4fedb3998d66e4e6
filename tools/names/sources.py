"""The open dictionaries the offline name index is built from, read into plain records.

Three sources, each read from files already on disk (nothing is imported from them, nothing is
downloaded):

- the PubChem-derived identifier tables inside the `chemicals` wheel (MIT; PubChem data is public
  domain): about 76,000 records with CID, CAS number, formula, SMILES, IUPAC name, common name
  and PubChem's synonyms. The files are read directly: `import chemicals` costs a second of
  scipy and numba set-up that the index never needs.
- DrugCentral 2021 (CC BY-SA 4.0, shipped as its own file, see data/NOTICE.md): 4,098 drugs,
  one curated name and structure each.
- the drug dictionary of `drug-named-entity-recognition` (MIT): 20,000 drugs and 100,000 names,
  brand names included, structures for 7,000 of them.

A record keeps every name once, with the best kind the source gives it (its own name, its IUPAC
name, a brand or synonym); the index ranks records by these kinds when names collide.
"""

from __future__ import annotations

import bz2
import csv
import gzip
import hashlib
import importlib.util
import logging
import pickle
import re
from collections.abc import Iterator
from dataclasses import dataclass, field
from enum import IntEnum
from importlib import metadata, resources
from pathlib import Path
from typing import Any

from tools.names.cas import CAS_PATTERN, cas_checksum_ok

log = logging.getLogger(__name__)

CHEMICALS_LABEL = "PubChem-derived table (chemicals package)"
DRUGS_SOURCE = "drug dictionary (drug-named-entity-recognition)"
DRUGCENTRAL_LABEL = "DrugCentral 2021"
DRUGCENTRAL_FILE = "drugcentral_2021.tsv.gz"

# The `chemicals` tables in the order the package itself loads them (later ones are its curated
# corrections of the large table, so they rank above it here too).
CHEMICALS_LARGE = "chemical identifiers pubchem large.tsv"
CHEMICALS_CURATED = (
    "chemical identifiers pubchem small.tsv",
    "chemical identifiers example user db.tsv",
    "Cation db.tsv",
    "Anion db.tsv",
    "Inorganic db.tsv",
)


class Source(IntEnum):
    """Where a record came from; the value is its rank when two sources tie (lower wins)."""

    DRUGCENTRAL = 0  # curated: one checked name and structure per drug
    CHEMICALS_CURATED = 1  # the chemicals package's own corrections and small tables
    CHEMICALS_LARGE = 2
    DRUG_DICTIONARY = 3  # product structures (salts, mixtures): parent taken at lookup

    @property
    def label(self) -> str:
        """The source as `Resolution.source` states it."""
        if self is Source.DRUGCENTRAL:
            return DRUGCENTRAL_LABEL
        if self is Source.DRUG_DICTIONARY:
            return DRUGS_SOURCE
        return CHEMICALS_LABEL


class Kind(IntEnum):
    """How a name belongs to its record."""

    NAME = 0  # the record's own name: PubChem common name, DrugCentral name, the dictionary's drug
    IUPAC = 1
    DRUG_SYNONYM = 2  # a brand name or synonym the drug dictionary maps to its drug
    SYNONYM = 3  # one of PubChem's synonyms (noisy: salts, mixtures, polymers, trade products)
    CAS = 4  # the record's CAS number
    CAS_SYNONYM = 5  # another CAS number PubChem lists among the synonyms


@dataclass
class SourceRecord:
    """One compound (or drug) as a source gives it."""

    source: Source
    ref: str  # "pubchem.compound:2244", "drugcentral:52", "drug:acetaminophen"
    name: str
    smiles: str | None
    names: dict[str, Kind] = field(default_factory=dict)
    cas: str | None = None
    cid: int | None = None
    formula: str | None = None

    def add(self, name: str, kind: Kind) -> None:
        key = name_key(name)
        if key and (key not in self.names or kind < self.names[key]):
            self.names[key] = kind


def name_key(name: str) -> str:
    """How names are compared: case and runs of white space do not matter."""
    return " ".join(name.lower().split())


# PubChem synonyms that are identifiers rather than names (the shared MANIFEST's filter).
_UUID = re.compile(r"^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$")
_CODE10 = re.compile(r"^(?=.*\d)(?=.*[a-z])[a-z0-9]{10}$")


def _junk(name: str) -> bool:
    return (
        not name
        or len(name) > 200
        or bool(_UUID.match(name) or _CODE10.match(name))
        or name.startswith("agn-pc-")
    )


# Element symbols, two-letter ones first so that "cl" is read before "c".
_SYMBOLS = (
    "he", "li", "be", "ne", "na", "mg", "al", "si", "cl", "ar", "ca", "sc", "ti", "cr", "mn",
    "fe", "co", "ni", "cu", "zn", "ga", "ge", "as", "se", "br", "kr", "rb", "sr", "zr", "nb",
    "mo", "tc", "ru", "rh", "pd", "ag", "cd", "in", "sn", "sb", "te", "xe", "cs", "ba", "la",
    "ce", "pr", "nd", "pm", "sm", "eu", "gd", "tb", "dy", "ho", "er", "tm", "yb", "lu", "hf",
    "ta", "re", "os", "ir", "pt", "au", "hg", "tl", "pb", "bi", "po", "at", "rn", "fr", "ra",
    "ac", "th", "pa", "np", "pu", "am", "cm", "bk", "cf", "es", "fm", "md", "no", "lr", "h", "b",
    "c", "n", "o", "f", "p", "s", "k", "v", "y", "i", "w", "u",
)  # fmt: skip
_FORMULA = re.compile(r"(?:(?:" + "|".join(_SYMBOLS) + r")\d*){2,}")


# Names of classes of compounds and of functional groups, singular and plural. PubChem lists
# some as a synonym of one member ("lactone" under trioxsalen, "sulfonamide" under
# sulfanilamide, "oximes" under formaldoxime); in a question they name a group, not a molecule.
# Everyday words ("salt", "alcohol") are left to the spotting rules: asked for by name, "salt"
# means sodium chloride.
CLASS_WORDS = frozenset((
    "acetal", "aldehyde", "alkaloid", "alkane", "alkene", "alkyne", "amide", "amine", "anhydride",
    "arene", "azide", "carbamate", "carbene", "carbonate", "carbonyl", "ester", "ether", "enol",
    "enolate", "enamine", "epoxide", "halide", "hemiacetal", "imide", "imine", "isocyanate",
    "ketone", "lactam", "lactone", "nitrile", "oxime", "peroxide", "phenolic", "sulfide",
    "sulfone", "sulfonamide", "sulfoxide", "thioether", "thiol", "ylide", "glycoside",
    "flavonoid", "steroid", "terpene", "polymer", "monomer", "dimer", "trimer", "oligomer",
    "arsenical", "calcined",
))  # fmt: skip


def class_word(name: str) -> bool:
    """A class or functional-group word, singular or plural ("lactone", "oximes")."""
    return name in CLASS_WORDS or (name.endswith("s") and name[:-1] in CLASS_WORDS)


def misleading_synonym(name: str) -> bool:
    """PubChem synonyms that name no single compound, though PubChem lists them under one:
    a molecular formula ("c6h12o6" under myo-inositol, "c9h12n4o3" under etofylline), a
    polymer under its monomer ("polyethylene" under ethene, "polystyrene" under styrene), and
    a class of compounds under one member (see CLASS_WORDS)."""
    return (
        name.startswith("poly")
        or class_word(name)
        or (_FORMULA.fullmatch(name) is not None and any(ch.isdigit() for ch in name))
    )


def chemicals_folder() -> Path | None:
    """The `Identifiers` folder of the installed `chemicals` package (found without importing
    it), or None when the package is missing."""
    spec = importlib.util.find_spec("chemicals")
    if spec is None or not spec.submodule_search_locations:
        return None
    for folder in spec.submodule_search_locations:
        path = Path(folder) / "Identifiers"
        if (path / CHEMICALS_LARGE).is_file():
            return path
    return None


def chemicals_records(folder: Path) -> Iterator[SourceRecord]:
    """Every row of the `chemicals` identifier tables with a structure or a name."""
    files = [(CHEMICALS_LARGE, Source.CHEMICALS_LARGE)]
    files += [(f, Source.CHEMICALS_CURATED) for f in CHEMICALS_CURATED]
    for filename, source in files:
        path = folder / filename
        if not path.is_file():
            continue
        with path.open(encoding="utf-8") as fh:
            for line in fh:
                rec = _chemicals_row(line.rstrip("\n").split("\t"), source)
                if rec is not None:
                    yield rec


def _chemicals_row(v: list[str], source: Source) -> SourceRecord | None:
    # Columns: CID (-1 when none), CAS, formula, MW, SMILES, InChI, InChIKey, IUPAC name,
    # common name, then PubChem's synonyms (the package's own reader is the documentation).
    if len(v) < 9:
        return None
    cid = int(v[0]) if v[0].lstrip("-").isdigit() and int(v[0]) > 0 else None
    cas = v[1] if CAS_PATTERN.fullmatch(v[1]) and cas_checksum_ok(v[1]) else None
    iupac, common = v[7].strip(), v[8].strip()
    display = next((n for n in (common, iupac) if n and not CAS_PATTERN.fullmatch(n)), "")
    if not display:
        return None
    rec = SourceRecord(
        source=source,
        ref=f"pubchem.compound:{cid}" if cid else f"cas:{v[1]}",
        name=display,
        smiles=v[4].strip() or None,
        cas=cas,
        cid=cid,
        formula=v[2].strip() or None,
    )
    if cas:
        rec.add(cas, Kind.CAS)
    for i, raw in enumerate(v[7:]):
        name = raw.strip()
        if CAS_PATTERN.fullmatch(name):
            if cas_checksum_ok(name):
                rec.add(name, Kind.CAS_SYNONYM)
        elif not _junk(name.lower()):
            kind = Kind.IUPAC if i == 0 else Kind.NAME if i == 1 else Kind.SYNONYM
            if kind is not Kind.SYNONYM or not misleading_synonym(name_key(name)):
                rec.add(name, kind)
    return rec


# Names with locants ("benzene-1,4-diol", "2,4-D"): OPSIN reads them exactly.
SYSTEMATIC = re.compile(r"\d[,\d]*-[a-z]|-\d|\d,\d")
_DRUG_FILE = "drug_ner_dictionary.pkl.bz2"


def drug_data_file() -> Path | None:
    """The drug dictionary's data file, found without importing its package (whose import
    touches the home folder and the network)."""
    spec = importlib.util.find_spec("drug_named_entity_recognition")
    if spec is None or not spec.submodule_search_locations:
        return None
    for folder in spec.submodule_search_locations:
        path = Path(folder) / _DRUG_FILE
        if path.is_file():
            return path
    return None


def load_raw() -> dict[str, Any] | None:
    """The drug dictionary's data, unpickled (half a second: only the index build does it), or
    None when the package is missing."""
    path = drug_data_file()
    if path is None:
        log.warning("drug-named-entity-recognition is not installed: no offline drug names")
        return None
    with bz2.open(path, "rb") as fh:
        # The package's own data file, installed beside its code: as trusted as the code.
        raw: dict[str, Any] = pickle.load(fh)  # noqa: S301
    return raw


def drugcentral_file() -> Path:
    ref = resources.files("tools.names") / "data" / DRUGCENTRAL_FILE
    return Path(str(ref))


def drugcentral_records(path: Path) -> Iterator[SourceRecord]:
    """DrugCentral 2021: one preferred name and structure per drug."""
    with gzip.open(path, "rt", encoding="utf-8", newline="") as fh:
        for row in csv.DictReader(fh, delimiter="\t"):
            rec = SourceRecord(
                source=Source.DRUGCENTRAL,
                ref=f"drugcentral:{row['drugcentral_id']}",
                name=row["name"].strip(),
                smiles=row["smiles"].strip() or None,
            )
            rec.add(row["name"], Kind.NAME)
            yield rec


def drug_dictionary_records() -> Iterator[SourceRecord]:
    """One record per drug, its structure as the dictionary lists it (a product: salts and
    hydrates are reduced to the parent when the index is asked), with every variant name.

    Variants with locants ("benzene-1,4-diol") are left out: OPSIN reads such names exactly, and
    the dictionary's structures for them are not always the named compound."""
    raw = load_raw()  # half a second: only the index build reads the pickle
    if raw is None:
        return
    variants: dict[str, list[str]] = raw["drug_variant_to_canonical"]
    data: dict[str, dict[str, Any]] = raw["drug_canonical_to_data"]
    records: dict[str, SourceRecord] = {}
    for variant, canonicals in variants.items():
        if len(canonicals) != 1 or SYSTEMATIC.search(variant):
            continue
        canonical = canonicals[0]
        rec = records.get(canonical)
        if rec is None:
            info = data.get(canonical, {})
            rec = records[canonical] = SourceRecord(
                source=Source.DRUG_DICTIONARY,
                ref=f"drug:{canonical}",
                name=str(info.get("name", canonical)),
                smiles=str(info.get("smiles") or "") or None,
                formula=str(info.get("formula") or "") or None,
            )
        rec.add(
            variant, Kind.NAME if name_key(variant) == name_key(canonical) else Kind.DRUG_SYNONYM
        )
    yield from records.values()


def _version(dist: str) -> str:
    try:
        return metadata.version(dist)
    except metadata.PackageNotFoundError:
        return "absent"


# The modules whose code decides what the index holds: a change to any of them rebuilds it.
_BUILDER = ("sources.py", "index_build.py", "spotting.py", "spelling.py")


def source_versions() -> dict[str, str]:
    """What the index is built from (the sources and the code that builds it); an index built
    from anything else is rebuilt. A few milliseconds: it runs when the index is opened."""
    dc = drugcentral_file()
    digest = hashlib.sha256(dc.read_bytes()).hexdigest()[:16] if dc.is_file() else "absent"
    here = Path(__file__).parent
    builder = hashlib.sha256(b"".join((here / f).read_bytes() for f in _BUILDER)).hexdigest()
    return {
        "builder": builder[:16],
        "chemicals": _version("chemicals") if chemicals_folder() else "absent",
        "drugcentral": f"2021_09_01 sha256:{digest}",
        "drug-named-entity-recognition": _version("drug-named-entity-recognition")
        if drug_data_file()
        else "absent",
        "wordfreq": _version("wordfreq"),
    }
