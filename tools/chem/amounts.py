"""Amounts of a substance: a mass to moles and back, through RDKit's average molecular weight.

"How many mmol is 500 mg of ibuprofen?" is arithmetic once the structure is known; doing it
here keeps the number traceable to the molecular weight it used.
"""

from __future__ import annotations

import re

AVOGADRO = 6.02214076e23

# Unit -> (kind, factor to grams or to moles)
UNITS: dict[str, tuple[str, float]] = {
    "kg": ("mass", 1e3),
    "g": ("mass", 1.0),
    "mg": ("mass", 1e-3),
    "µg": ("mass", 1e-6),
    "ng": ("mass", 1e-9),
    "mol": ("amount", 1.0),
    "mmol": ("amount", 1e-3),
    "µmol": ("amount", 1e-6),
    "nmol": ("amount", 1e-9),
}
_SPELLED = {
    "kilograms": "kg", "kilogram": "kg", "grams": "g", "gram": "g", "gr": "g",
    "milligrams": "mg", "milligram": "mg", "micrograms": "µg", "microgram": "µg", "ug": "µg",
    "mcg": "µg", "μg": "µg", "nanograms": "ng", "moles": "mol", "mole": "mol", "mols": "mol",
    "millimoles": "mmol", "millimole": "mmol", "mmols": "mmol", "micromoles": "µmol",
    "micromole": "µmol", "umol": "µmol", "μmol": "µmol", "nanomoles": "nmol",
}  # fmt: skip
_ALL_UNITS = sorted([*UNITS, *_SPELLED], key=len, reverse=True)
QUANTITY = re.compile(
    r"(?<![\w.])(?P<value>\d+(?:[.,]\d+)?(?:\s*[x×]\s*10\^?-?\d+|e-?\d+)?)\s*"
    r"(?P<unit>" + "|".join(re.escape(u) for u in _ALL_UNITS) + r")(?![\w/])",
    re.IGNORECASE,
)


def find_quantity(text: str) -> tuple[float, str, tuple[int, int]] | None:
    """The first mass or amount written in `text`: (value, unit, span), or None."""
    m = QUANTITY.search(text)
    if m is None:
        return None
    raw = m["value"].replace(",", ".").replace(" ", "")
    raw = re.sub(r"[x×]10\^?", "e", raw)
    unit = m["unit"]
    unit = _SPELLED.get(unit.lower(), unit if unit in UNITS else unit.lower())
    if unit not in UNITS:
        return None
    return float(raw), unit, m.span()


def sig(x: float, digits: int = 4) -> str:
    """A value to `digits` significant figures, without a float's noise."""
    return f"{x:.{digits}g}" if 1e-4 <= abs(x) < 1e6 or x == 0 else f"{x:.{digits - 1}e}"


def convert(value: float, unit: str, molecular_weight: float) -> dict[str, float | str]:
    """The quantity as mass (g, mg), amount (mol, mmol) and number of molecules."""
    kind, factor = UNITS[unit]
    grams = value * factor if kind == "mass" else value * factor * molecular_weight
    moles = grams / molecular_weight
    parts = [f"{sig(value)} {unit}"]
    for v, u in ((grams, "g"), (grams * 1e3, "mg"), (moles, "mol"), (moles * 1e3, "mmol")):
        if u != unit:
            parts.append(f"{sig(v)} {u}")
    text = (
        " = ".join(parts) + f" ({sig(moles * AVOGADRO)} molecules; MW {molecular_weight:.2f} g/mol)"
    )
    return {"grams": grams, "moles": moles, "molecules": moles * AVOGADRO, "amount": text}
