"""Property predictors: metrics, calibration, applicability domain, the shipped models, the tool."""

from __future__ import annotations

import hashlib
import json
from functools import cache

import numpy as np
import pytest
from rdkit import Chem

from tests.conftest import figure_tolerance, run_cli, shared_data
from tools.base import ToolError, ToolInputError
from tools.chem.mol import InvalidSmiles
from tools.predict.calibration import brier, fit_platt
from tools.predict.domain import TrainingSet
from tools.predict.endpoints import catalogue
from tools.predict.metrics import mean_auc, roc_auc
from tools.predict.model import EndpointModel, load_model, packaged_models
from tools.predict.tools import predict_tools
from tools.predict.train import load_dataset, train_endpoint

ENDPOINTS = list(catalogue().endpoints)


def moleculenet():
    return shared_data() / "moleculenet" / "chemprop_2019"


@cache
def dataset(name: str):
    """Each CSV is split once per session (HIV's 41k scaffolds take seconds)."""
    return load_dataset(catalogue().get(name), moleculenet())


# --- metrics and calibration -------------------------------------------------------------


def test_roc_auc_counts_pairs_and_halves_ties():
    # positives 0.35, 0.8; negatives 0.1, 0.4: 3 of the 4 pairs are ordered correctly
    assert roc_auc(np.array([0, 0, 1, 1]), np.array([0.1, 0.4, 0.35, 0.8])) == 0.75
    assert roc_auc(np.array([0, 1, 0, 1]), np.array([0.5, 0.5, 0.5, 0.5])) == 0.5
    assert roc_auc(np.array([1, 1, 0]), np.array([0.9, 0.8, 0.1])) == 1.0
    with pytest.raises(ValueError, match="both positive and negative"):
        roc_auc(np.array([1, 1]), np.array([0.2, 0.3]))


def test_mean_auc_skips_missing_labels():
    Y = np.array([[1, np.nan], [0, 1], [1, 0], [np.nan, 1]])
    P = np.array([[0.9, 0.0], [0.1, 0.9], [0.8, 0.2], [0.0, 0.7]])
    assert mean_auc(Y, P) == 1.0  # a NaN scored as 0 would make task 0 imperfect


def test_platt_undoes_overconfidence():
    rng = np.random.default_rng(0)
    p_true = rng.uniform(0.02, 0.98, 20000)
    y = (rng.uniform(size=p_true.size) < p_true).astype(float)
    logit = np.log(p_true / (1 - p_true))
    overconfident = 1 / (1 + np.exp(-3 * logit))
    platt = fit_platt(overconfident, y)
    assert platt.a == pytest.approx(1 / 3, abs=0.03)
    assert abs(platt.b) < 0.05
    calibrated = platt(overconfident)
    assert brier(calibrated, y) < brier(overconfident, y)
    assert (np.argsort(calibrated) == np.argsort(overconfident)).all()  # ROC-AUC unchanged


def test_platt_with_one_class_is_the_identity():
    platt = fit_platt(np.array([0.2, 0.7]), np.array([1.0, 1.0]))
    assert (platt.a, platt.b) == (1.0, 0.0)


# --- applicability domain ----------------------------------------------------------------


def test_domain_bands_follow_similarity_to_training_molecules():
    train = TrainingSet.from_smiles(["c1ccccc1CCN", "c1ccccc1CCO", "CC(=O)Oc1ccccc1C(=O)O"])
    same = train.neighbourhood(Chem.MolFromSmiles("OCCc1ccccc1"))
    assert same.nearest_similarity == 1.0 and same.band == "close"
    assert same.nearest_smiles == "c1ccccc1CCO"
    far = train.neighbourhood(Chem.MolFromSmiles("FC(F)(F)C(F)(F)C(F)(F)S(=O)(=O)O"))
    assert far.band == "distant" and far.nearest_similarity < 0.3
    assert "unreliable" in far.describe()


# --- the shipped models ------------------------------------------------------------------


@pytest.mark.parametrize("name", ENDPOINTS)
def test_shipped_model_was_trained_on_the_shared_csv_without_test_molecules(name):
    ep = catalogue().get(name)
    model = EndpointModel.load(packaged_models() / name)
    raw = (moleculenet() / ep.dataset).read_bytes()
    assert model.card.dataset_sha256 == hashlib.sha256(raw).hexdigest()
    data = dataset(name)
    refit = model.card.trained_on == "train+valid"
    assert refit == ep.refit
    fitted = data.split.train + (data.split.valid if refit else [])
    assert len(model.training.smiles) == len(fitted)
    assert sum(t.n_train for t in model.card.tasks) == int((~np.isnan(data.labels[fitted])).sum())
    training = set(model.training.smiles)
    test = {Chem.CanonSmiles(data.smiles[i]) for i in data.split.test}
    valid = {Chem.CanonSmiles(data.smiles[i]) for i in data.split.valid}
    assert not training & test
    assert bool(training & valid) == refit


@pytest.mark.parametrize(
    "name", [pytest.param(n, marks=pytest.mark.slow) if n == "hiv" else n for n in ENDPOINTS]
)
def test_shipped_model_reproduces_its_stated_test_roc_auc(name):
    """The figure every answer quotes is what the loaded model scores on the test split, within
    the move measured across machines (`figure_tolerance`)."""
    model = load_model(name)
    data = dataset(name)
    test = data.split.test
    mols = [Chem.MolFromSmiles(data.smiles[i]) for i in test]
    inputs = model.featurize(mols)
    score = mean_auc(data.labels[test], model.raw_scores(inputs))
    assert score == pytest.approx(
        model.card.test_roc_auc, abs=figure_tolerance(name, "test_roc_auc")
    )
    members = model.member_scores(inputs)
    for m in model.card.members:  # each member, read back from its own file, scores as stated
        assert mean_auc(data.labels[test], members[m.kind]) == pytest.approx(
            m.test_roc_auc, abs=figure_tolerance(name, f"member_{m.kind}")
        )


CLINTOX_BELOW = pytest.mark.xfail(
    strict=True,
    reason="validation chose maccs+minimol (98.2 vs 97.3); on test it scores 87.0, below "
    "ChemDFM-13B's 89.9 (evals/results/predictors.md); the choice was not reversed on test",
)


@pytest.mark.parametrize(
    "name", [pytest.param(n, marks=CLINTOX_BELOW) if n == "clintox" else n for n in ENDPOINTS]
)
def test_shipped_model_beats_chemdfm_13b(name):
    """The floor of the issue, on the figure the model card records (checked above)."""
    ep = catalogue().get(name)
    assert 100 * load_model(name).card.test_roc_auc > ep.paper.chemdfm_13b


def test_retraining_reproduces_the_shipped_clintox_model(tmp_path):
    """A tree recipe retrains to the shipped model: bit for bit on the machine that trained it,
    and elsewhere within the move measured when the MiniMol block's rounding flips
    (`figure_tolerance`; the perceptron's float sums differ across CPUs, so clintox, trees
    only, is the one retrained here)."""
    ep = catalogue().get("clintox")
    assert ep.mlp is None and ep.svm is None
    report = train_endpoint(ep, moleculenet(), tmp_path, seeds=(0,), threads=2)
    shipped = load_model("clintox")
    retrained = EndpointModel.load(tmp_path / "clintox")
    auc = figure_tolerance("clintox", "retrained_test_roc_auc")
    assert retrained.card.test_roc_auc == pytest.approx(shipped.card.test_roc_auc, abs=auc)
    assert report.seeds[0].test_roc_auc == retrained.card.test_roc_auc
    data = dataset("clintox")
    X = shipped.featurize([Chem.MolFromSmiles(s) for s in data.smiles[:200]])
    # A rounding flip can reshape a tree, so single probabilities may move far (0.25 at most
    # under simulated flips); on average they move little (0.009 at most, measured).
    moved = np.abs(retrained.probabilities(X) - shipped.probabilities(X))
    assert moved.mean() <= figure_tolerance("clintox", "retrained_probability_mean")


def test_interrupted_save_keeps_the_previous_model(tmp_path, monkeypatch):
    model = load_model("bbbp")
    model.save(tmp_path / "bbbp")
    before = (tmp_path / "bbbp" / "model.json").read_text()

    def boom(*a, **k):
        raise OSError("disk full")

    monkeypatch.setattr(np, "savez_compressed", boom)
    with pytest.raises(OSError, match="disk full"):
        model.save(tmp_path / "bbbp")
    assert (tmp_path / "bbbp" / "model.json").read_text() == before
    assert EndpointModel.load(tmp_path / "bbbp").card.test_roc_auc == model.card.test_roc_auc
    assert sorted(p.name for p in tmp_path.iterdir()) == ["bbbp"]  # no temporary left behind


# --- the tool -----------------------------------------------------------------------------


@pytest.fixture(scope="module")
def predict_property():
    (tool,) = predict_tools(None)
    return tool


def test_known_bbb_penetrant_scores_above_a_known_non_penetrant(predict_property):
    # diazepam enters the brain; the zwitterion cetirizine was designed not to
    diazepam = predict_property.run(
        {"smiles": "CN1C(=O)CN=C(c2ccccc2)c2cc(Cl)ccc21", "endpoint": "bbbp"}
    )
    cetirizine = predict_property.run(
        {"smiles": "OC(=O)COCCN1CCN(CC1)C(c1ccccc1)c1ccc(Cl)cc1", "endpoint": "BBBP"}
    )
    p_in = diazepam.data["probabilities"]["p_np"]
    p_out = cetirizine.data["probabilities"]["p_np"]
    assert 0 <= p_out < p_in <= 1
    assert diazepam.data["test_roc_auc"] == load_model("bbbp").card.test_roc_auc
    assert "applicability_domain" in diazepam.data


def test_tox21_gives_one_probability_per_assay(predict_property):
    r = predict_property.run({"smiles": "Oc1ccc(cc1)C(C)(C)c1ccc(O)cc1", "endpoint": "tox21"})
    assert len(r.data["probabilities"]) == 12 == len(r.data["prediction"])
    # bisphenol A is a textbook estrogen-receptor agonist: NR-ER ranks above most assays
    probs = r.data["probabilities"]
    assert sorted(probs, key=probs.get, reverse=True).index("NR-ER") < 4


def test_invalid_smiles_gets_a_clear_error(predict_property):
    with pytest.raises(InvalidSmiles, match="ring"):
        predict_property.run({"smiles": "C1CC", "endpoint": "bbbp"})


def test_unknown_endpoint_lists_the_known_ones(predict_property):
    with pytest.raises(ToolInputError, match="bace, bbbp, clintox, hiv, tox21"):
        predict_property.run({"smiles": "CCO", "endpoint": "solubility"})


def test_missing_models_say_how_to_train(tmp_path, monkeypatch):
    monkeypatch.setattr("tools.predict.model.packaged_models", lambda: tmp_path / "none")
    (tool,) = predict_tools(tmp_path / "user")
    with pytest.raises(ToolError, match="chemagent train predictors"):
        tool.run({"smiles": "CCO", "endpoint": "hiv"})


# --- the agent and the CLI -----------------------------------------------------------------


def test_bbb_question_is_routed_to_the_predictor(assistant):
    a = assistant.ask("Will caffeine cross the blood-brain barrier?")
    assert [s.tool for s in a.steps] == ["resolve_name", "predict_property"]
    assert "P(crosses the blood-brain barrier) = " in a.text
    auc = load_model("bbbp").card.test_roc_auc
    assert f"test ROC-AUC {auc:.2f}" in a.text
    assert "applicability domain: nearest training molecule Tanimoto" in a.text


def test_toxicity_question_asks_both_toxicity_models(assistant):
    a = assistant.ask("Is CC(=O)Nc1ccc(O)cc1 toxic?")
    calls = [s for s in a.steps if s.tool == "predict_property"]
    assert len(calls) == 2 and all(s.ok for s in calls)
    assert "failed clinical trials for toxicity" in a.text
    assert "(SR-p53)" in a.text


def test_bace_and_hiv_questions_pick_their_endpoints(assistant):
    a = assistant.ask(
        "Is CC(C)Cc1ccc(cc1)C(C)C(=O)O a BACE-1 inhibitor, and is it active against HIV?"
    )
    text = a.text
    assert "P(BACE-1 inhibitor" in text and "P(active against HIV" in text


def test_cli_predict_json_and_invalid_input(chemagent_home):
    r = run_cli(
        "predict", "CCO", "C1CC", "--endpoint", "clintox", "--json", env_home=chemagent_home
    )
    assert r.returncode == 1
    good, bad = (json.loads(line) for line in r.stdout.splitlines())
    assert good["ok"] and set(good["probabilities"]) == {"FDA_APPROVED", "CT_TOX"}
    assert not bad["ok"] and "ring" in bad["error"]


@pytest.mark.slow
def test_cli_train_writes_a_model_the_agent_then_uses(chemagent_home, tmp_path):
    report = tmp_path / "report.md"
    r = run_cli(
        "train",
        "predictors",
        "-e",
        "bace",
        "--seeds",
        "2",
        "--data-dir",
        str(moleculenet()),
        "--report",
        str(report),
        "--threads",
        "2",
        env_home=chemagent_home,
        timeout=300,
    )
    assert r.returncode == 0, r.stderr
    assert "| ChemDFM-13B (paper) | 78.4 |" in report.read_text()
    card = json.loads((chemagent_home / "predictors" / "bace" / "model.json").read_text())
    assert card["seed"] == 0 and len(card["tasks"]) == 1
    # the user's retrained model is the one the agent loads
    assert (
        load_model("bace", chemagent_home / "predictors").card.dataset_sha256
        == card["dataset_sha256"]
    )


def test_training_on_an_empty_csv_says_so(tmp_path):
    (tmp_path / "bace.csv").write_text("mol,Class\n")
    with pytest.raises(ValueError, match="no data rows"):
        load_dataset(catalogue().get("bace"), tmp_path)
