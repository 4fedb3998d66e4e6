"""PubChem answers turned into pydantic models.

Full compound records are parsed by pubchempy's `Compound`; SMILES fall back to the labels
PubChem used before 2025 ("Isomeric"/"Canonical") because older answers in the cache, and the
recorded ones the tests replay, still carry them.
"""

from __future__ import annotations

import re
import warnings
from typing import Any

from pydantic import BaseModel, ConfigDict, Field

PROPERTY_NAMES = (
    "Title",
    "IUPACName",
    "MolecularFormula",
    "MolecularWeight",
    "SMILES",
    "ConnectivitySMILES",
    "InChI",
    "InChIKey",
    "XLogP",
    "TPSA",
)


class CompoundRecord(BaseModel):
    """One PubChem compound, with the fields the assistant reports."""

    model_config = ConfigDict(extra="forbid")

    cid: int | None = Field(description="PubChem CID; None for a structure not in PubChem.")
    title: str | None = None
    iupac_name: str | None = None
    formula: str | None = None
    molecular_weight: float | None = None
    smiles: str | None = Field(None, description="SMILES with stereochemistry, as PubChem gives.")
    connectivity_smiles: str | None = None
    inchi: str | None = None
    inchikey: str | None = None
    xlogp: float | None = None
    tpsa: float | None = None
    from_cache: bool = Field(False, description="True when the answer came from the local cache.")

    @property
    def source(self) -> str:
        where = f"PubChem CID {self.cid}" if self.cid else "PubChem"
        return f"{where} (cache)" if self.from_cache else where


def pc_prop(props: list[dict[str, Any]], label: str, name: str | None = None) -> Any:
    """A value from a `PC_Compounds` record's `props`, by URN label (and name, if given)."""
    for p in props:
        urn = p.get("urn", {})
        if urn.get("label") == label and (name is None or urn.get("name") == name):
            value = p.get("value", {})
            return next(iter(value.values()), None)
    return None


def _float(value: Any) -> float | None:
    try:
        return float(value) if value is not None and value != "" else None
    except (TypeError, ValueError):
        return None


def record_from_pc_compound(raw: dict[str, Any], *, from_cache: bool = False) -> CompoundRecord:
    """A `PC_Compounds` entry (full record) as a `CompoundRecord`."""
    import pubchempy

    with warnings.catch_warnings():
        warnings.simplefilter("ignore", DeprecationWarning)
        c = pubchempy.Compound(raw)
        props = raw.get("props", [])
        smiles = c.smiles or pc_prop(props, "SMILES", "Isomeric")
        connectivity = c.connectivity_smiles or pc_prop(props, "SMILES", "Canonical")
        return CompoundRecord(
            cid=c.cid or None,
            title=None,
            iupac_name=c.iupac_name,
            formula=c.molecular_formula,
            molecular_weight=_float(c.molecular_weight),
            smiles=smiles or connectivity,
            connectivity_smiles=connectivity,
            inchi=c.inchi,
            inchikey=c.inchikey,
            xlogp=_float(c.xlogp),
            tpsa=_float(c.tpsa),
            from_cache=from_cache,
        )


def record_from_properties(row: dict[str, Any], *, from_cache: bool = False) -> CompoundRecord:
    """One row of a PUG-REST `PropertyTable` as a `CompoundRecord`."""
    smiles = row.get("SMILES") or row.get("IsomericSMILES")
    connectivity = row.get("ConnectivitySMILES") or row.get("CanonicalSMILES")
    return CompoundRecord(
        cid=int(row["CID"]) if row.get("CID") else None,
        title=row.get("Title"),
        iupac_name=row.get("IUPACName"),
        formula=row.get("MolecularFormula"),
        molecular_weight=_float(row.get("MolecularWeight")),
        smiles=smiles or connectivity,
        connectivity_smiles=connectivity,
        inchi=row.get("InChI"),
        inchikey=row.get("InChIKey"),
        xlogp=_float(row.get("XLogP")),
        tpsa=_float(row.get("TPSA")),
        from_cache=from_cache,
    )


class HazardStatement(BaseModel):
    code: str = Field(description="GHS H-code, e.g. H225.")
    text: str = Field(description="The statement with PubChem's share of notifiers, if given.")


class GhsHazards(BaseModel):
    """The GHS classification PubChem shows first for a compound (its primary source)."""

    model_config = ConfigDict(extra="forbid")

    cid: int
    title: str | None = None
    signal: str | None = Field(None, description="'Danger' or 'Warning'.")
    pictograms: list[str] = Field(default_factory=list, description="e.g. 'GHS02 Flammable'.")
    statements: list[HazardStatement] = Field(default_factory=list)
    sources: int = Field(0, description="How many sources in PubChem give a classification.")
    from_cache: bool = False

    @property
    def source(self) -> str:
        where = f"PubChem CID {self.cid} (PUG-View GHS Classification)"
        return f"{where}, cache" if self.from_cache else where


def _strings(info: dict[str, Any]) -> list[dict[str, Any]]:
    value = info.get("Value", {})
    items = value.get("StringWithMarkup", [])
    return [i for i in items if isinstance(i, dict)]


def _find_section(sections: list[dict[str, Any]], heading: str) -> dict[str, Any] | None:
    for s in sections:
        if s.get("TOCHeading") == heading:
            return s
        found = _find_section(s.get("Section", []), heading)
        if found is not None:
            return found
    return None


def unwrap_record(body: dict[str, Any]) -> dict[str, Any]:
    record = body.get("Record", body)
    return record if isinstance(record, dict) else {}


_H_CODE = re.compile(r"^(H\d{3}[A-Za-z]*(?:\+H\d{3}[A-Za-z]*)*)\b\s*(.*)$")


def ghs_from_view(body: dict[str, Any], *, from_cache: bool = False) -> GhsHazards:
    """The first GHS classification block of a PUG-View record (or an empty one)."""
    record = unwrap_record(body)
    cid = int(record.get("RecordNumber", 0))
    section = _find_section(record.get("Section", []), "GHS Classification")
    out = GhsHazards(cid=cid, title=record.get("RecordTitle"), from_cache=from_cache)
    if section is None:
        return out
    infos = section.get("Information", [])
    refs = [i.get("ReferenceNumber") for i in infos if i.get("Name") == "GHS Hazard Statements"]
    out.sources = len(set(refs))
    first = next((i.get("ReferenceNumber") for i in infos if i.get("Name") == "Signal"), None)
    for info in infos:
        if first is not None and info.get("ReferenceNumber") != first:
            continue
        name = info.get("Name")
        if name == "Pictogram(s)":
            for item in _strings(info):
                for mark in item.get("Markup", []):
                    code = re.search(r"(GHS\d\d)", mark.get("URL", ""))
                    label = mark.get("Extra", "")
                    if code:
                        out.pictograms.append(f"{code.group(1)} {label}".strip())
        elif name == "Signal" and out.signal is None:
            strings = _strings(info)
            out.signal = strings[0].get("String") if strings else None
        elif name == "GHS Hazard Statements":
            for item in _strings(info):
                text = str(item.get("String", "")).strip()
                m = _H_CODE.match(text)
                if m:
                    out.statements.append(HazardStatement(code=m.group(1), text=text))
    return out


def synonyms_from_list(body: dict[str, Any]) -> list[str]:
    """The synonyms of the first compound in a PUG-REST `InformationList`."""
    info = body.get("InformationList", {}).get("Information", [])
    if not info:
        return []
    return [str(s) for s in info[0].get("Synonym", [])]
