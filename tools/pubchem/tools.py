"""The agent's PubChem tools: a compound's record and its GHS hazards."""

from __future__ import annotations

from pydantic import BaseModel, ConfigDict, Field

from tools.base import Tool, ToolResult, tool
from tools.chem.mol import canonical_smiles
from tools.pubchem.client import PubChemClient


class CompoundArgs(BaseModel):
    model_config = ConfigDict(extra="forbid")

    identifier: str = Field(
        description="A name, CAS number, PubChem CID, SMILES or InChIKey of one compound."
    )


class HazardArgs(BaseModel):
    model_config = ConfigDict(extra="forbid")

    smiles: str = Field(description="The compound's structure as SMILES.")


def pubchem_tools(client: PubChemClient) -> list[Tool]:
    """`pubchem_compound` and `ghs_hazards` over one client (its cache and rate limit)."""

    @tool("pubchem_compound", CompoundArgs)
    def pubchem_compound(a: CompoundArgs) -> ToolResult:
        """Look a compound up in PubChem: CID, title, IUPAC name, formula, weight, SMILES,
        InChIKey, XLogP and TPSA as PubChem computes them."""
        rec = client.lookup(a.identifier.strip())
        return ToolResult(
            summary=f"{a.identifier.strip()}: PubChem CID {rec.cid}, {rec.title or rec.iupac_name}, "
            f"{rec.formula} (source: {rec.source})",
            data=rec.model_dump() | {"source": rec.source},
        )

    @tool("ghs_hazards", HazardArgs)
    def ghs_hazards(a: HazardArgs) -> ToolResult:
        """GHS hazard classification of a compound from PubChem: signal word, pictograms and
        hazard statements (H-codes)."""
        rec = client.lookup(canonical_smiles(a.smiles), "smiles")
        assert rec.cid is not None
        ghs = client.ghs(rec.cid)
        codes = ", ".join(s.code for s in ghs.statements) or "none listed"
        summary = (
            f"{ghs.title or rec.title} (CID {ghs.cid}): {ghs.signal or 'no signal word'}; "
            f"hazard statements {codes} (source: {ghs.source})"
            if ghs.statements or ghs.signal
            else f"PubChem lists no GHS classification for CID {rec.cid} (source: {ghs.source})"
        )
        return ToolResult(
            summary=summary,
            data={
                "cid": ghs.cid,
                "signal": ghs.signal or "none",
                "pictograms": ghs.pictograms,
                "hazard_statements": [s.text for s in ghs.statements],
                "hazard_codes": [s.code for s in ghs.statements],
                "ghs_sources": ghs.sources,
                "source": ghs.source,
            },
        )

    return [pubchem_compound, ghs_hazards]
