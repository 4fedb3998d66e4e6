"""Property-prediction throughput on 10,000 real molecules (the first 10,000 of MoleculeNet HIV).

For each endpoint model, the classifiers and the regressors (esol, freesolv, lipo: a value and
its conformal interval): predictions/s batched (featurise all, one LightGBM call per task, and
for the ensembles one perceptron pass and one kernel block per 1,024 molecules), with and
without the applicability-domain search, and the baseline measured in the same run:
the agent tool's path, one `predict(smiles)` call per molecule, on the first 1,000 molecules.

Run: `python benchmarks/predict_speed.py [--data ../shared/data/moleculenet/chemprop_2019]
[--n 10000] [--endpoints bbbp,bace,esol]`.
"""

from __future__ import annotations

import argparse
import csv
import sys
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

from rdkit import Chem, RDLogger  # noqa: E402

from tools.predict.endpoints import catalogue  # noqa: E402
from tools.predict.model import load_model  # noqa: E402
from tools.predict.regression import load_regression  # noqa: E402


def molecules(data: Path, n: int) -> list[str]:
    RDLogger.DisableLog("rdApp.*")
    out = []
    with (data / "hiv.csv").open(encoding="utf-8") as fh:
        for row in csv.DictReader(fh):
            if Chem.MolFromSmiles(row["smiles"]) is not None:
                out.append(row["smiles"])
            if len(out) == n:
                break
    return out


def main() -> None:
    ap = argparse.ArgumentParser()
    ap.add_argument(
        "--data", type=Path, default=ROOT.parent / "shared/data/moleculenet/chemprop_2019"
    )
    ap.add_argument("--n", type=int, default=10000)
    ap.add_argument("--baseline-n", type=int, default=1000)
    ap.add_argument("--endpoints", default="bbbp,bace,tox21,esol,freesolv,lipo")
    args = ap.parse_args()
    smiles = molecules(args.data, args.n)
    print(f"{len(smiles)} molecules from HIV")
    for name in args.endpoints.split(","):
        model = load_regression(name) if name in catalogue().regression else load_model(name)
        model.predict(smiles[0])  # loads MiniMol's ONNX graph (~8 s) outside the timings
        t = time.perf_counter()
        mols = [Chem.MolFromSmiles(s) for s in smiles]
        model.predict_mols(mols, domain=False)
        fast = len(smiles) / (time.perf_counter() - t)
        t = time.perf_counter()
        model.predict_mols([Chem.MolFromSmiles(s) for s in smiles], domain=True)
        with_domain = len(smiles) / (time.perf_counter() - t)
        sub = smiles[: args.baseline_n]
        t = time.perf_counter()
        for s in sub:
            model.predict(s)
        one = len(sub) / (time.perf_counter() - t)
        card = model.card
        members = "+".join(m.kind for m in getattr(card, "members", [])) or "trees"
        print(
            f"{name:8s} {members:14s} features {'+'.join(card.features):22s} "
            f"batched {fast:8.0f}/s  batched+domain {with_domain:8.0f}/s  "
            f"one-at-a-time+domain (baseline) {one:7.0f}/s  "
            f"ratio batched+domain/baseline {with_domain / one:5.1f}x"
        )


if __name__ == "__main__":
    main()
