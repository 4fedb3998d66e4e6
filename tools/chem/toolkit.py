"""The RDKit tools as registered `Tool`s: argument models, descriptions and result summaries."""

from __future__ import annotations

import hashlib
from pathlib import Path
from typing import Any, Literal

from pydantic import BaseModel, ConfigDict, Field
from rdkit import Chem

from tools.base import Tool, ToolInputError, ToolResult
from tools.chem import (
    amounts,
    composition,
    convert,
    depict,
    descriptors,
    groups,
    named_reactions,
    reactions,
    similarity,
    structure,
    substructure,
)
from tools.chem.descriptors import DescriptorName
from tools.chem.mol import ChemLimits, parse_smiles


class _Args(BaseModel):
    model_config = ConfigDict(extra="forbid")


class SmilesArgs(_Args):
    smiles: str = Field(description="The molecule as SMILES.")


class DescriptorArgs(SmilesArgs):
    names: list[DescriptorName] | None = Field(
        None, description="Descriptors to report; all of them when omitted."
    )


class SimilarityArgs(_Args):
    query: str = Field(description="Reference molecule (SMILES).")
    targets: list[str] = Field(min_length=1, description="Molecules (SMILES) to compare with it.")
    fingerprint: similarity.Fingerprint = Field("morgan", description="morgan or maccs.")
    radius: int = Field(2, ge=1, le=4, description="Morgan radius (2 is ECFP4-like).")
    n_bits: int = Field(2048, ge=64, le=16384, description="Morgan fingerprint length.")


class SubstructureArgs(_Args):
    pattern: str = Field(description="SMARTS (or SMILES) substructure to look for.")
    smiles: list[str] = Field(min_length=1, description="Molecules (SMILES) to search.")


class ReactionArgs(_Args):
    reaction: str = Field(description="Reaction SMARTS, reactants>>products, atom-mapped.")
    reactants: list[str] = Field(min_length=1, description="One SMILES per reactant template.")


class NamedReactionArgs(_Args):
    reaction: str = Field(
        description="Key of a named reaction: fischer_esterification, amide_coupling, "
        "ester_hydrolysis, borohydride_reduction, lah_reduction, nitro_reduction, suzuki, "
        "buchwald_hartwig, boc_protection, boc_deprotection, diels_alder, grignard, williamson, "
        "reductive_amination, alcohol_oxidation, hydrogenation, acetylation."
    )
    reactants: list[str] = Field(min_length=1, max_length=4, description="Reactant SMILES.")


class DerivativeArgs(SmilesArgs):
    derivative: str = Field(
        description="Which derivative: " + ", ".join(composition.DERIVATIVE_NAMES) + "."
    )


class AmountArgs(SmilesArgs):
    value: float = Field(gt=0, description="How much of the substance, in `unit`.")
    unit: Literal["kg", "g", "mg", "µg", "ng", "mol", "mmol", "µmol", "nmol"] = Field(
        description="Mass or amount unit of `value`."
    )


class ScaffoldArgs(SmilesArgs):
    generic: bool = Field(False, description="Replace all atoms by carbon and bonds by single.")


class DepictArgs(SmilesArgs):
    format: Literal["png", "svg"] = Field("png", description="Image format.")
    size: int = Field(400, ge=100, le=2000, description="Width and height in pixels.")


class ChemToolkit:
    """Builds the RDKit tools around one set of limits and an output folder for images."""

    def __init__(self, limits: ChemLimits | None = None, depict_dir: Path | None = None) -> None:
        self.limits = limits or ChemLimits()
        self.depict_dir = depict_dir or Path.cwd() / "depictions"

    def _mol(self, smiles: str) -> tuple[Chem.Mol, str]:
        mol = parse_smiles(smiles, self.limits)
        return mol, str(Chem.MolToSmiles(mol))

    def validate_smiles(self, a: SmilesArgs) -> ToolResult:
        """Check that a SMILES is valid and give its canonical form; invalid input is explained."""
        mol, smi = self._mol(a.smiles)
        data = {
            "smiles": smi,
            "valid": True,
            "formula": convert.formula(mol),
            "heavy_atoms": mol.GetNumHeavyAtoms(),
            "formal_charge": Chem.GetFormalCharge(mol),
            "fragments": len(Chem.GetMolFrags(mol)),
        }
        return ToolResult(summary=f"valid SMILES; canonical form {smi}", data=data)

    def molecular_formula(self, a: SmilesArgs) -> ToolResult:
        """Molecular formula (Hill order, with charge) of a molecule."""
        mol, smi = self._mol(a.smiles)
        f = convert.formula(mol)
        return ToolResult(summary=f"formula {f}", data={"smiles": smi, "formula": f})

    def molecular_weight(self, a: SmilesArgs) -> ToolResult:
        """Average molecular weight (g/mol) and monoisotopic exact mass (Da)."""
        mol, smi = self._mol(a.smiles)
        m = convert.masses(mol)
        return ToolResult(
            summary=f"MW {m['molecular_weight']:.2f} g/mol, exact mass {m['exact_mass']:.4f} Da",
            data={"smiles": smi, "formula": convert.formula(mol), **m},
        )

    def descriptors(self, a: DescriptorArgs) -> ToolResult:
        """Physicochemical descriptors: Crippen logP, TPSA, H-bond donors/acceptors, rotatable bonds, rings, heavy atoms, fraction sp3, QED and SA score."""
        mol, smi = self._mol(a.smiles)
        values = descriptors.descriptors(mol, a.names)
        text = ", ".join(f"{k} {v}" for k, v in values.items())
        return ToolResult(summary=text, data={"smiles": smi, **values})

    def atom_counts(self, a: SmilesArgs) -> ToolResult:
        """Atoms of each element (hydrogens included), total atoms and net formal charge."""
        mol, smi = self._mol(a.smiles)
        counts = composition.atom_counts(mol)
        fields = composition.composition_fields(mol)
        text = ", ".join(f"{k} {v}" for k, v in counts.items())
        return ToolResult(
            summary=f"atoms {text}; net charge {fields['formal_charge']:+d}",
            data={"smiles": smi, "counts": counts, **fields},
        )

    def convert_amount(self, a: AmountArgs) -> ToolResult:
        """A mass of a substance in moles (and the reverse), from its average molecular weight."""
        mol, smi = self._mol(a.smiles)
        mw = convert.masses(mol)["molecular_weight"]
        out = amounts.convert(a.value, a.unit, mw)
        return ToolResult(summary=str(out["amount"]), data={"smiles": smi, **out})

    def derivative(self, a: DerivativeArgs) -> ToolResult:
        """A derivative named relative to a molecule (its methyl ester, acetate, amide...), every
        matching group converted."""
        mol, smi = self._mol(a.smiles)
        key = " ".join(a.derivative.lower().split())
        key = composition.DERIVATIVE_ALIASES.get(key, key)
        if key not in composition.DERIVATIVES:
            raise ToolInputError(
                f"unknown derivative {a.derivative!r}; known: "
                + ", ".join(composition.DERIVATIVE_NAMES)
            )
        try:
            product = composition.derive(mol, key)
        except composition.NoSuchGroup as exc:
            raise ToolInputError(f"no {key} of {smi}: {exc}") from None
        out = Chem.MolToSmiles(product)
        f = convert.formula(product)
        return ToolResult(
            summary=f"{key} of {smi}: {out} ({f})",
            data={"smiles": out, "parent": smi, "derivative": key, "formula": f},
        )

    def drug_likeness(self, a: SmilesArgs) -> ToolResult:
        """Lipinski rule-of-five and Veber rule checks, with the violated criteria."""
        mol, smi = self._mol(a.smiles)
        values = descriptors.descriptors(mol, descriptors.RULE_INPUTS)
        lip, veb = descriptors.lipinski(values), descriptors.veber(values)
        summary = (
            f"{lip['lipinski_violations']} Lipinski violation(s), "
            f"{veb['veber_violations']} Veber violation(s)"
        )
        return ToolResult(summary=summary, data={"smiles": smi, **values, **lip, **veb})

    def similarity(self, a: SimilarityArgs) -> ToolResult:
        """Tanimoto similarity of a reference molecule to each target (Morgan or MACCS fingerprints)."""
        query, qsmi = self._mol(a.query)
        parsed = [self._mol(t) for t in a.targets]
        scores = similarity.bulk_tanimoto(
            query, [m for m, _ in parsed], a.fingerprint, a.radius, a.n_bits
        )
        rows: list[dict[str, Any]] = [
            {"smiles": s, "tanimoto": round(v, 3)} for (_, s), v in zip(parsed, scores, strict=True)
        ]
        best = max(rows, key=lambda r: float(r["tanimoto"]))
        fp = "MACCS" if a.fingerprint == "maccs" else f"Morgan r={a.radius}, {a.n_bits} bits"
        return ToolResult(
            summary=f"most similar to {qsmi}: {best['smiles']} (Tanimoto {best['tanimoto']}, {fp})",
            data={
                "query": qsmi,
                "fingerprint": fp,
                "results": rows,
                "most_similar": best["smiles"],
            },
        )

    def substructure_search(self, a: SubstructureArgs) -> ToolResult:
        """Which of the given molecules contain a SMARTS/SMILES substructure, with match counts."""
        rows = substructure.substructure_search(a.pattern, a.smiles, self.limits)
        hits = sum(r["match"] for r in rows)
        return ToolResult(
            summary=f"{hits} of {len(rows)} molecule(s) contain {a.pattern}",
            data={"pattern": a.pattern, "results": rows, "n_hits": hits},
        )

    def apply_reaction(self, a: ReactionArgs) -> ToolResult:
        """Apply an atom-mapped reaction SMARTS to reactants and list the distinct products."""
        products = reactions.apply_reaction(a.reaction, a.reactants, self.limits)
        text = (
            "; ".join(p["smiles"] for p in products[:5])
            or "no products (the templates do not match)"
        )
        return ToolResult(
            summary=f"products: {text}", data={"reaction": a.reaction, "products": products}
        )

    def functional_groups(self, a: SmilesArgs) -> ToolResult:
        """Functional groups and ring types present in a molecule (acids, esters, lactones, lactams, beta-lactams, carbamates, ureas, amines, sulfones, heteroaromatic rings and more), with counts."""
        mol, smi = self._mol(a.smiles)
        found = groups.functional_groups(mol)
        text = ", ".join(
            f"{g['group']}" + (f" ×{g['count']}" if int(str(g["count"])) > 1 else "") for g in found
        )
        return ToolResult(
            summary=f"functional groups: {text or 'none of the listed groups'}",
            data={"smiles": smi, "groups": [str(g["group"]) for g in found], "details": found},
        )

    def named_reaction(self, a: NamedReactionArgs) -> ToolResult:
        """Apply a named reaction (Fischer esterification, amide coupling, ester hydrolysis, NaBH4 or LiAlH4 reduction, nitro reduction, Suzuki, Buchwald-Hartwig, Boc protection/deprotection, Diels-Alder, Grignard, Williamson, reductive amination, oxidation, hydrogenation, acetylation) to reactants; returns the products and the template used."""
        out = named_reactions.run_named_reaction(a.reaction, a.reactants, self.limits)
        products = [".".join(o["products"]) for o in out["outcomes"]]
        return ToolResult(
            summary=f"{out['reaction']}: {'; '.join(products[:5])}",
            data={**out, "products": products},
        )

    def murcko_scaffold(self, a: ScaffoldArgs) -> ToolResult:
        """Bemis-Murcko scaffold of a molecule (optionally the generic carbon framework)."""
        mol, smi = self._mol(a.smiles)
        core = structure.murcko_scaffold(mol, a.generic)
        return ToolResult(
            summary=f"scaffold {core}" if core else "acyclic: no ring scaffold",
            data={"smiles": smi, "scaffold": core, "generic": a.generic},
        )

    def stereocentres(self, a: SmilesArgs) -> ToolResult:
        """Tetrahedral stereocentres with CIP labels (R/S, '?' if unassigned) and stereo double bonds."""
        mol, smi = self._mol(a.smiles)
        info = structure.stereocentres(mol)
        labels = ", ".join(f"{c['symbol']}{c['atom']} {c['label']}" for c in info["stereocentres"])
        return ToolResult(
            summary=f"{info['n_stereocentres']} stereocentre(s)"
            + (f": {labels}" if labels else ""),
            data={"smiles": smi, **info},
        )

    def inchi(self, a: SmilesArgs) -> ToolResult:
        """Standard InChI and InChIKey of a molecule."""
        mol, smi = self._mol(a.smiles)
        ids = convert.inchi(mol)
        return ToolResult(summary=f"InChIKey {ids['inchikey']}", data={"smiles": smi, **ids})

    def depict(self, a: DepictArgs) -> ToolResult:
        """Draw a 2D depiction of a molecule to a PNG or SVG file and return its path."""
        mol, smi = self._mol(a.smiles)
        digest = hashlib.sha1(f"{smi}|{a.size}".encode()).hexdigest()[:12]
        path = depict.depict(mol, self.depict_dir / f"{digest}.{a.format}", a.format, a.size)
        depict.prune(self.depict_dir, self.limits.max_depictions)
        return ToolResult(
            summary=f"depiction written to {path}",
            data={"smiles": smi, "path": str(path)},
            files=[str(path)],
        )

    def tools(self) -> list[Tool]:
        specs: list[tuple[str, type[BaseModel]]] = [
            ("validate_smiles", SmilesArgs),
            ("molecular_formula", SmilesArgs),
            ("molecular_weight", SmilesArgs),
            ("descriptors", DescriptorArgs),
            ("drug_likeness", SmilesArgs),
            ("atom_counts", SmilesArgs),
            ("derivative", DerivativeArgs),
            ("convert_amount", AmountArgs),
            ("similarity", SimilarityArgs),
            ("substructure_search", SubstructureArgs),
            ("apply_reaction", ReactionArgs),
            ("functional_groups", SmilesArgs),
            ("named_reaction", NamedReactionArgs),
            ("murcko_scaffold", ScaffoldArgs),
            ("stereocentres", SmilesArgs),
            ("inchi", SmilesArgs),
            ("depict", DepictArgs),
        ]
        out = []
        for name, model in specs:
            func = getattr(self, name)
            out.append(Tool(name, " ".join((func.__doc__ or name).split()), model, func))
        return out
