"""How far the shipped predictors' stated test figures move when the machine changes.

A test that compares a model's test ROC-AUC or RMSE with the figure on its card can only use a
tolerance that was measured. This script measures it by re-scoring every shipped model on its
test split under settings that change what another CPU changes, each in a fresh process:

- `default`: this machine as it is;
- `openblas-<core>` (x86-64 only): OpenBLAS forced to another CPU generation's kernels with
  `OPENBLAS_CORETYPE` (Prescott: SSE3 only; Haswell: AVX2; SkylakeX: AVX-512). This is what
  moved MiniMol's fingerprints by up to 0.2 before their eigenvectors were made canonical;
- `batch-1`: MiniMol run one molecule at a time (the agent's path) instead of 100 at a time;
- `flips-<seed>`: simulated rounding flips, since a value that sits on a rounding boundary of
  the fingerprint can still round the other way on another CPU. The rate of such flips between
  `default` and the other settings is counted, and cells are moved one rounding step at ten
  times the highest rate seen (at least 1e-3 of the cells), with several seeds.

It prints each figure's largest deviation from its card and, with `--write`, the tolerances
the tests use (`tests/data/figure_tolerances.json`): twice the largest deviation, rounded up to
1e-4, and never below 1e-4. `--retrain` also retrains clintox (maccs+minimol) under the default,
Prescott and two flip settings and records how far a retrained model's figure and probabilities move.

Run: `python benchmarks/figure_spread.py [--models DIR] [--flip-seeds 5] [--retrain] [--write]`.
"""

from __future__ import annotations

import argparse
import json
import math
import os
import platform
import subprocess
import sys
import tempfile
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))
DATA = ROOT.parent / "shared" / "data" / "moleculenet"
TOLERANCES = ROOT / "tests" / "data" / "figure_tolerances.json"
FLOOR = 1e-4
CORES = ("Prescott", "Haswell", "SkylakeX")


def _flipping(rate: float, seed: int) -> None:
    """Move a share of MiniMol's cells one rounding step, the same cells for the same input."""
    import numpy as np

    from tools.predict import features
    from tools.predict.minimol import ROUND_DECIMALS

    original = features.minimol_rows
    step = 10.0**-ROUND_DECIMALS

    def flipped(mols):  # type: ignore[no-untyped-def]
        rows = original(mols)
        rng = np.random.default_rng([seed, len(mols)])
        mask = rng.random(rows.shape) < rate
        return np.round(rows + mask * rng.choice([-step, step], size=rows.shape), ROUND_DECIMALS)

    features.minimol_rows = flipped


def figures(models: Path) -> dict[str, dict[str, float]]:
    """Every shipped model's test figures, as its card states them and as scored here."""
    from rdkit import Chem, RDLogger

    from tools.predict.endpoints import catalogue
    from tools.predict.metrics import mean_auc
    from tools.predict.model import EndpointModel
    from tools.predict.regression import RegressionModel
    from tools.predict.train import load_dataset
    from tools.predict.train_regression import rmse

    RDLogger.DisableLog("rdApp.*")
    cat = catalogue()
    out: dict[str, dict[str, float]] = {}
    for name, ep in cat.endpoints.items():
        model = EndpointModel.load(models / name)
        data = load_dataset(ep, DATA / "chemprop_2019")
        test = data.split.test
        inputs = model.featurize([Chem.MolFromSmiles(data.smiles[i]) for i in test])
        row = {"test_roc_auc": mean_auc(data.labels[test], model.raw_scores(inputs))}
        members = model.member_scores(inputs)
        for m in model.card.members:
            row[f"member_{m.kind}"] = mean_auc(data.labels[test], members[m.kind])
        out[name] = row
    for name, reg in cat.regression.items():
        rmodel = RegressionModel.load(models / name)
        data = load_dataset(reg, DATA / "regression")
        test = data.split.test
        pred = rmodel.values(rmodel.featurize([Chem.MolFromSmiles(data.smiles[i]) for i in test]))
        y = data.labels[test, 0]
        out[name] = {"test_rmse": rmse(y, pred), "test_mae": float(abs(y - pred).mean())}
    return out


def stated(models: Path) -> dict[str, dict[str, float]]:
    from tools.predict.endpoints import catalogue
    from tools.predict.model import EndpointModel
    from tools.predict.regression import RegressionModel

    cat = catalogue()
    out: dict[str, dict[str, float]] = {}
    for name in cat.endpoints:
        card = EndpointModel.load(models / name).card
        out[name] = {"test_roc_auc": card.test_roc_auc}
        out[name].update({f"member_{m.kind}": m.test_roc_auc for m in card.members})
    for name in cat.regression:
        rcard = RegressionModel.load(models / name).card
        out[name] = {"test_rmse": rcard.test_rmse, "test_mae": rcard.test_mae}
    return out


def minimol_cells() -> list[list[float]]:
    """The test molecules' MiniMol block, to count rounding flips between settings."""
    from rdkit import Chem, RDLogger

    from tools.predict.endpoints import catalogue
    from tools.predict.features import minimol_rows
    from tools.predict.train import load_dataset

    RDLogger.DisableLog("rdApp.*")
    cat = catalogue()
    smiles: list[str] = []
    for ep in cat.endpoints.values():
        if "minimol" in ep.features:
            data = load_dataset(ep, DATA / "chemprop_2019")
            smiles += [data.smiles[i] for i in data.split.test]
    return minimol_rows([Chem.MolFromSmiles(s) for s in smiles[:600]]).tolist()


def retrain(models: Path, out: Path) -> dict[str, float]:
    """Retrain clintox (seed 0, two threads, as the test does) and compare it with the one in
    `models`."""
    from rdkit import Chem

    from tools.predict.endpoints import catalogue
    from tools.predict.model import EndpointModel
    from tools.predict.train import load_dataset, train_endpoint

    ep = catalogue().get("clintox")
    train_endpoint(ep, DATA / "chemprop_2019", out, seeds=(0,), threads=2)
    retrained = EndpointModel.load(out / "clintox")
    shipped = EndpointModel.load(models / "clintox")
    data = load_dataset(ep, DATA / "chemprop_2019")
    X = shipped.featurize([Chem.MolFromSmiles(s) for s in data.smiles[:200]])
    moved = abs(retrained.probabilities(X) - shipped.probabilities(X))
    return {
        "retrained_test_roc_auc": retrained.card.test_roc_auc,
        "retrained_probability": float(moved.max()),
        "retrained_probability_mean": float(moved.mean()),
    }


def worker(args: argparse.Namespace) -> None:
    """One setting, in its own process (environment variables act at import)."""
    if args.flip_rate:
        _flipping(args.flip_rate, args.flip_seed)
    if args.batch:
        from tools.predict import minimol

        minimol.MINIMOL_BATCH = args.batch
    result: dict[str, object] = {"figures": figures(Path(args.models))}
    if args.cells:
        result["cells"] = minimol_cells()
    if args.retrain:
        with tempfile.TemporaryDirectory() as tmp:
            result["retrain"] = retrain(Path(args.models), Path(tmp))
    print(json.dumps(result))


def run_setting(
    models: Path, env: dict[str, str], extra: list[str], cells: bool, retrain_too: bool
) -> dict:  # type: ignore[type-arg]
    cmd = [sys.executable, __file__, "--worker", "--models", str(models), *extra]
    cmd += ["--cells"] if cells else []
    cmd += ["--retrain"] if retrain_too else []
    proc = subprocess.run(
        cmd, env={**os.environ, **env}, capture_output=True, text=True, check=False
    )
    if proc.returncode:
        raise SystemExit(f"{' '.join(cmd)} failed:\n{proc.stderr[-3000:]}")
    return json.loads(proc.stdout.strip().splitlines()[-1])


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--models", default=str(ROOT / "tools" / "predict" / "models"))
    ap.add_argument("--flip-seeds", type=int, default=5)
    ap.add_argument("--retrain", action="store_true")
    ap.add_argument("--write", action="store_true")
    ap.add_argument("--worker", action="store_true", help=argparse.SUPPRESS)
    ap.add_argument("--cells", action="store_true", help=argparse.SUPPRESS)
    ap.add_argument("--flip-rate", type=float, default=0.0, help=argparse.SUPPRESS)
    ap.add_argument("--flip-seed", type=int, default=0, help=argparse.SUPPRESS)
    ap.add_argument("--batch", type=int, default=0, help=argparse.SUPPRESS)
    args = ap.parse_args()
    if args.worker:
        worker(args)
        return

    import numpy as np

    models = Path(args.models)
    card = stated(models)
    settings: list[tuple[str, dict[str, str], list[str]]] = [("default", {}, [])]
    if platform.machine() == "x86_64":
        settings += [(f"openblas-{c}", {"OPENBLAS_CORETYPE": c}, []) for c in CORES]
    settings.append(("batch-1", {}, ["--batch", "1"]))
    results: dict[str, dict] = {}  # type: ignore[type-arg]
    # Retraining takes minutes, so it runs under the settings that move the features most.
    retrain_under = (
        {"default", "openblas-Prescott", "flips-0", "flips-1"} if args.retrain else set()
    )
    for label, env, extra in settings:
        t0 = time.perf_counter()
        results[label] = run_setting(
            models, env, extra, cells=True, retrain_too=label in retrain_under
        )
        print(f"{label}: {time.perf_counter() - t0:.0f} s", flush=True)
    base = np.array(results["default"]["cells"])
    rates = {}
    for label in results:
        if label != "default":
            other = np.array(results[label]["cells"])
            rates[label] = float((np.abs(other - base) > 0).mean())
            print(
                f"rounding flips {label} vs default: {rates[label]:.2e} of cells, largest "
                f"{np.abs(other - base).max():.4f}"
            )
    rate = max(1e-3, 10 * max(rates.values(), default=0.0))
    for seed in range(args.flip_seeds):
        label = f"flips-{seed}"
        extra = ["--flip-rate", str(rate), "--flip-seed", str(seed)]
        results[label] = run_setting(
            models, {}, extra, cells=False, retrain_too=label in retrain_under
        )
        print(f"{label} (rate {rate:.1e}) done", flush=True)

    spread: dict[str, dict[str, float]] = {}
    print(f"\n{'endpoint':10} {'figure':24} {'card':>8} {'largest move':>13}  where")
    for name, figs in card.items():
        for fig, value in figs.items():
            moves = {lab: abs(r["figures"][name][fig] - value) for lab, r in results.items()}
            worst = max(moves, key=lambda k: moves[k])
            spread.setdefault(name, {})[fig] = moves[worst]
            print(f"{name:10} {fig:24} {value:8.4f} {moves[worst]:13.5f}  {worst}")
    if args.retrain:
        shipped_auc = card["clintox"]["test_roc_auc"]
        retrained = {lab: r["retrain"] for lab, r in results.items() if "retrain" in r}
        r_moves = {
            lab: abs(r["retrained_test_roc_auc"] - shipped_auc) for lab, r in retrained.items()
        }
        p_moves = {lab: r["retrained_probability"] for lab, r in retrained.items()}
        m_moves = {lab: r["retrained_probability_mean"] for lab, r in retrained.items()}
        spread["clintox"]["retrained_test_roc_auc"] = max(r_moves.values())
        spread["clintox"]["retrained_probability"] = max(p_moves.values())
        spread["clintox"]["retrained_probability_mean"] = max(m_moves.values())
        print(
            f"clintox retrained: ROC-AUC moves {max(r_moves.values()):.5f}, "
            f"probabilities {max(p_moves.values()):.2e}"
        )

    tolerances = {
        name: {f: round(max(FLOOR, math.ceil(2 * v / FLOOR) * FLOOR), 4) for f, v in figs.items()}
        for name, figs in spread.items()
    }
    if args.write:
        TOLERANCES.parent.mkdir(parents=True, exist_ok=True)
        doc = {
            "_how": "benchmarks/figure_spread.py: twice the largest move of each figure over "
            f"the settings {sorted(results)} (flip rate {rate:.1e}), rounded up to 1e-4, "
            "at least 1e-4",
            "_measured_on": f"{platform.machine()} {platform.processor() or ''}".strip(),
            "tolerances": tolerances,
            "largest_moves": spread,
        }
        TOLERANCES.write_text(json.dumps(doc, indent=1, sort_keys=True) + "\n", encoding="utf-8")
        print(f"wrote {TOLERANCES.relative_to(ROOT)}")


if __name__ == "__main__":
    main()
