"""The ensemble members (kernel SVM, multitask perceptron) and the refit-on-train+valid recipe."""

from __future__ import annotations

import subprocess
import sys

import numpy as np
import pytest
from rdkit import Chem

from tests.conftest import shared_data
from tools.predict.endpoints import catalogue
from tools.predict.kernel import (
    KernelMachine,
    SVMSpec,
    fit_kernel_machine,
    kernel_bits,
    tanimoto_kernel,
)
from tools.predict.metrics import mean_auc
from tools.predict.mlp import MLPSpec, Perceptron, fit_perceptron
from tools.predict.model import EndpointModel, Inputs
from tools.predict.train import (
    EndpointReport,
    FeatureTable,
    SeedResult,
    calibrate,
    cross_fitted_scores,
    fit_members,
    load_dataset,
    render_report,
    train_endpoint,
)

ROOT = __import__("pathlib").Path(__file__).resolve().parent.parent
SMILES = ["CCO", "CCCO", "CCCCO", "c1ccccc1", "c1ccccc1C", "c1ccccc1CC", "CC(=O)O", "CCC(=O)O"]
SMILES += ["c1ccncc1", "Cc1ccncc1", "OCC(O)CO", "Clc1ccccc1"]


def test_tanimoto_kernel_is_one_on_itself_and_the_mean_over_fingerprints():
    spec = SVMSpec(C=1.0)
    bits = kernel_bits([Chem.MolFromSmiles(s) for s in ["CCO", "CCN", "c1ccccc1"]], spec)
    K = tanimoto_kernel(bits, bits)
    np.testing.assert_allclose(np.diag(K), 1.0)
    a, e = bits  # atom pairs, ECFP4
    ap = (a[0] * a[1]).sum() / ((a[0] + a[1]) > 0).sum()
    ec = (e[0] * e[1]).sum() / ((e[0] + e[1]) > 0).sum()
    assert K[0, 1] == pytest.approx((ap + ec) / 2)
    assert K[0, 1] > K[0, 2]  # ethanol is closer to ethylamine than to benzene


def test_kernel_machine_reproduces_scikit_learns_svm_after_a_round_trip():
    from sklearn.svm import SVC

    Y = np.array(
        [[0, 1], [0, 1], [0, np.nan], [1, 0], [1, 0], [1, 1], [0, 1], [0, 0], [1, 0], [1, np.nan]]
        + [[0, 1], [1, 0]],
        dtype=float,
    )
    spec = SVMSpec(C=1.0)
    bits = kernel_bits([Chem.MolFromSmiles(s) for s in SMILES], spec)
    machine = fit_kernel_machine(bits, Y, spec)
    K = tanimoto_kernel(bits, bits)
    for j in range(2):
        rows = np.flatnonzero(~np.isnan(Y[:, j]))
        svc = SVC(C=1.0, kernel="precomputed", class_weight="balanced")
        svc.fit(K[np.ix_(rows, rows)], Y[rows, j])
        np.testing.assert_allclose(
            machine.decision(bits)[:, j], svc.decision_function(K[:, rows]), atol=1e-9
        )
    # benzene and toluene are aromatic (task 0 positive): their margin is on the positive side
    assert (machine.decision(bits)[3:5, 0] > 0).all()
    back = KernelMachine.from_arrays(spec, machine.arrays(), n_tasks=2)
    np.testing.assert_allclose(back.decision(bits), machine.decision(bits))


def test_numpy_forward_is_the_torch_network_in_evaluation_mode():
    import torch

    rng = np.random.default_rng(0)
    X = np.hstack([rng.poisson(1.0, (64, 20)), rng.normal(3, 2, (64, 5))]).astype(np.float32)
    Y = (X[:, :2] > 1).astype(float)
    Y[::5, 1] = np.nan
    net = fit_perceptron(X, Y, 20, MLPSpec(hidden=(16, 8), epochs=2, batch_size=16), 0, 1)
    layers = [torch.nn.Linear(25, 16), torch.nn.ReLU(), torch.nn.Linear(16, 8), torch.nn.ReLU()]
    layers.append(torch.nn.Linear(8, 2))
    ref = torch.nn.Sequential(*layers)
    linear = [m for m in ref if isinstance(m, torch.nn.Linear)]
    with torch.no_grad():
        for i, m in enumerate(linear):
            m.weight.copy_(torch.from_numpy(net.layers[2 * i]))
            m.bias.copy_(torch.from_numpy(net.layers[2 * i + 1]))
        expected = torch.sigmoid(ref(torch.from_numpy(net.inputs(X)))).numpy()
    np.testing.assert_allclose(net.forward(X), expected, atol=1e-5)
    assert net.inputs(X)[:, 20:].mean(0) == pytest.approx(np.zeros(5), abs=1e-5)
    back = Perceptron.from_arrays(_npz(net.arrays()))
    np.testing.assert_allclose(back.forward(X), net.forward(X))  # half precision is lossless
    again = fit_perceptron(X, Y, 20, MLPSpec(hidden=(16, 8), epochs=2, batch_size=16), 0, 1)
    np.testing.assert_array_equal(again.forward(X), net.forward(X))  # same seed, same model


def test_perceptron_learns_bace_from_its_training_split():
    ep = catalogue().get("bace")
    data = load_dataset(ep, shared_data() / "moleculenet" / "chemprop_2019")
    X = FeatureTable(data.smiles, ["morgan", "fmorgan", "maccs", "desc"], workers=2).X
    tr, va = np.array(data.split.train), np.array(data.split.valid)
    net = fit_perceptron(X[tr], data.labels[tr], 2048 + 1024 + 167, MLPSpec(epochs=4), 0, 2)
    assert mean_auc(data.labels[va], net.forward(X[va])) > 0.65  # chance is 0.5


def _npz(arrays):
    import io

    buf = io.BytesIO()
    np.savez_compressed(buf, **arrays)
    buf.seek(0)
    return np.load(buf, allow_pickle=False)


@pytest.mark.slow
def test_an_ensemble_recipe_with_refit_trains_saves_and_reloads(tmp_path):
    ep = catalogue().get("bace")
    ep = ep.model_copy(
        update={"mlp": MLPSpec(epochs=3), "svm": SVMSpec(C=0.6), "refit": True, "rounds": 100}
    )
    data_dir = shared_data() / "moleculenet" / "chemprop_2019"
    report = train_endpoint(ep, data_dir, tmp_path, seeds=(0,), threads=2)
    model = EndpointModel.load(tmp_path / "bace")
    card = model.card
    assert [m.kind for m in card.members] == ["trees", "mlp", "svm"]
    assert card.trained_on == "train+valid"
    data = load_dataset(ep, data_dir)
    assert len(model.training.smiles) == len(data.split.train) + len(data.split.valid)
    te = data.split.test
    inputs = model.featurize([Chem.MolFromSmiles(data.smiles[i]) for i in te])
    assert mean_auc(data.labels[te], model.raw_scores(inputs)) == pytest.approx(
        card.test_roc_auc, abs=1e-4
    )
    probs = model.probabilities(inputs)
    assert ((probs > 0) & (probs < 1)).all()
    seed = report.seeds[0]
    assert seed.test_roc_auc_train_only is not None and set(seed.members) == {
        "trees",
        "mlp",
        "svm",
    }
    text = render_report([report], {"bace": ep})
    assert "refitted on train+valid" in text and "## Ensemble members and the refit" in text


def test_recipes_without_minimol_predict_without_importing_torch():
    # MiniMol's block needs torch; every other shipped recipe (the ensembles' perceptron and
    # kernel machine included) predicts with numpy and LightGBM alone. (scikit-learn cannot be
    # checked the same way: LightGBM imports it when it is installed.)
    code = (
        "import sys\n"
        "from tools.predict.endpoints import catalogue\n"
        "from tools.predict.model import load_model\n"
        "from tools.predict.regression import load_regression\n"
        "cat = catalogue()\n"
        "done = []\n"
        "for name in cat.names:\n"
        "    reg = name in cat.regression\n"
        "    m = load_regression(name) if reg else load_model(name)\n"
        "    if 'minimol' in m.card.features:\n"
        "        continue\n"
        "    m.predict('Oc1ccc(cc1)C(C)(C)c1ccc(O)cc1')\n"
        "    done.append(name)\n"
        "print(done, sorted(k for k in ('torch', 'transformers') if k in sys.modules))\n"
    )
    r = subprocess.run(
        [sys.executable, "-c", code], cwd=ROOT, capture_output=True, text=True, timeout=300
    )
    assert r.returncode == 0, r.stderr
    done, imported = r.stdout.strip().rsplit(" ", 1)
    assert imported == "[]" and "freesolv" in done


def _seed(seed, test, members=None, before=None):
    return SeedResult(
        seed=seed,
        valid_roc_auc=0.84 if members else 0.8,
        members_valid={"trees": 0.81} if members else {},
        test_roc_auc=test,
        test_brier_raw=0.1,
        test_brier_calibrated=0.08,
        test_ece_raw=0.05,
        test_ece_calibrated=0.02,
        members=members or {},
        test_roc_auc_train_only=before,
    )


def test_report_sets_ensembles_beside_single_models():
    counts = dict(n_molecules=100, n_dropped=0, n_train=80, n_valid=10, n_test=10)
    single = EndpointReport(
        endpoint="bbbp",
        features=["fmorgan", "desc", "maccs"],
        seeds=[_seed(0, 0.70), _seed(1, 0.69)],
        **counts,
    )
    members = {"trees": 0.787, "mlp": 0.785, "svm": 0.79}
    ensemble = EndpointReport(
        endpoint="tox21",
        features=["fmorgan", "desc", "maccs"],
        seeds=[_seed(0, 0.807, members, 0.795), _seed(1, 0.805, members, 0.793)],
        **counts,
    )
    text = render_report([single, ensemble], catalogue().endpoints)
    assert "| **chemdfm-agent predictors** | **69.5 ± 0.5** | **80.6 ± 0.1** |" in text
    # valid: trees, ensemble; test: members, before the refit, shipped
    assert "| tox21 | 81.0 | 84.0 | 78.7 | 78.5 | 79.0 | 79.4 | 80.6 |" in text
    # calibration: raw, validation Platt (not measured here), cross-fitted; Brier then ECE
    assert "| bbbp | 0.1000 | - | 0.0800 | 0.0500 | - | 0.0200 |" in text
    members_table = text.split("## Ensemble members and the refit")[1].split("##")[0]
    assert "| tox21 |" in members_table and "| bbbp |" not in members_table


def test_cross_fitted_calibration_follows_the_training_balance_not_the_validation_split():
    # BACE: 46% of the training split is positive, 86% of the validation split. Maps fitted on
    # out-of-fold training scores keep the mean probability near the training rate; maps fitted
    # on the validation split push every probability towards its 86%.
    ep = catalogue().get("bace").model_copy(update={"mlp": None, "svm": None, "rounds": 150})
    data = load_dataset(ep, shared_data() / "moleculenet" / "chemprop_2019")
    table = FeatureTable(data.smiles, list(ep.features))
    inputs = Inputs(table)
    tr, va = np.array(data.split.train), np.array(data.split.valid)
    oof = cross_fitted_scores(ep, data, inputs, tr, 0, 2, {}, "train")
    assert oof["trees"].shape == (len(tr), 1)
    _, maps = calibrate(oof, data.labels[tr])
    fitted = fit_members(ep, data, inputs, tr, 0, 2)
    _, valid_maps = calibrate(fitted.scores(list(ep.features), inputs.rows(va)), data.labels[va])
    train_rate = float(np.mean(data.labels[tr]))
    assert float(np.mean(maps[0](oof["trees"][:, 0]))) == pytest.approx(train_rate, abs=0.03)
    shifted = float(np.mean(valid_maps[0](oof["trees"][:, 0])))
    assert shifted > train_rate + 0.1


def test_fitting_the_perceptron_leaves_torchs_thread_count_as_it_was():
    """torch's thread count is process-wide: a fit that left its own behind would change the
    speed (and float sums) of whatever runs next in the process."""
    import torch

    before = torch.get_num_threads()
    rng = np.random.default_rng(1)
    X = np.hstack([rng.poisson(1.0, (32, 8)), rng.normal(0, 1, (32, 3))]).astype(np.float32)
    Y = (X[:, :1] > 1).astype(float)
    other = 1 if before != 1 else 2
    fit_perceptron(X, Y, 8, MLPSpec(hidden=(4,), epochs=1, batch_size=16), 0, other)
    assert torch.get_num_threads() == before
