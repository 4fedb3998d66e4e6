"""A support-vector machine on a Tanimoto kernel over atom-pair and ECFP4 bits.

Why a kernel machine beside the trees: its score for a molecule is a weighted vote of the
training molecules it resembles, over whole-molecule similarity, which ranks molecules with new
scaffolds differently from trees that split on single features; averaging the two (and the MLP)
is what lifts Tox21 on held-out scaffolds. Atom pairs see the topology between functional
groups, ECFP4 the local environments; the kernel is the mean of the two Tanimoto similarities.

Inference needs only NumPy and RDKit: the model is the support vectors' packed fingerprints,
their dual coefficients and one intercept per task.
"""

from __future__ import annotations

from collections.abc import Sequence
from functools import cache
from typing import Any

import numpy as np
from pydantic import BaseModel, ConfigDict, Field
from rdkit import Chem
from rdkit.Chem import rdFingerprintGenerator

KERNEL_FINGERPRINTS = ("atompair", "ecfp4")
CHUNK = 1024


class SVMSpec(BaseModel):
    """The kernel machine of an endpoint's ensemble (chosen on the validation split)."""

    model_config = ConfigDict(extra="forbid", frozen=True)

    fingerprints: tuple[str, ...] = KERNEL_FINGERPRINTS
    bits: int = Field(4096, ge=64)
    C: float = Field(gt=0)


@cache
def _generator(name: str, bits: int) -> Any:
    if name == "atompair":
        return rdFingerprintGenerator.GetAtomPairGenerator(fpSize=bits)
    if name == "ecfp4":
        return rdFingerprintGenerator.GetMorganGenerator(radius=2, fpSize=bits)
    raise ValueError(
        f"unknown kernel fingerprint {name!r}; known: {', '.join(KERNEL_FINGERPRINTS)}"
    )


def kernel_bits(mols: Sequence[Chem.Mol], spec: SVMSpec) -> list[np.ndarray]:
    """One (molecules x bits) 0/1 float32 matrix per fingerprint of the kernel."""
    out = []
    for name in spec.fingerprints:
        gen = _generator(name, spec.bits)
        M = np.zeros((len(mols), spec.bits), dtype=np.float32)
        for i, mol in enumerate(mols):
            M[i] = gen.GetFingerprintAsNumPy(mol)
        out.append(M)
    return out


def tanimoto_kernel(
    A: Sequence[np.ndarray],
    B: Sequence[np.ndarray],
    B_counts: Sequence[np.ndarray] | None = None,
) -> np.ndarray:
    """Mean over fingerprints of the Tanimoto similarity of every row of A to every row of B.
    `B_counts` (the bits set in each row of B) saves recounting a fixed B on every call."""
    if B_counts is None:
        B_counts = [b.sum(1) for b in B]
    K = np.zeros((len(A[0]), len(B[0])), dtype=np.float64)
    for a, b, b_count in zip(A, B, B_counts, strict=True):
        inter = (a @ b.T).astype(np.float64)
        union = a.sum(1)[:, None] + b_count[None, :] - inter
        K += np.divide(inter, union, out=np.zeros_like(inter), where=union > 0)
    return K / len(A)


class KernelTask(BaseModel):
    """One task's decision function: sum_i coef_i K(x, sv_i) + intercept."""

    model_config = ConfigDict(extra="forbid", arbitrary_types_allowed=True)

    support: np.ndarray  # indices into the stored support-vector fingerprints
    coef: np.ndarray
    intercept: float


class KernelMachine:
    """The fitted SVM of every task, sharing one table of support-vector fingerprints."""

    def __init__(self, spec: SVMSpec, vectors: list[np.ndarray], tasks: list[KernelTask]) -> None:
        self.spec = spec
        self.vectors = vectors
        self.counts = [v.sum(1) for v in vectors]  # counted once, not per prediction
        self.tasks = tasks

    def decision(self, bits: Sequence[np.ndarray]) -> np.ndarray:
        """Signed distance from each task's margin, one column per task (higher = positive)."""
        n = len(bits[0])
        out = np.zeros((n, len(self.tasks)))
        for i in range(0, n, CHUNK):  # the kernel block stays ~50 MB however many molecules
            K = tanimoto_kernel([b[i : i + CHUNK] for b in bits], self.vectors, self.counts)
            for j, t in enumerate(self.tasks):
                out[i : i + CHUNK, j] = K[:, t.support] @ t.coef + t.intercept
        return out

    def arrays(self) -> dict[str, Any]:
        out: dict[str, Any] = {
            f"vectors_{name}": np.packbits(v.astype(np.uint8), axis=1)
            for name, v in zip(self.spec.fingerprints, self.vectors, strict=True)
        }
        for j, t in enumerate(self.tasks):
            out[f"support_{j}"] = t.support.astype(np.int32)
            out[f"coef_{j}"] = t.coef
            out[f"intercept_{j}"] = np.array([t.intercept])
        return out

    @classmethod
    def from_arrays(cls, spec: SVMSpec, z: Any, n_tasks: int) -> KernelMachine:
        vectors = [
            np.unpackbits(z[f"vectors_{name}"], axis=1, count=spec.bits).astype(np.float32)
            for name in spec.fingerprints
        ]
        tasks = [
            KernelTask(
                support=z[f"support_{j}"].astype(np.int64),
                coef=z[f"coef_{j}"],
                intercept=float(z[f"intercept_{j}"][0]),
            )
            for j in range(n_tasks)
        ]
        return cls(spec, vectors, tasks)


def fit_kernel_machine(bits: Sequence[np.ndarray], Y: np.ndarray, spec: SVMSpec) -> KernelMachine:
    """One class-balanced SVM per task on the rows where that task's label is known; only the
    molecules that end up support vectors of some task are kept."""
    from sklearn.svm import SVC

    K = tanimoto_kernel(bits, bits)
    fitted = []
    for j in range(Y.shape[1]):
        rows = np.flatnonzero(~np.isnan(Y[:, j]))
        svc = SVC(C=spec.C, kernel="precomputed", class_weight="balanced")
        svc.fit(K[np.ix_(rows, rows)], Y[rows, j])
        # decision_function is positive for classes_[1] (label 1)
        fitted.append((rows[svc.support_], svc.dual_coef_[0].copy(), float(svc.intercept_[0])))
    used = np.unique(np.concatenate([f[0] for f in fitted]))
    where = {int(r): i for i, r in enumerate(used)}
    tasks = [
        KernelTask(support=np.array([where[int(r)] for r in sv]), coef=coef, intercept=b)
        for sv, coef, b in fitted
    ]
    return KernelMachine(spec, [v[used] for v in bits], tasks)
