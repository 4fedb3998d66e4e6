"""Units a chemist asks for, from the units a regression model predicts in.

ESOL predicts log10 of the molar solubility; a bench chemist wants mg/mL. The conversion needs
the molecular weight (RDKit's average MW, the one behind the molecular-weight tool), and because
every conversion is monotonic the interval's ends convert as they are.
"""

from __future__ import annotations

import re

from pydantic import BaseModel, ConfigDict

KJ_PER_KCAL = 4.184

# Solubility units: factor from mol/L (molar) or, with `per_gram`, from g/L (mass concentration).
_MOLAR = {"mol/L": 1.0, "mmol/L": 1e3, "µmol/L": 1e6}
_MASS = {"g/L": 1.0, "mg/mL": 1.0, "mg/L": 1e3, "µg/mL": 1e3}
SOLUBILITY_UNITS = (*_MOLAR, *_MASS)
ENERGY_UNITS = ("kcal/mol", "kJ/mol")
UNITS: dict[str, tuple[str, ...]] = {"esol": SOLUBILITY_UNITS, "freesolv": ENERGY_UNITS}

# How the units are written in questions, longest first so "mg/mL" wins over "g/L"-like parts.
_SPELLINGS: dict[str, tuple[str, ...]] = {
    "mg/mL": (
        "mg/ml",
        "mg ml-1",
        "mg ml^-1",
        "mg per ml",
        "milligrams per millilitre",
        "milligrams per milliliter",
    ),
    "µg/mL": (
        "µg/ml",
        "μg/ml",
        "ug/ml",
        "mcg/ml",
        "micrograms per millilitre",
        "micrograms per milliliter",
    ),
    "mg/L": ("mg/l", "mg per litre", "mg per liter", "ppm"),
    "g/L": ("g/l", "grams per litre", "grams per liter", "g per litre", "g per liter"),
    "mmol/L": ("mmol/l", "mm", "millimolar"),
    "µmol/L": ("µmol/l", "μmol/l", "umol/l", "µm", "μm", "um", "micromolar"),
    "mol/L": ("mol/l", "moles per litre", "moles per liter", "molar", "molarity"),
    "kJ/mol": ("kj/mol", "kj mol-1", "kj", "kilojoules"),
    "kcal/mol": ("kcal/mol", "kcal mol-1", "kcal", "kilocalories"),
}
_PATTERNS = [
    (unit, re.compile(r"(?<![\w/])" + re.escape(s) + r"(?![\w/])", re.IGNORECASE))
    for unit, spellings in _SPELLINGS.items()
    for s in spellings
]


class Converted(BaseModel):
    """A value and its interval in the asked units."""

    model_config = ConfigDict(extra="forbid", frozen=True)

    value: float
    low: float
    high: float
    units: str


class UnitError(ValueError):
    """The asked units do not apply to the quantity, or the conversion lacks a number."""


def solubility(log_s: float, units: str, molecular_weight: float | None = None) -> float:
    """log10(mol/L) -> `units`; mass units need the molecular weight in g/mol."""
    molar = 10.0**log_s
    if units in _MOLAR:
        return molar * _MOLAR[units]
    if units in _MASS:
        if molecular_weight is None or molecular_weight <= 0:
            raise UnitError(f"converting solubility to {units} needs the molecular weight")
        return molar * molecular_weight * _MASS[units]
    raise UnitError(f"solubility cannot be given in {units!r}; use one of {SOLUBILITY_UNITS}")


def energy(kcal_per_mol: float, units: str) -> float:
    if units == "kcal/mol":
        return kcal_per_mol
    if units == "kJ/mol":
        return kcal_per_mol * KJ_PER_KCAL
    raise UnitError(f"an energy cannot be given in {units!r}; use one of {ENERGY_UNITS}")


def convert(
    endpoint: str,
    value: float,
    low: float,
    high: float,
    units: str,
    molecular_weight: float | None = None,
) -> Converted:
    """A prediction of `endpoint` in its model's units, given in `units` instead."""
    if endpoint == "esol":

        def f(v: float) -> float:
            return solubility(v, units, molecular_weight)
    elif endpoint == "freesolv":

        def f(v: float) -> float:
            return energy(v, units)
    else:
        raise UnitError(f"{endpoint} predictions have no other units")
    return Converted(value=f(value), low=f(low), high=f(high), units=units)


def units_in(text: str, endpoint: str) -> str | None:
    """The units the question asks for, where they apply to the endpoint ("how soluble is
    caffeine in mg/mL" -> "mg/mL"); None when it names none."""
    allowed = UNITS.get(endpoint, ())
    best: tuple[int, str] | None = None
    for unit, pattern in _PATTERNS:
        if unit not in allowed:
            continue
        m = pattern.search(text)
        if m and (best is None or m.start() < best[0]):
            best = (m.start(), unit)
    return None if best is None else best[1]


def significant(x: float) -> str:
    """Three significant figures, as a measured solubility is quoted."""
    return f"{x:.3g}"
