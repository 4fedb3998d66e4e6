"""Regression endpoints (solubility, hydration free energy, logD): conformal intervals, unit
conversion, the shipped models against their cards, the tool and the agent."""

from __future__ import annotations

import hashlib
import math
from functools import cache

import numpy as np
import pytest
from rdkit import Chem
from rdkit.Chem import Descriptors

from tests.conftest import figure_tolerance, shared_data
from tools.base import ToolError, ToolInputError
from tools.predict.endpoints import catalogue
from tools.predict.model import packaged_models
from tools.predict.regression import RegressionModel, load_regression
from tools.predict.tools import predict_tools
from tools.predict.train import DataMissing, load_dataset
from tools.predict.train_regression import (
    band_widths,
    conformal_half_width,
    rmse,
    scaled_intervals,
)
from tools.predict.units import UnitError, convert, energy, solubility, units_in

REGRESSION = list(catalogue().regression)
CAFFEINE = "CN1C=NC2=C1C(=O)N(C(=O)N2C)C"


def regression_data():
    return shared_data() / "moleculenet" / "regression"


@cache
def dataset(name: str):
    return load_dataset(catalogue().get_regression(name), regression_data())


@cache
def shipped(name: str) -> RegressionModel:
    return RegressionModel.load(packaged_models() / name)


@cache
def split_predictions(name: str, part: str) -> tuple[np.ndarray, np.ndarray, list[str]]:
    """The shipped model's values on one split, the measured values and the domain bands."""
    data, model = dataset(name), shipped(name)
    rows = getattr(data.split, part)
    mols = [Chem.MolFromSmiles(data.smiles[i]) for i in rows]
    bands = [model.training.neighbourhood(m).band for m in mols]
    return model.values(model.featurize(mols)), data.labels[rows, 0], bands


# --- the conformal interval --------------------------------------------------------------


def test_conformal_half_width_is_the_finite_sample_quantile():
    r = np.arange(1.0, 11.0)  # |residuals| 1..10
    assert conformal_half_width(r, 0.9) == 10.0  # ceil(11 * 0.9) = 10th smallest
    assert conformal_half_width(-r, 0.5) == 6.0  # ceil(11 * 0.5) = 6th; the sign is ignored
    assert conformal_half_width(r[:3], 0.9) == 3.0  # too few for 90%: the largest
    with pytest.raises(ValueError):
        conformal_half_width(np.array([]), 0.9)


def test_sparse_domain_bands_fall_back_to_the_pooled_width():
    residuals = np.concatenate([np.full(40, 0.5), np.full(5, 3.0)])
    bands = ["close"] * 40 + ["distant"] * 5
    widths = band_widths(residuals, bands, 0.9, min_n=30)
    assert widths["close"] == (0.5, 40, False)
    pooled = conformal_half_width(residuals, 0.9)
    assert widths["distant"] == (pooled, 5, True)
    assert widths["moderate"] == (pooled, 0, True)


def test_validation_residuals_scale_every_band_by_one_factor():
    widths = {"all": (1.0, 100, False), "close": (0.5, 50, False), "distant": (2.0, 50, False)}
    # validation residuals at 1.5x their band's width, except one at 3x
    valid = np.array([0.75] * 9 + [6.0])
    bands = ["close"] * 9 + ["distant"]
    intervals, factor = scaled_intervals(widths, valid, bands, 0.8)  # ceil(11*0.8) = 9th
    assert factor == pytest.approx(1.5)
    got = {b.band: b.half_width for b in intervals}
    assert got == pytest.approx({"all": 1.5, "close": 0.75, "distant": 3.0}, abs=1e-4)
    assert got["close"] >= 0.75  # rounded up, never down: the 9th residual stays inside


# --- units -------------------------------------------------------------------------------


def test_solubility_conversions_worked_by_hand():
    # caffeine, MW 194.19 g/mol, log S = -0.88: 10^-0.88 = 0.1318 mol/L; x 194.19 = 25.6 g/L
    assert solubility(-0.88, "mol/L") == pytest.approx(0.13183, rel=1e-4)
    assert solubility(-0.88, "mmol/L") == pytest.approx(131.83, rel=1e-4)
    assert solubility(-0.88, "mg/mL", 194.19) == pytest.approx(25.60, rel=1e-3)
    assert solubility(-0.88, "g/L", 194.19) == pytest.approx(25.60, rel=1e-3)
    assert solubility(-0.88, "µg/mL", 194.19) == pytest.approx(25600, rel=1e-3)
    # log S = -3 (1 mM) of a 300 g/mol drug = 0.3 mg/mL = 300 µg/mL = 1000 µM
    assert solubility(-3.0, "mg/mL", 300.0) == pytest.approx(0.3)
    assert solubility(-3.0, "µmol/L") == pytest.approx(1000.0)
    with pytest.raises(UnitError, match="molecular weight"):
        solubility(-3.0, "mg/mL")


def test_energy_conversion_and_intervals_convert_end_by_end():
    assert energy(-6.3, "kJ/mol") == pytest.approx(-26.359, rel=1e-4)  # 4.184 kJ per kcal
    c = convert("esol", -2.0, -3.0, -1.0, "mg/mL", 100.0)
    assert (c.low, c.value, c.high) == pytest.approx((0.1, 1.0, 10.0))
    with pytest.raises(UnitError):
        convert("freesolv", -5.0, -6.0, -4.0, "mg/mL")
    with pytest.raises(UnitError):
        convert("lipo", 1.0, 0.0, 2.0, "mg/mL")


@pytest.mark.parametrize(
    ("text", "endpoint", "units"),
    [
        ("How soluble is caffeine in water, in mg/mL?", "esol", "mg/mL"),
        ("solubility of aspirin in µM", "esol", "µmol/L"),
        ("solubility of aspirin in ug/ml please", "esol", "µg/mL"),
        ("Is it soluble at 1 mM?", "esol", "mmol/L"),
        ("hydration free energy of ethanol in kJ/mol", "freesolv", "kJ/mol"),
        ("hydration free energy of ethanol in kJ/mol", "esol", None),  # not a solubility unit
        ("How soluble is caffeine in water?", "esol", None),
        ("logD of propranolol in mg/mL", "lipo", None),
    ],
)
def test_units_named_in_a_question(text, endpoint, units):
    assert units_in(text, endpoint) == units


# --- the shipped models ------------------------------------------------------------------


@pytest.mark.parametrize("name", REGRESSION)
def test_shipped_model_was_trained_on_the_shared_csv(name):
    data = dataset(name)
    card = shipped(name).card
    ep = catalogue().get_regression(name)
    raw = (regression_data() / ep.dataset).read_bytes()
    assert card.dataset_sha256 == hashlib.sha256(raw).hexdigest()
    assert card.n_train == len(data.split.train)
    assert len(shipped(name).training.smiles) == card.n_train
    train = set(shipped(name).training.smiles)  # ESOL lists a few molecules twice
    test = {Chem.CanonSmiles(data.smiles[i]) for i in data.split.test}
    assert not train & test


def test_split_sizes_are_the_documented_ones():
    sizes = {
        n: tuple(len(getattr(dataset(n).split, p)) for p in ("train", "valid", "test"))
        for n in REGRESSION
    }
    assert sizes == {
        "esol": (902, 113, 113),
        "freesolv": (513, 64, 65),
        "lipo": (3360, 420, 420),
    }


@pytest.mark.parametrize("name", REGRESSION)
def test_shipped_model_reproduces_its_stated_test_rmse(name):
    card = shipped(name).card
    pred, y, _ = split_predictions(name, "test")
    assert rmse(y, pred) == pytest.approx(card.test_rmse, abs=figure_tolerance(name, "test_rmse"))
    mae = float(np.mean(np.abs(y - pred)))
    assert mae == pytest.approx(card.test_mae, abs=figure_tolerance(name, "test_mae"))


@pytest.mark.parametrize("name", REGRESSION)
def test_intervals_cover_about_their_nominal_share(name):
    model = shipped(name)
    c = model.card
    for part, stated in (("valid", c.valid_coverage), ("test", c.test_coverage)):
        pred, y, bands = split_predictions(name, part)
        half = np.array([c.half_width(b) for b in bands])
        inside = float(np.mean(np.abs(y - pred) <= half))
        assert inside == pytest.approx(stated, abs=1 / len(y) + 1e-9), part
        # within three binomial standard errors of the nominal share
        assert abs(inside - c.coverage) <= 3 * math.sqrt(c.coverage * (1 - c.coverage) / len(y))
    widths = {b.band: b.half_width for b in c.intervals}
    assert widths["close"] <= widths["distant"]  # errors grow away from the training data


def test_solubility_model_orders_textbook_molecules():
    model = load_regression("esol")
    values = {
        s: model.predict(s).value
        for s in (
            "OCC(O)CO",  # glycerol, miscible with water
            "c1ccccc1",  # benzene, ~1.8 g/L
            "c1ccc2cc3ccccc3cc2c1",  # anthracene, ~0.04 mg/L
        )
    }
    assert values["OCC(O)CO"] > values["c1ccccc1"] > values["c1ccc2cc3ccccc3cc2c1"]


# --- the tool and the agent --------------------------------------------------------------


@pytest.fixture(scope="module")
def predict_property():
    (tool,) = predict_tools(None)
    return tool


def test_solubility_tool_gives_value_interval_units_and_test_rmse(predict_property):
    r = predict_property.run({"smiles": CAFFEINE, "endpoint": "esol", "units": "mg/mL"})
    card = load_regression("esol").card
    low, high = r.data["interval"]
    assert low < r.data["value"] < high
    mw = Descriptors.MolWt(Chem.MolFromSmiles(CAFFEINE))
    assert r.data["molecular_weight"] == pytest.approx(mw, abs=0.01)
    mg = r.data["converted"]["mg/mL"]
    assert mg["value"] == pytest.approx(10 ** r.data["value"] * mw, rel=1e-6)
    assert mg["low"] == pytest.approx(10**low * mw, rel=1e-6)
    assert r.data["test_rmse"] == card.test_rmse
    assert f"test RMSE {card.test_rmse:.2f} log10(mol/L)" in r.data["model_quality"]
    assert "mg/mL" in r.summary and r.data["applicability_domain"]


def test_units_that_do_not_apply_are_refused(predict_property):
    with pytest.raises(ToolInputError, match="kcal/mol, kJ/mol"):
        predict_property.run({"smiles": "CCO", "endpoint": "freesolv", "units": "mg/mL"})
    with pytest.raises(ToolInputError, match="esol, freesolv, lipo"):
        predict_property.run({"smiles": "CCO", "endpoint": "melting point"})


def test_hydration_energy_in_kilojoules(predict_property):
    kcal = predict_property.run({"smiles": "CCO", "endpoint": "freesolv"})
    kj = predict_property.run({"smiles": "CCO", "endpoint": "freesolv", "units": "kJ/mol"})
    assert kj.data["converted"]["kJ/mol"]["value"] == pytest.approx(4.184 * kcal.data["value"])


def test_missing_regression_data_says_where_to_point(tmp_path):
    with pytest.raises(DataMissing, match="--regression-dir"):
        load_dataset(catalogue().get_regression("esol"), tmp_path)


def test_broken_regression_model_is_a_clear_tool_error(tmp_path, monkeypatch):
    user = tmp_path / "user"
    (user / "esol").mkdir(parents=True)
    (user / "esol" / "model.json").write_text("{not json", "utf-8")
    (tool,) = predict_tools(user)
    with pytest.raises(ToolError, match="retrain it"):
        tool.run({"smiles": "CCO", "endpoint": "esol"})


def test_solubility_question_gets_a_grounded_number(assistant):
    a = assistant.ask("How soluble is caffeine in water?")
    step = next(s for s in a.steps if s.tool == "predict_property")
    assert step.ok and step.args["endpoint"] == "esol"
    r = predict_tools(None)[0].run({"smiles": CAFFEINE, "endpoint": "esol"})
    value, (low, high) = r.data["value"], r.data["interval"]
    assert f"log S = {value:.2f} log10(mol/L) (90% interval {low:.2f} to {high:.2f})" in a.text
    assert f"test RMSE {load_regression('esol').card.test_rmse:.2f}" in a.text
    assert "mg/mL" in a.text


def test_asked_units_and_other_quantities_are_routed(assistant):
    a = assistant.ask("What is the solubility of caffeine in µg/mL?")
    step = next(s for s in a.steps if s.tool == "predict_property")
    assert step.args == {"smiles": step.args["smiles"], "endpoint": "esol", "units": "µg/mL"}
    assert "µg/mL" in a.text
    b = assistant.ask("What is the logD of propranolol?")
    assert [s.args.get("endpoint") for s in b.steps if s.tool == "predict_property"] == ["lipo"]
    c = assistant.ask("What is the hydration free energy of ethanol in kJ/mol?")
    step = next(s for s in c.steps if s.tool == "predict_property")
    assert (step.args["endpoint"], step.args["units"]) == ("freesolv", "kJ/mol")


def test_solubility_in_an_organic_solvent_says_the_model_is_for_water(assistant):
    a = assistant.ask("How soluble is caffeine in ethanol?")
    assert "Solubility in ethanol: the solubility model covers water only" in a.text
    calls = [s for s in a.steps if s.tool == "predict_property"]
    assert len(calls) == 1 and calls[0].args["smiles"] == Chem.CanonSmiles(CAFFEINE)
    b = assistant.ask("Is caffeine soluble in organic solvents?")
    assert "solubility in organic solvents" in b.text and "water only" in b.text


def test_water_is_the_solvent_not_a_molecule_to_predict(assistant):
    a = assistant.ask("How soluble is caffeine in water?")
    calls = [s for s in a.steps if s.tool == "predict_property"]
    assert [c.args["smiles"] for c in calls] == [Chem.CanonSmiles(CAFFEINE)]
    assert "covers water only" not in a.text
