"""Training, validation-only model selection and test evaluation of the endpoint models.

The protocol: one deterministic scaffold split per dataset; features and hyper-parameters are
chosen on the validation split (`select`); calibration is cross-fitted on scaffold folds of the
molecules the model is fitted on; the test split is scored once per final model and seed. The shipped model is seed 0, trained on the
training split only, so the test ROC-AUC it quotes is the one measured here.
"""

from __future__ import annotations

import csv
import hashlib
import logging
import os
from collections.abc import Callable, Sequence
from pathlib import Path
from typing import TYPE_CHECKING

import numpy as np
from pydantic import BaseModel, ConfigDict
from rdkit import Chem, RDLogger, rdBase

from tools.predict.calibration import Platt, brier, expected_calibration_error, fit_platt
from tools.predict.domain import CLOSE, MODERATE, TrainingSet, band
from tools.predict.endpoints import Endpoint, RegressionEndpoint
from tools.predict.features import BlockTable, block_width, descriptor_names, featurize_smiles
from tools.predict.kernel import KernelMachine, fit_kernel_machine, kernel_bits
from tools.predict.metrics import mean_auc, task_aucs
from tools.predict.mlp import MLP_BLOCKS, fit_perceptron
from tools.predict.model import (
    EndpointModel,
    Fitted,
    Inputs,
    MemberCard,
    MemberKind,
    ModelCard,
    TaskCard,
    combine,
    input_blocks,
)
from tools.predict.split import Split, scaffold_folds, scaffold_split

if TYPE_CHECKING:
    import lightgbm

log = logging.getLogger(__name__)
CALIBRATION_FOLDS = 5
Progress = Callable[[str], None]


class DataMissing(FileNotFoundError):
    """The MoleculeNet CSVs are not where they were looked for."""


class Dataset(BaseModel):
    """An endpoint's molecules (valid SMILES only), labels (NaN = not measured) and split."""

    model_config = ConfigDict(extra="forbid", arbitrary_types_allowed=True)

    endpoint: str
    smiles: list[str]
    labels: np.ndarray
    split: Split
    sha256: str
    dropped: int


def load_dataset(endpoint: Endpoint | RegressionEndpoint, data_dir: Path) -> Dataset:
    """Read the endpoint's CSV; rows RDKit cannot parse are dropped (and counted). SMILES are
    stripped (ESOL's carry trailing spaces)."""
    path = Path(data_dir) / endpoint.dataset
    if not path.is_file():
        what = (
            "--regression-dir pointing at MoleculeNet's delaney-processed.csv, freesolv.csv "
            "and lipo.csv"
            if isinstance(endpoint, RegressionEndpoint)
            else "--data-dir pointing at the MoleculeNet CSVs "
            "(chemprop's bace.csv, bbbp.csv, clintox.csv, hiv.csv, tox21.csv)"
        )
        raise DataMissing(f"{path} not found; pass {what}")
    raw = path.read_bytes()
    rows = list(csv.DictReader(raw.decode("utf-8").splitlines()))
    if not rows:
        raise ValueError(f"{path} has no data rows")
    missing = {endpoint.smiles_column, *(t.column for t in endpoint.tasks)} - set(rows[0])
    if missing:
        raise ValueError(f"{path}: missing columns {sorted(missing)}")
    for r in rows:
        r[endpoint.smiles_column] = (r[endpoint.smiles_column] or "").strip()
    RDLogger.DisableLog("rdApp.*")
    try:
        split = scaffold_split([r[endpoint.smiles_column] for r in rows])
    finally:
        rdBase.EnableLog("rdApp.error")
    keep = sorted(split.train + split.valid + split.test)
    where = {old: new for new, old in enumerate(keep)}
    labels = np.array(
        [
            [
                float(rows[i][t.column]) if rows[i][t.column].strip() else np.nan
                for t in endpoint.tasks
            ]
            for i in keep
        ]
    )
    return Dataset(
        endpoint=endpoint.name,
        smiles=[rows[i][endpoint.smiles_column] for i in keep],
        labels=labels,
        split=Split(
            train=[where[i] for i in split.train],
            valid=[where[i] for i in split.valid],
            test=[where[i] for i in split.test],
            invalid=[],
        ),
        sha256=hashlib.sha256(raw).hexdigest(),
        dropped=len(split.invalid),
    )


class FeatureTable(BlockTable):
    """All feature blocks of a dataset, computed once and sliced per candidate recipe."""

    def __init__(self, smiles: Sequence[str], blocks: Sequence[str], workers: int = 1) -> None:
        names = descriptor_names()
        super().__init__(featurize_smiles(smiles, blocks, names, workers), blocks, names)


def fit_booster(
    X: np.ndarray,
    y: np.ndarray,
    params: dict[str, object],
    rounds: int,
    seed: int,
    threads: int,
    objective: str = "binary",
) -> lightgbm.Booster:
    import lightgbm

    full = {
        **params,
        "objective": objective,
        "seed": seed,
        "deterministic": True,
        "force_row_wise": True,
        "num_threads": threads,
        "verbosity": -1,
    }
    return lightgbm.train(full, lightgbm.Dataset(X, label=y), num_boost_round=rounds)


def fit_tasks(
    endpoint: Endpoint,
    data: Dataset,
    X: np.ndarray,
    seed: int,
    threads: int,
    rows: np.ndarray | None = None,
) -> list[lightgbm.Booster]:
    """One booster per task on `rows` (default the training split), each on the rows where its
    label is known."""
    tr = np.array(data.split.train if rows is None else rows, dtype=int)
    Y = data.labels
    boosters = []
    for j in range(Y.shape[1]):
        rows = tr[~np.isnan(Y[tr, j])]
        boosters.append(
            fit_booster(X[rows], Y[rows, j], endpoint.params, endpoint.rounds, seed, threads)
        )
    return boosters


class SeedResult(BaseModel):
    model_config = ConfigDict(extra="forbid")

    seed: int
    valid_roc_auc: float
    test_roc_auc: float
    test_brier_raw: float
    test_brier_calibrated: float
    test_ece_raw: float
    test_ece_calibrated: float
    test_brier_valid_platt: float | None = None  # the previous calibration, for the report
    test_ece_valid_platt: float | None = None
    members: dict[str, float] = {}
    members_valid: dict[str, float] = {}
    test_roc_auc_train_only: float | None = None  # refit recipes: before the refit


def _pooled(Y: np.ndarray, P: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    known = ~np.isnan(Y)
    return P[known], Y[known]


def fit_members(
    endpoint: Endpoint,
    data: Dataset,
    inputs: Inputs,
    rows: np.ndarray,
    seed: int,
    threads: int,
    machine: KernelMachine | None = None,
) -> Fitted:
    """The trees and, as the recipe asks, the perceptron and the kernel SVM, on `rows`."""
    Y = data.labels
    boosters = fit_tasks(
        endpoint, data, inputs.table.columns(endpoint.features), seed, threads, rows
    )
    perceptron = None
    if endpoint.mlp is not None:
        X = inputs.table.columns(MLP_BLOCKS)
        n_fp = X.shape[1] - block_width("desc", inputs.table.descriptors)
        perceptron = fit_perceptron(X[rows], Y[rows], n_fp, endpoint.mlp, seed, threads)
    if endpoint.svm is not None and machine is None:
        assert inputs.bits is not None
        machine = fit_kernel_machine([b[rows] for b in inputs.bits], Y[rows], endpoint.svm)
    return Fitted(boosters, perceptron, machine)


def cross_fitted_scores(
    endpoint: Endpoint,
    data: Dataset,
    inputs: Inputs,
    rows: np.ndarray,
    seed: int,
    threads: int,
    machines: dict[str, KernelMachine],
    key: str,
    k: int = CALIBRATION_FOLDS,
) -> dict[MemberKind, np.ndarray]:
    """Every member's out-of-fold scores for `rows`: `k` scaffold folds, each scored by members
    fitted on the other folds, so each score is on a scaffold its model never saw."""
    folds = scaffold_folds([data.smiles[i] for i in rows], k)
    out: dict[MemberKind, np.ndarray] = {}
    for f, fold in enumerate(folds):
        held = np.zeros(len(rows), dtype=bool)
        held[fold] = True
        fkey = f"{key}-fold{f}"
        fitted = fit_members(endpoint, data, inputs, rows[~held], seed, threads, machines.get(fkey))
        if fitted.machine is not None:
            machines[fkey] = fitted.machine
        for kind, S in fitted.scores(list(endpoint.features), inputs.rows(rows[held])).items():
            out.setdefault(kind, np.zeros((len(rows), S.shape[1])))[held] = S
    return out


def calibrate(
    scores: dict[MemberKind, np.ndarray], Y: np.ndarray
) -> tuple[list[MemberCard], list[Platt]]:
    """Platt maps fitted on (scores, labels): one per member and task when there are several
    members, then one per task on their average."""
    members = []
    if len(scores) > 1:
        members = [
            MemberCard(
                kind=kind,
                calibration=[_platt(S[:, j], Y[:, j]) for j in range(Y.shape[1])],
                valid_roc_auc=0.0,
            )
            for kind, S in scores.items()
        ]
    raw = combine(members, scores) if members else scores["trees"]
    return members, [_platt(raw[:, j], Y[:, j]) for j in range(Y.shape[1])]


def _apply(
    members: Sequence[MemberCard], maps: Sequence[Platt], scores: dict[MemberKind, np.ndarray]
) -> tuple[np.ndarray, np.ndarray]:
    """Raw (uncalibrated) ensemble scores and calibrated probabilities."""
    raw = combine(members, scores) if members else scores["trees"]
    return raw, np.column_stack([m(raw[:, j]) for j, m in enumerate(maps)])


def train_seed(
    endpoint: Endpoint,
    data: Dataset,
    inputs: Inputs,
    seed: int,
    threads: int,
    machines: dict[str, KernelMachine] | None = None,
    oof: dict[MemberKind, np.ndarray] | None = None,
) -> tuple[EndpointModel, SeedResult, dict[MemberKind, np.ndarray]]:
    """Train every member on the training split, calibrate by cross-fitting, score valid and
    test; returns the out-of-fold scores too.

    Calibration: each member's Platt map (and the ensemble's) is fitted on out-of-fold scores
    over 5 scaffold folds of the molecules the shipped members are fitted on. A map fitted on
    the validation split (the previous method, still measured for the report) inherits its
    label balance: BACE's validation split is 86% positive against 46% in training, and its map
    pushed every probability up.

    With `refit` in the recipe, the members are then fitted again with the same settings on
    training + validation molecules and it is this model whose test ROC-AUC is measured and
    which is saved; the validation ROC-AUC is the training-split model's.

    `machines` caches the kernel SVM per fitted row set: it has no randomness, so the seeds
    share it. `oof` reuses another seed's out-of-fold scores: cross-fitting costs five fits,
    and only the shipped seed's calibration is kept."""
    tr, va, te = (
        np.array(p, dtype=int) for p in (data.split.train, data.split.valid, data.split.test)
    )
    Y = data.labels
    features = list(endpoint.features)
    fit_rows = np.concatenate([tr, va]) if endpoint.refit else tr
    machines = {} if machines is None else machines

    def fit(rows: np.ndarray, key: str) -> Fitted:
        fitted = fit_members(endpoint, data, inputs, rows, seed, threads, machines.get(key))
        if fitted.machine is not None:
            machines[key] = fitted.machine
        return fitted

    first = fit(tr, "train")
    fitted = fit(fit_rows, "refit") if endpoint.refit else first
    scores_va = first.scores(features, inputs.rows(va))
    scores_te = fitted.scores(features, inputs.rows(te))
    before_refit = first.scores(features, inputs.rows(te)) if endpoint.refit else None
    if oof is None:
        oof = cross_fitted_scores(
            endpoint,
            data,
            inputs,
            fit_rows,
            seed,
            threads,
            machines,
            "refit" if endpoint.refit else "train",
        )
    members, maps = calibrate(oof, Y[fit_rows])
    members = [
        m.model_copy(
            update={
                "valid_roc_auc": round(mean_auc(Y[va], scores_va[m.kind]), 4),
                "test_roc_auc": round(mean_auc(Y[te], scores_te[m.kind]), 4),
            }
        )
        for m in members
    ]
    raw_va, _ = _apply(members, maps, scores_va)
    raw_te, cal_te = _apply(members, maps, scores_te)
    tasks = []
    for j, (task, v, t) in enumerate(
        zip(endpoint.tasks, task_aucs(Y[va], raw_va), task_aucs(Y[te], raw_te), strict=True)
    ):
        rows = fit_rows[~np.isnan(Y[fit_rows, j])]
        tasks.append(
            TaskCard(
                column=task.column,
                label=task.label,
                calibration=maps[j],
                n_train=len(rows),
                n_train_positive=int(Y[rows, j].sum()),
                valid_roc_auc=None if v is None else round(v, 4),
                test_roc_auc=None if t is None else round(t, 4),
            )
        )
    import lightgbm

    card = ModelCard(
        endpoint=endpoint.name,
        title=endpoint.title,
        features=features,
        descriptors=inputs.table.descriptors
        if "desc" in input_blocks(features, endpoint.mlp)
        else [],
        params=dict(endpoint.params),
        rounds=endpoint.rounds,
        seed=seed,
        dataset_sha256=data.sha256,
        trained_on="train+valid" if endpoint.refit else "train",
        mlp=endpoint.mlp,
        svm=endpoint.svm,
        members=members,
        tasks=tasks,
        test_roc_auc=round(mean_auc(Y[te], raw_te), 4),
        valid_roc_auc=round(mean_auc(Y[va], raw_va), 4),
        rdkit_version=rdBase.rdkitVersion,
        lightgbm_version=lightgbm.__version__,
    )
    training = TrainingSet.from_smiles([Chem.CanonSmiles(data.smiles[i]) for i in fit_rows])
    model = EndpointModel(card, fitted, training)
    # the previous method, for the report: every map fitted on the validation split
    old_members, old_maps = calibrate(scores_va, Y[va])
    _, old_te = _apply(old_members, old_maps, scores_te)
    p_raw, y = _pooled(Y[te], raw_te)
    p_cal, _ = _pooled(Y[te], cal_te)
    p_old, _ = _pooled(Y[te], old_te)
    result = SeedResult(
        seed=seed,
        valid_roc_auc=card.valid_roc_auc,
        test_roc_auc=card.test_roc_auc,
        test_brier_raw=brier(p_raw, y),
        test_brier_calibrated=brier(p_cal, y),
        test_ece_raw=expected_calibration_error(p_raw, y),
        test_ece_calibrated=expected_calibration_error(p_cal, y),
        test_brier_valid_platt=brier(p_old, y),
        test_ece_valid_platt=expected_calibration_error(p_old, y),
        members={m.kind: m.test_roc_auc or 0.0 for m in members},
        members_valid={m.kind: m.valid_roc_auc for m in members},
        test_roc_auc_train_only=None
        if before_refit is None
        else round(mean_auc(Y[te], _apply(members, maps, before_refit)[0]), 4),
    )
    return model, result, oof


def _platt(scores: np.ndarray, labels: np.ndarray) -> Platt:
    known = ~np.isnan(labels)
    return fit_platt(scores[known], labels[known])


def validation_score(
    endpoint: Endpoint, data: Dataset, X: np.ndarray, seeds: Sequence[int], threads: int
) -> tuple[float, float]:
    """Mean and std over seeds of the validation ROC-AUC; the test split is not touched."""
    va = np.array(data.split.valid, dtype=int)
    scores = []
    for seed in seeds:
        P = np.column_stack([b.predict(X[va]) for b in fit_tasks(endpoint, data, X, seed, threads)])
        scores.append(mean_auc(data.labels[va], P))
    return float(np.mean(scores)), float(np.std(scores))


class DomainBand(BaseModel):
    model_config = ConfigDict(extra="forbid")

    band: str
    n_test: int
    test_roc_auc: float | None


class EndpointReport(BaseModel):
    """Everything the report states about one endpoint."""

    model_config = ConfigDict(extra="forbid")

    endpoint: str
    features: list[str]
    n_molecules: int
    n_dropped: int
    n_train: int
    n_valid: int
    n_test: int
    seeds: list[SeedResult]
    selection: dict[str, tuple[float, float]] = {}
    domain: list[DomainBand] = []

    @property
    def test_mean(self) -> float:
        return float(np.mean([s.test_roc_auc for s in self.seeds]))

    @property
    def test_std(self) -> float:
        return float(np.std([s.test_roc_auc for s in self.seeds]))


def domain_bands(model: EndpointModel, data: Dataset, inputs: Inputs) -> list[DomainBand]:
    """Test ROC-AUC of the shipped model within each applicability-domain band."""
    te = np.array(data.split.test)
    P = model.probabilities(inputs.rows(te))
    sims = np.array(
        [
            model.training.neighbourhood(Chem.MolFromSmiles(data.smiles[i])).nearest_similarity
            for i in te
        ]
    )
    bands = np.array([band(s) for s in sims])
    out = []
    for name in ("close", "moderate", "distant"):
        m = bands == name
        score = None
        if m.any():
            aucs = [a for a in task_aucs(data.labels[te][m], P[m]) if a is not None]
            score = round(float(np.mean(aucs)), 4) if aucs else None
        out.append(DomainBand(band=name, n_test=int(m.sum()), test_roc_auc=score))
    return out


def train_endpoint(
    endpoint: Endpoint,
    data_dir: Path,
    out_dir: Path | None,
    seeds: Sequence[int] = (0, 1, 2),
    candidates: Sequence[Sequence[str]] = (),
    threads: int | None = None,
    workers: int | None = None,
    progress: Progress | None = None,
) -> EndpointReport:
    """Optionally compare candidate feature sets on valid, then train the endpoint's recipe per
    seed, save seed 0's model under `out_dir/<endpoint>` and return the figures."""
    say = progress or (lambda msg: log.info(msg))
    cpus = os.cpu_count() or 1
    threads = threads or cpus
    data = load_dataset(endpoint, data_dir)
    blocks = list(
        dict.fromkeys(
            [*input_blocks(endpoint.features, endpoint.mlp), *(b for c in candidates for b in c)]
        )
    )
    say(f"{endpoint.name}: featurising {len(data.smiles)} molecules ({'+'.join(blocks)})")
    table = FeatureTable(data.smiles, blocks, workers or cpus)
    selection = {}
    for cand in candidates:
        score = validation_score(endpoint, data, table.columns(cand), seeds, threads)
        selection["+".join(cand)] = score
        say(
            f"{endpoint.name}: valid ROC-AUC {'+'.join(cand)} {100 * score[0]:.1f} ± {100 * score[1]:.1f}"
        )
    if selection:
        best = max(selection, key=lambda k: selection[k][0])
        if best != "+".join(endpoint.features):
            say(f"{endpoint.name}: validation picks {best} over {'+'.join(endpoint.features)}")
        endpoint = endpoint.model_copy(update={"features": tuple(best.split("+"))})
    bits = None
    if endpoint.svm is not None:
        bits = kernel_bits([Chem.MolFromSmiles(s) for s in data.smiles], endpoint.svm)
    inputs = Inputs(table, bits)
    results, shipped = [], None
    machines: dict[str, KernelMachine] = {}
    oof = None
    for seed in seeds:
        model, result, oof = train_seed(endpoint, data, inputs, seed, threads, machines, oof)
        members = "".join(f", {k} {100 * v:.1f}" for k, v in result.members.items())
        say(
            f"{endpoint.name}: seed {seed} test ROC-AUC {100 * result.test_roc_auc:.1f}"
            + (f" (members alone{members})" if members else "")
        )
        results.append(result)
        if shipped is None:
            shipped = model
    assert shipped is not None
    if out_dir is not None:
        shipped.save(Path(out_dir) / endpoint.name)
    return EndpointReport(
        endpoint=endpoint.name,
        features=list(endpoint.features),
        n_molecules=len(data.smiles),
        n_dropped=data.dropped,
        n_train=len(data.split.train),
        n_valid=len(data.split.valid),
        n_test=len(data.split.test),
        seeds=results,
        selection=selection,
        domain=domain_bands(shipped, data, inputs),
    )


def recipe(endpoint: Endpoint, features: Sequence[str]) -> str:
    """The model in a few words, for the report."""
    parts = [f"LightGBM on {'+'.join(features)}"]
    if endpoint.mlp is not None:
        parts.append("multitask perceptron")
    if endpoint.svm is not None:
        parts.append(f"SVM, Tanimoto kernel on {'+'.join(endpoint.svm.fingerprints)}")
    text = " + ".join(parts)
    return text + ", refitted on train+valid" if endpoint.refit else text


RF_MORGAN = {"bace": 87.0, "bbbp": 69.2, "clintox": 77.5, "hiv": 81.7, "tox21": 72.2}
# The shipped models before MiniMol and cross-fitted calibration (test ROC-AUC x100, seeds 0-2).
ROUND_ONE = {"bace": 85.5, "bbbp": 69.8, "clintox": 90.8, "hiv": 78.6, "tox21": 80.6}


def render_report(reports: Sequence[EndpointReport], endpoints: dict[str, Endpoint]) -> str:
    """The markdown report: our test ROC-AUC beside the ChemDFM paper's table."""
    lines = [
        "# Property predictors: test ROC-AUC x100 on the deterministic scaffold split",
        "",
        "Scaffold split 80/10/10 (Bemis-Murcko with chirality, largest sets first; identical to "
        "OGB's BACE and BBBP test indices). LightGBM per task on the features chosen on the "
        "validation split; where the recipe says so (see `recipe`), averaged with a multitask "
        "perceptron and a Tanimoto-kernel SVM and refitted on training + validation molecules "
        "after the validation split chose it; probabilities calibrated on cross-fitted scaffold "
        "folds. Mean ± std over seeds "
        f"{', '.join(str(s.seed) for s in reports[0].seeds)}; the shipped model is seed 0. "
        "Regenerate with `chemagent train predictors --report FILE` (`--select` adds the "
        "validation comparison of feature sets).",
        "",
        "| model | " + " | ".join(r.endpoint for r in reports) + " |",
        "|---" * (len(reports) + 1) + "|",
        "| **chemdfm-agent predictors** | "
        + " | ".join(f"**{100 * r.test_mean:.1f} ± {100 * r.test_std:.1f}**" for r in reports)
        + " |",
        "| round one (before MiniMol and cross-fitted calibration) | "
        + " | ".join(f"{ROUND_ONE.get(r.endpoint, float('nan')):.1f}" for r in reports)
        + " |",
        "| ChemDFM-13B (paper) | "
        + " | ".join(f"{endpoints[r.endpoint].paper.chemdfm_13b:.1f}" for r in reports)
        + " |",
        "| best published (ChemDFM paper's table) | "
        + " | ".join(
            f"{endpoints[r.endpoint].paper.best:.1f} ({endpoints[r.endpoint].paper.best_model})"
            for r in reports
        )
        + " |",
        "| random forest, Morgan bits (for scale) | "
        + " | ".join(f"{RF_MORGAN.get(r.endpoint, float('nan')):.1f}" for r in reports)
        + " |",
        "",
        "| endpoint | recipe | molecules (train/valid/test) | beats ChemDFM-13B | beats best published | shipped model (seed 0) test | valid |",
        "|---|---|---|---|---|---|---|",
    ]
    for r in reports:
        p = endpoints[r.endpoint].paper
        s0 = r.seeds[0]
        lines.append(
            f"| {r.endpoint} | {recipe(endpoints[r.endpoint], r.features)} | {r.n_molecules} "
            f"({r.n_train}/{r.n_valid}/{r.n_test}) | "
            f"{'yes' if 100 * r.test_mean > p.chemdfm_13b else 'no'} | "
            f"{'yes' if 100 * r.test_mean > p.best else 'no'} | "
            f"{100 * s0.test_roc_auc:.1f} | {100 * s0.valid_roc_auc:.1f} |"
        )
    detailed = [
        r for r in reports if r.seeds[0].members or r.seeds[0].test_roc_auc_train_only is not None
    ]
    if detailed:
        lines += [
            "",
            "## Ensemble members and the refit (test ROC-AUC x100, mean over seeds)",
            "",
            "Validation: the trees alone and the whole ensemble (what chose the ensemble). Test: "
            "each member alone as shipped, and the whole model trained on the training split "
            "only, before the refit on training + validation molecules.",
            "",
            "| endpoint | valid: trees | valid: ensemble | test: trees | perceptron | kernel SVM | training split only | shipped |",
            "|---|---|---|---|---|---|---|---|",
        ]

        def mean_of(values: list[float | None]) -> str:
            known = [v for v in values if v is not None]
            return f"{100 * np.mean(known):.1f}" if known else "-"

        for r in detailed:
            cells = [mean_of([s.members_valid.get("trees") for s in r.seeds])]
            cells.append(mean_of([s.valid_roc_auc for s in r.seeds]) if r.seeds[0].members else "-")
            cells += [mean_of([s.members.get(k) for s in r.seeds]) for k in ("trees", "mlp", "svm")]
            cells.append(mean_of([s.test_roc_auc_train_only for s in r.seeds]))
            cells.append(f"{100 * r.test_mean:.1f}")
            lines.append(f"| {r.endpoint} | " + " | ".join(cells) + " |")
    lines += [
        "",
        "## Calibration (test split, all tasks pooled, mean over seeds)",
        "",
        "Platt maps (per ensemble member, then on their average) fitted on out-of-fold scores "
        "over 5 scaffold folds of the molecules the model is fitted on (now), against the same "
        "maps fitted on the validation split (before; measured in the same run). Lower is "
        "better.",
        "",
        "| endpoint | Brier raw | Brier, validation Platt (before) | Brier, cross-fitted (now) "
        "| ECE raw | ECE, validation Platt (before) | ECE, cross-fitted (now) |",
        "|---|---|---|---|---|---|---|",
    ]

    def mean_field(r: EndpointReport, key: str) -> str:
        values = [getattr(s, key) for s in r.seeds]
        return "-" if None in values else f"{np.mean(values):.4f}"

    for r in reports:
        cells = [
            mean_field(r, k)
            for k in (
                "test_brier_raw",
                "test_brier_valid_platt",
                "test_brier_calibrated",
                "test_ece_raw",
                "test_ece_valid_platt",
                "test_ece_calibrated",
            )
        ]
        lines.append(f"| {r.endpoint} | " + " | ".join(cells) + " |")
    lines += [
        "",
        "## Applicability domain (shipped model, test split)",
        "",
        f"Band by the nearest training molecule's Tanimoto (Morgan r=2, 2048 bits): close >= {CLOSE}, "
        f"moderate >= {MODERATE}, distant below. Test ROC-AUC x100 within each band (n molecules).",
        "",
        "| endpoint | close | moderate | distant |",
        "|---|---|---|---|",
    ]
    for r in reports:
        cells = [
            f"{'-' if b.test_roc_auc is None else f'{100 * b.test_roc_auc:.1f}'} (n={b.n_test})"
            for b in r.domain
        ]
        lines.append(f"| {r.endpoint} | " + " | ".join(cells) + " |")
    if any(r.selection for r in reports):
        lines += [
            "",
            "## Feature selection (validation split only)",
            "",
            "| endpoint | candidate | valid ROC-AUC x100 |",
            "|---|---|---|",
        ]
        for r in reports:
            for cand, (mean, std) in r.selection.items():
                mark = " (chosen)" if cand == "+".join(r.features) else ""
                lines.append(
                    f"| {r.endpoint} | {cand}{mark} | {100 * mean:.1f} ± {100 * std:.1f} |"
                )
    return "\n".join(lines) + "\n"
