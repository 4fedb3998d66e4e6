"""A held-out set of questions for the assistant's question understanding (report-only).

Written from a brief that listed task shapes only (categories of questions and how to grade
them), without reading the rule planner, its intent table, the answer templates or the cases of
the development set (`evals/understanding.py`); only that file's check helpers are reused.
Frozen on 2026-12-07. It must not be tuned against: do not change the assistant so that these
cases pass, and do not change these cases to match the assistant. It is report-only (no test
asserts a score); `python -m evals.understanding_heldout` prints the share correct per category
and the failures. The only allowed edit is fixing a case whose expected value is wrong chemistry.

Every expected value is computed here with RDKit from a SMILES written in this file (the
development set's `S` or `X` below), never copied from the assistant's output. Stereochemistry
is left out of the SMILES on purpose: every check uses a stereo-independent quantity (formula,
weights, Crippen logP, TPSA, counts).
"""

from __future__ import annotations

import re
from typing import Any

from rdkit import Chem
from rdkit.Chem import Descriptors

from evals.understanding import (
    EXACT,
    FORMULA,
    HBA,
    HBD,
    LOGP,
    MW,
    ROT,
    TPSA,
    Case,
    Check,
    Prop,
    S,
    _text,
    all_of,
)

# Molecules the development set's S lacks (well-known structures, stereo left out).
X: dict[str, str] = {
    # drugs
    "losartan": "CCCCc1nc(Cl)c(CO)n1Cc1ccc(cc1)-c1ccccc1-c1nnn[nH]1",
    "metoprolol": "COCCc1ccc(OCC(O)CNC(C)C)cc1",
    "simvastatin": "CCC(C)(C)C(=O)OC1CC(C)C=C2C=CC(C)C(CCC3CC(O)CC(=O)O3)C12",
    "citalopram": "CN(C)CCCC1(OCc2cc(C#N)ccc21)c1ccc(F)cc1",
    "gabapentin": "NCC1(CC(=O)O)CCCCC1",
    "levetiracetam": "CCC(C(N)=O)N1CCCC1=O",
    "montelukast": "CC(C)(O)c1ccccc1CCC(SCC1(CC(=O)O)CC1)c1cccc(C=Cc2ccc3ccc(Cl)cc3n2)c1",
    "sitagliptin": "NC(CC(=O)N1CCn2c(nnc2C(F)(F)F)C1)Cc1cc(F)c(F)cc1F",
    "clopidogrel": "COC(=O)C(c1ccccc1Cl)N1CCc2sccc2C1",
    "amlodipine": "CCOC(=O)C1=C(COCCN)NC(C)=C(C(=O)OC)C1c1ccccc1Cl",
    "lisinopril": "NCCCCC(NC(CCc1ccccc1)C(=O)O)C(=O)N1CCCC1C(=O)O",
    # natural products and lipids
    "menthol": "CC(C)C1CCC(C)CC1O",
    "camphor": "CC1(C)C2CCC1(C)C(=O)C2",
    "limonene": "CC(=C)C1CCC(C)=CC1",
    "capsaicin": "COc1cc(CNC(=O)CCCCC=CC(C)C)ccc1O",
    "curcumin": "COc1cc(C=CC(=O)CC(=O)C=Cc2ccc(O)c(OC)c2)ccc1O",
    "resveratrol": "Oc1ccc(C=Cc2cc(O)cc(O)c2)cc1",
    "quercetin": "O=c1c(O)c(-c2ccc(O)c(O)c2)oc2cc(O)cc(O)c12",
    "cholesterol": "CC(C)CCCC(C)C1CCC2C3CC=C4CC(O)CCC4(C)C3CCC12C",
    "oleic acid": "CCCCCCCCC=CCCCCCCCC(=O)O",
    "palmitic acid": "CCCCCCCCCCCCCCCC(=O)O",
    "stearic acid": "CCCCCCCCCCCCCCCCCC(=O)O",
    "linoleic acid": "CCCCCC=CCC=CCCCCCCCC(=O)O",
    "vanillin": "COc1cc(C=O)ccc1O",
    "eugenol": "COc1cc(CC=C)ccc1O",
    "geraniol": "CC(C)=CCCC(C)=CCO",
    "squalene": "CC(C)=CCCC(C)=CCCC(C)=CCCC=C(C)CCC=C(C)CCC=C(C)C",
    "beta-carotene": "CC1=C(C(C)(C)CCC1)C=CC(C)=CC=CC(C)=CC=CC=C(C)C=CC=C(C)C=CC1=C(C)CCCC1(C)C",
    "thymol": "Cc1ccc(C(C)C)c(O)c1",
    "carvone": "CC(=C)C1CC=C(C)C(=O)C1",
    "cinnamaldehyde": "O=CC=Cc1ccccc1",
    "piperine": "O=C(C=CC=Cc1ccc2OCOc2c1)N1CCCCC1",
    # small molecules and derivatives
    "acetone": "CC(C)=O",
    "N,N'-dimethylurea": "CNC(=O)NC",
    "methyl salicylate": "COC(=O)c1ccccc1O",
    "ethyl salicylate": "CCOC(=O)c1ccccc1O",
    "ethyl benzoate": "CCOC(=O)c1ccccc1",
    "methyl ibuprofen": "COC(=O)C(C)c1ccc(CC(C)C)cc1",
    "methyl naproxen": "COC(=O)C(C)c1ccc2cc(OC)ccc2c1",
    "acetanilide": "CC(=O)Nc1ccccc1",
    "anisole": "COc1ccccc1",
    "benzyl acetate": "CC(=O)OCc1ccccc1",
    "benzamide": "NC(=O)c1ccccc1",
    "N-methylbenzamide": "CNC(=O)c1ccccc1",
    "N-methylaniline": "CNc1ccccc1",
    "tert-butyl acetate": "CC(=O)OC(C)(C)C",
    "methyl oleate": "CCCCCCCCC=CCCCCCCCC(=O)OC",
    "Boc-benzylamine": "CC(C)(C)OC(=O)NCc1ccccc1",
    "methyl vanillate": "COC(=O)c1ccc(O)c(OC)c1",
    "phenyl acetate": "CC(=O)Oc1ccccc1",
}

# Brand names -> generic name (structures as above or in S).
BRANDS: dict[str, str] = {
    "Lipitor": "atorvastatin",
    "Zoloft": "sertraline",
    "Glucophage": "metformin",
    "Prozac": "fluoxetine",
    "Nexium": "omeprazole",  # esomeprazole: same constitution as omeprazole
    "Zocor": "simvastatin",
    "Keppra": "levetiracetam",
    "Singulair": "montelukast",
    "Plavix": "clopidogrel",
    "Norvasc": "amlodipine",
    "Cozaar": "losartan",
    "Januvia": "sitagliptin",
    "Celexa": "citalopram",
    "Neurontin": "gabapentin",
}


# Other names of the same structure.
ALIASES: dict[str, str] = {"acetaminophen": "paracetamol", "esomeprazole": "omeprazole"}


def smiles(name: str) -> str:
    name = BRANDS.get(name, name)
    name = ALIASES.get(name, name)
    return X.get(name) or S.get(name) or name


def m(name: str) -> Chem.Mol:
    mol = Chem.MolFromSmiles(smiles(name))
    if mol is None:
        raise ValueError(f"bad SMILES for {name!r}")
    return mol


def want(prop: Prop, name: str) -> str:
    label, fn = prop
    return f"{label}: {fn(m(name))}"


def num(prop: Prop, name: str) -> str:
    """The bare number of a property (no label, no unit)."""
    return prop[1](m(name)).split()[0]


# ---------------------------------------------------------------- checks


def vals(props: list[Prop], names: list[str]) -> Check:
    """'<label>: <value>' of each property of each molecule appears in the last answer."""

    def check(answers: list[Any]) -> str | None:
        text = _text(answers)
        for n in names:
            for p in props:
                if want(p, n) not in text:
                    return f"missing {want(p, n)!r} for {n}"
        return None

    return check


def lacks(props: list[Prop], names: list[str]) -> Check:
    """The values of molecules that were not asked about do not appear in the last answer."""

    def check(answers: list[Any]) -> str | None:
        text = _text(answers)
        for n in names:
            for p in props:
                if want(p, n) in text:
                    return f"has {want(p, n)!r} of {n}, which was not referred to"
        return None

    return check


def bare(props: list[Prop], names: list[str], absent: tuple[str, ...] = ()) -> Check:
    """The number of each property appears anywhere (for answers in a requested format)."""

    def check(answers: list[Any]) -> str | None:
        text = _text(answers)
        for n in names:
            for p in props:
                if not re.search(rf"(?<![\d.]){re.escape(num(p, n))}(?![\d])", text):
                    return f"value {num(p, n)} of {p[0]} for {n} not in the answer"
        for a in absent:
            if a in text:
                return f"answer has {a!r}: a format word treated as a molecule"
        return None

    return check


def any_of(*checks: Check) -> Check:
    def check(answers: list[Any]) -> str | None:
        problems = [c(answers) for c in checks]
        return None if any(p is None for p in problems) else " / ".join(map(str, problems))

    return check


def _find(line: str, name: str) -> int:
    return line.lower().find(name.lower())


def winner(names: list[str], prop: Prop, high: bool) -> Check:
    """A line mentions the molecules with their values and names the winner first."""
    raw = {n: float(num(prop, n)) for n in names}
    best = (max if high else min)(raw, key=raw.__getitem__)

    def check(answers: list[Any]) -> str | None:
        for line in _text(answers).splitlines():
            if sum(_find(line, n) >= 0 for n in names) < 2:
                continue
            if not all(num(prop, n) in line for n in names):
                continue
            body = line.split(":", 1)[1] if line.lower().startswith("ranked") else line
            seen = [n for n in names if _find(body, n) >= 0]
            if seen and min(seen, key=lambda n: _find(body, n)) == best:
                return None
        return f"no line naming {best} first with the {prop[0]} values of {names}"

    return check


def ranked(names: list[str], prop: Prop) -> Check:
    """A line names every molecule, with values, in order of the property (either direction)."""
    raw = {n: float(num(prop, n)) for n in names}
    up = sorted(names, key=raw.__getitem__)

    def check(answers: list[Any]) -> str | None:
        for line in _text(answers).splitlines():
            if not all(_find(line, n) >= 0 and num(prop, n) in line for n in names):
                continue
            order = sorted(names, key=lambda n: _find(line, n))
            if order in (up, up[::-1]):
                return None
        return f"no line ranking {names} by {prop[0]} ({up} ascending)"

    return check


def misspelt(correct: list[str], prop: Prop) -> Check:
    """Either names the molecule it assumed and gives its value, or asks 'did you mean'."""
    value = want(prop, correct[0])

    def check(answers: list[Any]) -> str | None:
        text = _text(answers)
        named = any(re.search(rf"\b{re.escape(c)}\b", text, re.I) for c in correct)
        if named and value in text:
            return None
        if named and "did you mean" in text.lower():
            return None
        return f"neither {value!r} with the name {correct[0]!r} nor 'did you mean {correct[0]}'"

    return check


ELEMENTS: dict[str, tuple[str, list[str], list[str]]] = {
    # element -> (symbol, words, SMILES of what the word might wrongly be read as)
    "C": ("C", ["carbon"], ["[C]", "C"]),
    "N": ("N", ["nitrogen"], ["[N]", "N#N", "N"]),
    "O": ("O", ["oxygen"], ["[O]", "O=O", "O"]),
    "H": ("H", ["hydrogen"], ["[H]", "[H][H]"]),
    "Cl": ("Cl", ["chlorine", "chloro"], ["[Cl]", "ClCl", "Cl"]),
    "F": ("F", ["fluorine", "fluoro"], ["[F]", "FF", "F"]),
    "S": ("S", ["sulfur", "sulphur"], ["[S]", "S"]),
    "Br": ("Br", ["bromine", "bromo"], ["[Br]", "BrBr", "Br"]),
}


def atom_count(name: str, element: str) -> int:
    mol = Chem.AddHs(m(name))
    return sum(a.GetSymbol() == element for a in mol.GetAtoms())


def _int_in(line: str, value: int) -> bool:
    """The integer stands alone on the line (not part of '1.5', 'c1', 'C8' or '-1')."""
    if value < 0:
        return bool(re.search(rf"[-−]\s?{-value}(?!\w)(?!\.\d)", line))
    return bool(re.search(rf"(?<![\w.\-−]){value}(?!\w)(?!\.\d)", line))


def count_of(name: str, element: str) -> Check:
    """A line that mentions the element gives the right count; the element is no molecule."""
    symbol, words, wrong = ELEMENTS[element]
    n = atom_count(name, element)
    absent = [
        f"molecular weight: {Descriptors.MolWt(Chem.MolFromSmiles(s)):.2f} g/mol" for s in wrong
    ]
    absent += [f"'{w}'" for w in words] + [f"'{w}s'" for w in words]

    def check(answers: list[Any]) -> str | None:
        text = _text(answers)
        for a in absent:
            if a in text:
                return f"answer has {a!r}: the element was read as a molecule"
        for line in text.splitlines():
            mentions = any(w in line.lower() for w in words) or re.search(
                rf"(?<![A-Za-z]){symbol}(?![A-Za-z0-9])", line
            )
            if mentions and _int_in(line, n):
                return None
        return f"no line mentioning {words[0]} with the count {n}"

    return check


def charge_of(smi: str) -> Check:
    q = Chem.GetFormalCharge(Chem.MolFromSmiles(smi))

    def check(answers: list[Any]) -> str | None:
        for line in _text(answers).splitlines():
            if "charge" not in line.lower():
                continue
            if _int_in(line, q):
                return None
            if q == 0 and "neutral" in line.lower():
                return None
        return f"no line with 'charge' and {q:+d}"

    return check


_SUP = str.maketrans("⁰¹²³⁴⁵⁶⁷⁸⁹⁻⁺−", "0123456789-+-")
_NUM = re.compile(
    r"(?<![\w.])(\d+(?:\.\d+)?)"
    r"(?:\s*(?:[eE]([-+]?\d+)|[×x*·]\s*10\s*\^?\s*\(?([-+]?\d+)\)?))?"
)


def numbers(text: str) -> list[float]:
    text = text.translate(_SUP).replace("\u2009", " ")
    text = re.sub(r"(?<=\d),(?=\d{3}\b)", "", text)
    out = []
    for mant, e1, e2 in _NUM.findall(text):
        exp = e1 or e2
        out.append(float(mant) * (10 ** int(exp) if exp else 1))
    return out


UNITS: dict[str, tuple[str, float]] = {
    # unit -> (pattern, factor from the base unit: mol or g)
    "mol": (r"(?<![\w/])mol(?:es?)?\b(?!/)", 1.0),
    "mmol": (r"(?<![\w/])(?:mmol|millimol(?:es?)?)\b", 1e3),
    "µmol": (r"(?<![\w/])(?:[µμu]mol|micromol(?:es?)?)\b", 1e6),
    "g": (r"(?<![\w/])(?:g|grams?)\b(?!/)", 1.0),
    "mg": (r"(?<![\w/])(?:mg|milligrams?)\b(?!/)", 1e3),
    "kg": (r"(?<![\w/])(?:kg|kilograms?)\b(?!/)", 1e-3),
}


def amount(expected: float, units: list[str]) -> Check:
    """Some number within 1% of the expected amount in one of the units, and that unit named."""

    def check(answers: list[Any]) -> str | None:
        text = _text(answers)
        found = numbers(text)
        for u in units:
            pattern, factor = UNITS[u]
            target = expected * factor
            if re.search(pattern, text) and any(abs(x - target) <= 0.01 * target for x in found):
                return None
        first = expected * UNITS[units[0]][1]
        return f"no amount within 1% of {first:.4g} {units[0]} (or the same in {units[1:]})"

    return check


def moles(name: str, grams: float, units: list[str] | None = None) -> Check:
    return amount(grams / Descriptors.MolWt(m(name)), units or ["mol", "mmol"])


def grams(name: str, mol_: float, units: list[str] | None = None) -> Check:
    return amount(mol_ * Descriptors.MolWt(m(name)), units or ["g", "mg"])


def contains_number(value: float) -> Check:
    def check(answers: list[Any]) -> str | None:
        found = numbers(_text(answers).replace("−", "-"))
        ok = any(abs(x - abs(value)) < 1e-9 for x in found)
        return None if ok else f"{value} not in the answer"

    return check


PROPERTY_LINES = ("molecular weight:", "logP (Crippen):", "TPSA:")
HONEST = (
    "not available",
    "not understood",
    "did not understand",
    "didn't understand",
    "cannot",
    "can't",
    "could not",
    "couldn't",
    "unable",
    "no tool",
)


def honest() -> Check:
    """No property list offered instead; says plainly that it could not do it."""

    def check(answers: list[Any]) -> str | None:
        text = _text(answers)
        for p in PROPERTY_LINES:
            if p in text:
                return f"answer lists {p!r} instead of saying it cannot answer"
        if not any(h in text.lower() for h in HONEST):
            return "answer does not say it could not answer"
        return None

    return check


def fmt(props: list[Prop], names: list[str], *words: str) -> Check:
    absent = tuple(q for w in words for q in (f"'{w}'", f"'{w.lower()}'", f"'{w.upper()}'"))
    return bare(props, names, absent=absent)


def _case(category: str, q: str | list[str], check: Check, named: list[str] | None = None) -> Case:
    return Case(category, [q] if isinstance(q, str) else q, check, named or [])


# ---------------------------------------------------------------- cases


def _drugs() -> list[Case]:
    c = "names: drugs and brands"
    return [
        _case(c, "What is the molecular weight of Lipitor?", vals([MW], ["Lipitor"]), ["Lipitor"]),
        _case(c, "Molecular formula of Zoloft, please.", vals([FORMULA], ["Zoloft"]), ["Zoloft"]),
        _case(c, "What's the logP of Glucophage?", vals([LOGP], ["Glucophage"]), ["Glucophage"]),
        _case(
            c,
            "How big is the polar surface area (TPSA) of Prozac?",
            vals([TPSA], ["Prozac"]),
            ["Prozac"],
        ),
        _case(
            c, "Give me the molecular formula of Nexium.", vals([FORMULA], ["Nexium"]), ["Nexium"]
        ),
        _case(
            c, "What is the molecular weight of losartan?", vals([MW], ["losartan"]), ["losartan"]
        ),
        _case(c, "logP of metoprolol?", vals([LOGP], ["metoprolol"]), ["metoprolol"]),
        _case(
            c,
            "What is simvastatin's molecular formula?",
            vals([FORMULA], ["simvastatin"]),
            ["simvastatin"],
        ),
        _case(
            c,
            "How many hydrogen-bond acceptors does citalopram have?",
            vals([HBA], ["citalopram"]),
            ["citalopram"],
        ),
        _case(c, "Calculate the TPSA of gabapentin.", vals([TPSA], ["gabapentin"]), ["gabapentin"]),
        _case(
            c, "molecular weight of levetiracetam", vals([MW], ["levetiracetam"]), ["levetiracetam"]
        ),
        _case(
            c,
            "What is the molecular formula of montelukast?",
            vals([FORMULA], ["montelukast"]),
            ["montelukast"],
        ),
        _case(
            c,
            "I need the molecular weight of sitagliptin.",
            vals([MW], ["sitagliptin"]),
            ["sitagliptin"],
        ),
        _case(
            c, "What is the logP of clopidogrel?", vals([LOGP], ["clopidogrel"]), ["clopidogrel"]
        ),
        _case(c, "Formula of amlodipine?", vals([FORMULA], ["amlodipine"]), ["amlodipine"]),
        _case(
            c,
            "Compare the molecular weights of Plavix and Norvasc.",
            vals([MW], ["Plavix", "Norvasc"]),
            ["Plavix", "Norvasc"],
        ),
        _case(c, "What's the TPSA of Keppra?", vals([TPSA], ["Keppra"]), ["Keppra"]),
        _case(c, "What is the molecular formula of Zocor?", vals([FORMULA], ["Zocor"]), ["Zocor"]),
        _case(
            c,
            "Give the molecular weight and logP of lisinopril.",
            vals([MW, LOGP], ["lisinopril"]),
            ["lisinopril"],
        ),
    ]


def _natural() -> list[Case]:
    c = "names: natural products and lipids"
    return [
        _case(
            c,
            "What is the molecular formula of menthol?",
            vals([FORMULA], ["menthol"]),
            ["menthol"],
        ),
        _case(c, "Molecular weight of camphor?", vals([MW], ["camphor"]), ["camphor"]),
        _case(c, "What's the logP of limonene?", vals([LOGP], ["limonene"]), ["limonene"]),
        _case(
            c, "Give me the formula of capsaicin.", vals([FORMULA], ["capsaicin"]), ["capsaicin"]
        ),
        _case(
            c, "What is the molecular weight of curcumin?", vals([MW], ["curcumin"]), ["curcumin"]
        ),
        _case(c, "TPSA of resveratrol?", vals([TPSA], ["resveratrol"]), ["resveratrol"]),
        _case(
            c,
            "What is the molecular formula of quercetin?",
            vals([FORMULA], ["quercetin"]),
            ["quercetin"],
        ),
        _case(
            c,
            "How heavy is a cholesterol molecule (molecular weight)?",
            vals([MW], ["cholesterol"]),
            ["cholesterol"],
        ),
        _case(
            c, "Molecular formula of oleic acid", vals([FORMULA], ["oleic acid"]), ["oleic acid"]
        ),
        _case(
            c,
            "What is the molecular weight of palmitic acid?",
            vals([MW], ["palmitic acid"]),
            ["palmitic acid"],
        ),
        _case(
            c,
            "linoleic acid: molecular formula?",
            vals([FORMULA], ["linoleic acid"]),
            ["linoleic acid"],
        ),
        _case(
            c, "What's the molecular weight of vanillin?", vals([MW], ["vanillin"]), ["vanillin"]
        ),
        _case(c, "What is the logP of eugenol?", vals([LOGP], ["eugenol"]), ["eugenol"]),
        _case(c, "Formula of geraniol?", vals([FORMULA], ["geraniol"]), ["geraniol"]),
        _case(
            c, "What is the molecular weight of squalene?", vals([MW], ["squalene"]), ["squalene"]
        ),
        _case(
            c,
            "Molecular formula of beta-carotene?",
            vals([FORMULA], ["beta-carotene"]),
            ["beta-carotene"],
        ),
        _case(c, "What is the molecular weight of thymol?", vals([MW], ["thymol"]), ["thymol"]),
        _case(
            c,
            "Give the molecular formula and logP of piperine.",
            vals([FORMULA, LOGP], ["piperine"]),
            ["piperine"],
        ),
        _case(
            c,
            "Compare the logP of stearic acid and cinnamaldehyde.",
            vals([LOGP], ["stearic acid", "cinnamaldehyde"]),
            ["stearic acid", "cinnamaldehyde"],
        ),
    ]


def _cas() -> list[Case]:
    c = "names: CAS numbers"
    return [
        _case(c, "What is the molecular weight of CAS 50-78-2?", vals([MW], ["aspirin"])),
        _case(c, "Molecular formula of 58-08-2", vals([FORMULA], ["caffeine"])),
        _case(c, "logP of the compound with CAS number 64-17-5?", vals([LOGP], ["ethanol"])),
        _case(c, "What is the molecular weight of CAS RN 57-88-5?", vals([MW], ["cholesterol"])),
        _case(c, "Formula of 121-33-5?", vals([FORMULA], ["vanillin"])),
        _case(c, "What is the TPSA of CAS 89-78-1?", vals([TPSA], ["menthol"])),
        _case(c, "molecular weight of 76-22-2", vals([MW], ["camphor"])),
        _case(c, "What is the molecular formula of CAS 5989-27-5?", vals([FORMULA], ["limonene"])),
        _case(c, "logP of 404-86-4?", vals([LOGP], ["capsaicin"])),
        _case(c, "What's the molecular weight of 458-37-7?", vals([MW], ["curcumin"])),
        _case(
            c,
            "Compare the TPSA of 501-36-0 and 117-39-5.",
            vals([TPSA], ["resveratrol", "quercetin"]),
        ),
        _case(c, "Molecular formula of CAS 103-90-2?", vals([FORMULA], ["paracetamol"])),
        _case(c, "What is the logP of 15687-27-1?", vals([LOGP], ["ibuprofen"])),
        _case(c, "H-bond donors of CAS 69-72-7?", vals([HBD], ["salicylic acid"])),
        _case(c, "What is the molecular weight of 97-53-0?", vals([MW], ["eugenol"])),
        _case(c, "Molecular formula of CAS 112-80-1", vals([FORMULA], ["oleic acid"])),
        _case(c, "molecular weight of 54-11-5?", vals([MW], ["nicotine"])),
    ]


def _misspellings() -> list[Case]:
    c = "names: misspellings"
    return [
        _case(
            c,
            "What is the molecular weight of paracetmol?",
            misspelt(["paracetamol", "acetaminophen"], MW),
        ),
        _case(c, "molecular formula of ibuprofin", misspelt(["ibuprofen"], FORMULA)),
        _case(c, "What's the logP of asprin?", misspelt(["aspirin"], LOGP)),
        _case(c, "Molecular weight of metformine?", misspelt(["metformin"], MW)),
        _case(
            c,
            "What is the molecular formula of acetaminophin?",
            misspelt(["acetaminophen", "paracetamol"], FORMULA),
        ),
        _case(c, "molecular weight of cafeine", misspelt(["caffeine"], MW)),
        _case(c, "What is the logP of naproxin?", misspelt(["naproxen"], LOGP)),
        _case(c, "Formula of omeprazol?", misspelt(["omeprazole"], FORMULA)),
        _case(c, "What is the molecular weight of diazapam?", misspelt(["diazepam"], MW)),
        _case(c, "TPSA of sertralin?", misspelt(["sertraline"], TPSA)),
        _case(c, "What's the logP of fluoxetin?", misspelt(["fluoxetine"], LOGP)),
        _case(c, "molecular formula of nicotene", misspelt(["nicotine"], FORMULA)),
        _case(c, "What is the molecular weight of amoxicilin?", misspelt(["amoxicillin"], MW)),
        _case(c, "Formula of warfarine?", misspelt(["warfarin"], FORMULA)),
        _case(c, "What is the TPSA of lidocain?", misspelt(["lidocaine"], TPSA)),
        _case(c, "molecular formula of theophyline", misspelt(["theophylline"], FORMULA)),
        _case(c, "What is the molecular weight of atorvastatine?", misspelt(["atorvastatin"], MW)),
    ]


def _phrasing() -> list[Case]:
    c = "phrasing"
    return [
        _case(
            c,
            "Which is heavier, aspirin or caffeine?",
            winner(["aspirin", "caffeine"], MW, True),
            ["aspirin", "caffeine"],
        ),
        _case(
            c,
            "Which one has the larger polar surface area: paracetamol or aspirin?",
            winner(["paracetamol", "aspirin"], TPSA, True),
            ["paracetamol", "aspirin"],
        ),
        _case(
            c,
            "Rank ibuprofen, ketoprofen and naproxen by logP.",
            ranked(["ibuprofen", "ketoprofen", "naproxen"], LOGP),
            ["ibuprofen", "ketoprofen", "naproxen"],
        ),
        _case(
            c,
            "Between phenol and toluene, which has the greater logP?",
            winner(["phenol", "toluene"], LOGP, True),
            ["phenol", "toluene"],
        ),
        _case(
            c,
            "Which is more polar, benzene or phenol?",
            any_of(
                winner(["benzene", "phenol"], TPSA, True),
                winner(["benzene", "phenol"], LOGP, False),
            ),
            ["benzene", "phenol"],
        ),
        _case(c, "Aspirin – what’s its molecular weight?", vals([MW], ["aspirin"]), ["Aspirin"]),
        _case(c, "Caffeine—what is its TPSA?", vals([TPSA], ["caffeine"]), ["Caffeine"]),
        _case(c, "What’s the logP of “ibuprofen”?", vals([LOGP], ["ibuprofen"]), ["ibuprofen"]),
        _case(
            c,
            "What is the molecular weight of N,N′-dimethylurea?",
            vals([MW], ["N,N'-dimethylurea"]),
        ),
        _case(c, "Polar surface area in Å² of naproxen?", vals([TPSA], ["naproxen"]), ["naproxen"]),
        _case(
            c, "ｍｏｌｅｃｕｌａｒ ｗｅｉｇｈｔ ｏｆ ｍｅｔｆｏｒｍｉｎ", vals([MW], ["metformin"])
        ),
        _case(
            c,
            "10 g ethanol on the bench — molecular formula?",
            vals([FORMULA], ["ethanol"]),
            ["ethanol"],
        ),
        _case(c, "mw aspirin?", vals([MW], ["aspirin"]), ["aspirin"]),
        _case(c, "logp caffeine", vals([LOGP], ["caffeine"]), ["caffeine"]),
        _case(
            c,
            "Would you be so kind as to furnish the molecular weight of theophylline?",
            vals([MW], ["theophylline"]),
            ["theophylline"],
        ),
        _case(
            c, "what is the moleculer wieght of nicotine", vals([MW], ["nicotine"]), ["nicotine"]
        ),
        _case(c, "molecular weight of urea?!", vals([MW], ["urea"]), ["urea"]),
        _case(c, "WHAT IS THE LOGP OF PARACETAMOL", vals([LOGP], ["paracetamol"]), ["PARACETAMOL"]),
        _case(c, "TPSA of `CC(=O)Oc1ccccc1C(=O)O`", vals([TPSA], ["aspirin"])),
        _case(c, "formula of glucose...", vals([FORMULA], ["glucose"]), ["glucose"]),
    ]


def _counts() -> list[Case]:
    c = "atom counts and charge"
    return [
        _case(c, "How many carbon atoms are in caffeine?", count_of("caffeine", "C"), ["caffeine"]),
        _case(c, "Count the nitrogens in caffeine.", count_of("caffeine", "N"), ["caffeine"]),
        _case(c, "Number of oxygen atoms in aspirin?", count_of("aspirin", "O"), ["aspirin"]),
        _case(
            c,
            "How many chlorine atoms does sertraline have?",
            count_of("sertraline", "Cl"),
            ["sertraline"],
        ),
        _case(
            c,
            "how many fluorine atoms are in fluoxetine",
            count_of("fluoxetine", "F"),
            ["fluoxetine"],
        ),
        _case(c, "How many carbons are in CC(C)Cc1ccc(cc1)C(C)C(=O)O?", count_of("ibuprofen", "C")),
        _case(
            c,
            "How many nitrogen atoms does imatinib contain?",
            count_of("imatinib", "N"),
            ["imatinib"],
        ),
        _case(
            c,
            "Number of sulfur atoms in clopidogrel?",
            count_of("clopidogrel", "S"),
            ["clopidogrel"],
        ),
        _case(c, "How many hydrogen atoms are in glucose?", count_of("glucose", "H"), ["glucose"]),
        _case(
            c, "How many oxygens does quercetin have?", count_of("quercetin", "O"), ["quercetin"]
        ),
        _case(
            c,
            "How many carbon atoms does cholesterol have?",
            count_of("cholesterol", "C"),
            ["cholesterol"],
        ),
        _case(c, "How many bromine atoms are in CCCCBr?", count_of("1-bromobutane", "Br")),
        _case(
            c,
            "How many fluorine atoms are in sitagliptin?",
            count_of("sitagliptin", "F"),
            ["sitagliptin"],
        ),
        _case(c, "What is the net charge of C[N+](C)(C)C?", charge_of("C[N+](C)(C)C")),
        _case(c, "Net charge of CC(=O)[O-]?", charge_of("CC(=O)[O-]")),
        _case(c, "What is the overall charge of [NH3+]CC(=O)[O-]?", charge_of("[NH3+]CC(=O)[O-]")),
        _case(c, "total charge of [O-]C(=O)CC(=O)[O-]", charge_of("[O-]C(=O)CC(=O)[O-]")),
        _case(c, "What is the formal charge of C[n+]1ccccc1?", charge_of("C[n+]1ccccc1")),
    ]


def _amounts() -> list[Case]:
    c = "amounts and units"
    return [
        _case(c, "How many moles are in 5 g of aspirin?", moles("aspirin", 5), ["aspirin"]),
        _case(
            c, "What is the mass of 0.25 mol of caffeine?", grams("caffeine", 0.25), ["caffeine"]
        ),
        _case(
            c,
            "How many mmol are in 500 mg of ibuprofen?",
            moles("ibuprofen", 0.5, ["mmol", "mol"]),
            ["ibuprofen"],
        ),
        _case(
            c,
            "What mass of paracetamol is 2 mmol?",
            grams("paracetamol", 0.002, ["mg", "g"]),
            ["paracetamol"],
        ),
        _case(
            c, "How many grams of glucose is 0.5 mol?", grams("glucose", 0.5, ["g"]), ["glucose"]
        ),
        _case(c, "moles in 10 g of ethanol", moles("ethanol", 10), ["ethanol"]),
        _case(c, "How much does 1.5 mol of urea weigh?", grams("urea", 1.5), ["urea"]),
        _case(
            c,
            "How many millimoles is 250 mg of metformin?",
            moles("metformin", 0.25, ["mmol", "mol"]),
            ["metformin"],
        ),
        _case(
            c,
            "I have 2.5 g of naproxen. How many moles is that?",
            moles("naproxen", 2.5),
            ["naproxen"],
        ),
        _case(
            c,
            "Convert 100 mg of nicotine to micromoles.",
            moles("nicotine", 0.1, ["µmol", "mmol", "mol"]),
            ["nicotine"],
        ),
        _case(
            c,
            "What is the mass in mg of 3 mmol of benzoic acid?",
            grams("benzoic acid", 0.003, ["mg", "g"]),
            ["benzoic acid"],
        ),
        _case(c, "How many moles of toluene are in 1 kg?", moles("toluene", 1000), ["toluene"]),
        _case(c, "mass of 0.1 mol of cholesterol", grams("cholesterol", 0.1), ["cholesterol"]),
        _case(
            c, "How many mol are 20 g of acetic acid?", moles("acetic acid", 20), ["acetic acid"]
        ),
        _case(
            c,
            "How many grams do I need for 0.05 mol of vanillin?",
            grams("vanillin", 0.05),
            ["vanillin"],
        ),
        _case(
            c,
            "How many moles of caffeine are in a 200 mg tablet?",
            moles("caffeine", 0.2, ["mol", "mmol", "µmol"]),
            ["caffeine"],
        ),
        _case(
            c,
            "250 mg of gabapentin is how many mmol?",
            moles("gabapentin", 0.25, ["mmol", "mol"]),
            ["gabapentin"],
        ),
    ]


def _derivatives() -> list[Case]:
    c = "derivatives"
    return [
        _case(
            c,
            "What is the molecular formula of the methyl ester of salicylic acid?",
            vals([FORMULA], ["methyl salicylate"]),
            ["salicylic acid"],
        ),
        _case(
            c,
            "Molecular weight of the ethyl ester of benzoic acid?",
            vals([MW], ["ethyl benzoate"]),
            ["benzoic acid"],
        ),
        _case(
            c,
            "What is the molecular formula of acetylated salicylic acid?",
            vals([FORMULA], ["aspirin"]),
            ["salicylic acid"],
        ),
        _case(
            c,
            "Molecular weight of the methyl ester of ibuprofen?",
            vals([MW], ["methyl ibuprofen"]),
            ["ibuprofen"],
        ),
        _case(
            c,
            "What's the formula of the ethyl ester of acetic acid?",
            vals([FORMULA], ["ethyl acetate"]),
            ["acetic acid"],
        ),
        _case(
            c,
            "What is the molecular weight of N-acetylated aniline?",
            vals([MW], ["acetanilide"]),
            ["aniline"],
        ),
        _case(
            c,
            "Molecular formula of the methyl ether of phenol?",
            vals([FORMULA], ["anisole"]),
            ["phenol"],
        ),
        _case(
            c,
            "What is the logP of naproxen's methyl ester?",
            vals([LOGP], ["methyl naproxen"]),
            ["naproxen"],
        ),
        _case(
            c,
            "Molecular weight of the acetate ester of benzyl alcohol?",
            vals([MW], ["benzyl acetate"]),
            ["benzyl alcohol"],
        ),
        _case(
            c,
            "What is the molecular formula of the ethyl ester of salicylic acid?",
            vals([FORMULA], ["ethyl salicylate"]),
            ["salicylic acid"],
        ),
        _case(
            c,
            "What is the molecular weight of the primary amide of benzoic acid?",
            vals([MW], ["benzamide"]),
            ["benzoic acid"],
        ),
        _case(
            c,
            "Formula of the N-methyl amide of benzoic acid?",
            vals([FORMULA], ["N-methylbenzamide"]),
            ["benzoic acid"],
        ),
        _case(
            c,
            "What is the molecular weight of N-methylated aniline?",
            vals([MW], ["N-methylaniline"]),
            ["aniline"],
        ),
        _case(
            c,
            "Molecular formula of the tert-butyl ester of acetic acid?",
            vals([FORMULA], ["tert-butyl acetate"]),
            ["acetic acid"],
        ),
        _case(
            c,
            "What is the molecular weight of the methyl ester of oleic acid?",
            vals([MW], ["methyl oleate"]),
            ["oleic acid"],
        ),
        _case(
            c,
            "Molecular formula of Boc-protected benzylamine?",
            vals([FORMULA], ["Boc-benzylamine"]),
            ["benzylamine"],
        ),
        _case(
            c,
            "What acid do you get by hydrolysing methyl benzoate? Give its molecular formula.",
            vals([FORMULA], ["benzoic acid"]),
            ["methyl benzoate"],
        ),
        _case(
            c, "Molecular weight of acetylated phenol?", vals([MW], ["phenyl acetate"]), ["phenol"]
        ),
    ]


def _threads() -> list[Case]:
    c = "thread references"
    return [
        _case(
            c,
            [
                "Compare the molecular weight of aspirin, caffeine and ibuprofen.",
                "What is the logP of the second one?",
            ],
            all_of(vals([LOGP], ["caffeine"]), lacks([LOGP], ["aspirin", "ibuprofen"])),
            ["caffeine"],
        ),
        _case(
            c,
            [
                "Give me the TPSA of naproxen and ketoprofen.",
                "And the molecular formula of the first?",
            ],
            all_of(vals([FORMULA], ["naproxen"]), lacks([FORMULA], ["ketoprofen"])),
            ["naproxen"],
        ),
        _case(
            c,
            ["Molecular weight of paracetamol and phenol?", "What is the logP of both of them?"],
            vals([LOGP], ["paracetamol", "phenol"]),
            ["paracetamol", "phenol"],
        ),
        _case(
            c,
            [
                "What are the molecular weights of acetic acid and ethanol?",
                "What is the TPSA of that acid?",
            ],
            all_of(vals([TPSA], ["acetic acid"]), lacks([TPSA], ["ethanol"])),
            ["acetic acid"],
        ),
        _case(
            c,
            [
                "What is the TPSA of benzoic acid?",
                "What is the molecular formula of its methyl ester?",
            ],
            vals([FORMULA], ["methyl benzoate"]),
        ),
        _case(
            c,
            ["Tell me the logP of toluene and phenol.", "What about the latter's TPSA?"],
            all_of(vals([TPSA], ["phenol"]), lacks([TPSA], ["toluene"])),
            ["phenol"],
        ),
        _case(
            c,
            [
                "logP of metformin and nicotine?",
                "What is the molecular formula of nicotine?",
                "And of the other one?",
            ],
            all_of(vals([FORMULA], ["metformin"]), lacks([FORMULA], ["nicotine"])),
            ["metformin"],
        ),
        _case(
            c,
            ["Molecular weights of lidocaine and procaine?", "Compare them by logP."],
            all_of(
                vals([LOGP], ["lidocaine", "procaine"]),
                winner(["lidocaine", "procaine"], LOGP, True),
            ),
            ["lidocaine", "procaine"],
        ),
        _case(
            c,
            [
                "What's the molecular formula of salicylic acid?",
                "What is the molecular weight of its ethyl ester?",
            ],
            vals([MW], ["ethyl salicylate"]),
        ),
        _case(
            c,
            [
                "How many H-bond donors do glucose, urea and ethanol have?",
                "Which of them has the most?",
            ],
            winner(["glucose", "urea", "ethanol"], HBD, True),
            ["glucose"],
        ),
        _case(
            c,
            ["logP of caffeine, theophylline and aspirin", "TPSA of the first one?"],
            all_of(vals([TPSA], ["caffeine"]), lacks([TPSA], ["theophylline", "aspirin"])),
            ["caffeine"],
        ),
        _case(
            c,
            [
                "Compare aspirin and paracetamol by TPSA.",
                "What is the molecular weight of the first?",
            ],
            all_of(vals([MW], ["aspirin"]), lacks([MW], ["paracetamol"])),
            ["aspirin"],
        ),
        _case(
            c,
            [
                "What are the logP values of menthol and camphor?",
                "What's the molecular formula of the second?",
            ],
            all_of(vals([FORMULA], ["camphor"]), lacks([FORMULA], ["menthol"])),
            ["camphor"],
        ),
        _case(
            c,
            [
                "Formulas of ibuprofen and naproxen?",
                "How many rotatable bonds does the former have?",
            ],
            all_of(vals([ROT], ["ibuprofen"]), lacks([ROT], ["naproxen"])),
            ["ibuprofen"],
        ),
        _case(
            c,
            [
                "molecular weight of vanillin and eugenol",
                "How many H-bond acceptors does the latter have?",
            ],
            all_of(vals([HBA], ["eugenol"]), lacks([HBA], ["vanillin"])),
            ["eugenol"],
        ),
        _case(
            c,
            ["logP of cholesterol and oleic acid", "Now give me both of their molecular formulas."],
            vals([FORMULA], ["cholesterol", "oleic acid"]),
            ["cholesterol", "oleic acid"],
        ),
        _case(
            c,
            [
                "What is the molecular weight of benzaldehyde?",
                "And benzyl alcohol?",
                "Which of the two has the higher TPSA?",
            ],
            winner(["benzaldehyde", "benzyl alcohol"], TPSA, True),
            ["benzaldehyde", "benzyl alcohol"],
        ),
    ]


def _fallback() -> list[Case]:
    c = "honest fallback"
    overview = [MW, FORMULA]
    return [
        _case(c, "What is the space group of aspirin crystals?", honest(), ["aspirin"]),
        _case(c, "What is the melting point of form II paracetamol?", honest(), ["paracetamol"]),
        _case(c, "What is the crystal density of caffeine?", honest(), ["caffeine"]),
        _case(
            c,
            "What is the 1H NMR chemical shift of the methyl protons in toluene?",
            honest(),
            ["toluene"],
        ),
        _case(c, "How much does a kilogram of ibuprofen cost?", honest(), ["ibuprofen"]),
        _case(c, "Which supplier sells naproxen the cheapest?", honest(), ["naproxen"]),
        _case(c, "What is the oral LD50 of caffeine in rats?", honest(), ["caffeine"]),
        _case(c, "What is the boiling point of ethanol at 0.5 atm?", honest(), ["ethanol"]),
        _case(c, "What is the refractive index of toluene?", honest(), ["toluene"]),
        _case(
            c, "What is the elimination half-life of metformin in humans?", honest(), ["metformin"]
        ),
        _case(c, "What is the vapour pressure of benzene at 25 °C?", honest(), ["benzene"]),
        _case(c, "blorp the fizzlewick quantum wobble", honest()),
        _case(c, "can you do the thing with the stuff", honest()),
        _case(c, "Tell me about caffeine.", vals(overview, ["caffeine"]), ["caffeine"]),
        _case(c, "Give me an overview of vanillin.", vals(overview, ["vanillin"]), ["vanillin"]),
        _case(
            c, "What can you tell me about metformin?", vals(overview, ["metformin"]), ["metformin"]
        ),
        _case(c, "Describe ibuprofen.", vals(overview, ["ibuprofen"]), ["ibuprofen"]),
    ]


def _formats() -> list[Case]:
    c = "format words"
    return [
        _case(
            c,
            "Give the molecular weights of aspirin and caffeine as a list of tuples.",
            fmt([MW], ["aspirin", "caffeine"], "tuples", "list", "tuple"),
            ["aspirin", "caffeine"],
        ),
        _case(
            c,
            "logP of ibuprofen in JSON",
            fmt([LOGP], ["ibuprofen"], "JSON", "json"),
            ["ibuprofen"],
        ),
        _case(
            c,
            "Answer in one word: what is the molecular formula of caffeine?",
            fmt([FORMULA], ["caffeine"], "word", "one word"),
            ["caffeine"],
        ),
        _case(
            c,
            "Give a table of TPSA for aspirin, paracetamol and naproxen.",
            fmt([TPSA], ["aspirin", "paracetamol", "naproxen"], "table"),
            ["aspirin", "paracetamol", "naproxen"],
        ),
        _case(
            c,
            "Molecular weight of nicotine, round to 2 decimals.",
            fmt([MW], ["nicotine"], "decimals", "2 decimals"),
            ["nicotine"],
        ),
        _case(
            c,
            "As a bullet list, give the H-bond donors of glucose and urea.",
            fmt([HBD], ["glucose", "urea"], "bullet list", "bullet", "list"),
            ["glucose", "urea"],
        ),
        _case(
            c,
            "In markdown, what is the formula of vanillin?",
            fmt([FORMULA], ["vanillin"], "markdown"),
            ["vanillin"],
        ),
        _case(c, "Briefly: logP of toluene?", fmt([LOGP], ["toluene"], "Briefly"), ["toluene"]),
        _case(
            c,
            "Output CSV with the molecular weight of ethanol and methanol.",
            fmt([MW], ["ethanol", "methanol"], "CSV", "Output CSV"),
            ["ethanol", "methanol"],
        ),
        _case(
            c,
            "Just the number: TPSA of benzoic acid.",
            fmt([TPSA], ["benzoic acid"], "number", "Just the number"),
            ["benzoic acid"],
        ),
        _case(
            c,
            "Please respond in YAML with the formula of urea.",
            fmt([FORMULA], ["urea"], "YAML"),
            ["urea"],
        ),
        _case(
            c,
            "In one sentence, tell me the molecular weight of metformin.",
            fmt([MW], ["metformin"], "sentence", "one sentence"),
            ["metformin"],
        ),
        _case(
            c,
            "Return a Python dict mapping name to logP for phenol and aniline.",
            fmt([LOGP], ["phenol", "aniline"], "dict", "Python", "Python dict", "name"),
            ["phenol", "aniline"],
        ),
        _case(
            c,
            "No explanation, just the value: exact mass of caffeine.",
            fmt([EXACT], ["caffeine"], "explanation", "value", "No explanation"),
            ["caffeine"],
        ),
        _case(
            c,
            "Summarise in a table: formula and molecular weight of ibuprofen and naproxen.",
            fmt([MW, FORMULA], ["ibuprofen", "naproxen"], "table"),
            ["ibuprofen", "naproxen"],
        ),
        _case(
            c,
            "Round to 1 decimal place: logP of lidocaine.",
            all_of(
                fmt([], ["lidocaine"], "decimal place", "decimal"),
                any_of(
                    bare([LOGP], ["lidocaine"]),
                    contains_number(round(float(num(LOGP, "lidocaine")), 1)),
                ),
            ),
            ["lidocaine"],
        ),
        _case(
            c,
            "Give me a numbered list with the TPSA of morpholine and DMF.",
            fmt([TPSA], ["morpholine", "DMF"], "numbered list", "list"),
            ["morpholine", "DMF"],
        ),
    ]


def cases() -> list[Case]:
    return (
        _drugs()
        + _natural()
        + _cas()
        + _misspellings()
        + _phrasing()
        + _counts()
        + _amounts()
        + _derivatives()
        + _threads()
        + _fallback()
        + _formats()
    )


if __name__ == "__main__":
    import logging
    import sys
    import tempfile

    from agent import Assistant
    from evals.understanding import report, run

    logging.basicConfig(level=logging.ERROR)
    with tempfile.TemporaryDirectory() as home, Assistant({"home": home}) as a:
        out = run(a, cases())
    sys.stdout.write(report(out) + "\n")
    for cat, q, why in out["failures"]:
        sys.stdout.write(f"  FAIL [{cat}] {q}: {why}\n")
