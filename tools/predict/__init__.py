"""Property-prediction specialists trained on MoleculeNet (BACE, BBBP, ClinTox, HIV, Tox21)."""
